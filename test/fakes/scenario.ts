/**
 * Scenarios: what a fake upstream does with the next request. A scenario is plain data, so a test can set it
 * on the server, queue a sequence of them, or send one per request (header `x-fake-scenario`, or a
 * `[[fake-scenario:...]]` directive inside the user text when a gateway does not forward unknown headers).
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/** Token counts in provider-neutral terms; each fake maps them to its own wire fields. */
export const usageSchema = z.strictObject({
  /** Input tokens neither read from nor written to a cache (Anthropic `input_tokens`). */
  input: count.optional(),
  /** Output tokens, reasoning/thinking included. */
  output: count.optional(),
  cacheRead: count.optional(),
  /** Cache writes with the 5 minute lifetime. */
  cacheWrite: count.optional(),
  /** Cache writes with the 1 hour lifetime (Anthropic only). */
  cacheWrite1h: count.optional(),
  /** Part of `output`. OpenAI reports it; Anthropic does not, by default. */
  reasoning: count.optional(),
});
export type UsageSpec = z.infer<typeof usageSchema>;

/** Fields every content-producing scenario accepts. */
const contentFields = {
  /** Reply text (default DEFAULT_TEXT). */
  text: z.string().optional(),
  /** Number of content deltas the text is split into when streaming (default 4). */
  chunks: positive.optional(),
  usage: usageSchema.optional(),
  /** Model name to report; the request's model by default. */
  model: z.string().optional(),
  /** Milliseconds between stream frames (default 0). */
  delayMs: count.optional(),
  /** Extra response headers. */
  headers: z.record(z.string(), z.string()).optional(),
  /** Anthropic: `message_delta.usage` repeats input and cache counts, as newer API versions do. */
  fullDeltaUsage: z.boolean().optional(),
  /**
   * The usage object as a broken upstream sends it: `omit` leaves it out everywhere (no usage chunk, no usage
   * field); an object overrides fields of the provider's usage object with raw values such as 1e300 or -5.
   */
  usageWire: z.union([z.literal('omit'), z.record(z.string(), z.unknown())]).optional(),
};

const toolCallSchema = z.strictObject({
  /** Tool call id; generated in the provider's format when absent. */
  id: z.string().optional(),
  name: z.string(),
  /** OpenAI Responses: the namespace tool `name` belongs to (sent apart, as the API does). */
  namespace: z.string().optional(),
  /** Arguments as an object, or as the exact JSON text to stream. */
  arguments: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
});
export type ToolCallSpec = z.infer<typeof toolCallSchema>;

/** Where a stream fault strikes: after this many complete SSE frames (default 2). */
const afterFrames = count.optional();

export const scenarioSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('text'), ...contentFields }),
  z.strictObject({
    kind: z.literal('tools'),
    ...contentFields,
    /** Tool calls, in order (default: one `get_weather` call). More than one = parallel calls. */
    calls: z.array(toolCallSchema).min(1).optional(),
    /** Fragments each call's arguments are split into when streaming (default 3). */
    fragments: positive.optional(),
    /** Thinking (with a signature) before the calls, as a reasoning model's tool turn has it. */
    thinking: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('thinking'),
    ...contentFields,
    thinking: z.string().optional(),
    /** Signature sent in the `signature_delta` (generated when absent). */
    signature: z.string().optional(),
    /** Anthropic `display: "omitted"`: no thinking deltas, only the signature. */
    omitThinking: z.boolean().optional(),
  }),
  z.strictObject({
    kind: z.literal('stop_sequence'),
    ...contentFields,
    /** The matched sequence; the request's first stop sequence, else "###". */
    sequence: z.string().optional(),
  }),
  z.strictObject({ kind: z.literal('length'), ...contentFields }),
  /** Replies with the request's last user text. */
  z.strictObject({ kind: z.literal('echo'), ...contentFields }),
  /** Replies with `text` (default none) and then the output of the request's last tool result: a tool loop's end. */
  z.strictObject({ kind: z.literal('tool_output'), ...contentFields }),
  /**
   * The provider searches the web itself, then answers with `text`: Anthropic's server-side web_search
   * (server_tool_use + web_search_tool_result blocks), OpenAI Responses' hosted one (a web_search_call item).
   */
  z.strictObject({
    kind: z.literal('web_search'),
    ...contentFields,
    query: z.string().optional(),
    results: z.array(z.strictObject({ url: z.string(), title: z.string() })).optional(),
  }),
  z.strictObject({
    kind: z.literal('error'),
    status: z.number().int().min(400).max(599),
    /** Error type; the provider's usual type for the status by default. */
    type: z.string().optional(),
    message: z.string().optional(),
    /** OpenAI `code` (default depends on the status). */
    code: z.string().nullable().optional(),
    /** OpenAI `param`. */
    param: z.string().nullable().optional(),
    /** `retry-after` header, seconds. */
    retryAfter: count.optional(),
    /** `retry-after-ms` header. */
    retryAfterMs: count.optional(),
    /** `x-should-retry` header. */
    shouldRetry: z.boolean().optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  z.strictObject({
    kind: z.literal('midstream_error'),
    ...contentFields,
    /** Content deltas sent before the error (default 2). */
    afterDeltas: count.optional(),
    /** Error type (Anthropic default `overloaded_error`, OpenAI default `server_error`). */
    errorType: z.string().optional(),
    message: z.string().optional(),
  }),
  /** Accepts the request and never sends headers. */
  z.strictObject({ kind: z.literal('timeout_before_headers') }),
  /** Sends headers and part of the body, then neither ends nor closes. */
  z.strictObject({ kind: z.literal('stall_body'), ...contentFields, afterFrames }),
  /** Destroys the socket before any response byte. */
  z.strictObject({ kind: z.literal('reset_before') }),
  /** Sends headers and part of the body, then destroys the socket. */
  z.strictObject({ kind: z.literal('reset_mid_stream'), ...contentFields, afterFrames }),
  /** Stream: valid frames, then bytes that are not SSE, then the end without a terminal event. */
  z.strictObject({ kind: z.literal('malformed_sse'), ...contentFields, afterFrames }),
  /** Stream: a frame whose data is truncated JSON, then the rest. Non-stream: a truncated JSON body. */
  z.strictObject({ kind: z.literal('malformed_json'), ...contentFields, afterFrames }),
  /**
   * Stream: valid frames, then a well-framed event whose data is an HTML error page (`data: <html>502…`, what a
   * proxy in front of a provider sends), then the rest of the stream as if nothing happened. Non-stream: a
   * truncated JSON body.
   */
  z.strictObject({ kind: z.literal('garbage_frame'), ...contentFields, afterFrames }),
  /** A valid but large reply: about `bytes` characters of text (default 4 MiB). */
  z.strictObject({ kind: z.literal('oversized'), ...contentFields, bytes: positive.optional() }),
  /** `text` with a delay between frames (default 250 ms). */
  z.strictObject({ kind: z.literal('slow_chunks'), ...contentFields }),
  /** Benchmark stream: `chunks` deltas of `chunkSize` characters, rendered once and cached. */
  z.strictObject({
    kind: z.literal('bench'),
    chunks: positive,
    chunkSize: positive,
    delayMs: count.optional(),
    usage: usageSchema.optional(),
    model: z.string().optional(),
  }),
]);

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioKind = Scenario['kind'];
export type ScenarioOf<K extends ScenarioKind> = Extract<Scenario, { kind: K }>;

