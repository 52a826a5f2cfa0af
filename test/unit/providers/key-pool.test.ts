import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_KEY_REST_MS, keyFingerprint, KeyPool, KeyPools, type KeyEvent } from '../../../src/providers/key-pool.js';
import { FakeClock } from '../../helpers/clock.js';

const KEYS = ['sk-one-aaaaaaaaaaaa', 'sk-two-bbbbbbbbbbbb', 'sk-three-cccccccccc'];

function pool(keys = KEYS): { pool: KeyPool; clock: FakeClock; events: KeyEvent[] } {
  const clock = new FakeClock();
  const events: KeyEvent[] = [];
  return { pool: new KeyPool('openai', keys, clock, (e) => events.push(e)), clock, events };
}

describe('key pool', () => {
  it('hands keys out round-robin', () => {
    const { pool: p } = pool();
    expect([1, 2, 3, 4, 5].map(() => p.take()?.secret)).toEqual([KEYS[0], KEYS[1], KEYS[2], KEYS[0], KEYS[1]]);
  });

  it('names a key by a truncated SHA-256 that shows none of its characters', () => {
    const fp = keyFingerprint(KEYS[0]!);
    expect(fp).toBe(createHash('sha256').update(KEYS[0]!).digest('hex').slice(0, 12));
    expect(KEYS[0]!.includes(fp.slice(0, 4))).toBe(false);
    expect(pool().pool.take()?.fingerprint).toBe(fp);
  });

  it('rests a rate-limited key for its Retry-After while the others serve, then takes it back', () => {
    const { pool: p, clock, events } = pool();
    const first = p.take()!;
    p.report(first, 429, 2_000);
    expect(events).toEqual([{ provider: 'openai', fingerprint: first.fingerprint, outcome: 'rate_limited', status: 429, restMs: 2_000 }]);
    expect([1, 2, 3, 4].map(() => p.take()?.secret)).toEqual([KEYS[1], KEYS[2], KEYS[1], KEYS[2]]);
    clock.advance(2_000);
    expect(p.states().map((s) => s.state)).toEqual(['ready', 'ready', 'ready']);
    expect([1, 2, 3].map(() => p.take()?.secret)).toContain(KEYS[0]);
  });

  it('rests a key a default time when the 429 named none', () => {
    const { pool: p, clock } = pool([KEYS[0]!]);
    p.report(p.take()!, 429, undefined);
    expect(p.take()).toBeUndefined();
    expect(p.wakeInMs()).toBe(DEFAULT_KEY_REST_MS);
    clock.advance(DEFAULT_KEY_REST_MS);
    expect(p.take()?.secret).toBe(KEYS[0]);
  });

  it('says when the first resting key wakes, and nothing when every key was refused', () => {
    const { pool: p, events } = pool();
    const [a, b, c] = [p.take()!, p.take()!, p.take()!];
    p.report(a, 429, 9_000);
    p.report(b, 429, 4_000);
    expect(p.wakeInMs()).toBe(0);
    p.report(c, 401, undefined);
    expect(p.ready()).toBe(false);
    expect(p.take()).toBeUndefined();
    expect(p.wakeInMs()).toBe(4_000);
    p.report(a, 403, undefined);
    p.report(b, 401, undefined);
    expect(p.wakeInMs()).toBeUndefined();
    expect(p.states().map((s) => s.state)).toEqual(['removed', 'removed', 'removed']);
    // Each key is announced as taken out once.
    expect(events.filter((e) => e.removed).map((e) => e.fingerprint)).toEqual([c.fingerprint, a.fingerprint, b.fingerprint]);
  });

  it('counts every outcome by key, never with the key itself', () => {
    const { pool: p, events } = pool([KEYS[0]!]);
    const k = p.take()!;
    p.report(k, 200, undefined);
    p.report(k, 500, undefined);
    p.report(k, undefined, undefined);
    expect(events.map((e) => e.outcome)).toEqual(['ok', 'error', 'error']);
    expect(JSON.stringify(events)).not.toContain(KEYS[0]);
  });
});

describe('key pools across reloads', () => {
  it('keeps a pool whose keys did not change, with its resting keys, and rebuilds one whose keys did', () => {
    const clock = new FakeClock();
    const pools = new KeyPools(clock);
    pools.apply([
      { name: 'openai', apiKeys: KEYS },
      { name: 'anthropic', apiKeys: [KEYS[0]!] },
      { name: 'local', apiKeys: [] },
    ]);
    const openai = pools.pool('openai')!;
    openai.report(openai.take()!, 429, 60_000);
    expect(pools.pool('local')).toBeUndefined();
    pools.apply([
      { name: 'openai', apiKeys: KEYS },
      { name: 'anthropic', apiKeys: [KEYS[1]!] },
    ]);
    expect(pools.pool('openai')).toBe(openai);
    expect(openai.states()[0]?.state).toBe('resting');
    expect(pools.pool('anthropic')?.take()?.secret).toBe(KEYS[1]);
  });
});
