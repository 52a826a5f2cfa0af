/** Public API of the configuration layer. */
export type {
  AgentConfig,
  BreakerTrip,
  BudgetConfig,
  CircuitBreakerConfig,
  DefaultMaxTokens,
  FallbackTarget,
  GatewayConfig,
  GatewaySettings,
  MetricsSettings,
  ModelNumberRule,
  ModelRoute,
  PolicyAction,
  PolicyConfig,
  PriceOverride,
  ProviderConfig,
  ProviderType,
  RateLimitConfig,
  StorageSettings,
} from './types.js';
export type { ConfigPath, ConfigProblem } from './problems.js';
export { ConfigError, formatPath, formatProblem, isConfigError } from './problems.js';
export type { Env } from './interpolate.js';
export type { GatewayFile } from './schema.js';
export { gatewayFileSchema, POLICY_ACTIONS, PROVIDER_TYPES } from './schema.js';
export type { ConfigResult, ValidateOptions } from './validate.js';
export type { PolicyConditionCheck } from './normalize.js';
export { validateConfig } from './validate.js';
export type { ConfigSource, LoadedConfig, LoadResult, ParseOptions, ReadOptions } from './load.js';
export { configFromObject, DEFAULT_CONFIG_FILE, loadConfig, parseConfigText, readConfig, resolveConfigPath } from './load.js';
export { DEFAULTS, EMBEDDED_CONFIG_YAML, EMBEDDED_SOURCE } from './defaults.js';
export type { AgentRouting, ResolvedModel, RouteTarget } from './resolve-model.js';
export { closeMatches, findRoute, maxTokensFor, resolveModel } from './resolve-model.js';
export type { ConfigWatcher, WatchOptions } from './watch.js';
export { watchConfig } from './watch.js';
export { CONFIG_SCHEMA_FILE, configJsonSchema } from './json-schema.js';
export { renderInitConfig } from './init-template.js';
export { parseDuration, parseRateLimit, parseSize } from './units.js';
