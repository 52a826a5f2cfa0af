/**
 * The internal, normalised configuration every other module reads: camelCase, durations in milliseconds, sizes in
 * bytes, defaults applied, cross-references checked, routes precompiled. Built only by normalize.ts.
 */
import type { EffortLevel } from '../core/effort.js';

export type ProviderType = 'openai' | 'anthropic' | 'mock' | 'azure' | 'gemini';
/** An API a provider speaks: OpenAI Chat Completions, OpenAI Responses, Anthropic Messages. */
export type ProviderApi = 'chat' | 'responses' | 'messages';
export type PolicyAction = 'pause' | 'deny' | 'alert' | 'throttle';

export interface GatewaySettings {
  host: string;
  port: number;
  /** Required by the admin API when set; undefined means loopback-only admin access. */
  adminToken: string | undefined;
  /** Host header values accepted besides loopback names and the bound address, lower-cased; `*` accepts any. */
  allowedHosts: readonly string[];
  /** Browser origins (`scheme://host[:port]`, as browsers serialise them) allowed to call the proxy; `*` allows any. */
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
  /** Largest non-streamed upstream body read whole; a larger one is refused with a 502. */
  maxResponseBodyBytes: number;
  /** Other /v1 paths forwarded as they are: `all`, or only those under these prefixes (empty: none). */
  passthrough: 'all' | readonly string[];
  /** Total time an upstream request may take; 0 disables the limit. */
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  /** Longest silence between stream chunks; 0 disables the limit. */
  idleTimeoutMs: number;
  maxUpstreamConnections: number;
  maxHeaderSizeBytes: number;
  unknownAgents: 'allow' | 'deny';
  strictTranslation: boolean;
  /** IANA zone for calendar-day budget windows; undefined means the host's local zone. */
  timezone: string | undefined;
  /** Used when a target format requires max_tokens and the request names none; see maxTokensFor(). */
  defaultMaxTokens: DefaultMaxTokens;
  /** Output tokens assumed when reserving budget for a request without max_tokens. */
  defaultOutputCap: number;
  responseStore: ResponseStoreSettings;
  retries: RetrySettings;
}

/** How failed upstream calls are retried (a provider may set its own maxAttempts). */
export interface RetrySettings {
  /** Attempts per provider, the first included. */
  maxAttempts: number;
  /** Ceiling of the first backoff wait; later ceilings double up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Longest Retry-After waited out. */
  maxRetryAfterMs: number;
}

/** The in-memory store of responses translated for /v1/responses clients (never written to disk). */
export interface ResponseStoreSettings {
  /** Memory all kept responses may use together; 0 keeps none. */
  maxBytes: number;
  ttlMs: number;
}

export interface DefaultMaxTokens {
  /** Per-model overrides in file order, first match wins. */
  rules: readonly ModelNumberRule[];
  fallback: number;
}

export interface ModelNumberRule {
  pattern: string;
  matcher: (model: string) => boolean;
  value: number;
}

export interface StorageSettings {
  /** Absolute path of the SQLite file (or ":memory:"). */
  path: string;
  /** 0 keeps history forever. */
  retentionDays: number;
  /** Absolute path of an extra JSON-lines audit file, when configured. */
  jsonl: string | undefined;
  /** Audit rows waiting to be written at which new requests are refused (503). */
  maxPendingRows: number;
}

export interface ProviderConfig {
  name: string;
  type: ProviderType;
  /** Without a trailing slash; empty for mock providers without one. */
  baseUrl: string;
  /** undefined (and no apiKeys): the client's own key passes through. */
  apiKey: string | undefined;
  /** A pool of keys (`api_keys`) used round-robin, resting on 429 and taken out on 401/403; empty when unset. */
  apiKeys: readonly string[];
  /** Attempts per request on this provider; undefined: gateway.retries.maxAttempts. */
  maxAttempts: number | undefined;
  headers: Readonly<Record<string, string>>;
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** The wire format the upstream speaks; only a mock provider lets the config choose. */
  wire: 'openai' | 'anthropic';
  /** The APIs it speaks, preferred first: its format family's, as declared for an OpenAI-compatible server. */
  apis: readonly ProviderApi[];
  /** Came from the embedded defaults rather than the config file. */
  builtin: boolean;
  /** Azure OpenAI only. */
  azure?: AzureSettings | undefined;
}

/** How an Azure OpenAI resource is called: the classic deployment URLs with an api-version, or the v1 form. */
export interface AzureSettings {
  form: 'classic' | 'v1';
  /** undefined when the base URL carries an api-version query, or in the v1 form. */
  apiVersion: string | undefined;
  /** Model name → deployment name. */
  deployments: Readonly<Record<string, string>>;
}

export interface FallbackTarget {
  provider: string;
  /** Model name to send to this provider; undefined keeps the route's upstream model. */
  model: string | undefined;
}

export interface ModelRoute {
  /** As written: an exact name, an alias or a glob such as `claude-*` or `o[0-9]*`. */
  pattern: string;
  kind: 'exact' | 'glob';
  /** Precompiled; routing calls this and never builds a RegExp per request. */
  matcher: (model: string) => boolean;
  provider: string;
  /** Upstream model name (set for aliases); undefined sends the requested name. */
  model: string | undefined;
  fallbacks: readonly FallbackTarget[];
  maxTokens: number | undefined;
  builtin: boolean;
}

