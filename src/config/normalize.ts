/**
 * Validated on-disk config (GatewayFile) → internal GatewayConfig: defaults, unit conversion, embedded-default merge,
 * route precompilation and the checks zod cannot express (references between sections, duplicate keys).
 * Pure: paths are resolved against an injected base directory, nothing is read from the environment.
 */
import { isAbsolute, resolve } from 'node:path';
import { DEFAULTS, OFFICIAL_BASE_URLS } from './defaults.js';
import { closest } from './edit-distance.js';
import { anyMatcher, globToRegExp, isGlob, modelMatcher } from './glob.js';
import type { ConfigPath, ConfigProblem } from './problems.js';
import { problem } from './problems.js';
import type { AgentEntry, CircuitBreakerEntry, GatewayFile, ModelRouteEntry, ProviderEntry, RateLimitEntry, RoutingEntry } from './schema.js';
import { PROVIDER_TYPES } from './schema.js';
import type {
  AgentConfig,
  AzureSettings,
  CapabilityOverride,
  AlertSettings,
  CircuitBreakerConfig,
  FallbackTarget,
  GatewayConfig,
  GatewaySettings,
  ModelNumberRule,
  ModelRoute,
  PolicyConfig,
  PriceOverride,
  ProviderConfig,
  ProviderType,
  RateLimitConfig,
  RoutingRules,
  TracingSettings,
} from './types.js';
import { parseDuration, parseRateLimit, parseRatePeriod, parseSize, type BareUnit } from './units.js';
import { messageOf } from '../core/errors.js';

/** The fix for a route, price or capability key with an unterminated character class. */
const CLOSE_CLASS = 'close the [ ] character class, e.g. "o[0-9]*"';

export interface NormalizeOptions {
  /** Directory relative storage paths are resolved against (the config file's directory). */
  baseDir?: string | undefined;
  /** Validated embedded defaults, merged under the file unless `gateway.embedded_defaults: false`. */
  embedded?: GatewayFile | undefined;
  /** Syntax check for policy conditions (the policy parser lives in src/control); returns an error message. */
  checkPolicyCondition?: PolicyConditionCheck | undefined;
}

/** Returns undefined when the condition parses, else a message describing the problem. */
export type PolicyConditionCheck = (condition: string) => string | undefined;

export interface NormalizeResult {
  config: GatewayConfig | undefined;
  problems: ConfigProblem[];
}

/** `null` from YAML means "not set". */
function given<T>(value: T | null | undefined): T | undefined {
  return value ?? undefined;
}

// The schema already checked these shapes, so a failed parse here is a programming error, not user input.
function ms(value: string | number | null | undefined, fallback: string, bare: BareUnit = 'seconds'): number {
  const parsed = parseDuration(given(value) ?? fallback, bare);
  if (parsed === undefined) throw new Error(`unvalidated duration reached the normaliser`);
  return parsed;
}

function bytes(value: string | number | null | undefined, fallback: string): number {
  const parsed = parseSize(given(value) ?? fallback);
  if (parsed === undefined) throw new Error(`unvalidated size reached the normaliser`);
  return parsed;
}

function passthroughRule(value: boolean | readonly string[] | undefined): 'all' | readonly string[] {
  if (value === undefined || value === true) return 'all';
  if (value === false) return [];
  // Prefixes match whole path segments; a trailing slash would only make them miss.
  return value.map((p) => (p.length > 4 && p.endsWith('/') ? p.slice(0, -1) : p));
}

function entries<T>(record: Record<string, T> | null | undefined): Array<[string, T]> {
  return record ? Object.entries(record) : [];
}

function didYouMean(word: string, candidates: Iterable<string>): string {
  const near = closest(word, candidates, 1)[0];
  const list = [...candidates];
  if (near !== undefined) return `did you mean "${near}"?`;
  return list.length > 0 ? `use one of: ${list.join(', ')}` : 'define it under providers';
}

