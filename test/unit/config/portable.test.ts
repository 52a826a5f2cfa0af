import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { maxTokensFor, parseConfigText, resolveModel } from '../../../src/config/index.js';
import { joinPieces, receivePiece, toPieces, type PortablePiece } from '../../../src/config/portable.js';
import type { LoadResult } from '../../../src/config/load.js';

/** Across the boundary as the loader sends it: each piece serialized on its own (functions throw), `size` entries a piece. */
const across = (result: LoadResult, size: number): LoadResult =>
  joinPieces(toPieces(result, size).map((p) => receivePiece(deserialize(serialize(p)) as PortablePiece)));

const YAML = [
  'gateway:',
  '  default_max_tokens: { "claude-opus-*": 32000, "*": 1024 }',
  'providers:',
  '  fo: { type: openai, base_url: "http://127.0.0.1:9/v1" }',
  'models:',
  '  fast: { provider: fo, model: gpt-4o-mini }',
  '  "gpt-*": fo',
  '  "claude-haiku-*": fo',
  'routing:',
  '  background: fast',
  'agents:',
  '  bot: { keys: [bot-key-12345678], budget: { max_cost_per_day: 5 } }',
  '  coder: { keys: [coder-key-12345678], routing: { background: { model: fast, match: ["*-mini"] } } }',
].join('\n');

describe('a load result across a thread boundary', () => {
  const loaded: LoadResult = { ...parseConfigText(YAML, { env: {}, embeddedDefaults: false }), source: { kind: 'file', path: '/etc/gateway.yaml' } };

  it('cannot be cloned as it is (its model matchers are functions)', () => {
    expect(() => structuredClone(loaded)).toThrow();
  });

  it('survives structured clone without them, and routes the same once they are compiled again', () => {
    const copy = across(loaded, 256);
    const config = copy.config!;
    expect(resolveModel(config, 'fast', undefined)).toMatchObject({ provider: 'fo', upstreamModel: 'gpt-4o-mini' });
    expect(resolveModel(config, 'gpt-5', undefined)).toMatchObject({ provider: 'fo', upstreamModel: 'gpt-5' });
    expect(resolveModel(config, 'claude-x', undefined)).toBeUndefined();
    expect(maxTokensFor(config, 'claude-opus-4', 'claude-opus-4')).toBe(32000);
    expect(maxTokensFor(config, 'other', 'other')).toBe(1024);
    expect(config.agents.get('bot')?.budget.maxCostPerDay).toBe(5);
    // The background rule's globs, gateway-wide (default *haiku*) and an agent's own, match again.
    expect(config.routing.background).toMatchObject({ model: 'fast', match: ['*haiku*'] });
    expect(config.routing.background?.matches('claude-haiku-4-5')).toBe(true);
    expect(config.routing.background?.matches('gpt-5')).toBe(false);
    expect(config.agents.get('coder')?.routing.background?.matches('gpt-4o-mini')).toBe(true);
    expect(config.agents.get('coder')?.routing.background?.matches('claude-haiku-4-5')).toBe(false);
    expect(copy.source).toEqual({ kind: 'file', path: '/etc/gateway.yaml' });
  });

  it('splits agents and routes into pieces of the given size and joins them in file order', () => {
    const big: LoadResult = {
      ...parseConfigText(
        ['providers:', '  fo: { type: openai, base_url: "http://127.0.0.1:9/v1" }', 'models:', ...Array.from({ length: 5 }, (_, i) => `  "m${i}-*": fo`), 'agents:', ...Array.from({ length: 7 }, (_, i) => `  a${i}: { keys: [a${i}-key-12345678] }`)].join('\n'),
        { env: {}, embeddedDefaults: false },
      ),
      source: { kind: 'embedded' },
    };
    const pieces = toPieces(big, 2);
    expect(pieces.map((p) => p.kind)).toEqual(['head', 'agents', 'agents', 'agents', 'agents', 'models', 'models', 'models']);
    const config = across(big, 2).config!;
    expect([...config.agents.keys()]).toEqual([...big.config!.agents.keys()]);
    expect(config.models.map((m) => m.pattern)).toEqual(big.config!.models.map((m) => m.pattern));
    expect(resolveModel(config, 'm4-x', undefined)).toMatchObject({ provider: 'fo', upstreamModel: 'm4-x' });
  });

  it('refuses pieces that do not start with the head', () => {
    const [head, ...rest] = toPieces(loaded, 1);
    expect(() => joinPieces([...rest, head!].map(receivePiece))).toThrow(/head/);
  });

  it('passes a failed load through with its errors', () => {
    const failed: LoadResult = { ...parseConfigText('gateway:\n  port: nine\n', { env: {} }), source: { kind: 'embedded' } };
    const copy = across(failed, 256);
    expect(copy.config).toBeUndefined();
    expect(copy.errors[0]).toMatchObject({ path: 'gateway.port', line: 2 });
  });
});
