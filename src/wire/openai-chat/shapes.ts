/**
 * The OpenAI Chat Completions shapes this codec writes and reads, limited to the fields it uses. Written shapes
 * are exact; received ones are read through `Unchecked<…>` views of the same types and narrowed field by field.
 * Payloads carried verbatim (tool input, schemas, a client's own parts replayed to OpenAI) stay `JsonObject`.
 */
import type { JsonObject, Unchecked } from '../shared/json.js';
import { tagGuard } from '../shared/json.js';
import type { OpenAIFinishReason } from './map-stop-reason.js';

export type OpenAITextPart = { type: 'text'; text: string };
export type OpenAIContentPart =
  | OpenAITextPart
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'file'; file: { file_data: string; filename: string } | { file_id: string; filename?: string } }
  /** A client's own part, replayed verbatim to its own format. */
  | JsonObject;

export type OpenAIFunctionCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

export type OpenAIChatMessage =
  | { role: 'system'; content: string | OpenAITextPart[] }
  | { role: 'user'; content: string | OpenAIContentPart[]; name?: string }
  | {
      role: 'assistant';
      content: string | null | OpenAITextPart[];
      /** Function calls, and a client's own (custom) tool calls replayed verbatim. */
      tool_calls?: (OpenAIFunctionCall | JsonObject)[];
      name?: string;
      /** Fields of the client's own assistant message carried back verbatim. */
      [extra: string]: unknown;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

export type OpenAIFunctionTool = {
  type: 'function';
  function: { name: string; description?: string; parameters: JsonObject; strict?: boolean };
};

export type OpenAIResponseFormat = { type: 'text' | 'json_object' } | { type: 'json_schema'; json_schema: OpenAIJsonSchemaSpec };
export type OpenAIJsonSchemaSpec = { name: string; description?: string; schema: JsonObject; strict: boolean };

/** `POST /v1/chat/completions` as the gateway sends it; a client's own extension fields ride along unread. */
export type OpenAIChatRequestBody = {
  model: string;
  messages: OpenAIChatMessage[];
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  stream?: true;
  stream_options?: { include_usage: true; include_obfuscation?: unknown };
  tools?: (OpenAIFunctionTool | JsonObject)[];
  tool_choice?: 'auto' | 'required' | 'none' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  reasoning_effort?: string;
  response_format?: OpenAIResponseFormat;
  user?: string;
  [extension: string]: unknown;
};

export type OpenAIUsage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  completion_tokens_details: { reasoning_tokens: number };
};

/** The `ChatCompletion` response object. */
export type OpenAIChatCompletion = {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: 0;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      tool_calls?: OpenAIFunctionCall[];
      annotations: [];
    };
    finish_reason: OpenAIFinishReason;
    logprobs: null;
  }[];
  usage: OpenAIUsage;
};

/** One fragment of a tool call in a chunk: id, type and name on the first, argument text on any. */
export type OpenAIToolCallDelta = {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
};

export type OpenAIChunkDelta = {
  role?: 'assistant';
  content?: string;
  tool_calls?: OpenAIToolCallDelta[];
};

/** A `chat.completion.chunk`; the usage chunk has no choices. */
export type OpenAIChatChunk = {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: { index: 0; delta: OpenAIChunkDelta; logprobs: null; finish_reason: OpenAIFinishReason | null }[];
  usage?: OpenAIUsage | null;
};

export type OpenAIErrorObject = { message: string; type: string; param: string | null; code: string | null };
export type OpenAIErrorBody = { error: OpenAIErrorObject };

/** What the decoders read of a received chunk or completion, including compatible upstreams' extra fields. */
export type ReceivedChunk = Unchecked<OpenAIChatChunk & { x_groq: unknown; error: unknown }>;
export type ReceivedChoice = Unchecked<{ index: number; delta: unknown; message: unknown; finish_reason: unknown; usage: unknown }>;
/** A message or a delta: OpenAI's fields plus the reasoning fields some compatible upstreams add. */
export type ReceivedMessage = Unchecked<OpenAIChunkDelta & { refusal: unknown; reasoning_content: unknown; reasoning: unknown }>;
export type ReceivedToolCall = Unchecked<OpenAIToolCallDelta>;
export type ReceivedFunction = Unchecked<OpenAIToolCallDelta['function']>;
export type ReceivedUsage = Unchecked<
  OpenAIUsage & { cache_read_input_tokens: unknown; cache_creation_input_tokens: unknown }
>;

/** Message roles and user content parts a client may send; other parts are foreign, other roles an error. */
export const chatMessageRole = tagGuard(['system', 'developer', 'tool', 'user', 'assistant', 'function']);
export const chatUserPartType = tagGuard(['text', 'image_url', 'file']);