export function normalizeConfig(file: GatewayFile, options: NormalizeOptions = {}): NormalizeResult {
  const problems: ConfigProblem[] = [];
  const error = (path: ConfigPath, message: string, fix?: string) => problems.push(problem('error', path, message, fix));
  const warn = (path: ConfigPath, message: string, fix?: string) => problems.push(problem('warning', path, message, fix));

  const gateway = normalizeGateway(file, error);
  const useEmbedded = given(file.gateway?.embedded_defaults) !== false && options.embedded !== undefined;
  const embedded = useEmbedded ? options.embedded : undefined;

  // Providers: embedded first, file entries replace them by name.
  const providers = new Map<string, ProviderConfig>();
  for (const [name, entry] of entries(embedded?.providers)) {
    const provider = normalizeProvider(name, given(entry) ?? {}, gateway, true, () => undefined);
    if (provider) providers.set(name, provider);
  }
  for (const [name, entry] of entries(file.providers)) {
    const provider = normalizeProvider(name, given(entry) ?? {}, gateway, false, (key, message, fix) =>
      error(key === undefined ? ['providers', name] : ['providers', name, key], message, fix),
    );
    if (provider) providers.set(name, provider);
  }
  const providerNames = [...providers.keys()];
  const checkProvider = (name: string, path: ConfigPath): boolean => {
    if (providers.has(name)) return true;
    error(path, `unknown provider "${name}"`, didYouMean(name, providerNames));
    return false;
  };

  // Routes: the file's entries in YAML order, then embedded routes the file does not redefine.
  const models: ModelRoute[] = [];
  const filePatterns = new Set(Object.keys(file.models ?? {}));
  // JavaScript objects list integer-like keys first, whatever the YAML order.
  for (const pattern of filePatterns) {
    if (/^(0|[1-9]\d*)$/.test(pattern)) {
      warn(['models', pattern], 'a model name made only of digits is matched before all other entries', 'put it in a glob or alias with letters');
    }
  }
  for (const [pattern, entry] of entries(file.models)) {
    const route = normalizeRoute(pattern, entry, false, checkProvider, error, warn);
    if (route) models.push(route);
  }
  for (const [pattern, entry] of entries(embedded?.models)) {
    if (filePatterns.has(pattern)) continue;
    const target = typeof entry === 'string' ? entry : entry.provider;
    if (!providers.has(target)) continue;
    const route = normalizeRoute(pattern, entry, true, () => true, error, warn);
    if (route) models.push(route);
  }

  checkDeployments(models, providers, error);

  /** A price or capability key that is a glob must compile, as a route's must; false (and an error) when not. */
  const validKey = (section: 'prices' | 'capabilities', model: string): boolean => {
    if (!isGlob(model)) return true;
    try {
      globToRegExp(model, true);
      return true;
    } catch (err) {
      error([section, model], messageOf(err), CLOSE_CLASS);
      return false;
    }
  };

  const prices = new Map<string, PriceOverride>();
  for (const [model, price] of entries(file.prices)) {
    if (!validKey('prices', model)) continue;
    prices.set(model, {
      input: price.input,
      output: price.output,
      cacheRead: given(price.cache_read),
      cacheWrite: given(price.cache_write),
      cacheWrite1h: given(price.cache_write_1h),
      reasoning: given(price.reasoning),
    });
  }

  const capabilities = new Map<string, CapabilityOverride>();
  for (const [model, entry] of entries(file.capabilities)) {
    if (!validKey('capabilities', model)) continue;
    const caps: CapabilityOverride = {};
    const maxOutputTokens = given(entry.max_output_tokens);
    const reasoning = given(entry.reasoning);
    const reasoningEfforts = given(entry.reasoning_efforts);
    const tools = given(entry.tools);
    const vision = given(entry.vision);
    if (maxOutputTokens !== undefined) caps.maxOutputTokens = maxOutputTokens;
    if (reasoning !== undefined) caps.reasoning = reasoning;
    if (reasoningEfforts !== undefined) caps.reasoningEfforts = reasoningEfforts;
    if (tools !== undefined) caps.tools = tools;
    if (vision !== undefined) caps.vision = vision;
    capabilities.set(model, caps);
  }

  const routes = (model: string, forcedProvider: string | undefined): boolean => {
    if (forcedProvider !== undefined || models.some((r) => r.matcher(model))) return true;
    const slash = model.indexOf('/');
    return slash > 0 && slash < model.length - 1 && providers.has(model.slice(0, slash));
  };
  const routing = normalizeRouting(given(file.routing), ['routing'], (m) => routes(m, undefined), error);

  const agents = new Map<string, AgentConfig>();
  const keyOwners = new Map<string, string>();
  for (const [id, entry] of entries(file.agents)) {
    const agent = normalizeAgent(id, given(entry) ?? {}, checkProvider, error, warn);
    const own = normalizeRouting(given(given(entry)?.routing), ['agents', id, 'routing'], (m) => routes(m, agent.provider), error);
    agent.routing = { ...routing, ...own };
    agent.keys.forEach((key) => {
      const owner = keyOwners.get(key);
      // Never echo the key itself: it is a credential.
      if (owner !== undefined && owner !== id) {
        error(['agents', id, 'keys'], `a key of this agent is already used by agent "${owner}"`, 'give every agent its own keys');
      } else {
        keyOwners.set(key, id);
      }
    });
    if (agent.model !== undefined && agent.provider === undefined && !models.some((r) => r.matcher(agent.model ?? ''))) {
      warn(['agents', id, 'model'], `no route in models matches "${agent.model}"`, 'add a models entry for it or set this agent’s provider');
    }
    agents.set(id, agent);
  }

  const policies: PolicyConfig[] = [];
  const policyNames = new Set<string>();
  (file.policies ?? []).forEach((policy, index) => {
    if (policyNames.has(policy.name)) {
      error(['policies', index, 'name'], `duplicate policy name "${policy.name}"`, 'give every policy a unique name');
    }
    policyNames.add(policy.name);
    const conditionError = options.checkPolicyCondition?.(policy.condition);
    if (conditionError !== undefined) {
      error(['policies', index, 'condition'], conditionError, 'write a condition such as "error_rate > 0.5 && calls_this_hour >= 10"');
    }
    policies.push({ name: policy.name, condition: policy.condition, action: policy.action, params: given(policy.params) ?? {} });
  });

  // Older agent-gateway format.
  const auditLog = given(file.audit?.log_file);
  const jsonl = given(file.storage?.jsonl);
  if (auditLog !== undefined && jsonl !== undefined && auditLog !== jsonl) {
    warn(['audit', 'log_file'], 'ignored because storage.jsonl is also set', 'keep only storage.jsonl');
  }
  if (file.dashboard !== undefined) {
    warn(['dashboard'], 'the dashboard section is not used by ai-gateway (the terminal UI replaces it)', 'remove the dashboard section');
  }

  const placePath = (p: string): string => (p === ':memory:' || isAbsolute(p) || options.baseDir === undefined ? p : resolve(options.baseDir, p));
  const jsonlPath = jsonl ?? auditLog;
  const config: GatewayConfig = {
    gateway,
    storage: {
      path: placePath(given(file.storage?.path) ?? DEFAULTS.storagePath),
      retentionDays: given(file.storage?.retention_days) ?? DEFAULTS.retentionDays,
      jsonl: jsonlPath === undefined ? undefined : placePath(jsonlPath),
      maxPendingRows: given(file.storage?.max_pending_rows) ?? DEFAULTS.maxPendingRows,
    },
    providers,
    models,
    prices,
    capabilities,
    agents,
    routing,
    policies,
    metrics: { maxLabelValues: given(file.metrics?.max_label_values) ?? DEFAULTS.maxLabelValues },
    alerts: normalizeAlerts(file),
    sharedState: {
      redis: given(file.shared_state?.redis) || undefined,
      prefix: given(file.shared_state?.prefix) ?? 'ai-gateway',
      onOutage: given(file.shared_state?.on_outage) ?? 'open',
    },
    tracing: normalizeTracing(file),
  };
  return { config: problems.some((p) => p.severity === 'error') ? undefined : config, problems };
}

