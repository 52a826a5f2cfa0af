/** The Gemini codec (`models/{model}:generateContent` and `:streamGenerateContent?alt=sse`). */
import type { WireCodec } from '../codec.js';
import { decodeGeminiRequest } from './decode-request.js';
import { decodeGeminiResponse } from './decode-response.js';
import { encodeGeminiRequest } from './encode-request.js';
import { encodeGeminiResponse } from './encode-response.js';
import { decodeGeminiError, renderGeminiError } from './errors.js';
import { createGeminiStreamDecoder } from './stream-decoder.js';
import { createGeminiStreamEncoder } from './stream-encoder.js';

export const geminiCodec: WireCodec<'gemini'> = {
  format: 'gemini',
  decodeRequest: (body) => decodeGeminiRequest(body),
  encodeRequest: encodeGeminiRequest,
  decodeResponse: decodeGeminiResponse,
  encodeResponse: encodeGeminiResponse,
  createStreamDecoder: createGeminiStreamDecoder,
  createStreamEncoder: createGeminiStreamEncoder,
  decodeError: decodeGeminiError,
  renderError: renderGeminiError,
};

export { decodeGeminiRequest } from './decode-request.js';
export type { GeminiTarget } from './decode-request.js';
export { geminiErrorPayload } from './errors.js';
export { readGeminiUsage, writeGeminiUsage } from './usage.js';
export { toGeminiSchema, fromGeminiSchema } from './schema.js';
