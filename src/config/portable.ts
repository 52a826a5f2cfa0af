/**
 * A load result that can cross a thread boundary, in pieces. Structured clone carries the Maps and plain data of a
 * config but not functions, so the precompiled model matchers (the routes', the default max tokens' and the
 * background routing rule's, gateway-wide and per agent) are left behind and compiled again on arrival, from
 * patterns the loader already validated. A large config is split so that no piece is much work to copy in: the
 * result without its agents and routes, then those in slices of at most `size` entries.
 */
import { anyMatcher, modelMatcher } from './glob.js';
import type { LoadResult } from './load.js';
import type { AgentConfig, GatewayConfig, GatewaySettings, ModelNumberRule, ModelRoute, RoutingRules } from './types.js';

type Portable<T> = Omit<T, 'matcher'>;

interface PortableRouting extends Omit<RoutingRules, 'background'> {
  background?: Omit<NonNullable<RoutingRules['background']>, 'matches'>;
}

interface PortableAgent extends Omit<AgentConfig, 'routing'> {
  routing: PortableRouting;
}

interface PortableConfig extends Omit<GatewayConfig, 'gateway' | 'models' | 'agents' | 'routing'> {
  gateway: Omit<GatewaySettings, 'defaultMaxTokens'> & { defaultMaxTokens: { rules: Portable<ModelNumberRule>[]; fallback: number } };
  routing: PortableRouting;
}

interface PortableHead extends Omit<LoadResult, 'config'> {
  config: PortableConfig | undefined;
}

/** One piece of a load result, as it crosses the boundary (plain data only). */
export type PortablePiece =
  | { kind: 'head'; result: PortableHead }
  | { kind: 'agents'; agents: [string, PortableAgent][] }
  | { kind: 'models'; models: Portable<ModelRoute>[] };

interface ReceivedHead extends Omit<LoadResult, 'config'> {
  config: Omit<GatewayConfig, 'models' | 'agents'> | undefined;
}

/** A piece as it is once received: its matchers are compiled again. */
export type ReceivedPiece =
  | { kind: 'head'; result: ReceivedHead }
  | { kind: 'agents'; agents: [string, AgentConfig][] }
  | { kind: 'models'; models: ModelRoute[] };

const withoutMatcher = <T extends { matcher: unknown }>({ matcher: _matcher, ...rest }: T): Omit<T, 'matcher'> => rest;

function portableRouting(r: RoutingRules): PortableRouting {
  return r.background === undefined ? r : { ...r, background: { model: r.background.model, match: r.background.match } };
}

function receivedRouting({ background, ...rules }: PortableRouting): RoutingRules {
  return background === undefined ? rules : { ...rules, background: { ...background, matches: anyMatcher(background.match.map(modelMatcher)) } };
}

function slices<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new Error(`a piece must hold at least one entry, not ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The pieces of `result`, the head first; agents and routes in slices of at most `size`. */
export function toPieces(result: LoadResult, size: number): PortablePiece[] {
  const c = result.config;
  if (c === undefined) return [{ kind: 'head', result: { ...result, config: undefined } }];
  const { agents, models, ...rest } = c;
  const dmt = c.gateway.defaultMaxTokens;
  const gateway = { ...c.gateway, defaultMaxTokens: { rules: dmt.rules.map(withoutMatcher), fallback: dmt.fallback } };
  const head: PortableHead = { ...result, config: { ...rest, gateway, routing: portableRouting(c.routing) } };
  const portableAgents = [...agents].map(([id, a]): [string, PortableAgent] => [id, { ...a, routing: portableRouting(a.routing) }]);
  return [
    { kind: 'head', result: head },
    ...slices(portableAgents, size).map((slice): PortablePiece => ({ kind: 'agents', agents: slice })),
    ...slices(models.map(withoutMatcher), size).map((slice): PortablePiece => ({ kind: 'models', models: slice })),
  ];
}

/** A piece as received: the matchers in it are compiled again, so each piece's share of that work is done on arrival. */
export function receivePiece(piece: PortablePiece): ReceivedPiece {
  switch (piece.kind) {
    case 'head':
      return { kind: 'head', result: receivedHead(piece.result) };
    case 'agents':
      return { kind: 'agents', agents: piece.agents.map(([id, a]) => [id, { ...a, routing: receivedRouting(a.routing) }]) };
    case 'models':
      return { kind: 'models', models: piece.models.map((r) => ({ ...r, matcher: modelMatcher(r.pattern) })) };
  }
}

function receivedHead(head: PortableHead): ReceivedHead {
  const c = head.config;
  if (c === undefined) return { ...head, config: undefined };
  const dmt = c.gateway.defaultMaxTokens;
  const rules = dmt.rules.map((r) => ({ ...r, matcher: modelMatcher(r.pattern) }));
  return { ...head, config: { ...c, gateway: { ...c.gateway, defaultMaxTokens: { rules, fallback: dmt.fallback } }, routing: receivedRouting(c.routing) } };
}

/** The load result the pieces came from; throws when the head is not the first piece. */
export function joinPieces(pieces: readonly ReceivedPiece[]): LoadResult {
  const [first, ...rest] = pieces;
  if (first?.kind !== 'head') throw new Error('a load result arrived without its head piece');
  const c = first.result.config;
  if (c === undefined) return { ...first.result, config: undefined };
  const agents = new Map<string, AgentConfig>();
  const models: ModelRoute[] = [];
  for (const p of rest) {
    if (p.kind === 'agents') for (const [id, a] of p.agents) agents.set(id, a);
    else if (p.kind === 'models') models.push(...p.models);
  }
  return { ...first.result, config: { ...c, models, agents } };
}