function normalizeTracing(file: GatewayFile): TracingSettings | undefined {
  const t = given(file.tracing);
  const endpoint = given(t?.otlp_endpoint);
  if (endpoint === undefined || endpoint === '') return undefined;
  return {
    endpoint,
    serviceName: given(t?.service_name) ?? DEFAULTS.tracingServiceName,
    headers: Object.fromEntries(entries(given(t?.headers)).filter((h): h is [string, string] => typeof h[1] === 'string' && h[1] !== '')),
    captureContent: given(t?.capture_content) ?? false,
  };
}

function normalizeAlerts(file: GatewayFile): AlertSettings {
  const a = given(file.alerts);
  const thresholds = given(a?.budget_thresholds) ?? DEFAULTS.alertThresholds;
  const webhook = given(a?.webhook);
  return {
    budgetThresholds: [...new Set(thresholds)].sort((x, y) => x - y),
    webhook: webhook === undefined || webhook === '' ? undefined : webhook,
    webhookTimeoutMs: ms(a?.webhook_timeout, DEFAULTS.alertWebhookTimeout),
    desktop: given(a?.desktop) ?? false,
    bell: given(a?.bell) ?? true,
  };
}

function normalizeGateway(file: GatewayFile, error: (path: ConfigPath, message: string, fix?: string) => void): GatewaySettings {
  const g = file.gateway ?? {};
  const rules: ModelNumberRule[] = [];
  const dmt = given(g.default_max_tokens);
  const fallback = typeof dmt === 'number' ? dmt : DEFAULTS.defaultMaxTokens;
  if (typeof dmt === 'object' && dmt !== undefined) {
    for (const [pattern, value] of Object.entries(dmt)) {
      try {
        rules.push({ pattern, matcher: modelMatcher(pattern), value });
      } catch (err) {
        error(['gateway', 'default_max_tokens', pattern], messageOf(err), 'close the [ ] character class');
      }
    }
  }
  return {
    host: given(g.host) ?? DEFAULTS.host,
    port: given(g.port) ?? DEFAULTS.port,
    adminToken: given(g.admin_token) || undefined,
    allowedHosts: (given(g.allowed_hosts) ?? []).map((h) => h.toLowerCase()),
    // Browsers send the serialised origin: lower-case, no default port, no trailing slash.
    allowedOrigins: (given(g.allowed_origins) ?? []).map((o) => (o === '*' ? o : new URL(o).origin)),
    maxBodyBytes: bytes(g.max_body, DEFAULTS.maxBody),
    maxResponseBodyBytes: bytes(g.max_response_body, DEFAULTS.maxResponseBody),
    passthrough: passthroughRule(given(g.passthrough)),
    upstreamTimeoutMs: ms(g.upstream_timeout, DEFAULTS.upstreamTimeout),
    connectTimeoutMs: ms(g.connect_timeout, DEFAULTS.connectTimeout),
    idleTimeoutMs: ms(g.idle_timeout, DEFAULTS.idleTimeout),
    maxUpstreamConnections: given(g.max_upstream_connections) ?? DEFAULTS.maxUpstreamConnections,
    maxHeaderSizeBytes: bytes(g.max_header_size, DEFAULTS.maxHeaderSize),
    unknownAgents: given(g.unknown_agents) ?? DEFAULTS.unknownAgents,
    strictTranslation: given(g.strict_translation) ?? false,
    timezone: given(g.timezone),
    defaultMaxTokens: { rules, fallback },
    defaultOutputCap: given(g.default_output_cap) ?? DEFAULTS.defaultOutputCap,
    responseStore: {
      maxBytes: bytes(g.response_store?.max_size, DEFAULTS.responseStoreSize),
      ttlMs: ms(g.response_store?.ttl, DEFAULTS.responseStoreTtl),
    },
    retries: {
      maxAttempts: given(g.retries?.max_attempts) ?? DEFAULTS.retries.maxAttempts,
      backoffMs: ms(g.retries?.backoff, DEFAULTS.retries.backoff),
      maxBackoffMs: ms(g.retries?.max_backoff, DEFAULTS.retries.maxBackoff),
      maxRetryAfterMs: ms(g.retries?.max_retry_after, DEFAULTS.retries.maxRetryAfter),
    },
  };
}

