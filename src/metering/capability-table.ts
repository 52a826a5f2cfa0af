/**
 * Capability lookup: the bundled registry, with a config `capabilities:` entry (exact name, then globs in the
 * order written) laid over it field by field. A model found nowhere is unknown (`undefined`): the gateway then
 * sends its requests as they are.
 */
import { findCapabilities, type ModelCapabilities } from './capability-source.js';
import { ModelPatternMap } from './model-glob.js';

export interface CapabilityTableOptions {
  /** The config's `capabilities:` map, keyed by exact model names or globs. */
  overrides?: Iterable<readonly [string, ModelCapabilities]> | undefined;
}

/** Distinct (provider, model) pairs seen are few; the bound only guards against clients inventing names. */
const MAX_CACHED = 2048;

export class CapabilityTable {
  private readonly overrides: ModelPatternMap<ModelCapabilities>;
  private readonly cache = new Map<string, { caps: ModelCapabilities | undefined }>();

  constructor(options: CapabilityTableOptions = {}) {
    this.overrides = new ModelPatternMap(options.overrides ?? []);
  }

  /** `provider`: the configured provider's name and type, tried in order to pick among registry providers. */
  lookup(model: string, provider: readonly string[] = []): ModelCapabilities | undefined {
    const key = `${provider.join('\u0001')}\u0000${model}`;
    let cached = this.cache.get(key);
    if (!cached) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      const found = findCapabilities(model, provider);
      const override = this.overrides.get(model);
      cached = { caps: override === undefined ? found : { ...found, ...override } };
      this.cache.set(key, cached);
    }
    return cached.caps;
  }
}
