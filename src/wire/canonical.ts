/**
 * The gateway's canonical form of a request, a response and a stream event. Every wire codec decodes into
 * and encodes from these types, so N formats need N codecs, not N². The shapes are a superset of what
 * OpenAI Chat and Anthropic Messages can say; anything one format cannot carry is either a typed field
 * the other side drops by policy (spec §8) or a `ForeignPart` / `ForeignTool` / `FormatField` that only
 * its own format can re-emit.
 */
import type { GatewayError } from '../core/errors.js';
import type { Usage, UsageGaps } from '../core/usage.js';
import type { WireFormat } from './codec.js';
import type { JsonObject } from './shared/json.js';

/** Anthropic prompt-cache breakpoint; a hint other formats drop. */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
}

export type ImageSource =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'url'; url: string }
  /** Provider-scoped upload; only meaningful to the format that issued the id. */
  | { kind: 'file'; fileId: string };

export interface ImagePart {
  type: 'image';
  source: ImageSource;
  /** OpenAI `detail`, a hint. */
  detail?: 'auto' | 'low' | 'high';
  cacheControl?: CacheControl;
}

export type DocumentSource =
  | { kind: 'base64'; mediaType: string; data: string }
  | { kind: 'text'; data: string }
  | { kind: 'url'; url: string }
  | { kind: 'file'; fileId: string };

export interface DocumentPart {
  type: 'document';
  source: DocumentSource;
  /** Anthropic `title` / OpenAI `filename`. */
  title?: string;
  context?: string;
  cacheControl?: CacheControl;
}

/** A thinking block. Only a block with a signature may be replayed to an Anthropic upstream (pitfall 5). */
export interface ThinkingPart {
  type: 'thinking';
  text: string;
  signature?: string;
}

export interface RedactedThinkingPart {
  type: 'redacted-thinking';
  data: string;
}

export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  /** The Responses namespace the called tool belongs to (see FunctionTool.namespace). */
  namespace?: string;
  /** The parsed arguments; always an object (pitfall 11). */
  input: JsonObject;
  /** The original argument text when it was not a JSON object (input is then `{}`). */
  invalidArguments?: string;
  /** A call of a free-form tool (see FunctionTool.freeform): its text is the string `input.input`. */
  freeform?: boolean;
  cacheControl?: CacheControl;
}

export type ToolResultContent = TextPart | ImagePart | DocumentPart;

export interface ToolResultPart {
  type: 'tool-result';
  toolCallId: string;
  content: ToolResultContent[];
  isError: boolean;
  cacheControl?: CacheControl;
}

/**
 * Content only one format understands (Anthropic server-tool blocks, OpenAI audio input, custom tool
 * calls…). Its own format re-emits `raw`; every other format rejects it with a 400 (spec §8 class 3).
 */
export interface ForeignPart {
  type: 'foreign';
  format: WireFormat;
  /** Short description used in error messages, e.g. `server_tool_use`. */
  label: string;
  raw: unknown;
}

/**
 * A web search the provider ran itself while answering (Anthropic's server-side web_search tool). A Responses
 * client sees it as a `web_search_call` item; only the format that ran it can replay it, from `raw`.
 */
export interface WebSearchPart {
  type: 'web-search';
  id: string;
  query: string;
  /** Pages the search returned, when the provider said. */
  sources: { url: string; title?: string }[];
  /** The format that ran it, and its own blocks for replaying it there (Anthropic wants its results back verbatim). */
  format: WireFormat;
  raw: unknown[];
}

export type UserPart = TextPart | ImagePart | DocumentPart | ToolResultPart | ForeignPart;
export type AssistantPart =
  | TextPart
  | ThinkingPart
  | RedactedThinkingPart
  | ToolCallPart
  | WebSearchPart
  | ForeignPart;

export interface UserMessage {
  role: 'user';
  content: UserPart[];
  /** OpenAI participant name, a hint. */
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content: AssistantPart[];
  name?: string;
}

/** System text lives in `CanonicalRequest.system`; the conversation holds user and assistant turns only. */
export type CanonicalMessage = UserMessage | AssistantMessage;

export interface FunctionTool {
  type: 'function';
  name: string;
  /**
   * The OpenAI Responses `namespace` tool this function was declared in. Formats without namespaces flatten the
   * pair into one name (shared/tool-names.ts) and calls come back split again.
   */
  namespace?: string;
  description?: string;
  /** JSON Schema of the arguments; `{type:"object"}` at least. */
  inputSchema: JsonObject;
  strict?: boolean;
  /**
   * A Responses `custom` tool, whose input is free text (Codex's apply_patch). Formats without such tools offer it
   * as this function, with one string argument `input` and its grammar in the description (shared/freeform.ts);
   * calls come back as free text again.
   */
  freeform?: boolean;
  cacheControl?: CacheControl;
}

/** A hosted, server or custom tool that only its own format can run. */
export interface ForeignTool {
  type: 'foreign';
  format: WireFormat;
  name: string;
  raw: JsonObject;
}

/**
 * Web search run by the provider (OpenAI Responses `web_search`), which formats with a server-side equivalent
 * (Anthropic's `web_search_20250305`) map and others drop.
 */
export interface WebSearchTool {
  type: 'web-search';
  /** The client's tool type (`web_search`, `web_search_preview`, …). */
  name: string;
  allowedDomains?: string[];
  userLocation?: { city?: string; region?: string; country?: string; timezone?: string };
  /** The client's own tool, for its own format. */
  raw: JsonObject;
}

