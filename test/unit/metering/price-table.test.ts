import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/core/clock.js';
import { PRICE_TABLE_VERSION, PriceTable, picoPerToken } from '../../../src/metering/index.js';

const fixedClock = (iso: string): Clock => ({ now: () => Date.parse(iso), monotonic: () => 0 });
const mtok = (usd: number) => picoPerToken(usd);

describe('price table version', () => {
  it('names the installed @pydantic/genai-prices version', () => {
    // The package's exports map hides package.json, so locate it from its entry point.
    const entry = createRequire(import.meta.url).resolve('@pydantic/genai-prices');
    let dir = dirname(entry);
    while (!dir.endsWith('genai-prices')) dir = dirname(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    expect(PRICE_TABLE_VERSION).toBe(`genai-prices@${pkg.version}`);
  });
});

describe('PriceTable lookup from the bundled table', () => {
  const table = new PriceTable({ clock: fixedClock('2025-11-01T20:00:00Z') });

  it('prices claude-sonnet-4-5 with cache and long-context tiers', () => {
    const p = table.lookup('claude-sonnet-4-5', { provider: 'anthropic' });
    expect(p).toBeDefined();
    expect(p?.source).toBe('table');
    expect(p?.provider).toBe('anthropic');
    expect(p?.version).toBe(PRICE_TABLE_VERSION);
    expect(p?.base).toEqual({
      input: mtok(3),
      cacheRead: mtok(0.3),
      cacheWrite5m: mtok(3.75),
      cacheWrite1h: mtok(6),
      output: mtok(15),
      reasoning: mtok(15),
    });
    expect(p?.tiers).toEqual([
      {
        aboveInputTokens: 200_000,
        rates: { input: mtok(6), cacheRead: mtok(0.6), cacheWrite5m: mtok(7.5), cacheWrite1h: mtok(12), output: mtok(22.5), reasoning: mtok(22.5) },
      },
    ]);
  });

  it('resolves dated model ids to the family entry', () => {
    expect(table.lookup('claude-sonnet-4-5-20250929', { provider: 'anthropic' })?.model).toBe('claude-sonnet-4-5');
  });

  it('prices gpt-4o-mini; no cache-write price means cache writes cost plain input', () => {
    const p = table.lookup('gpt-4o-mini', { provider: 'openai' });
    expect(p?.base).toEqual({
      input: 150_000,
      cacheRead: 75_000,
      cacheWrite5m: 150_000,
      cacheWrite1h: 150_000,
      output: 600_000,
      reasoning: 600_000,
    });
    expect(p?.tiers).toEqual([]);
  });

  it('falls back to model-name matching when the provider is unknown to the table', () => {
    const p = table.lookup('gpt-4o-mini', { provider: 'my-company-proxy' });
    expect(p?.provider).toBe('openai');
    expect(table.lookup('claude-haiku-4-5')?.provider).toBe('anthropic');
  });

  it('tries provider hints in order', () => {
    expect(table.lookup('claude-sonnet-4-5', { provider: ['work-anthropic', 'anthropic'] })?.provider).toBe('anthropic');
    expect(table.lookup('anthropic/claude-sonnet-4.5', { provider: ['nope', 'openrouter'] })?.provider).toBe('openrouter');
  });

  it('leaves unknown models unpriced (undefined, never zero)', () => {
    expect(table.lookup('llama3.1:8b', { provider: 'ollama' })).toBeUndefined();
    expect(table.lookup('definitely-not-a-model-xyz')).toBeUndefined();
    // Cached negative answers stay negative.
    expect(table.lookup('definitely-not-a-model-xyz')).toBeUndefined();
  });

  it('keeps a separate reasoning rate where the table has one', () => {
    const p = table.lookup('sonar-deep-research', { provider: 'perplexity' });
    expect(p?.base.output).toBe(mtok(8));
    expect(p?.base.reasoning).toBe(mtok(3));
  });

  it('evaluates time-of-day prices at the time asked, even from the cache', () => {
    const t = new PriceTable();
    const peak = t.lookup('deepseek-chat', { provider: 'deepseek', atMs: Date.parse('2025-11-01T10:00:00Z') });
    const offPeak = t.lookup('deepseek-chat', { provider: 'deepseek', atMs: Date.parse('2025-11-01T20:00:00Z') });
    expect(peak?.base.input).toBe(mtok(0.27));
    expect(offPeak?.base.input).toBe(mtok(0.135));
  });

  it('evaluates start-date prices against the injected clock', () => {
    const before = new PriceTable({ clock: fixedClock('2025-06-01T00:00:00Z') }).lookup('o3', { provider: 'openai' });
    const after = new PriceTable({ clock: fixedClock('2025-07-01T00:00:00Z') }).lookup('o3', { provider: 'openai' });
    expect(before?.base.input).toBe(mtok(10));
    expect(after?.base.input).toBe(mtok(2));
  });
});

describe('PriceTable config overrides', () => {
  it('take precedence over the table', () => {
    const t = new PriceTable({ overrides: { 'gpt-4o-mini': { input: 1, output: 2 } } });
    const p = t.lookup('gpt-4o-mini', { provider: 'openai' });
    expect(p?.source).toBe('config');
    expect(p?.version).toBe('config');
    expect(p?.base.input).toBe(mtok(1));
    expect(p?.base.output).toBe(mtok(2));
    expect(t.hasOverride('gpt-4o-mini')).toBe(true);
  });

  it('price a local model at a deliberate zero', () => {
    const t = new PriceTable({ overrides: { 'llama3.1:8b': { input: 0, output: 0 } } });
    const p = t.lookup('llama3.1:8b', { provider: 'ollama' });
    expect(p).toBeDefined();
    expect(p?.base.input).toBe(0);
  });

  it('match globs case-insensitively, exact names before globs, globs in the order written', () => {
    const t = new PriceTable({
      overrides: {
        'claude-*': { input: 9, output: 9 },
        'claude-?aiku-4-5': { input: 8, output: 8 },
        'claude-sonnet-4-5': { input: 1, output: 5, cache_read: 0.1, cache_write: 1.25, cache_write_1h: 2 },
      },
    });
    expect(t.lookup('claude-sonnet-4-5')?.base).toEqual({
      input: mtok(1),
      cacheRead: mtok(0.1),
      cacheWrite5m: mtok(1.25),
      cacheWrite1h: mtok(2),
      output: mtok(5),
      reasoning: mtok(5),
    });
    expect(t.lookup('CLAUDE-Opus-4-1')?.base.input).toBe(mtok(9));
    expect(t.lookup('claude-haiku-4-5')?.base.input).toBe(mtok(9)); // first glob written wins
    expect(t.lookup('gpt-4o-mini')?.source).toBe('table');
  });

  it('fill missing cache prices from their parent price', () => {
    const t = new PriceTable({ overrides: { m: { input: 2, output: 4, cache_write: 3 } } });
    expect(t.lookup('m')?.base).toEqual({
      input: mtok(2),
      cacheRead: mtok(2),
      cacheWrite5m: mtok(3),
      cacheWrite1h: mtok(3),
      output: mtok(4),
      reasoning: mtok(4),
    });
  });

  it('treats regex characters literally', () => {
    const t = new PriceTable({ overrides: { 'gpt-4.1*': { input: 1, output: 1 } } });
    expect(t.lookup('gpt-4.1-mini')?.source).toBe('config');
    expect(t.lookup('gpt-4x1-mini')?.source).not.toBe('config');
  });

  it('reads globs as routes do, character classes included', () => {
    const t = new PriceTable({ overrides: { 'o[0-9]*': { input: 1, output: 1 }, 'my-[!x]?': { input: 2, output: 2 } } });
    expect(t.lookup('o3-mini')?.source).toBe('config');
    expect(t.lookup('O4-MINI')?.source).toBe('config');
    expect(t.lookup('omni-x')?.source).not.toBe('config');
    expect(t.lookup('my-ab')?.base.input).toBe(mtok(2));
    expect(t.lookup('my-xb')).toBeUndefined();
  });

  it('reject negative prices', () => {
    expect(() => new PriceTable({ overrides: { m: { input: -1, output: 1 } } })).toThrow(RangeError);
  });
});
