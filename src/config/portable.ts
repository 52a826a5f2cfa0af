/**
 * A load result that can cross a thread boundary. Structured clone carries the Maps and plain data of a config but
 * not functions, so the precompiled model matchers are left behind and compiled again on arrival (from patterns
 * the loader already validated).
 */
import { modelMatcher } from './glob.js';
import type { LoadResult } from './load.js';
import type { GatewayConfig, GatewaySettings, ModelNumberRule, ModelRoute } from './types.js';

type Portable<T> = Omit<T, 'matcher'>;

export interface PortableConfig extends Omit<GatewayConfig, 'gateway' | 'models'> {
  gateway: Omit<GatewaySettings, 'defaultMaxTokens'> & { defaultMaxTokens: { rules: Portable<ModelNumberRule>[]; fallback: number } };
  models: Portable<ModelRoute>[];
}

export interface PortableLoadResult extends Omit<LoadResult, 'config'> {
  config: PortableConfig | undefined;
}

const withoutMatcher = <T extends { matcher: unknown }>({ matcher: _matcher, ...rest }: T): Omit<T, 'matcher'> => rest;

export function toPortable(result: LoadResult): PortableLoadResult {
  const c = result.config;
  if (c === undefined) return { ...result, config: undefined };
  const dmt = c.gateway.defaultMaxTokens;
  return {
    ...result,
    config: { ...c, gateway: { ...c.gateway, defaultMaxTokens: { rules: dmt.rules.map(withoutMatcher), fallback: dmt.fallback } }, models: c.models.map(withoutMatcher) },
  };
}

export function fromPortable(result: PortableLoadResult): LoadResult {
  const c = result.config;
  if (c === undefined) return { ...result, config: undefined };
  const dmt = c.gateway.defaultMaxTokens;
  const rules = dmt.rules.map((r) => ({ ...r, matcher: modelMatcher(r.pattern) }));
  const models = c.models.map((r) => ({ ...r, matcher: modelMatcher(r.pattern) }));
  return { ...result, config: { ...c, gateway: { ...c.gateway, defaultMaxTokens: { rules, fallback: dmt.fallback } }, models } };
}
