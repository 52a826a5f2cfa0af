import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closeMatches, configFromObject, findRoute, maxTokensFor, resolveModel } from '../../../src/config/index.js';
import { isGlob, modelMatcher } from '../../../src/config/glob.js';
import type { ModelRoute } from '../../../src/config/types.js';

const config = configFromObject({
  gateway: { default_max_tokens: { 'claude-opus-*': 32000, 'gpt-4o*': 16384 } },
  providers: {
    ollama: { type: 'openai', base_url: 'http://127.0.0.1:11434/v1' },
    backup: { type: 'anthropic', base_url: 'http://backup.local' },
  },
  models: {
    fast: { provider: 'anthropic', model: 'claude-haiku-4-5', max_tokens: 2048 },
    'gpt-4o-mini': { provider: 'ollama', model: 'llama3.1:8b' },
    'gpt-*': { provider: 'openai', fallbacks: ['ollama', { provider: 'backup', model: 'claude-sonnet-4-5' }, 'openai'] },
    'claude-*': { provider: 'anthropic', fallbacks: ['backup'] },
    'llama*': 'ollama',
  },
  prices: { 'my-finetune': { input: 1, output: 2 } },
  agents: {
    researcher: { model: 'fast' },
    pinned: { model: 'claude-sonnet-4-5', provider: 'backup' },
  },
});

describe('resolveModel', () => {
  it('routes an exact name before a later glob (file order, first match wins)', () => {
    expect(resolveModel(config, 'gpt-4o-mini')).toEqual({
      provider: 'ollama',
      upstreamModel: 'llama3.1:8b',
      fallbacks: [],
      pattern: 'gpt-4o-mini',
      requestedModel: 'gpt-4o-mini',
    });
  });

  it('routes globs and keeps the requested name upstream', () => {
    const r = resolveModel(config, 'claude-opus-4-1');
    expect(r).toMatchObject({ provider: 'anthropic', upstreamModel: 'claude-opus-4-1', pattern: 'claude-*' });
    expect(r?.fallbacks).toEqual([{ provider: 'backup', upstreamModel: 'claude-opus-4-1' }]);
  });

  it('resolves aliases to their upstream model', () => {
    expect(resolveModel(config, 'fast')).toMatchObject({ provider: 'anthropic', upstreamModel: 'claude-haiku-4-5', pattern: 'fast' });
  });

  it('lists fallbacks in order, with model overrides, dropping one identical to the primary', () => {
    expect(resolveModel(config, 'gpt-5')?.fallbacks).toEqual([
      { provider: 'ollama', upstreamModel: 'gpt-5' },
      { provider: 'backup', upstreamModel: 'claude-sonnet-4-5' },
    ]);
  });

  it('falls through to embedded default routes after the file’s own', () => {
    expect(resolveModel(config, 'o3-mini')).toMatchObject({ provider: 'openai', pattern: 'o[0-9]*' });
    expect(resolveModel(config, 'text-embedding-3-small')).toMatchObject({ provider: 'openai' });
  });

  it('uses the agent’s model when the request names none', () => {
    const agent = config.agents.get('researcher');
    expect(resolveModel(config, undefined, agent)).toMatchObject({ upstreamModel: 'claude-haiku-4-5', requestedModel: 'fast' });
    expect(resolveModel(config, '', agent)).toMatchObject({ upstreamModel: 'claude-haiku-4-5' });
    expect(resolveModel(config, 'gpt-5', agent)).toMatchObject({ provider: 'openai', upstreamModel: 'gpt-5' });
    expect(resolveModel(config, undefined)).toBeUndefined();
  });

  it('lets an agent force its provider, even for unrouted names', () => {
    const pinned = config.agents.get('pinned');
    expect(resolveModel(config, undefined, pinned)).toMatchObject({
      provider: 'backup',
      upstreamModel: 'claude-sonnet-4-5',
      fallbacks: [],
    });
    expect(resolveModel(config, 'some-custom-model', pinned)).toMatchObject({ provider: 'backup', upstreamModel: 'some-custom-model' });
  });

  it('routes "<provider>/<model>" when no entry matches', () => {
    expect(resolveModel(config, 'ollama/qwen2.5-coder:7b')).toMatchObject({ provider: 'ollama', upstreamModel: 'qwen2.5-coder:7b' });
    expect(resolveModel(config, 'unknown/qwen')).toBeUndefined();
    expect(resolveModel(config, 'ollama/')).toBeUndefined();
  });

  it('returns undefined for names nothing routes', () => {
    expect(resolveModel(config, 'gemini-2.5-pro')).toBeUndefined();
    expect(resolveModel(config, 'GPT-4o')).toBeUndefined();
  });

  it('seed configs route every agent through its provider', () => {
    const seed = configFromObject({ agents: { a: { model: 'gpt-4o', provider: 'openai' } } });
    expect(resolveModel(seed, undefined, seed.agents.get('a'))).toMatchObject({ provider: 'openai', upstreamModel: 'gpt-4o' });
  });
});