export type ToolDefinition = FunctionTool | WebSearchTool | ForeignTool;

export type ToolChoice =
  | { type: 'auto' }
  | { type: 'required' }
  | { type: 'none' }
  | { type: 'tool'; name: string };

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';

/** How much the model should think. Each variant is what one format natively says. */
export type ReasoningConfig =
  | { type: 'disabled' }
  /** OpenAI `reasoning_effort` (other than `none`). */
  | { type: 'effort'; effort: ReasoningEffort }
  /** Anthropic `thinking:{type:"enabled", budget_tokens}`. */
  | { type: 'budget'; budgetTokens: number; display?: 'summarized' | 'omitted' }
  /** Anthropic `thinking:{type:"adaptive"}`, optionally with `output_config.effort`. */
  | { type: 'adaptive'; effort?: ReasoningEffort; display?: 'summarized' | 'omitted' };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name?: string;
      description?: string;
      schema: JsonObject;
      strict?: boolean;
    };

/**
 * A request field with no canonical counterpart, kept so the same format can re-emit it and any other
 * format can apply the field policy of spec §8:
 * - `hint`: bookkeeping (metadata, store, service_tier, seed, …) — dropped and reported;
 * - `sampling`: a knob with no counterpart (penalties, logit_bias, logprobs, …) — dropped, 400 when strict;
 * - `contract`: changes the output's shape (n>1, audio, prediction, …) — always 400;
 * - `unknown`: not recognised by the decoder — dropped and reported.
 */
export interface FormatField {
  format: WireFormat;
  /** Top-level field name in the source format (also the `param` of any error). */
  path: string;
  value: unknown;
  policy: 'hint' | 'sampling' | 'contract' | 'unknown';
  /** Why a `contract` field cannot cross formats, for the 400 message. */
  reason?: string;
}

export interface CanonicalRequest {
  /** The format this request was decoded from. */
  source: WireFormat;
  model: string;
  stream: boolean;
  /** The request's output cap, if any (max_tokens / max_completion_tokens / max_output_tokens). */
  maxTokens?: number;
  /** OpenAI `stream_options.include_usage` as the client sent it; false for formats without it. */
  includeUsage: boolean;
  system: TextPart[];
  messages: CanonicalMessage[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences: string[];
  reasoning?: ReasoningConfig;
  responseFormat?: ResponseFormat;
  /** End-user identifier (OpenAI `user`/`safety_identifier`, Anthropic `metadata.user_id`). */
  user?: string;
  extensions: FormatField[];
  /** The original body, for same-format passthrough. */
  raw: JsonObject;
}

/**
 * Why generation stopped. `context-length` is Anthropic's model_context_window_exceeded; `pause` its
 * pause_turn (server tools); `other` anything unrecognised.
 */
export type StopReason =
  | 'stop'
  | 'stop-sequence'
  | 'length'
  | 'context-length'
  | 'tool-calls'
  | 'content-filter'
  | 'pause'
  | 'other';

export interface CanonicalResponse {
  /** The upstream's response id (`chatcmpl-…`, `msg_…`). */
  id: string;
  /** The upstream's model name. */
  model: string;
  /** Unix seconds. Set by formats that carry it; the caller fills it from its clock otherwise. */
  created?: number;
  content: AssistantPart[];
  stopReason: StopReason;
  /** The stop sequence that matched, when the format says. */
  stopSequence?: string;
  /** Zeros where the upstream reported nothing usable (see `usageGaps`). */
  usage: Usage;
  /** Present when the usage report was missing or partly rejected: those sides must be estimated, not billed as 0. */
  usageGaps?: UsageGaps;
}

/**
 * One canonical stream part. Decoders emit them in order; encoders are state machines over them.
 * - `start` opens the message (first event). `usage` there is what is known up front (input, cache).
 * - `text-delta`, `thinking-delta`, `signature` and `redacted-thinking` carry content; a change of kind
 *   implies a new block.
 * - `tool-call-start` opens tool call number `index` (0,1,… in order of appearance); `tool-call-delta`
 *   appends raw argument JSON to it (never a leading `{}` placeholder).
 * - `block-stop` says the current block is complete (Anthropic upstreams say so; OpenAI ones never do).
 * - `usage` carries cumulative totals for the fields it names: overwrite, never add.
 * - `finish` is the terminal success event with the final usage; `error` the terminal failure.
 */
export type CanonicalStreamEvent =
  | { type: 'start'; id?: string; model?: string; usage?: Partial<Usage> }
  | { type: 'text-delta'; text: string }
  | { type: 'thinking-delta'; text: string }
  | { type: 'signature'; signature: string }
  | { type: 'redacted-thinking'; data: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string; namespace?: string; freeform?: boolean }
  | { type: 'tool-call-delta'; index: number; argsJson: string }
  | { type: 'block-stop' }
  /** A whole provider-run web search (search and results), once its results arrived. */
  | { type: 'web-search'; part: WebSearchPart }
  | { type: 'usage'; usage: Partial<Usage> }
  /**
   * `usageGaps`: the upstream reported no usage, or none usable, for a side (an OpenAI-compatible server that
   * ignores `stream_options.include_usage`, pitfall 7, or a count such as 1e300); `usage` then holds zeros
   * there that must not be billed as real.
   */
  | { type: 'finish'; stopReason: StopReason; stopSequence?: string; usage: Usage; usageGaps?: UsageGaps }
  | { type: 'error'; error: GatewayError };
