/** The OpenAI Chat Completions codec (`POST /v1/chat/completions`). */
import type { WireCodec } from '../codec.js';
import { decodeOpenAIChatRequest } from './decode-request.js';
import { decodeOpenAIChatResponse } from './decode-response.js';
import { encodeOpenAIChatRequest } from './encode-request.js';
import { encodeOpenAIChatResponse } from './encode-response.js';
import { decodeOpenAIError, renderOpenAIError } from './errors.js';
import { createOpenAIChatStreamDecoder } from './stream-decoder.js';
import { createOpenAIChatStreamEncoder } from './stream-encoder.js';

export const openAIChatCodec: WireCodec<'openai-chat'> = {
  format: 'openai-chat',
  decodeRequest: decodeOpenAIChatRequest,
  encodeRequest: encodeOpenAIChatRequest,
  decodeResponse: decodeOpenAIChatResponse,
  encodeResponse: encodeOpenAIChatResponse,
  createStreamDecoder: createOpenAIChatStreamDecoder,
  createStreamEncoder: createOpenAIChatStreamEncoder,
  decodeError: decodeOpenAIError,
  renderError: renderOpenAIError,
};

export { TOOL_ERROR_MARKER } from './encode-request.js';
export { openAIErrorObject } from './errors.js';
export { fromOpenAIFinishReason, toOpenAIFinishReason } from './map-stop-reason.js';
export { isUsageOnlyChunk, readOpenAIUsage, writeOpenAIUsage } from './usage.js';