describe('closeMatches', () => {
  it('suggests exact names, aliases, priced models and glob families', () => {
    expect(closeMatches(config, 'fats')).toContain('fast');
    expect(closeMatches(config, 'my-finetun')).toContain('my-finetune');
    expect(closeMatches(config, 'cluade-sonnet-4')).toContain('claude-*');
    expect(closeMatches(config, 'gtp-4o')).toContain('gpt-*');
    expect(closeMatches(config, 'gpt-4o-mnii')).toContain('gpt-4o-mini');
  });

  it('returns nothing for names far from everything', () => {
    expect(closeMatches(config, 'zzzzzzzzzzzz')).toEqual([]);
  });

  it('respects the limit', () => {
    expect(closeMatches(config, 'gpt-4o-mnii', 1)).toHaveLength(1);
  });
});

describe('maxTokensFor', () => {
  it('prefers the route’s max_tokens, then default_max_tokens rules, then the fallback', () => {
    expect(maxTokensFor(config, 'claude-haiku-4-5', 'fast')).toBe(2048);
    expect(maxTokensFor(config, 'claude-opus-4-1')).toBe(32000);
    expect(maxTokensFor(config, 'gpt-4o-2024-08-06')).toBe(16384);
    expect(maxTokensFor(config, 'claude-sonnet-4-5')).toBe(8192);
    expect(maxTokensFor(configFromObject({ gateway: { default_max_tokens: 4000 } }), 'x')).toBe(4000);
  });
});

describe('route matchers', () => {
  it('are compiled once and reused', () => {
    const route = config.models.find((m) => m.pattern === 'gpt-*');
    expect(route?.kind).toBe('glob');
    expect(route?.matcher('gpt-5')).toBe(true);
    expect(route?.matcher('xgpt-5')).toBe(false);
    expect(config.models.find((m) => m.pattern === 'fast')?.kind).toBe('exact');
  });
});

describe('findRoute', () => {
  const route = (pattern: string): ModelRoute => ({
    pattern,
    kind: isGlob(pattern) ? 'glob' : 'exact',
    matcher: modelMatcher(pattern),
    provider: 'p',
    model: undefined,
    fallbacks: [],
    maxTokens: undefined,
    builtin: false,
  });
  const firstMatch = (routes: readonly ModelRoute[], model: string) => routes.find((r) => r.matcher(model));

  it('finds the route a walk in table order finds, for any table of names and globs', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '-'), maxLength: 4 });
    const pattern = fc.oneof(text, fc.tuple(text, fc.constantFrom('*', '?', '[ab]'), text).map((parts) => parts.join('')));
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 12 }), fc.array(text, { minLength: 1, maxLength: 6 }), (patterns, models) => {
        const routes = patterns.map(route);
        for (const model of models) expect(findRoute(routes, model)).toBe(firstMatch(routes, model));
      }),
      { numRuns: 500 },
    );
  });

  it('lets an earlier glob win over a later exact name, and the first of two equal names win', () => {
    const routes = ['gpt-4o', 'gpt-*', 'claude-x', 'claude-x', 'claude-*'].map(route);
    expect(findRoute(routes, 'gpt-4o')).toBe(routes[0]);
    expect(findRoute(routes, 'gpt-5')).toBe(routes[1]);
    expect(findRoute(routes, 'claude-x')).toBe(routes[2]);
    expect(findRoute(routes, 'claude-y')).toBe(routes[4]);
    expect(findRoute(['x-*', 'x-1'].map(route), 'x-1')?.pattern).toBe('x-*');
    expect(findRoute(routes, 'llama')).toBeUndefined();
  });
});
