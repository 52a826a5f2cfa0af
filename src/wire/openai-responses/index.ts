/**
 * The OpenAI Responses codec (`POST /v1/responses`), stateless subset (spec §3). Errors use the OpenAI
 * body shape (spec §9); mid-stream failures are `error` + `response.failed`.
 */
import type { WireCodec } from '../codec.js';
import { decodeOpenAIError, renderOpenAIError } from '../openai-chat/errors.js';
import { decodeResponsesRequest } from './decode-request.js';
import { decodeResponsesResponse } from './decode-response.js';
import { encodeResponsesRequest } from './encode-request.js';
import { encodeResponsesResponse } from './encode-response.js';
import { createResponsesStreamDecoder } from './stream-decoder.js';
import { createResponsesStreamEncoder } from './stream-encoder.js';

export const openAIResponsesCodec: WireCodec<'openai-responses'> = {
  format: 'openai-responses',
  decodeRequest: decodeResponsesRequest,
  encodeRequest: encodeResponsesRequest,
  decodeResponse: decodeResponsesResponse,
  encodeResponse: encodeResponsesResponse,
  createStreamDecoder: createResponsesStreamDecoder,
  createStreamEncoder: createResponsesStreamEncoder,
  decodeError: decodeOpenAIError,
  renderError: renderOpenAIError,
};

export { STATEFUL_FIELDS } from './decode-request.js';
export { readResponsesUsage, writeResponsesUsage } from './usage.js';
