/**
 * A load result that can cross a thread boundary, in pieces. Structured clone carries the Maps and plain data of a
 * config but not functions, so the precompiled model matchers are left behind and compiled again on arrival (from
 * patterns the loader already validated). A large config is split so that no piece is much work to copy in: the
 * result without its agents and routes, then those in slices of at most `size` entries.
 */
import { modelMatcher } from './glob.js';
import type { LoadResult } from './load.js';
import type { AgentConfig, GatewayConfig, GatewaySettings, ModelNumberRule, ModelRoute } from './types.js';

type Portable<T> = Omit<T, 'matcher'>;

interface PortableConfig extends Omit<GatewayConfig, 'gateway' | 'models' | 'agents'> {
  gateway: Omit<GatewaySettings, 'defaultMaxTokens'> & { defaultMaxTokens: { rules: Portable<ModelNumberRule>[]; fallback: number } };
}

interface PortableHead extends Omit<LoadResult, 'config'> {
  config: PortableConfig | undefined;
}

/** One piece of a load result, as it crosses the boundary (plain data only). */
export type PortablePiece =
  | { kind: 'head'; result: PortableHead }
  | { kind: 'agents'; agents: [string, AgentConfig][] }
  | { kind: 'models'; models: Portable<ModelRoute>[] };

/** A piece as it is once received: its routes can match again. */
export type ReceivedPiece = Exclude<PortablePiece, { kind: 'models' }> | { kind: 'models'; models: ModelRoute[] };

const withoutMatcher = <T extends { matcher: unknown }>({ matcher: _matcher, ...rest }: T): Omit<T, 'matcher'> => rest;

function slices<T>(items: readonly T[], size: number): T[][] {
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
  const head: PortableHead = { ...result, config: { ...rest, gateway: { ...c.gateway, defaultMaxTokens: { rules: dmt.rules.map(withoutMatcher), fallback: dmt.fallback } } } };
  return [
    { kind: 'head', result: head },
    ...slices([...agents], size).map((slice): PortablePiece => ({ kind: 'agents', agents: slice })),
    ...slices(models.map(withoutMatcher), size).map((slice): PortablePiece => ({ kind: 'models', models: slice })),
  ];
}

/** A piece as received: the routes in it are compiled again, so each piece's share of that work is done on arrival. */
export function receivePiece(piece: PortablePiece): ReceivedPiece {
  return piece.kind === 'models' ? { kind: 'models', models: piece.models.map((r) => ({ ...r, matcher: modelMatcher(r.pattern) })) } : piece;
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
  const dmt = c.gateway.defaultMaxTokens;
  const rules = dmt.rules.map((r) => ({ ...r, matcher: modelMatcher(r.pattern) }));
  return { ...first.result, config: { ...c, gateway: { ...c.gateway, defaultMaxTokens: { rules, fallback: dmt.fallback } }, models, agents } };
}