function normalizeProvider(
  name: string,
  entry: ProviderEntry,
  gateway: GatewaySettings,
  builtin: boolean,
  error: (key: string | undefined, message: string, fix?: string) => void,
): ProviderConfig | undefined {
  const declared = given(entry.type);
  const type: ProviderType | undefined =
    declared ?? (PROVIDER_TYPES as readonly string[]).find((t): t is ProviderType => t === name);
  if (type === undefined) {
    error(
      'type',
      `provider "${name}" needs a type`,
      'add type: openai (OpenAI and compatible servers such as Ollama, vLLM, LM Studio), anthropic, azure (Azure OpenAI), gemini or mock',
    );
    return undefined;
  }
  let baseUrl = given(entry.base_url);
  if (baseUrl === undefined && type !== 'mock') {
    // The official URL is only implied for a provider named after its type, so a forgotten base_url on
    // e.g. "ollama" never silently sends local traffic to a cloud API.
    if (name === type && type !== 'azure') baseUrl = OFFICIAL_BASE_URLS[type];
    else {
      // An OpenAI-type provider not named openai is usually a local server; the other types have one public API.
      const example =
        type === 'azure' ? 'https://RESOURCE.openai.azure.com (or …/openai/v1)' : type === 'openai' ? 'http://127.0.0.1:11434/v1 for Ollama' : OFFICIAL_BASE_URLS[type];
      error('base_url', `provider "${name}" needs a base_url`, `add base_url, e.g. ${example}`);
      return undefined;
    }
  }
  const wire = type === 'anthropic' || (type === 'mock' && given(entry.wire) === 'anthropic') ? 'anthropic' : 'openai';
  const apis = providerApis(type, wire, given(entry.apis), baseUrl, error);
  if (apis === undefined) return undefined;
  const azure = azureSettings(type, entry, baseUrl, error);
  if (azure === null) return undefined;
  if (azure?.form === 'classic' && baseUrl !== undefined) baseUrl = classicEndpoint(baseUrl);
  const apiKeys = providerKeys(entry, error);
  if (apiKeys === undefined) return undefined;
  const timeouts = given(entry.timeouts);
  return {
    name,
    type,
    baseUrl: (baseUrl ?? '').replace(/\/+$/, ''),
    apiKey: given(entry.api_key) || undefined,
    apiKeys,
    maxAttempts: given(entry.max_attempts),
    headers: Object.fromEntries(
      entries(given(entry.headers)).filter((h): h is [string, string] => typeof h[1] === 'string' && h[1] !== ''),
    ),
    upstreamTimeoutMs: timeouts?.upstream == null ? gateway.upstreamTimeoutMs : ms(timeouts.upstream, '0s'),
    connectTimeoutMs: timeouts?.connect == null ? gateway.connectTimeoutMs : ms(timeouts.connect, '0s'),
    idleTimeoutMs: timeouts?.idle == null ? gateway.idleTimeoutMs : ms(timeouts.idle, '0s'),
    wire,
    apis,
    builtin,
    ...(azure === undefined ? {} : { azure }),
  };
}

