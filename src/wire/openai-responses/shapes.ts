/**
 * The OpenAI Responses shapes this codec writes and reads, limited to the fields it uses. Written shapes are
 * exact; received ones are read through `Unchecked<…>` views of the same types and narrowed field by field.
 * Payloads carried verbatim (tool input, schemas, a client's own items replayed to OpenAI) stay `JsonObject`.
 */
import type { OpenAIJsonSchemaSpec } from '../openai-chat/shapes.js';
import type { JsonObject, Unchecked } from '../shared/json.js';
import { tagGuard } from '../shared/json.js';

export type ResponsesInputText = { type: 'input_text'; text: string };
export type ResponsesInputContent =
  | ResponsesInputText
  | { type: 'input_image'; file_id: string; detail: string }
  | { type: 'input_image'; image_url: string; detail: string }
  | { type: 'input_file'; file_data: string; filename: string }
  | { type: 'input_file'; file_url: string; filename?: string }
  | { type: 'input_file'; file_id: string; filename?: string }
  /** A client's own part, replayed verbatim to its own format. */
  | JsonObject;
export type ResponsesOutputText = { type: 'output_text'; text: string; annotations: [] };

/** An item of `input`; a client's own items (and searches OpenAI ran) go back verbatim. */
export type ResponsesInputItem =
  | { type: 'message'; role: 'system' | 'user'; content: ResponsesInputContent[] }
  | { type: 'message'; role: 'assistant'; content: ResponsesOutputText[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string | ResponsesInputContent[] }
  | JsonObject;

export type ResponsesFunctionTool = {
  type: 'function';
  name: string;
  description?: string;
  parameters: JsonObject;
  strict: boolean;
};

export type ResponsesTextFormat = { type: 'text' | 'json_object' } | ({ type: 'json_schema' } & OpenAIJsonSchemaSpec);

/** `POST /v1/responses` as the gateway sends it, always stateless; a client's own extension fields ride along unread. */
export type ResponsesRequestBody = {
  model: string;
  instructions?: string;
  input: ResponsesInputItem[];
  store: false;
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  stream?: true;
  tools?: (ResponsesFunctionTool | JsonObject)[];
  tool_choice?: 'auto' | 'required' | 'none' | { type: 'function'; name: string };
  parallel_tool_calls?: boolean;
  reasoning?: { effort: string };
  text?: { format: ResponsesTextFormat };
  user?: string;
  [extension: string]: unknown;
};

export type ResponsesItemStatus = 'in_progress' | 'completed';
export type ResponsesSummaryText = { type: 'summary_text'; text: string };
export type ResponsesMessageItem = {
  type: 'message';
  id: string;
  role: 'assistant';
  status: ResponsesItemStatus;
  content: ResponsesOutputText[];
};
export type ResponsesReasoningItem = { type: 'reasoning'; id: string; summary: ResponsesSummaryText[]; encrypted_content?: string };
/** A function call carries `arguments`, a custom (free-form) tool call its text as `input`. */
export type ResponsesToolCallItem = {
  type: 'function_call' | 'custom_tool_call';
  id: string;
  call_id: string;
  name: string;
  namespace?: string;
  arguments?: string;
  input?: string;
  status: ResponsesItemStatus;
};
export type ResponsesWebSearchItem = {
  type: 'web_search_call';
  id: string;
  status: ResponsesItemStatus;
  action: { type: 'search'; query: string; sources?: { type: 'url'; url: string }[] };
};
/** An output item the gateway writes, or a client's own replayed verbatim. */
export type ResponsesOutputItem =
  | ResponsesMessageItem
  | ResponsesReasoningItem
  | ResponsesToolCallItem
  | ResponsesWebSearchItem
  | JsonObject;

export type ResponsesUsage = {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
};

export type ResponsesStatusName = 'in_progress' | 'completed' | 'incomplete' | 'failed';
export type ResponsesFailure = { code: string; message: string };

/** The `Response` object. */
export type ResponsesObject = {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponsesStatusName;
  error: ResponsesFailure | null;
  incomplete_details: { reason: string } | null;
  instructions: null;
  model: string;
  output: ResponsesOutputItem[];
  parallel_tool_calls: true;
  previous_response_id: null;
  store: false;
  temperature: null;
  tool_choice: 'auto';
  tools: [];
  top_p: null;
  usage: ResponsesUsage | null;
  metadata: Record<string, never>;
};

type ItemAt = { item_id: string; output_index: number };

/** The data of each stream event the encoder writes, by event type (`type` and `sequence_number` come first). */
export interface ResponsesEventData {
  'response.created': { response: ResponsesObject };
  'response.in_progress': { response: ResponsesObject };
  'response.output_item.added': { output_index: number; item: ResponsesOutputItem };
  'response.output_item.done': { output_index: number; item: ResponsesOutputItem };
  'response.content_part.added': ItemAt & { content_index: 0; part: ResponsesOutputText };
  'response.content_part.done': ItemAt & { content_index: 0; part: ResponsesOutputText };
  'response.output_text.delta': ItemAt & { content_index: 0; delta: string; logprobs: [] };
  'response.output_text.done': ItemAt & { content_index: 0; text: string; logprobs: [] };
  'response.reasoning_summary_part.added': ItemAt & { summary_index: 0; part: ResponsesSummaryText };
  'response.reasoning_summary_part.done': ItemAt & { summary_index: 0; part: ResponsesSummaryText };
  'response.reasoning_summary_text.delta': ItemAt & { summary_index: 0; delta: string };
  'response.reasoning_summary_text.done': ItemAt & { summary_index: 0; text: string };
  'response.function_call_arguments.delta': ItemAt & { delta: string };
  'response.function_call_arguments.done': ItemAt & { arguments: string; name: string };
  'response.custom_tool_call_input.delta': ItemAt & { delta: string };
  'response.custom_tool_call_input.done': ItemAt & { input: string };
  'response.web_search_call.in_progress': ItemAt;
  'response.web_search_call.searching': ItemAt;
  'response.web_search_call.completed': ItemAt;
  'response.completed': { response: ResponsesObject };
  'response.incomplete': { response: ResponsesObject };
}

/** Stream events and output items the decoders act on; any other tag takes the "ignore" (or foreign) path. */
export const responsesEventType = tagGuard([
  'response.created',
  'response.output_item.added',
  'response.output_text.delta',
  'response.refusal.delta',
  'response.reasoning_summary_text.delta',
  'response.reasoning_text.delta',
  'response.function_call_arguments.delta',
  'response.output_item.done',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'error',
]);
export const responsesItemType = tagGuard(['message', 'function_call', 'reasoning']);

/** A received output item, as far as the decoders read one. */
export type ReceivedItem = Unchecked<
  ResponsesMessageItem | ResponsesReasoningItem | ResponsesToolCallItem
>;
/** A received stream event: the fields of every event the decoder reads. */
export type ReceivedEvent = Unchecked<{
  type: string;
  sequence_number: number;
  output_index: number;
  item: ResponsesOutputItem;
  delta: string;
  response: ResponsesObject;
  message: string;
  code: string;
}>;
/** A received response object, the fields the decoders read. */
export type ReceivedResponse = Unchecked<ResponsesObject>;

/** Input items and user parts a client may send where the decoder branches; others are foreign parts. */
export const responsesInputItemType = tagGuard([
  'message',
  'function_call',
  'custom_tool_call',
  'additional_tools',
  'web_search_call',
  'function_call_output',
  'custom_tool_call_output',
  'reasoning',
  'item_reference',
]);
export const responsesUserPartType = tagGuard(['input_text', 'input_image', 'input_file']);
