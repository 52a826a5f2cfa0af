/**
 * What the proxy pipeline needs from the rest of the gateway, as small interfaces. The runtime wires the
 * real controls, router, meter and store behind them; tests can wire simpler ones.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { GatewayError } from '../core/errors.js';
import type { Usage } from '../core/usage.js';
import type { ProviderAdapter } from '../providers/provider.js';
import type { KeyPool } from '../providers/key-pool.js';
import type { RetryPolicy } from '../providers/retry.js';
import type { IdentifyOptions } from './steps/identify.js';
import type { ModelCapabilities, ModelPrice, TokenCounts } from '../metering/index.js';
import type { RequestRow } from '../core/audit-row.js';
import type { AssistantPart, CanonicalMessage, CanonicalResponse, CanonicalStreamEvent, TextPart } from '../wire/canonical.js';
import type { RequestContext } from './context.js';

/** One place a request can go: a provider and the model name it knows. */
export interface RouteTarget {
  provider: ProviderAdapter;
  upstreamModel: string;
  /** Output cap to use when the target format needs one and the request set none. */
  defaultMaxTokens: number;
  /** What the upstream model accepts; absent when the capability table does not know it. */
  capabilities?: ModelCapabilities;
}

export interface Router {
  /** Primary target first, then fallbacks. Throws GatewayError('model_not_found') with close matches. */
  resolve(model: string, agent: string): RouteTarget[];
  /** The agent's routing by task (its own rules over the gateway's); undefined when none are configured. */
  taskRules(agent: string): TaskRules | undefined;
}

/** Models chosen by what a request is (src/pipeline/task-routing.ts), each rule optional. */
export interface TaskRules {
  /** Side calls: the requested model matches one of the rule's globs (`*haiku*` unless configured). */
  background?: { model: string; matches: (requestedModel: string) => boolean } | undefined;
  /** Reasoning requested. */
  thinking?: string | undefined;
  /** Input text above a number of tokens. */
  longContext?: { model: string; thresholdTokens: number } | undefined;
  /** A hosted web search tool offered. */
  webSearch?: string | undefined;
  /** An image in the conversation. */
  vision?: string | undefined;
}

/**
 * An admitted request: its budget hold (settled with the real cost when it ends) and the agent's counters.
 * Exactly one of finish/abandon counts; every later call of either is ignored, so a request may end itself
 * with `abandon()` in a `finally` after it settled, and the hold is released exactly once whatever happened.
 */
export interface Admission {
  /** Whether a dollar budget applies at all (priced model, agent with limits). */
  readonly limited: boolean;
  /** Ask for more room as a stream outgrows its hold; false when the budget has none. */
  extend(additionalUsd: number): boolean;
  /** The call ended: settle the hold with the real cost (0 when unpriced or never answered) and count the call. */
  finish(outcome: { ok: boolean; tokensIn: number; tokensOut: number; costUsd: number }): void;
  /** Nothing happened that counts (the client left before the provider was called): release the hold, count nothing. */
  abandon(): void;
  /** Why the request must stop now (agent paused, budget lowered below spent + held), checked at each chunk. */
  interruption(): GatewayError | undefined;
}

export interface AdmissionRequest {
  agent: string;
  provider: string;
  model: string;
  /** Upper bound of the request's cost in USD; 0 for a free model, null when the model is unpriced. */
  maxCostUsd: number | null;
  /** Estimated tokens (input + max output) for tokens-per-minute limits. */
  tokens: number;
}

export interface BreakerGate {
  /** Throws GatewayError('circuit_open') when the breaker refuses; otherwise the request may go. */
  check(): void;
  success(): void;
  failure(): void;
  /** Release a half-open probe slot without a verdict (client went away first). */
  abandon(): void;
}

export interface Controls {
  /**
   * Paused? Denied by policy? Rate limited? Budget? Throws (or rejects with) a GatewayError, or returns the budget
   * hold; a promise when limits are shared with other instances.
   */
  admit(request: AdmissionRequest): Admission | Promise<Admission>;
  breaker(agent: string, provider: string): BreakerGate;
  /** The breakers' own rule: whether an upstream status or error is the provider's failure (5xx, timeout, unreachable). */
  providerFailed(outcome: number | GatewayError): boolean;
}

export interface Meter {
  /** Undefined when the model is unpriced (never a silent $0). */
  priceFor(provider: ProviderRef, model: string): ModelPrice | undefined;
  /** o200k token counts; byte estimates, marked `estimated`, when the tokenizer is not available. Never rejects. */
  countTokens(texts: readonly string[]): Promise<TokenCounts>;
  /** Loads the tokenizer ahead of a count that is likely, off the request's path. */
  prepareTokens(): void;
}

/** A provider's configured name and its type, both hints for the price table. */
export interface ProviderRef {
  name: string;
  type: string;
}

/** A finished request: the audit row plus what metrics and live views want beside it. */
export interface RequestRecord {
  row: RequestRow;
  usage: Usage;
  streamEvents: number;
}

export interface Recorder {
  record(record: RequestRecord): void;
}

export interface ProxySettings extends IdentifyOptions {
  maxBodyBytes: number;
  /** Upper bound of an upstream response body that is read whole (non-streamed). */
  maxResponseBytes: number;
  /** Reject instead of dropping fields with no equivalent (gateway setting, per-agent override). */
  strictTranslation(agent: string): boolean;
  /** Output cap assumed for budget reservations when the request sets none. */
  defaultOutputCap: number;
  /** How calls to a provider are retried (gateway.retries with the provider's own max_attempts). */
  retry(provider: string): RetryPolicy;
}

