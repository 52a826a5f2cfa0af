/**
 * The one zod schema for gateway.yaml as written on disk (snake_case, human units). It only validates: defaults,
 * unit conversion and cross-references live in normalize.ts, so z.toJSONSchema can describe this schema for editors.
 * Every optional field also accepts null, because `key:` with no value (or `${VAR:-}`) means "use the default".
 * Objects are not strict: unknown keys are reported as warnings by unknown-keys.ts, never as errors.
 */
import { z } from 'zod';
import { EFFORT_LEVELS } from '../core/effort.js';
import {
  DURATION_HINT,
  DURATION_PATTERN,
  RATE_LIMIT_HINT,
  RATE_LIMIT_PATTERN,
  RATE_UNIT_PATTERN,
  SIZE_HINT,
  SIZE_PATTERN,
  isValidTimeZone,
  type BareUnit,
} from './units.js';

/** Names of providers and agents appear in URLs (`/agents/{id}/v1`) and metric labels. */
export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';
const NAME_HINT = 'use letters, digits, ".", "_" or "-", starting with a letter or digit';

export const PROVIDER_TYPES = ['openai', 'anthropic', 'mock', 'azure', 'gemini'] as const;
/** The OpenAI APIs a server may speak: Chat Completions and Responses. */
export const OPENAI_APIS = ['chat', 'responses'] as const;
export const POLICY_ACTIONS = ['pause', 'deny', 'alert', 'throttle'] as const;
export const UNKNOWN_AGENT_MODES = ['allow', 'deny'] as const;

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function optional<T extends z.ZodType>(schema: T) {
  return schema.nullable().optional();
}

const name = (what: string) =>
  z.string().regex(new RegExp(NAME_PATTERN), { error: `invalid ${what} name; ${NAME_HINT}` });

const durationSchema = () =>
  z.union(
    [
      z.number().nonnegative({ error: `a duration cannot be negative; ${DURATION_HINT}` }),
      z.string().regex(new RegExp(DURATION_PATTERN), { error: `invalid duration; ${DURATION_HINT}` }),
    ],
    { error: `expected a duration; ${DURATION_HINT}` },
  );

/** A bare number means seconds... */
const duration = durationSchema();
/** ...except in a circuit_breaker, where the agent-gateway format documents milliseconds (`reset_timeout: 30000`). */
const breakerDuration = durationSchema();

/** Which unit a bare number is read in, by schema node: validate warns about each one, as a bare number is ambiguous. */
export const BARE_DURATION_UNITS: ReadonlyMap<z.ZodType, BareUnit> = new Map<z.ZodType, BareUnit>([
  [duration, 'seconds'],
  [breakerDuration, 'milliseconds'],
]);

