/** gateway.retries, a provider's max_attempts and its key pool (api_keys): defaults, units, and the checks on keys. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';
import { secretsOf } from '../../../src/app/running-config.js';
import { pipelineSettings } from '../../../src/app/adapters/settings.js';

const parse = (text: string, env: Record<string, string> = {}) => parseConfigText(text, { file: 'gateway.yaml', env: { OPENAI_API_KEY: 'sk-embedded-key', ...env } });

describe('gateway.retries', () => {
  it('defaults to 3 attempts, a 500 ms backoff doubling to 8 s, and Retry-After waited out up to 30 s', () => {
    expect(parse('').config?.gateway.retries).toEqual({ maxAttempts: 3, backoffMs: 500, maxBackoffMs: 8_000, maxRetryAfterMs: 30_000 });
  });

  it('reads durations, and a provider’s own max_attempts beats the gateway’s', () => {
    const r = parse(
      [
        'gateway:',
        '  retries: { max_attempts: 5, backoff: 50ms, max_backoff: 2s, max_retry_after: 1m }',
        'providers:',
        '  once: { type: openai, base_url: http://127.0.0.1:9/v1, max_attempts: 1 }',
      ].join('\n'),
    );
    expect(r.errors.map(formatProblem)).toEqual([]);
    const config = r.config!;
    expect(config.gateway.retries).toEqual({ maxAttempts: 5, backoffMs: 50, maxBackoffMs: 2_000, maxRetryAfterMs: 60_000 });
    const retry = pipelineSettings(config).retry;
    expect(retry('once')).toEqual({ maxAttempts: 1, baseDelayMs: 50, maxDelayMs: 2_000, maxRetryAfterMs: 60_000 });
    expect(retry('openai')).toEqual({ maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2_000, maxRetryAfterMs: 60_000 });
  });

  it('refuses zero attempts', () => {
    expect(parse('gateway:\n  retries: { max_attempts: 0 }\n').errors[0]?.path).toBe('gateway.retries.max_attempts');
    expect(parse('providers:\n  openai: { max_attempts: 0 }\n').errors[0]?.path).toBe('providers.openai.max_attempts');
  });
});

describe('providers.<name>.api_keys', () => {
  it('keeps the pool in order, drops entries whose variable is unset (with a warning), and registers every key as a secret', () => {
    const r = parse('providers:\n  pool: { type: openai, base_url: http://h/v1, api_keys: ["${K1}", "${K2}", "${K3}"] }\n', { K1: 'sk-pool-key-one-0001', K3: 'sk-pool-key-three-03' });
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => w.message)).toEqual(['${K2} is not set; this entry is ignored']);
    const pool = r.config!.providers.get('pool')!;
    expect(pool.apiKeys).toEqual(['sk-pool-key-one-0001', 'sk-pool-key-three-03']);
    expect(pool.apiKey).toBeUndefined();
    expect(secretsOf(r.config!)).toEqual(expect.arrayContaining(['sk-pool-key-one-0001', 'sk-pool-key-three-03', 'sk-embedded-key']));
  });

  it('refuses api_key beside api_keys, an empty pool and a key listed twice, quoting no key', () => {
    const both = parse('providers:\n  p: { type: openai, base_url: http://h/v1, api_key: sk-single-secret-1, api_keys: [sk-pooled-secret-2] }\n');
    expect(both.errors.map((e) => [e.path, e.message])).toEqual([['providers.p.api_keys', 'api_key and api_keys are both set']]);
    const empty = parse('providers:\n  p: { type: openai, base_url: http://h/v1, api_keys: ["${UNSET}"] }\n');
    expect(empty.errors[0]).toMatchObject({ path: 'providers.p.api_keys', message: expect.stringMatching(/lists no key/) as unknown });
    expect(parse('providers:\n  p: { type: openai, base_url: http://h/v1, api_keys: [] }\n').errors[0]?.path).toBe('providers.p.api_keys');
    const twice = parse('providers:\n  p: { type: openai, base_url: http://h/v1, api_keys: [sk-same-secret-33, sk-same-secret-33] }\n');
    expect(twice.errors[0]).toMatchObject({ path: 'providers.p.api_keys', message: 'api_keys lists the same key twice' });
    for (const r of [both, empty, twice]) expect(JSON.stringify(r.errors)).not.toMatch(/sk-(single|pooled|same)-secret/);
  });
});