/** Scenario kinds that can be named without parameters (`error` needs a status; `bench` needs sizes). */
export type ScenarioName = Exclude<ScenarioKind, 'error' | 'bench'>;

export const DEFAULT_TEXT = 'Hello from the fake upstream.';
export const DEFAULT_CHUNKS = 4;
export const DEFAULT_AFTER_FRAMES = 2;
export const DEFAULT_SLOW_DELAY_MS = 250;
export const DEFAULT_OVERSIZED_BYTES = 4 * 1024 * 1024;
export const DEFAULT_TOOL_CALLS: readonly ToolCallSpec[] = [
  { name: 'get_weather', arguments: { location: 'Paris, France', unit: 'celsius' } },
];
export const DEFAULT_THINKING = 'The user wants a greeting. A short friendly sentence will do.';
export const DEFAULT_SEARCH_QUERY = 'ai gateway';
export const DEFAULT_SEARCH_RESULTS: readonly { url: string; title: string }[] = [
  { url: 'https://example.com/gateway', title: 'What an AI gateway does' },
  { url: 'https://example.org/proxy', title: 'Local proxies for agents' },
];

/** Header a test sets to pick the scenario of one request. */
export const SCENARIO_HEADER = 'x-fake-scenario';
const DIRECTIVE = /\[\[fake-scenario:(.*?)\]\]/s;

export type ScenarioInput = Scenario | ScenarioName;

export function toScenario(input: ScenarioInput): Scenario {
  return typeof input === 'string' ? scenarioSchema.parse({ kind: input }) : scenarioSchema.parse(input);
}

export type ParsedScenario = { ok: true; scenario: Scenario } | { ok: false; message: string };

/** Parses a header or directive value: a bare kind (`"text"`) or a JSON scenario. */
export function parseScenarioText(text: string): ParsedScenario {
  const trimmed = text.trim();
  let candidate: unknown;
  if (trimmed.startsWith('{')) {
    try {
      candidate = JSON.parse(trimmed);
    } catch {
      return { ok: false, message: `fake scenario is not valid JSON: ${trimmed}` };
    }
  } else {
    candidate = { kind: trimmed };
  }
  const parsed = scenarioSchema.safeParse(candidate);
  return parsed.success
    ? { ok: true, scenario: parsed.data }
    : { ok: false, message: `invalid fake scenario ${trimmed}: ${parsed.error.message}` };
}

/** Finds a `[[fake-scenario:...]]` directive in a text. */
export function findDirective(text: string): string | undefined {
  return DIRECTIVE.exec(text)?.[1];
}

/** Removes directives so `echo` replies with what the user actually wrote. */
export function stripDirectives(text: string): string {
  return text.replace(new RegExp(DIRECTIVE.source, 'gs'), '').trim();
}

/** Splits text into `n` pieces of near-equal length, never splitting a code point. */
export function splitText(text: string, n: number): string[] {
  // One piece needs no split: a 50 MB reply is never turned into an array of code points.
  if (n <= 1) return [text];
  const points = Array.from(text);
  const parts = Math.max(1, Math.min(n, points.length));
  const out: string[] = [];
  for (let i = 0; i < parts; i++) {
    const start = Math.floor((i * points.length) / parts);
    const end = Math.floor(((i + 1) * points.length) / parts);
    out.push(points.slice(start, end).join(''));
  }
  return out;
}

/** Deterministic filler of exactly `length` characters. */
export function fillerText(length: number, offset = 0): string {
  const base = 'The quick brown fox jumps over the lazy dog. ';
  let out = '';
  while (out.length < length + offset) out += base;
  return out.slice(offset, offset + length);
}

/** Serialises a tool call's arguments to the JSON text that is streamed. */
export function toolArgumentsText(call: ToolCallSpec): string {
  if (typeof call.arguments === 'string') return call.arguments;
  return JSON.stringify(call.arguments ?? {});
}