/**
 * An Azure provider's form and settings; undefined for other types, null after a reported problem. The classic
 * form needs an api-version (api_version, or an `api-version` query on base_url, kept on every call); the v1
 * form (base_url ending in /openai/v1) is versionless.
 */
function azureSettings(
  type: ProviderType,
  entry: ProviderEntry,
  baseUrl: string | undefined,
  error: (key: string | undefined, message: string, fix?: string) => void,
): AzureSettings | undefined | null {
  const apiVersion = given(entry.api_version);
  const deployments = given(entry.deployments);
  if (type !== 'azure') {
    if (apiVersion !== undefined) error('api_version', `only Azure OpenAI providers take an api_version`, 'remove api_version, or set type: azure');
    if (deployments !== undefined) error('deployments', `only Azure OpenAI providers have deployments`, 'remove deployments, or set type: azure');
    return apiVersion === undefined && deployments === undefined ? undefined : null;
  }
  const url = new URL(baseUrl ?? '');
  const form = /\/openai\/v1\/?$/.test(url.pathname) ? 'v1' : 'classic';
  const queryVersion = url.searchParams.get('api-version') ?? undefined;
  if (form === 'v1' && apiVersion !== undefined) {
    error('api_version', 'the Azure v1 API (base_url ending in /openai/v1) takes no api-version', 'remove api_version, or use the resource endpoint https://RESOURCE.openai.azure.com as base_url');
    return null;
  }
  if (form === 'classic') {
    if (apiVersion === undefined && queryVersion === undefined) {
      error('api_version', 'an Azure OpenAI resource endpoint needs an api-version on every call', 'add api_version: 2024-10-21 (2025-03-01-preview or later for Responses), or use the v1 form: base_url https://RESOURCE.openai.azure.com/openai/v1');
      return null;
    }
    if (apiVersion !== undefined && queryVersion !== undefined) {
      error('api_version', 'the api-version is set twice: here and in base_url', 'keep one of them');
      return null;
    }
  }
  return { form, apiVersion, deployments: { ...deployments } };
}

