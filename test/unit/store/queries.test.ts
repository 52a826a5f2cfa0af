import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openReadonlyStore, openStore, type WritableStore } from '../../../src/store/index.js';
import { FakeScheduler, makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let store: WritableStore;

beforeEach(() => {
  t = tempDir();
  store = openStore(t.dbPath, { scheduler: new FakeScheduler() });
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('recentRequests', () => {
  beforeEach(() => {
    store.sink.record(makeRow({ id: 'a1', agent: 'a', ts: 1000 }));
    store.sink.record(makeRow({ id: 'b1', agent: 'b', ts: 2000 }));
    store.sink.record(makeRow({ id: 'a2', agent: 'a', ts: 3000 }));
    store.sink.record(makeRow({ id: 'a3', agent: 'a', ts: 3000 })); // same ts as a2: id breaks the tie
    store.sink.record(makeRow({ id: 'a4', agent: 'a', ts: 4000 }));
    store.sink.flush();
  });

  it('returns newest first, filtered by agent and time', () => {
    expect(store.queries.recentRequests().map((r) => r.id)).toEqual(['a4', 'a3', 'a2', 'b1', 'a1']);
    expect(store.queries.recentRequests({ agent: 'b' }).map((r) => r.id)).toEqual(['b1']);
    expect(store.queries.recentRequests({ sinceMs: 3000 }).map((r) => r.id)).toEqual(['a4', 'a3', 'a2']);
    expect(store.queries.recentRequests({ agent: 'a', limit: 2 }).map((r) => r.id)).toEqual(['a4', 'a3']);
  });

  it('pages with beforeId without skipping or repeating rows that share a timestamp', () => {
    const page1 = store.queries.recentRequests({ agent: 'a', limit: 2 });
    const page2 = store.queries.recentRequests({ agent: 'a', limit: 2, beforeId: page1.at(-1)?.id });
    const page3 = store.queries.recentRequests({ agent: 'a', limit: 2, beforeId: page2.at(-1)?.id });
    expect([...page1, ...page2, ...page3].map((r) => r.id)).toEqual(['a4', 'a3', 'a2', 'a1']);
    expect(store.queries.recentRequests({ beforeId: 'unknown' })).toEqual([]);
  });
});

describe('controlEvents', () => {
  it('filters by agent, newest first, with a limit', () => {
    store.sink.recordControlEvent({ ts: 1, agent: 'a', kind: 'pause', actor: 'tui', reason: 'runaway' });
    store.sink.recordControlEvent({ ts: 2, agent: 'b', kind: 'pause', actor: 'cli' });
    store.sink.recordControlEvent({ ts: 3, agent: 'a', kind: 'resume', actor: 'cli' });
    store.sink.flush();
    expect(store.queries.controlEvents({ agent: 'a' }).map((e) => e.kind)).toEqual(['resume', 'pause']);
    expect(store.queries.controlEvents({ limit: 1 }).map((e) => e.ts)).toEqual([3]);
    expect(store.queries.controlEvents({ sinceMs: 2 }).map((e) => e.ts)).toEqual([3, 2]);
    expect(store.queries.controlEvents({ beforeId: 3 }).map((e) => e.ts)).toEqual([2, 1]);
  });
});

describe('spend aggregates', () => {
  beforeEach(() => {
    const r = (p: Parameters<typeof makeRow>[0]) => store.sink.record(makeRow(p));
    r({ agent: 'a', ts: 1000, costUsd: 0.5, inputTokens: 10, outputTokens: 1, cacheReadTokens: 2, cacheWriteTokens: 3, reasoningTokens: 1 });
    r({ agent: 'a', ts: 5000, costUsd: 0.25, inputTokens: 20, outputTokens: 2, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    r({ agent: 'a', ts: 6000, costUsd: null, status: 200, inputTokens: 7, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    r({ agent: 'a', ts: 7000, costUsd: 0, status: 429, errorCode: 'rate_limit_exceeded', inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    r({ agent: 'b', ts: 6500, costUsd: 0.125, status: 200, errorCode: 'stream_error', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    store.sink.flush();
  });

  it('sums lifetime and since-a-moment totals per agent; unpriced calls are counted, not priced at zero', () => {
    const [a, b] = store.queries.agentSpend(5000);
    expect(a).toEqual({
      agent: 'a',
      lastTs: 7000,
      lifetime: { calls: 4, errors: 1, costUsd: 0.75, unpricedCalls: 1, inputTokens: 37, cacheReadTokens: 2, cacheWriteTokens: 3, outputTokens: 10, reasoningTokens: 1 },
      since: { calls: 3, errors: 1, costUsd: 0.25, unpricedCalls: 1, inputTokens: 27, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 9, reasoningTokens: 0 },
    });
    // A failure after a 200 (error_code set) counts as an error.
    expect(b?.lifetime.errors).toBe(1);
    expect(b?.since.costUsd).toBe(0.125);
  });

  it('lists the calls of a rolling window with their cost, oldest first', () => {
    expect(store.queries.spendPoints(6000)).toEqual([
      { agent: 'a', ts: 6000, costUsd: null, error: false },
      { agent: 'b', ts: 6500, costUsd: 0.125, error: true },
      { agent: 'a', ts: 7000, costUsd: 0, error: true },
    ]);
    expect(store.queries.spendPoints(0, 'b').map((p) => p.ts)).toEqual([6500]);
  });
});

describe('agent overrides', () => {
  it('upserts by merging, keeps untouched fields, and clears with null', () => {
    const first = store.overrides.upsert('a', { paused: true, pauseReason: 'runaway', pauseActor: 'tui', pausedAt: 100 }, 100);
    expect(first).toEqual({
      agent: 'a',
      paused: true,
      pauseReason: 'runaway',
      pauseActor: 'tui',
      pausedAt: 100,
      budgetHourly: null,
      budgetDaily: null,
      budgetTotal: null,
      updatedAt: 100,
    });
    store.overrides.upsert('a', { budgetHourly: 10, budgetTotal: Number.POSITIVE_INFINITY }, 200);
    const merged = store.overrides.upsert('a', { paused: false, pauseReason: null, pauseActor: null, pausedAt: null }, 300);
    expect(merged).toEqual({
      agent: 'a',
      paused: false,
      pauseReason: null,
      pauseActor: null,
      pausedAt: null,
      budgetHourly: 10,
      budgetDaily: null,
      budgetTotal: Number.POSITIVE_INFINITY,
      updatedAt: 300,
    });
    expect(store.overrides.get('a')).toEqual(merged);
    store.overrides.upsert('b', { budgetDaily: 2.5 }, 400);
    expect(store.overrides.list().map((o) => o.agent)).toEqual(['a', 'b']);
    expect(store.overrides.remove('b')).toBe(true);
    expect(store.overrides.remove('b')).toBe(false);
    expect(store.overrides.get('b')).toBeUndefined();
  });

  it('survive a restart and are readable from a read-only connection', () => {
    store.overrides.upsert('a', { paused: true, pauseReason: 'manual' }, 1);
    store.close();
    const ro = openReadonlyStore(t.dbPath);
    try {
      expect(ro.overrides.get('a')?.pauseReason).toBe('manual');
      expect(ro.overrides.list()).toHaveLength(1);
    } finally {
      ro.close();
    }
    store = openStore(t.dbPath, { scheduler: new FakeScheduler() });
    expect(store.overrides.get('a')?.paused).toBe(true);
  });
});
