/** Wire formats: one codec per format around the canonical representation (docs/translation.md). */
import type { WireCodec, WireFormat } from './codec.js';
import { anthropicMessagesCodec } from './anthropic-messages/index.js';
import { openAIChatCodec } from './openai-chat/index.js';
import { openAIResponsesCodec } from './openai-responses/index.js';
import { geminiCodec } from './gemini/index.js';

const CODECS: { [F in WireFormat]: WireCodec<F> } = {
  'openai-chat': openAIChatCodec,
  'anthropic-messages': anthropicMessagesCodec,
  'openai-responses': openAIResponsesCodec,
  gemini: geminiCodec,
};

export function codecFor<F extends WireFormat>(format: F): WireCodec<F> {
  return CODECS[format];
}

export { anthropicMessagesCodec, geminiCodec, openAIChatCodec, openAIResponsesCodec };
export { decodeGeminiRequest } from './gemini/index.js';
export { isUsageOnlyChunk } from './openai-chat/index.js';
export type { GeminiTarget } from './gemini/index.js';
export type * from './canonical.js';
export type { WireBodies, WireCodec, WireFormat } from './codec.js';
export { createSseReader, formatSse, formatSseComment, formatSseJson, parseSseText } from './sse.js';
export type { SseReader } from './sse.js';
export { responseOutput, responsesId } from './openai-responses/encode-response.js';
export type { OutputItem } from './openai-responses/encode-response.js';
export type { ClientToolName } from './shared/tool-names.js';
export {
  restoreToolNameInEvent,
  restoreToolNamesInResponse,
  sanitizeToolId,
  sanitizeToolName,
  toolNameRestorer,
  upstreamToolName,
  ANTHROPIC_TOOL_NAME_MAX,
  OPENAI_TOOL_NAME_MAX,
} from './shared/tool-names.js';
export { createStreamTranslator, isContentEvent } from './stream-translator.js';
export type { StreamTranslator, StreamTranslatorOptions } from './stream-translator.js';