/** A classic base URL as the endpoint the adapter adds `/openai/deployments/…` to (a pasted `…/openai` is dropped). */
function classicEndpoint(baseUrl: string): string {
  const url = new URL(baseUrl);
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/openai$/, '');
  return url.toString();
}

/**
 * Every model an exact route (or its fallback) sends to a classic Azure provider needs a deployment: found here
 * rather than by the first request's 404. Glob routes name no model, so they are checked per request.
 */
function checkDeployments(
  models: readonly ModelRoute[],
  providers: ReadonlyMap<string, ProviderConfig>,
  error: (path: ConfigPath, message: string, fix?: string) => void,
): void {
  const check = (provider: string, model: string, path: ConfigPath): void => {
    const azure = providers.get(provider)?.azure;
    if (azure?.form !== 'classic' || Object.hasOwn(azure.deployments, model)) return;
    error(path, `model "${model}" goes to Azure provider "${provider}", which has no deployment for it`, `add ${model}: <deployment name> under providers.${provider}.deployments`);
  };
  for (const route of models) {
    if (route.builtin) continue;
    const upstream = route.model ?? (route.kind === 'exact' ? route.pattern : undefined);
    if (upstream !== undefined) check(route.provider, upstream, ['models', route.pattern]);
    route.fallbacks.forEach((fb, index) => {
      const model = fb.model ?? upstream;
      if (model !== undefined) check(fb.provider, model, ['models', route.pattern, 'fallbacks', index]);
    });
  }
}

/**
 * A provider's pool of keys (`api_keys`), which excludes a single `api_key`. Entries left empty (an unset
 * `${VAR}`) are dropped; a pool with none left is an error, as the client's key would then pass through
 * unannounced. Problems never quote a key.
 */
function providerKeys(entry: ProviderEntry, error: (key: string | undefined, message: string, fix?: string) => void): string[] | undefined {
  const single = given(entry.api_key) || undefined;
  const pool = given(entry.api_keys);
  if (pool === undefined) return [];
  if (single !== undefined) {
    error('api_keys', 'api_key and api_keys are both set', 'put every key in api_keys and remove api_key');
    return undefined;
  }
  const keys = pool.filter((k): k is string => typeof k === 'string' && k.trim() !== '');
  if (keys.length === 0) {
    error('api_keys', 'api_keys lists no key (empty, or every variable in it is unset)', "list at least one key, or remove api_keys to pass the client's own key through");
    return undefined;
  }
  if (new Set(keys).size !== keys.length) {
    error('api_keys', 'api_keys lists the same key twice', 'list each key once');
    return undefined;
  }
  return keys;
}

/**
 * OpenAI itself speaks Chat Completions and Responses; an OpenAI-compatible server is only assumed to speak Chat
 * Completions (most do; few have Responses) unless it declares more. Anthropic and mock providers speak one API.
 */