export interface PriceOverride {
  /** USD per 1M tokens. */
  input: number;
  output: number;
  cacheRead: number | undefined;
  cacheWrite: number | undefined;
  cacheWrite1h: number | undefined;
  reasoning: number | undefined;
}

/** A `capabilities:` entry: only the fields written, laid over the built-in table's. */
export interface CapabilityOverride {
  maxOutputTokens?: number;
  reasoning?: boolean;
  reasoningEfforts?: readonly EffortLevel[];
  tools?: boolean;
  vision?: boolean;
}

/** An agent's budget as the config writes it (the controls take control/types.ts BudgetLimits). */
export interface BudgetConfig {
  /** USD; undefined = no limit for that window. */
  maxCostPerHour: number | undefined;
  maxCostPerDay: number | undefined;
  maxCostTotal: number | undefined;
}

export interface RateLimitConfig {
  /** Requests per `perMs`; undefined when only a token limit is set. */
  requests: number | undefined;
  perMs: number;
  /** Bucket capacity for requests; defaults to `requests`. */
  burst: number | undefined;
  tokensPerMinute: number | undefined;
}

export type BreakerTrip =
  | { kind: 'count'; errors: number }
  | { kind: 'rate'; rate: number; minRequests: number };

export interface CircuitBreakerConfig {
  trip: BreakerTrip;
  windowMs: number;
  resetTimeoutMs: number;
  halfOpenRequests: number;
}

export interface AgentConfig {
  id: string;
  /** Default model when a request names none. */
  model: string | undefined;
  /** Forces every request of this agent to this provider. */
  provider: string | undefined;
  /** Virtual keys identifying the agent: `keys` plus the older single `api_key`, deduplicated. */
  keys: readonly string[];
  budget: BudgetConfig;
  rateLimit: RateLimitConfig | undefined;
  circuitBreaker: CircuitBreakerConfig | undefined;
  tags: readonly string[];
  /** Overrides gateway.strictTranslation for this agent when set. */
  strictTranslation: boolean | undefined;
  /** Routing by task: the agent's own rules laid over the gateway-wide ones. */
  routing: RoutingRules;
}

/** Routing by task (`routing:`): the model chosen for a kind of request; see src/pipeline/task-routing.ts. */
export interface RoutingRules {
  background?: { model: string; match: readonly string[]; matches: (requestedModel: string) => boolean };
  thinking?: string;
  longContext?: { model: string; thresholdTokens: number };
  webSearch?: string;
  vision?: string;
}

export interface PolicyConfig {
  name: string;
  /** Unparsed expression; src/control parses it. */
  condition: string;
  action: PolicyAction;
  params: Readonly<Record<string, unknown>>;
}

export interface MetricsSettings {
  maxLabelValues: number;
}

/** Where alerts go: budget thresholds and `alert` policies, each delivered at most once per agent, rule and window. */
export interface AlertSettings {
  /** Fractions (0..1] of each budget window, ascending; empty: no budget alerts. */
  budgetThresholds: readonly number[];
  /** JSON POST target; undefined: no webhook. */
  webhook: string | undefined;
  webhookTimeoutMs: number;
  /** Desktop notifications through notify-send. */
  desktop: boolean;
  /** Terminal bell and dashboard banner. */
  bell: boolean;
}

/** Limits shared by several instances through Redis (shared_state). */
export interface SharedStateSettings {
  /** redis:// URL; undefined: this process keeps its limits alone. */
  redis: string | undefined;
  prefix: string;
  /** What an instance does while Redis does not answer. */
  onOutage: 'open' | 'closed';
}

/** OpenTelemetry traces, exported over OTLP/HTTP; absent from the config when tracing is off. */
export interface TracingSettings {
  /** The collector's OTLP/HTTP traces URL. */
  endpoint: string;
  serviceName: string;
  /** Sent to the collector with every export (credentials: kept out of logs like every other secret). */
  headers: Readonly<Record<string, string>>;
  /** Prompt and completion text go into the spans. */
  captureContent: boolean;
}

export interface GatewayConfig {
  gateway: GatewaySettings;
  storage: StorageSettings;
  /** By name, in file order (embedded defaults first unless overridden). */
  providers: ReadonlyMap<string, ProviderConfig>;
  /** Routing table, first match wins: the file's entries in YAML order, then embedded default routes. */
  models: readonly ModelRoute[];
  /** Price overrides by model name. */
  prices: ReadonlyMap<string, PriceOverride>;
  /** Capability overrides by upstream model name or glob, in file order. */
  capabilities: ReadonlyMap<string, CapabilityOverride>;
  agents: ReadonlyMap<string, AgentConfig>;
  /** Routing by task for agents without rules of their own. */
  routing: RoutingRules;
  policies: readonly PolicyConfig[];
  metrics: MetricsSettings;
  alerts: AlertSettings;
  sharedState: SharedStateSettings;
  /** Undefined: tracing is off. */
  tracing?: TracingSettings | undefined;
}
