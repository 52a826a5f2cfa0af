/**
 * The Anthropic Messages shapes this codec writes and reads, limited to the fields it uses. Written shapes are
 * exact; received ones are read through `Unchecked<…>` views of the same types and narrowed field by field.
 * Payloads carried verbatim (tool input, schemas, a block replayed to Anthropic as it came) stay `JsonObject`.
 */
import type { JsonObject, Unchecked } from '../shared/json.js';
import { tagGuard } from '../shared/json.js';
import type { AnthropicStopReason } from './map-stop-reason.js';

export type AnthropicCacheControl = { type: 'ephemeral'; ttl?: '5m' | '1h' };
type Cached = { cache_control?: AnthropicCacheControl };

export type AnthropicTextBlock = { type: 'text'; text: string } & Cached;
export type AnthropicImageSource =
  | { type: 'base64'; media_type: string; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string };
export type AnthropicDocumentSource =
  | { type: 'base64'; media_type: 'application/pdf'; data: string }
  | { type: 'text'; media_type: 'text/plain'; data: string }
  | { type: 'url'; url: string }
  | { type: 'file'; file_id: string };
export type AnthropicImageBlock = { type: 'image'; source: AnthropicImageSource } & Cached;
export type AnthropicDocumentBlock = { type: 'document'; source: AnthropicDocumentSource; title?: string; context?: string } & Cached;
export type AnthropicToolResultBlock = {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock)[];
  is_error?: true;
} & Cached;
export type AnthropicThinkingBlock = { type: 'thinking'; thinking: string; signature: string };
export type AnthropicRedactedThinkingBlock = { type: 'redacted_thinking'; data: string };
export type AnthropicToolUseBlock = { type: 'tool_use'; id: string; name: string; input: JsonObject } & Cached;

/** The blocks the gateway writes itself. */
export type AnthropicKnownBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | AnthropicToolUseBlock;

/** A block the gateway writes, or one of Anthropic's own replayed verbatim (server tool blocks, newer types). */
export type AnthropicContentBlock = AnthropicKnownBlock | JsonObject;

export type AnthropicMessageParam = { role: 'user' | 'assistant'; content: AnthropicContentBlock[] };

export type AnthropicFunctionTool = {
  name: string;
  description?: string;
  input_schema: JsonObject;
  strict?: boolean;
} & Cached;
export type AnthropicWebSearchTool = {
  type: 'web_search_20250305';
  name: 'web_search';
  allowed_domains?: string[];
  user_location?: { type: 'approximate'; city?: string; region?: string; country?: string; timezone?: string };
};
export type AnthropicTool = AnthropicFunctionTool | AnthropicWebSearchTool | JsonObject;

export type AnthropicToolChoice = { type: 'auto' | 'any' | 'none' } | { type: 'tool'; name: string };
export type AnthropicThinking =
  | { type: 'disabled' }
  | { type: 'enabled'; budget_tokens: number; display?: string }
  | { type: 'adaptive'; display?: string };

/** `POST /v1/messages` as the gateway sends it; a client's own extension fields ride along unread. */
export type AnthropicRequestBody = {
  model: string;
  system?: string | AnthropicTextBlock[];
  messages: AnthropicMessageParam[];
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice & { disable_parallel_tool_use?: true };
  thinking?: AnthropicThinking;
  output_config?: { effort?: string; format?: { type: 'json_schema'; schema: JsonObject } };
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id: string };
  stream?: true;
  [extension: string]: unknown;
};

export type AnthropicUsage = {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation?: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  output_tokens: number;
  output_tokens_details?: { thinking_tokens: number };
};

/** The `Message` response object. */
export type AnthropicMessage = {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
};

export type AnthropicErrorPayload = { type: 'error'; error: { type: string; message: string } };
export type AnthropicErrorBody = AnthropicErrorPayload & { request_id: string };

/** The SSE events the stream encoder writes (event name = `type`). */
export type AnthropicStreamEvent =
  | { type: 'message_start'; message: AnthropicMessage }
  | { type: 'content_block_start'; index: number; content_block: AnthropicContentBlock }
  | { type: 'content_block_delta'; index: number; delta: AnthropicDelta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason: AnthropicStopReason; stop_sequence: string | null }; usage: AnthropicUsage }
  | { type: 'message_stop' };

export type AnthropicDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string };

/** Stream events, content blocks and deltas the decoders act on; any other tag takes the "ignore" path. */
export const anthropicEventType = tagGuard([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'error',
]);
export const anthropicBlockType = tagGuard([
  'text',
  'thinking',
  'redacted_thinking',
  'tool_use',
  'server_tool_use',
  'web_search_tool_result',
]);
export type AnthropicBlockType = NonNullable<ReturnType<typeof anthropicBlockType>>;
export const anthropicDeltaType = tagGuard(['text_delta', 'thinking_delta', 'signature_delta', 'input_json_delta']);

export type AnthropicServerToolUseBlock = { type: 'server_tool_use'; id: string; name: string; input: JsonObject };
export type AnthropicWebSearchResultBlock = {
  type: 'web_search_tool_result';
  tool_use_id: string;
  /** A list of results, or one error object when the search failed. */
  content: { url: string; title?: string }[] | JsonObject;
};

/** A received content block, read through the fields of every block type the decoders know. */
export type ReceivedBlock = Unchecked<
  | AnthropicKnownBlock
  | AnthropicServerToolUseBlock
  | AnthropicWebSearchResultBlock
>;

/** Tags a client's request may carry where the decoder branches; other values take the existing error or foreign path. */
export const anthropicMessageRole = tagGuard(['user', 'assistant', 'system']);
export const anthropicImageSourceType = tagGuard(['base64', 'url', 'file']);
export const anthropicDocumentSourceType = tagGuard(['base64', 'text', 'content', 'url', 'file']);
export const anthropicUserBlockType = tagGuard(['image', 'document', 'tool_result']);
export const anthropicAssistantBlockType = tagGuard(['thinking', 'redacted_thinking', 'tool_use']);
export const anthropicToolChoiceType = tagGuard(['auto', 'any', 'none', 'tool']);
export const anthropicThinkingType = tagGuard(['disabled', 'enabled', 'adaptive']);