function providerApis(
  type: ProviderType,
  wire: 'openai' | 'anthropic',
  declared: readonly ('chat' | 'responses')[] | undefined,
  baseUrl: string | undefined,
  error: (key: string | undefined, message: string, fix?: string) => void,
): ProviderConfig['apis'] | undefined {
  if (type !== 'openai' && type !== 'azure') {
    if (declared === undefined) return [wire === 'anthropic' ? 'messages' : 'chat'];
    error('apis', `only OpenAI-compatible providers choose their APIs; a ${type} provider speaks one`, 'remove apis');
    return undefined;
  }
  if (declared !== undefined) return [...new Set(declared)];
  return baseUrl?.replace(/\/+$/, '') === OFFICIAL_BASE_URLS.openai ? ['chat', 'responses'] : ['chat'];
}

function normalizeRoute(
  pattern: string,
  entry: ModelRouteEntry,
  builtin: boolean,
  checkProvider: (name: string, path: ConfigPath) => boolean,
  error: (path: ConfigPath, message: string, fix?: string) => void,
  warn: (path: ConfigPath, message: string, fix?: string) => void,
): ModelRoute | undefined {
  const base: ConfigPath = ['models', pattern];
  const spec = typeof entry === 'string' ? { provider: entry } : entry;
  const ok = checkProvider(spec.provider, typeof entry === 'string' ? base : [...base, 'provider']);
  let matcher: (model: string) => boolean;
  try {
    matcher = modelMatcher(pattern);
  } catch (err) {
    error(base, messageOf(err), CLOSE_CLASS);
    return undefined;
  }
  const fallbacks: FallbackTarget[] = [];
  const rawFallbacks = typeof entry === 'string' ? [] : (given(entry.fallbacks) ?? []);
  rawFallbacks.forEach((fb, index) => {
    const target: FallbackTarget =
      typeof fb === 'string' ? { provider: fb, model: undefined } : { provider: fb.provider, model: given(fb.model) };
    const path: ConfigPath = typeof fb === 'string' ? [...base, 'fallbacks', index] : [...base, 'fallbacks', index, 'provider'];
    if (!checkProvider(target.provider, path)) return;
    if (target.provider === spec.provider && target.model === undefined) {
      warn([...base, 'fallbacks', index], 'falls back to the same provider and model', 'name a different provider or model');
    }
    fallbacks.push(target);
  });
  if (!ok) return undefined;
  return {
    pattern,
    kind: isGlob(pattern) ? 'glob' : 'exact',
    matcher,
    provider: spec.provider,
    model: typeof entry === 'string' ? undefined : given(entry.model),
    fallbacks,
    maxTokens: typeof entry === 'string' ? undefined : given(entry.max_tokens),
    builtin,
  };
}

/**
 * A `routing:` section (gateway-wide or an agent's) as rules, each target checked to route somewhere: a rule that
 * sent requests to an unroutable model would turn every request it matches into a 404.
 */
function normalizeRouting(
  entry: RoutingEntry | undefined,
  base: ConfigPath,
  routes: (model: string) => boolean,
  error: (path: ConfigPath, message: string, fix?: string) => void,
): RoutingRules {
  const rules: RoutingRules = {};
  if (entry === undefined) return rules;
  const target = (key: string, model: string | undefined): string | undefined => {
    if (model !== undefined && !routes(model)) {
      error([...base, key], `routing ${key} goes to model "${model}", which no route serves`, 'add a models entry for it, write it as <provider>/<model>, or name a routed model');
    }
    return model;
  };
  const background = given(entry.background);
  if (background !== undefined) {
    const model = target('background', typeof background === 'string' ? background : background.model)!;
    const match = (typeof background === 'string' ? undefined : given(background.match)) ?? DEFAULTS.backgroundMatch;
    const matchers: ((model: string) => boolean)[] = [];
    match.forEach((pattern, index) => {
      try {
        matchers.push(modelMatcher(pattern));
      } catch (err) {
        error([...base, 'background', 'match', index], messageOf(err), 'close the [ ] character class');
      }
    });
    rules.background = { model, match, matches: anyMatcher(matchers) };
  }
  const longContext = given(entry.long_context);
  if (longContext !== undefined) {
    const model = target('long_context', typeof longContext === 'string' ? longContext : longContext.model)!;
    const threshold = typeof longContext === 'string' ? undefined : given(longContext.threshold_tokens);
    rules.longContext = { model, thresholdTokens: threshold ?? DEFAULTS.longContextTokens };
  }
  const thinking = target('thinking', given(entry.thinking));
  const webSearch = target('web_search', given(entry.web_search));
  const vision = target('vision', given(entry.vision));
  if (thinking !== undefined) rules.thinking = thinking;
  if (webSearch !== undefined) rules.webSearch = webSearch;
  if (vision !== undefined) rules.vision = vision;
  return rules;
}