/** `gateway.internal`, `gateway.internal:8080`, `[::1]:8080`, `*`: a Host header value, without scheme or path. */
function isHostEntry(value: string): boolean {
  if (value === '*') return true;
  if (/[\s/?#@]/.test(value)) return false;
  return URL.canParse(`http://${value}`);
}

/** `https://app.example.com`, `http://localhost:3000`, `*`: an origin as browsers send it, without a path. */
function isOriginEntry(value: string): boolean {
  if (value === '*') return true;
  const url = URL.parse(value);
  return (
    url !== null &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    !value.endsWith('/')
  );
}

const size = z.union(
  [
    z.number().int().nonnegative({ error: `a size cannot be negative; ${SIZE_HINT}` }),
    z.string().regex(new RegExp(SIZE_PATTERN), { error: `invalid size; ${SIZE_HINT}` }),
  ],
  { error: `expected a size; ${SIZE_HINT}` },
);

const positiveInt = z.int().positive();
const usd = z.number().nonnegative().describe('US dollars');

const timezone = z
  .string()
  .refine(isValidTimeZone, { error: 'unknown time zone: use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"' })
  .describe('IANA time zone for daily budget windows; the host time zone when unset');

const responseStoreSection = z.object({
  max_size: optional(size).describe('Memory the kept responses may use, all agents together; 0 keeps none (default 64mb)'),
  ttl: optional(duration).describe('How long a response stays referable by id (default 1h)'),
});

const retriesSection = z.object({
  max_attempts: optional(positiveInt).describe(
    'Attempts per provider, the first included, for a failure worth another try: 408, 429, 500, 502, 503, 504, 529, a reset connection or a connect timeout; 1 never retries (default 3)',
  ),
  backoff: optional(duration).describe('Ceiling of the first wait before a retry; each later ceiling doubles, the wait is random below it (default 500ms)'),
  max_backoff: optional(duration).describe('Longest wait between two attempts without a Retry-After (default 8s)'),
  max_retry_after: optional(duration).describe(
    "Longest Retry-After the gateway waits out before retrying; a longer one goes to the route's fallback, or back to the client with its Retry-After (default 30s)",
  ),
});

const gatewaySection = z.object({
  host: optional(z.string().min(1)).describe('Address to listen on (default 127.0.0.1)'),
  port: optional(z.int().min(0).max(65535)).describe('Port to listen on (default 8080; 0 picks a free port)'),
  admin_token: optional(z.string()).describe('Token required by the admin API; loopback-only when unset'),
  allowed_hosts: optional(
    z.array(
      z.string().refine(isHostEntry, {
        error: 'invalid host; write a host name or address with an optional port, e.g. gateway.lan or gateway.lan:8080, or "*"',
      }),
    ),
  ).describe(
    'Host header values accepted besides loopback names and the bound address (e.g. a DNS name the gateway is reached by); "*" accepts any host',
  ),
  allowed_origins: optional(
    z.array(
      z.string().refine(isOriginEntry, {
        error: 'invalid origin; write scheme://host[:port] without a path, e.g. https://app.example.com or http://localhost:3000, or "*"',
      }),
    ),
  ).describe(
    'Browser origins allowed to call the proxy (with CORS); requests with any other Origin header are refused. "*" allows every origin',
  ),
  max_body: optional(size).describe('Largest accepted request body (default 10mb)'),
  max_response_body: optional(size).describe(
    'Largest non-streamed provider answer the gateway reads whole to translate it; a bigger one gets a 502. An answer already in the client\'s format is relayed as it arrives, whatever its size (default 16mb)',
  ),
  passthrough: optional(
    z.union([z.boolean(), z.array(z.string().regex(/^\/v1\/[^?#]*$/, { error: 'a pass-through path starts with /v1/, e.g. /v1/batches' }))]),
  ).describe(
    'Other /v1 paths (files, batches, images, audio, legacy completions…) forwarded to the provider as they are: true (default), false, or a list of allowed path prefixes',
  ),
  upstream_timeout: optional(duration).describe('Longest an upstream request may take in total (default 600s)'),
  connect_timeout: optional(duration).describe('Longest a TCP/TLS connect to a provider may take (default 10s)'),
  idle_timeout: optional(duration).describe('Longest silence between stream chunks (default 300s)'),
  max_upstream_connections: optional(positiveInt).describe('Connection pool size per provider origin (default 128)'),
  max_header_size: optional(size).describe('Largest accepted request header block (default 16kb)'),
  unknown_agents: optional(z.enum(UNKNOWN_AGENT_MODES)).describe(
    'allow: unidentified callers use the "default" agent; deny: they get 401 (default allow)',
  ),
  strict_translation: optional(z.boolean()).describe('Reject (400) fields that cannot be translated instead of dropping them'),
  timezone: optional(timezone),
  default_max_tokens: optional(z.union([positiveInt, z.record(z.string().min(1), positiveInt)])).describe(
    'max_tokens sent when a request needs one and names none: a number, or a map of model name/glob to number',
  ),
  default_output_cap: optional(positiveInt).describe(
    'Output tokens assumed when reserving budget for a request that sets no max_tokens (default 4096)',
  ),
  response_store: optional(responseStoreSection).describe(
    'Responses the gateway translated for /v1/responses clients, kept in memory only so that item_reference and previous_response_id can refer to them',
  ),
  retries: optional(retriesSection).describe(
    'How failed upstream calls are retried before the first byte reaches the client; a provider may set its own max_attempts',
  ),
  embedded_defaults: optional(z.boolean()).describe(
    'Add the built-in openai/anthropic providers and gpt-*/claude-* routes unless overridden (default true)',
  ),
});

const storageSection = z.object({
  path: optional(z.string().min(1)).describe('SQLite file (default ./ai-gateway.db), relative to the config file'),
  retention_days: optional(z.int().nonnegative()).describe('Days of audit history kept; 0 keeps everything (default 90)'),
  jsonl: optional(z.string().min(1)).describe('Also append every audit row to this JSON-lines file'),
  max_pending_rows: optional(positiveInt).describe(
    'Audit rows waiting for a disk that refuses writes at which new requests get 503 until they are written (default 10000)',
  ),
});

const providerTimeouts = z.object({
  upstream: optional(duration),
  connect: optional(duration),
  idle: optional(duration),
});

const providerEntry = z.object({
  type: optional(z.enum(PROVIDER_TYPES)).describe('Wire protocol; may be omitted when the provider is named after its type (openai, anthropic, mock, azure)'),
  // A refinement rather than z.url(): JSON Schema's "format: uri" would make editors flag `${OLLAMA_URL:-...}`.
  base_url: optional(
    z.string().refine(isHttpUrl, { error: 'base_url must be an http:// or https:// URL; e.g. http://127.0.0.1:11434/v1' }),
  ),
  api_key: optional(z.string()).describe("Key sent upstream; when unset (and api_keys too) the client's own key passes through"),
  api_keys: optional(z.array(z.string().nullable())).describe(
    'Several keys sent upstream in turn (round-robin) instead of api_key: a key answered 429 rests for its Retry-After while the others serve, a key answered 401/403 is taken out',
  ),
  max_attempts: optional(positiveInt).describe('Attempts per request on this provider, the first included (default gateway.retries.max_attempts)'),
  headers: optional(z.record(z.string().min(1), z.string().nullable())).describe(
    'Extra headers sent on every upstream request; an empty value (e.g. an unset ${VAR:-}) sends no header',
  ),
  timeouts: optional(providerTimeouts).describe('Overrides of the gateway timeouts for this provider'),
  wire: optional(z.enum(['openai', 'anthropic'])).describe(
    'Wire format a mock provider speaks (default openai); openai and anthropic providers speak their own',
  ),
  apis: optional(z.array(z.enum(OPENAI_APIS)).min(1, { error: 'list at least one API: chat, responses' })).describe(
    'APIs an OpenAI-compatible server or Azure OpenAI resource speaks: chat (Chat Completions) and/or responses (default: both for api.openai.com, chat for any other base_url). /v1/responses requests go through unchanged to a provider that speaks responses and are translated otherwise',
  ),
  api_version: optional(z.string().min(1)).describe(
    'Azure OpenAI: the api-version sent on every call of a classic resource endpoint (e.g. 2024-10-21; Responses needs 2025-03-01-preview or later); the v1 form (base_url ending in /openai/v1) takes none',
  ),
  deployments: optional(z.record(z.string().min(1), z.string().min(1))).describe(
    'Azure OpenAI: model name → deployment name. Required for every model a classic resource serves; in the v1 form a model without an entry is sent under its own name',
  ),
});

const fallbackEntry = z.union(
  [z.string().min(1), z.object({ provider: z.string().min(1), model: optional(z.string().min(1)) })],
  { error: 'a fallback is a provider name or {provider, model}' },
);

const modelRoute = z.union(
  [
    z.string().min(1).describe('Shorthand for {provider: <name>}'),
    z.object({
      provider: z.string({ error: 'a model route needs a provider' }).min(1),
      model: optional(z.string().min(1)).describe('Model name sent upstream (makes this entry an alias)'),
      fallbacks: optional(z.array(fallbackEntry)).describe('Providers tried in order when the first fails or its breaker is open'),
      max_tokens: optional(positiveInt).describe('max_tokens for this route when a request needs one and names none'),
    }),
  ],
  { error: 'a model route is a provider name or {provider, model?, fallbacks?, max_tokens?}' },
);

const priceEntry = z.object({
  input: usd,
  output: usd,
  cache_read: optional(usd),
  cache_write: optional(usd),
  cache_write_1h: optional(usd),
  reasoning: optional(usd),
});

const capabilityEntry = z.object({
  max_output_tokens: optional(positiveInt).describe('Most output tokens the model accepts; a larger max_tokens is lowered to it'),
  reasoning: optional(z.boolean()).describe('Whether the model accepts reasoning parameters; false removes them from requests'),
  reasoning_efforts: optional(z.array(z.enum(EFFORT_LEVELS))).describe(
    'Reasoning effort values the model accepts; another value becomes the nearest of these',
  ),
  tools: optional(z.boolean()).describe('Whether the model can call tools'),
  vision: optional(z.boolean()).describe('Whether the model reads images'),
});

const budget = z.object({
  max_cost_per_hour: optional(usd).describe('Rolling 60-minute spend limit'),
  max_cost_per_day: optional(usd).describe('Calendar-day spend limit'),
  max_cost_total: optional(usd).describe('Lifetime spend limit'),
});

const rateLimitObject = z
  .object({
    requests: optional(positiveInt),
    per: optional(
      z.union([z.string().regex(new RegExp(RATE_UNIT_PATTERN)), duration], {
        error: `per is a unit (s, min, h, hour, day) or a duration; ${DURATION_HINT}`,
      }),
    ).describe('Window for requests (default 1 minute)'),
    burst: optional(positiveInt).describe('Bucket size: requests allowed at once (default = requests)'),
    tpm: optional(positiveInt).describe('Tokens per minute'),
  })
  .refine((v) => (v.requests ?? undefined) !== undefined || (v.tpm ?? undefined) !== undefined, {
    error: 'a rate limit object needs requests or tpm',
  });

const rateLimit = z.union(
  [z.string().regex(new RegExp(RATE_LIMIT_PATTERN), { error: `invalid rate limit; ${RATE_LIMIT_HINT}` }), rateLimitObject],
  { error: `expected a rate limit; ${RATE_LIMIT_HINT}` },
);

const circuitBreaker = z.object({
  enabled: optional(z.boolean()),
  error_threshold: optional(z.number().positive()).describe(
    'Errors within window that open the breaker; a value below 1 is an error rate (0.5 = 50%)',
  ),
  window: optional(breakerDuration).describe('Sliding window for counting errors (default 60s; a bare number is milliseconds)'),
  reset_timeout: optional(breakerDuration).describe(
    'Time the breaker stays open before a trial request (default 30s; a bare number is milliseconds)',
  ),
  half_open_requests: optional(positiveInt).describe('Trial requests allowed while half-open (default 1)'),
  min_requests: optional(positiveInt).describe('Requests needed in the window before an error rate can trip (default 5)'),
});

/** A model a routing rule sends requests to: a name routed like a request's own (models entries, provider/model). */
const routedModel = z.string().min(1);

const routingSection = z.object({
  background: optional(
    z.union([routedModel, z.object({ model: routedModel, match: optional(z.array(z.string().min(1)).min(1)) })], {
      error: 'background is a model name or {model, match: [globs]}',
    }),
  ).describe('Model for side calls (titles, summaries): requests whose model matches `match` (default ["*haiku*"])'),
  thinking: optional(routedModel).describe('Model for requests that ask for reasoning (thinking, reasoning effort)'),
  long_context: optional(
    z.union([routedModel, z.object({ model: routedModel, threshold_tokens: optional(positiveInt) })], {
      error: 'long_context is a model name or {model, threshold_tokens}',
    }),
  ).describe('Model for requests whose text is above threshold_tokens (default 60000)'),
  web_search: optional(routedModel).describe('Model for requests that offer a hosted web search tool'),
  vision: optional(routedModel).describe('Model for requests with an image'),
});

const agentEntry = z.object({
  model: optional(z.string().min(1)).describe('Model used when a request names none'),
  provider: optional(z.string().min(1)).describe('Send all of this agent’s traffic to this provider'),
  keys: optional(z.array(z.string().nullable())).describe('Virtual keys that identify this agent'),
  api_key: optional(z.string()).describe('A single virtual key (older format); merged into keys'),
  budget: optional(budget),
  rate_limit: optional(rateLimit),
  circuit_breaker: optional(circuitBreaker),
  tags: optional(z.array(z.string())),
  strict_translation: optional(z.boolean()),
  routing: optional(routingSection).describe('Routing by task for this agent; each rule set here replaces the gateway-wide one'),
});

const policyEntry = z.object({
  name: z.string({ error: 'a policy needs a name' }).min(1),
  condition: z
    .string({ error: 'a policy needs a condition, e.g. "error_rate > 0.5"' })
    .min(1, { error: 'a policy condition cannot be empty' }),
  action: z.enum(POLICY_ACTIONS, { error: `action must be one of ${POLICY_ACTIONS.join(', ')}` }),
  params: optional(z.record(z.string(), z.unknown())),
});

const metricsSection = z.object({
  max_label_values: optional(positiveInt).describe('Distinct agent/model label values before new ones become "other" (default 200)'),
});

const sharedStateSection = z.object({
  redis: optional(
    z.string().refine((v) => v === '' || /^rediss?:\/\//.test(v), { error: 'redis must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379 or ${REDIS_URL}' }),
  ).describe('Redis that instances share budgets, rate limits, pauses and breakers through; absent or empty: this process alone'),
  prefix: optional(z.string().min(1).regex(/^[A-Za-z0-9_.:-]+$/, { error: 'prefix may hold letters, digits and _ . : -' })).describe(
    'Namespace of the keys, so several fleets can share one Redis (default ai-gateway)',
  ),
  on_outage: optional(z.enum(['open', 'closed'])).describe(
    'When Redis does not answer: open (default) goes on with each instance\'s own limits, closed refuses proxy requests with 503',
  ),
});

const alertsSection = z.object({
  budget_thresholds: optional(
    z.array(z.number().gt(0, { error: 'a threshold is a fraction of the budget above 0' }).lte(1, { error: 'a threshold is a fraction of the budget, at most 1 (100%)' })),
  ).describe('Fractions of each budget window (hourly, daily, total) at which an agent raises an alert (default [0.5, 0.8, 1]; [] for none)'),
  webhook: optional(
    z.string().refine((v) => v === '' || isHttpUrl(v), { error: 'webhook must be an http:// or https:// URL, e.g. ${ALERT_WEBHOOK_URL}' }),
  ).describe('URL that receives each alert as a JSON POST with a "text" field (Slack and Discord incoming webhooks take it)'),
  webhook_timeout: optional(duration).describe('Time a webhook POST may take before it is given up (default 5s)'),
  desktop: optional(z.boolean()).describe('Also show alerts as desktop notifications through notify-send, where it exists (default false)'),
  bell: optional(z.boolean()).describe('Ring the terminal bell and show a banner in the dashboard (default true)'),
});

const tracingSection = z.object({
  otlp_endpoint: optional(
    z.string().refine((v) => v === '' || isHttpUrl(v), { error: 'otlp_endpoint must be an http:// or https:// URL, e.g. http://127.0.0.1:4318/v1/traces' }),
  ).describe('OTLP/HTTP traces URL of a collector (e.g. http://127.0.0.1:4318/v1/traces); setting it turns tracing on'),
  service_name: optional(z.string().min(1)).describe('service.name of the exported spans (default ai-gateway)'),
  headers: optional(z.record(z.string().min(1), z.string().nullable())).describe(
    'Headers sent to the collector with every export (e.g. authorization: "Bearer ${OTEL_TOKEN}"); never logged',
  ),
  capture_content: optional(z.boolean()).describe(
    'Export prompt and completion text as gen_ai.input.messages / gen_ai.output.messages (default false: no content leaves)',
  ),
});

/** Older agent-gateway format: audit.log_file maps to storage.jsonl. */
const auditSection = z.object({
  log_file: optional(z.string().min(1)),
});

export const gatewayFileSchema = z.object({
  gateway: optional(gatewaySection),
  storage: optional(storageSection),
  providers: optional(z.record(name('provider'), optional(providerEntry))),
  models: optional(z.record(z.string().min(1), modelRoute)).describe('Routing table: first match wins, in file order'),
  prices: optional(z.record(z.string().min(1), priceEntry)).describe('USD per 1M tokens; overrides the built-in table'),
  capabilities: optional(z.record(z.string().min(1), capabilityEntry)).describe(
    'What a model accepts, by upstream model name or glob; overrides the built-in table field by field',
  ),
  agents: optional(z.record(name('agent'), optional(agentEntry))),
  routing: optional(routingSection).describe(
    'Routing by task: the model a request is sent to when it is long (long_context), offers web search (web_search), has an image (vision), asks for reasoning (thinking) or is a side call (background); the first that applies wins, in that order',
  ),
  policies: optional(z.array(policyEntry)),
  metrics: optional(metricsSection),
  alerts: optional(alertsSection).describe('Where budget thresholds and `alert` policies reach a person'),
  shared_state: optional(sharedStateSection).describe('Several instances sharing one set of limits, through Redis'),
  tracing: optional(tracingSection).describe('OpenTelemetry traces of proxied requests, exported over OTLP/HTTP; off unless otlp_endpoint is set'),
  audit: optional(auditSection).describe('Older format: log_file is the same as storage.jsonl'),
  dashboard: z.unknown().describe('Older format; ignored').optional(),
});

/** gateway.yaml after validation, before normalisation (still snake_case, units as written). */
export type GatewayFile = z.output<typeof gatewayFileSchema>;
export type ProviderEntry = z.output<typeof providerEntry>;
export type ModelRouteEntry = z.output<typeof modelRoute>;
export type AgentEntry = z.output<typeof agentEntry>;
export type RateLimitEntry = z.output<typeof rateLimit>;
export type CircuitBreakerEntry = z.output<typeof circuitBreaker>;
export type RoutingEntry = z.output<typeof routingSection>;
