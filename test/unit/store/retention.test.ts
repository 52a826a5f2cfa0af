import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type WritableStore } from '../../../src/store/index.js';
import { FakeScheduler, makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let store: WritableStore;

beforeEach(() => {
  t = tempDir();
  store = openStore(t.dbPath, { scheduler: new FakeScheduler() });
  for (let i = 0; i < 25; i++) {
    store.sink.record(makeRow({ id: `old-${i}`, agent: i % 2 ? 'a' : 'b', ts: 1000 + i, costUsd: i % 5 === 0 ? null : 0.25, status: i % 3 ? 200 : 500, outputTokens: 2 }));
  }
  for (let i = 0; i < 5; i++) store.sink.record(makeRow({ id: `new-${i}`, agent: 'a', ts: 10_000 + i, costUsd: 1, outputTokens: 2 }));
  store.sink.flush();
});
afterEach(() => {
  store.close();
  t.cleanup();
});

describe('retention', () => {
  it('removes one batch at a time, oldest first, and only rows before the cutoff', () => {
    expect(store.retention.pruneBatch(10_000, 10)).toBe(10);
    expect(store.queries.requestById('old-0')).toBeUndefined();
    expect(store.queries.requestById('old-10')).toBeDefined();
    expect(store.retention.pruneBatch(10_000, 10)).toBe(10);
    expect(store.retention.pruneBatch(10_000, 10)).toBe(5);
    expect(store.retention.pruneBatch(10_000, 10)).toBe(0);
    expect(store.queries.recentRequests({ limit: 100 }).map((r) => r.id).sort()).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
  });

  it('pruneOlderThan loops to the end and returns the total', async () => {
    expect(await store.retention.pruneOlderThan(10_000, 7)).toBe(25);
    expect(await store.retention.pruneOlderThan(10_000, 7)).toBe(0);
    expect(store.queries.recentRequests({ limit: 100 })).toHaveLength(5);
  });

  it('keeps lifetime totals intact after pruning', async () => {
    const before = store.queries.agentSpend(10_000);
    await store.retention.pruneOlderThan(10_000, 4);
    const after = store.queries.agentSpend(10_000);
    expect(after).toEqual(before);
    const a = after.find((s) => s.agent === 'a');
    // 12 old rows for 'a' (odd i): 2 unpriced (i = 5, 15), 10 × $0.25, plus 5 new × $1.
    expect(a?.lifetime.calls).toBe(17);
    expect(a?.lifetime.unpricedCalls).toBe(2);
    expect(a?.lifetime.costUsd).toBe(7.5);
    expect(a?.since.calls).toBe(5);
    const b = after.find((s) => s.agent === 'b');
    expect(b?.lastTs).toBe(1024);
    expect(b?.since.calls).toBe(0);
  });
});