/** The providers' key pools (api_keys): a provider's pool, or undefined when it has none. */
export interface KeyPools {
  pool(provider: string): KeyPool | undefined;
}

/** The side routes' view of the config: where pass-through goes and which model names exist. */
export interface Directory {
  /** Paths that may be passed through: every one, or those under the listed prefixes (gateway.passthrough). */
  passthroughRule(): 'all' | readonly string[];
  /** The provider an agent's pass-through calls go to (its forced one, else the first OpenAI one); undefined when none. */
  passthroughProvider(agent: string): ProviderAdapter | undefined;
  /** Model names and aliases the gateway routes, sorted, for `GET /v1/models`. */
  modelIds(): string[];
}

/** Where the pipeline says what went wrong inside it (a bug, an upstream's unusable usage). */
export interface Log {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** Masks secrets in text that leaves the gateway: every known one, and one more (a client's own key). */
export interface Redaction {
  known(text: string): string;
  withKey(text: string, key: string | undefined): string;
}

/** Everything the pipeline is given: its ports, its settings and its clock. */
export interface PipelineDeps {
  clock: Clock;
  /** Where retry waits are scheduled (tests drive them by hand). */
  timers: Timers;
  /** [0, 1), for the jitter of retry waits. */
  random: () => number;
  keys: KeyPools;
  log: Log;
  settings: () => ProxySettings;
  router: Router;
  controls: Controls;
  meter: Meter;
  recorder: Recorder;
  directory: Directory;
  redaction: Redaction;
  /** What /v1/responses clients may refer to of the answers the gateway translated for them. */
  responses: ResponseStore;
  /** Where each request's trace goes (OpenTelemetry when configured); NO_TRACING (pipeline/no-tracing.ts) when off. */
  tracing: Tracing;
}

/**
 * Request traces. The pipeline opens one RequestTrace per request and its phases as they happen; everything the
 * request span says (model, usage, cost, status) is read from the context when it ends, so with tracing off the
 * hot path builds no attributes at all.
 */
export interface Tracing {
  /** The trace of a request that just arrived: a child of the client's `traceparent` when it sent one. */
  start(ctx: RequestContext): RequestTrace;
}

/** A span the pipeline opens and closes around one phase. */
export interface TraceSpan {
  /** Ends the span; a thrown error (or GatewayError) marks it failed. */
  end(error?: unknown): void;
}

/** One upstream call (an attempt of a target: retries and fallbacks each get their own). */
export interface AttemptSpan extends TraceSpan {
  /**
   * The W3C trace context the upstream call carries (traceparent, tracestate): this attempt as the parent, or with
   * tracing off the client's own headers unchanged; undefined when there is none.
   */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The upstream answered with this HTTP status (an error status does not end the span). */
  answered(status: number): void;
  /** The gateway tries again after `waitMs` (the next attempt is a sibling span). */
  retrying(waitMs: number): void;
}

export interface StreamSpan extends TraceSpan {
  /** The first event went out to the client. */
  firstEvent(): void;
}

export interface RequestTrace {
  /** Pause, policy, rate limit and budget check. */
  admission(): TraceSpan;
  /** Attempt `n` of the request (1-based, retries and fallbacks counted) to a provider. */
  attempt(n: number, provider: ProviderAdapter): AttemptSpan;
  /** Relaying a streamed answer to the client. */
  stream(): StreamSpan;
  /** Set only when prompt and completion text are captured: sees every canonical event of a streamed answer. */
  readonly onStreamEvent: ((event: CanonicalStreamEvent) => void) | undefined;
  /**
   * Set only when the request is traced (its span records the answer's model and stop reason): sees a whole
   * (non-streamed) answer as decoded from the upstream. A small same-format answer is decoded only for it; one
   * relayed as it arrives never is.
   */
  readonly onAnswer: ((response: CanonicalResponse) => void) | undefined;
  /** The request has ended, settled and recorded: the request span is completed from the context. */
  end(ctx: RequestContext): void;
}

/** One output item of a stored response, as canonical content (so it can be replayed to any provider). */
export interface StoredItem {
  /** The id the client was given (`msg_…`, `rs_…`, `fc_…`, `ws_…`). */
  id: string;
  parts: AssistantPart[];
}

/** A response the gateway translated for a Responses client, kept so later requests can refer to it. */
export interface StoredResponse {
  /** The id the client was given (`resp_…`). */
  id: string;
  /** System text of its input items; `instructions` are not carried over to a follow-up response, as at OpenAI. */
  system: TextPart[];
  /** Its conversation up to the answer, with its own references already resolved. */
  messages: CanonicalMessage[];
  output: StoredItem[];
}

/**
 * Responses the gateway translated, in memory only and per agent, for `item_reference` items and
 * `previous_response_id` (OpenAI keeps such state server-side; other providers have none).
 */
export interface ResponseStore {
  /** How long a response stays referable, for the error about an id no longer (or never) known. */
  readonly ttlMs: number;
  save(agent: string, response: StoredResponse): void;
  response(agent: string, id: string): StoredResponse | undefined;
  item(agent: string, id: string): StoredItem | undefined;
}
