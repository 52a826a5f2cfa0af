/**
 * Routing decisions over a normalised config: which provider and upstream model serve a requested model name.
 * Pure and allocation-light; matchers were compiled by the normaliser.
 */
import { closest, isNear } from './edit-distance.js';
import { globPrefix } from './glob.js';
import type { AgentConfig, GatewayConfig, ModelRoute } from './types.js';

export interface RouteTarget {
  provider: string;
  upstreamModel: string;
}

export interface ResolvedModel extends RouteTarget {
  /** Tried in order when the primary fails before the response starts or its breaker is open. */
  fallbacks: RouteTarget[];
  /** The routing entry that matched, as written (`claude-*`, `fast`); undefined for provider prefixes and agent overrides. */
  pattern: string | undefined;
  /** The model name the routing looked up (the request's, or the agent's default). */
  requestedModel: string;
}

export type AgentRouting = Pick<AgentConfig, 'model' | 'provider'>;

/**
 * Resolution order:
 * 1. no model in the request → the agent's `model`;
 * 2. the first entry of `models` (file order, then embedded defaults) whose exact name or glob matches;
 * 3. otherwise `<provider>/<model>` when `<provider>` is a configured provider;
 * and the agent's `provider`, when set, replaces the provider of whatever matched (or routes an unmatched name).
 * Returns undefined when nothing routes the name (the server answers 404 with closeMatches()).
 */
export function resolveModel(
  config: GatewayConfig,
  requestedModel: string | undefined,
  agent?: AgentRouting,
): ResolvedModel | undefined {
  const requested = requestedModel !== undefined && requestedModel !== '' ? requestedModel : agent?.model;
  if (requested === undefined || requested === '') return undefined;

  const route = findRoute(config.models, requested);
  const forced = agent?.provider;
  if (route !== undefined) {
    const upstreamModel = route.model ?? requested;
    const provider = forced ?? route.provider;
    const fallbacks = route.fallbacks
      .map((fb) => ({ provider: fb.provider, upstreamModel: fb.model ?? upstreamModel }))
      .filter((fb) => !(fb.provider === provider && fb.upstreamModel === upstreamModel));
    return { provider, upstreamModel, fallbacks, pattern: route.pattern, requestedModel: requested };
  }

  const slash = requested.indexOf('/');
  if (slash > 0 && forced === undefined) {
    const provider = requested.slice(0, slash);
    const rest = requested.slice(slash + 1);
    if (config.providers.has(provider) && rest !== '') {
      return { provider, upstreamModel: rest, fallbacks: [], pattern: undefined, requestedModel: requested };
    }
  }
  if (forced !== undefined) {
    return { provider: forced, upstreamModel: requested, fallbacks: [], pattern: undefined, requestedModel: requested };
  }
  return undefined;
}

/**
 * A routing table indexed for lookup, built once per table: each exact name's first position, and the globs in
 * order with their literal prefix, which a name must start with before the glob's RegExp is worth running. A
 * fleet's table of a thousand routes made a linear walk cost about 100 µs per request for a name near its end.
 */
interface RouteIndex {
  exact: Map<string, number>;
  globs: { at: number; prefix: string; route: ModelRoute }[];
}

const indexes = new WeakMap<readonly ModelRoute[], RouteIndex>();

function routeIndex(routes: readonly ModelRoute[]): RouteIndex {
  let index = indexes.get(routes);
  if (index !== undefined) return index;
  index = { exact: new Map(), globs: [] };
  for (let at = 0; at < routes.length; at++) {
    const route = routes[at]!;
    if (route.kind === 'glob') index.globs.push({ at, prefix: globPrefix(route.pattern), route });
    else if (!index.exact.has(route.pattern)) index.exact.set(route.pattern, at);
  }
  indexes.set(routes, index);
  return index;
}

/** The first route in table order whose exact name or glob matches `model`. */
export function findRoute(routes: readonly ModelRoute[], model: string): ModelRoute | undefined {
  const { exact, globs } = routeIndex(routes);
  const named = exact.get(model);
  for (const g of globs) {
    if (named !== undefined && g.at > named) break;
    if (model.startsWith(g.prefix) && g.route.matcher(model)) return g.route;
  }
  return named === undefined ? undefined : routes[named];
}

/**
 * Known names close to `model`, for 404 hints: exact route names and aliases, glob patterns (compared by their
 * literal prefix, so "cluade-3" suggests "claude-*"), priced model names and agents' default models.
 */
export function closeMatches(config: GatewayConfig, model: string, limit = 5): string[] {
  const names = new Set<string>();
  for (const route of config.models) if (route.kind === 'exact') names.add(route.pattern);
  for (const name of config.prices.keys()) names.add(name);
  for (const agent of config.agents.values()) if (agent.model !== undefined) names.add(agent.model);
  const scored = new Map<string, number>();
  for (const name of closest(model, names, limit)) scored.set(name, scored.size);

  const globMatches: string[] = [];
  for (const { prefix, route } of routeIndex(config.models).globs) {
    if (prefix.length >= 2 && isNear(model.slice(0, prefix.length), prefix)) globMatches.push(route.pattern);
  }
  return [...new Set([...scored.keys(), ...globMatches])].slice(0, limit);
}

/**
 * max_tokens to send when the target format requires one and the request names none: the route's own
 * `max_tokens`, else the first matching `gateway.default_max_tokens` rule, else its fallback number.
 */
export function maxTokensFor(config: GatewayConfig, upstreamModel: string, requestedModel?: string): number {
  const route = findRoute(config.models, requestedModel ?? upstreamModel);
  if (route?.maxTokens !== undefined) return route.maxTokens;
  const { rules, fallback } = config.gateway.defaultMaxTokens;
  for (const rule of rules) if (rule.matcher(upstreamModel)) return rule.value;
  return fallback;
}
