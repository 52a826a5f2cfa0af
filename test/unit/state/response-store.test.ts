/** The in-memory store of translated responses: per agent, bounded by bytes and by age, oldest out first. */
import { describe, expect, it } from 'vitest';
import { MemoryResponseStore } from '../../../src/state/response-store.js';
import type { StoredResponse } from '../../../src/pipeline/ports.js';
import { FakeClock } from '../../helpers/clock.js';

function response(id: string, text = 'answer'): StoredResponse {
  return {
    id,
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'question' }] }],
    output: [{ id: `msg_${id}`, parts: [{ type: 'text', text }] }, { id: `rs_${id}`, parts: [{ type: 'thinking', text: 'hm', signature: 'sig' }] }],
  };
}

const size = (r: StoredResponse): number => Buffer.byteLength(JSON.stringify(r));

describe('MemoryResponseStore', () => {
  it('finds a response and each of its items by id, for the agent that made it only', () => {
    const store = new MemoryResponseStore(new FakeClock(), () => ({ maxBytes: 1_000_000, ttlMs: 60_000 }));
    store.save('alice', response('resp_1'));
    expect(store.response('alice', 'resp_1')?.messages).toHaveLength(1);
    expect(store.item('alice', 'msg_resp_1')?.parts).toEqual([{ type: 'text', text: 'answer' }]);
    expect(store.item('alice', 'rs_resp_1')?.parts[0]).toMatchObject({ type: 'thinking', signature: 'sig' });
    expect(store.response('bob', 'resp_1')).toBeUndefined();
    expect(store.item('bob', 'msg_resp_1')).toBeUndefined();
    expect(store.item('alice', 'msg_other')).toBeUndefined();
  });

  it('forgets responses once their time is up', () => {
    const clock = new FakeClock();
    const store = new MemoryResponseStore(clock, () => ({ maxBytes: 1_000_000, ttlMs: 60_000 }));
    store.save('a', response('resp_1'));
    clock.advance(59_999);
    expect(store.item('a', 'msg_resp_1')).toBeDefined();
    clock.advance(1);
    expect(store.item('a', 'msg_resp_1')).toBeUndefined();
    expect(store.response('a', 'resp_1')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('evicts the oldest entries to stay within its bytes, and keeps nothing bigger than all of them', () => {
    const one = size(response('resp_1'));
    const store = new MemoryResponseStore(new FakeClock(), () => ({ maxBytes: 2 * one + 10, ttlMs: 60_000 }));
    store.save('a', response('resp_1'));
    store.save('b', response('resp_2'));
    store.save('a', response('resp_3'));
    expect(store.response('a', 'resp_1')).toBeUndefined();
    expect(store.item('a', 'msg_resp_1')).toBeUndefined();
    expect(store.response('b', 'resp_2')).toBeDefined();
    expect(store.response('a', 'resp_3')).toBeDefined();
    expect(store.size).toBeLessThanOrEqual(2 * one + 10);
    store.save('a', response('resp_big', 'x'.repeat(3 * one)));
    expect(store.response('a', 'resp_big')).toBeUndefined();
    expect(store.response('a', 'resp_3')).toBeDefined();
  });

  it('keeps nothing with a size of 0, and applies new limits at once', () => {
    let limits = { maxBytes: 0, ttlMs: 60_000 };
    const store = new MemoryResponseStore(new FakeClock(), () => limits);
    store.save('a', response('resp_1'));
    expect(store.response('a', 'resp_1')).toBeUndefined();
    limits = { maxBytes: 1_000_000, ttlMs: 5_000 };
    store.save('a', response('resp_1'));
    expect(store.response('a', 'resp_1')).toBeDefined();
    expect(store.ttlMs).toBe(5_000);
  });

  it('saving the same id again replaces the entry without counting it twice', () => {
    const store = new MemoryResponseStore(new FakeClock(), () => ({ maxBytes: 1_000_000, ttlMs: 60_000 }));
    store.save('a', response('resp_1'));
    store.save('a', response('resp_1', 'second'));
    expect(store.size).toBe(size(response('resp_1', 'second')));
    expect(store.item('a', 'msg_resp_1')?.parts).toEqual([{ type: 'text', text: 'second' }]);
  });
});