function normalizeRateLimit(entry: RateLimitEntry): RateLimitConfig {
  if (typeof entry === 'string') {
    const parsed = parseRateLimit(entry);
    if (parsed === undefined) throw new Error('unvalidated rate limit reached the normaliser');
    return { requests: parsed.count, perMs: parsed.perMs, burst: parsed.count, tokensPerMinute: undefined };
  }
  const requests = given(entry.requests);
  const per = parseRatePeriod(given(entry.per) ?? DEFAULTS.ratePer) ?? 60_000;
  return { requests, perMs: per, burst: given(entry.burst) ?? requests, tokensPerMinute: given(entry.tpm) };
}

function normalizeBreaker(
  entry: CircuitBreakerEntry,
  path: ConfigPath,
  error: (path: ConfigPath, message: string, fix?: string) => void,
): CircuitBreakerConfig | undefined {
  if (given(entry.enabled) === false) return undefined;
  const threshold = given(entry.error_threshold) ?? DEFAULTS.breaker.errorThreshold;
  if (threshold >= 1 && !Number.isInteger(threshold)) {
    error([...path, 'error_threshold'], 'error_threshold must be a whole number of errors or a rate below 1', 'e.g. 5 (errors) or 0.5 (50%)');
  }
  return {
    trip:
      threshold < 1
        ? { kind: 'rate', rate: threshold, minRequests: given(entry.min_requests) ?? DEFAULTS.breaker.minRequests }
        : { kind: 'count', errors: threshold },
    windowMs: ms(entry.window, DEFAULTS.breaker.window, 'milliseconds'),
    resetTimeoutMs: ms(entry.reset_timeout, DEFAULTS.breaker.resetTimeout, 'milliseconds'),
    halfOpenRequests: given(entry.half_open_requests) ?? DEFAULTS.breaker.halfOpenRequests,
  };
}

function normalizeAgent(
  id: string,
  entry: AgentEntry,
  checkProvider: (name: string, path: ConfigPath) => boolean,
  error: (path: ConfigPath, message: string, fix?: string) => void,
  warn: (path: ConfigPath, message: string, fix?: string) => void,
): AgentConfig {
  const base: ConfigPath = ['agents', id];
  const provider = given(entry.provider);
  if (provider !== undefined) checkProvider(provider, [...base, 'provider']);
  const keys = [...(given(entry.keys) ?? []), given(entry.api_key)].filter(
    (k): k is string => typeof k === 'string' && k.trim() !== '',
  );
  const rateLimit = entry.rate_limit == null ? undefined : normalizeRateLimit(entry.rate_limit);
  if (rateLimit !== undefined && rateLimit.requests === undefined && typeof entry.rate_limit === 'object' && entry.rate_limit?.burst != null) {
    warn([...base, 'rate_limit', 'burst'], 'burst has no effect without requests', 'add requests, e.g. requests: 100');
  }
  const budget = given(entry.budget);
  return {
    id,
    model: given(entry.model),
    provider,
    keys: [...new Set(keys)],
    budget: {
      maxCostPerHour: given(budget?.max_cost_per_hour),
      maxCostPerDay: given(budget?.max_cost_per_day),
      maxCostTotal: given(budget?.max_cost_total),
    },
    rateLimit,
    circuitBreaker: entry.circuit_breaker == null ? undefined : normalizeBreaker(entry.circuit_breaker, [...base, 'circuit_breaker'], error),
    tags: given(entry.tags) ?? [],
    strictTranslation: given(entry.strict_translation),
    routing: {},
  };
}
