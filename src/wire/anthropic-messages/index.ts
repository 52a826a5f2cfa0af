/** The Anthropic Messages codec (`POST /v1/messages`). */
import type { WireCodec } from '../codec.js';
import { decodeAnthropicRequest } from './decode-request.js';
import { decodeAnthropicResponse } from './decode-response.js';
import { encodeAnthropicRequest } from './encode-request.js';
import { encodeAnthropicResponse } from './encode-response.js';
import { decodeAnthropicError, renderAnthropicError } from './errors.js';
import { createAnthropicStreamDecoder } from './stream-decoder.js';
import { createAnthropicStreamEncoder } from './stream-encoder.js';

export const anthropicMessagesCodec: WireCodec<'anthropic-messages'> = {
  format: 'anthropic-messages',
  decodeRequest: decodeAnthropicRequest,
  encodeRequest: encodeAnthropicRequest,
  decodeResponse: decodeAnthropicResponse,
  encodeResponse: encodeAnthropicResponse,
  createStreamDecoder: createAnthropicStreamDecoder,
  createStreamEncoder: createAnthropicStreamEncoder,
  decodeError: decodeAnthropicError,
  renderError: renderAnthropicError,
};

export { THINKING_BUDGET } from './encode-request.js';
export { anthropicErrorPayload } from './errors.js';
export { fromAnthropicStopReason, toAnthropicStopReason } from './map-stop-reason.js';
export { readAnthropicUsage, readAnthropicUsagePartial, writeAnthropicUsage } from './usage.js';
