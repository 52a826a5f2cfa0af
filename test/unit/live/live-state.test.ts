/**
 * The live counters the dashboard reads, driven by a fake clock: the request rate over a sliding window (the header
 * once read "0.0 req/s" during traffic, from a second that had just begun), the spend history forecasts use, spend
 * by provider and model over the rolling hour, and each agent's last error.
 */
import { describe, expect, it } from 'vitest';
import { LiveState, SPEND_BUCKET_MS } from '../../../src/live/live-state.js';
import { ZERO_USAGE } from '../../../src/core/usage.js';
import type { RequestRow } from '../../../src/store/index.js';
import { forecastAgent } from '../../../src/tui/forecast.js';
import type { AgentStatus } from '../../../src/live/snapshot.js';
import { FakeClock } from '../../helpers/clock.js';

const T0 = Date.UTC(2025, 2, 10, 12, 0, 0);
let seq = 0;

function row(partial: Partial<RequestRow> = {}): RequestRow {
  seq += 1;
  return {
    id: `req_${seq}`,
    ts: T0,
    agent: 'coder',
    provider: 'sim-openai',
    model: 'gpt-4o',
    upstreamModel: 'gpt-4o',
    clientFormat: 'openai-chat',
    upstreamFormat: 'openai-chat',
    stream: false,
    status: 200,
    errorCode: null,
    inputTokens: 100,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 20,
    reasoningTokens: 0,
    costUsd: 0.001,
    costInput: 0.0005,
    costCacheRead: 0,
    costCacheWrite: 0,
    costOutput: 0.0005,
    priceVersion: 'test',
    estimated: false,
    latencyMs: 100,
    ttfbMs: 50,
    dropped: null,
    ...partial,
  };
}

const record = (r: RequestRow) => ({ row: r, usage: { ...ZERO_USAGE }, streamEvents: 0 });

describe('LiveState request rate', () => {
  it('counts completions over the last ten seconds, whatever part of a second it is read in', () => {
    const clock = new FakeClock(T0 - 60_000);
    const live = new LiveState(clock, clock.now());
    clock.set(T0);
    // 5 requests a second for 20 seconds, evenly spread.
    for (let i = 0; i < 100; i++) {
      live.onRequest(record(row()));
      clock.advance(200);
    }
    // Read right after a second boundary: the old header showed this second's count, 0 or 1.
    clock.set(T0 + 20_000 + 5);
    expect(live.requestRate()).toBeCloseTo(5, 1);
    expect(live.requestsPerSecond().slice(-5)).toEqual([5, 5, 5, 5, 5]);
    clock.set(T0 + 20_900);
    expect(live.requestRate()).toBeCloseTo(50 / 10.9, 5);
    // Traffic stops: the rate falls to zero as the window slides past it.
    clock.set(T0 + 31_000);
    expect(live.requestRate()).toBe(0);
  });

  it('divides by the time since start when the gateway is younger than the window', () => {
    const clock = new FakeClock(T0);
    const live = new LiveState(clock, T0);
    for (let i = 0; i < 6; i++) live.onRequest(record(row()));
    clock.advance(2000);
    expect(live.requestRate()).toBeCloseTo(3, 5);
    expect(live.served).toBe(6);
  });
});

describe('LiveState spend history', () => {
  it('holds what each agent settled in 20 s buckets over ten minutes, which the forecast reads', () => {
    const clock = new FakeClock(T0);
    const live = new LiveState(clock, T0);
    // $0.01 every 10 s for 5 minutes.
    for (let i = 0; i < 30; i++) {
      live.onRequest(record(row({ costUsd: 0.01 })));
      clock.advance(10_000);
    }
    const history = live.spendHistory('coder');
    expect(history?.bucketMs).toBe(20_000);
    expect(history?.buckets).toHaveLength(30);
    expect(history?.buckets.slice(-16, -1).every((b) => Math.abs(b - 0.02) < 1e-12)).toBe(true);
    expect(live.spendHistory('nobody')).toBeUndefined();
    // The run of spending began with the first call.
    expect(history?.since).toBe(T0);
    const agent: AgentStatus = {
      id: 'coder',
      status: 'active',
      calls: 30,
      errors: 0,
      tokensIn: 0,
      tokensOut: 0,
      costHourUsd: 0.3,
      costTodayUsd: 0.3,
      costTotalUsd: 0.3,
      unpriced: false,
      budget: { hourly: 0.33 },
      spendHistory: history!,
    };
    // $0.03 left at $0.06 a minute.
    const f = forecastAgent(agent, clock.now());
    expect(f?.confidence).toBe('steady');
    expect(f?.minutes).toBeCloseTo(0.5, 1);
  });
});

describe('LiveState spend runs', () => {
  it('starts a new run of spending after ten quiet minutes', () => {
    const clock = new FakeClock(T0 + 7000);
    const live = new LiveState(clock, T0);
    live.onRequest(record(row({ costUsd: 0.01 })));
    clock.advance(5 * 60_000);
    live.onRequest(record(row({ costUsd: 0.01 })));
    expect(live.spendHistory('coder')?.since).toBe(T0 + 7000);
    clock.advance(11 * 60_000);
    expect(live.spendHistory('coder')).toBeUndefined();
    live.onRequest(record(row({ costUsd: 0.01 })));
    expect(live.spendHistory('coder')?.since).toBe(clock.now());
  });

  it('keeps the run while the last spend is still in the oldest bucket the series shows, and not a bucket later', () => {
    const start = Math.ceil(T0 / SPEND_BUCKET_MS) * SPEND_BUCKET_MS;
    const oldest = (atLast: number): { since: number | undefined; now: number } => {
      const clock = new FakeClock(start + 1000);
      const live = new LiveState(clock, T0);
      live.onRequest(record(row({ costUsd: 0.01 })));
      clock.set(atLast);
      live.onRequest(record(row({ costUsd: 0.01 })));
      return { since: live.spendHistory('coder')?.since, now: clock.now() };
    };
    // 30 buckets of 20 s: a spend in bucket b is shown until the series ends in bucket b + 29.
    expect(oldest(start + 30 * SPEND_BUCKET_MS - 1).since).toBe(start + 1000);
    const later = oldest(start + 30 * SPEND_BUCKET_MS);
    expect(later.since).toBe(later.now);
  });
});

describe('LiveState usage and errors', () => {
  it('sums calls, tokens, spend and errors per provider and model over the rolling hour', () => {
    const clock = new FakeClock(T0);
    const live = new LiveState(clock, T0);
    live.onRequest(record(row()));
    live.onRequest(record(row({ status: 502, errorCode: 'upstream_unreachable', costUsd: null, inputTokens: 0, outputTokens: 0 })));
    live.onRequest(record(row({ provider: 'ollama', model: 'llama3', upstreamModel: 'llama3', costUsd: null })));
    clock.advance(30 * 60_000);
    live.onRequest(record(row({ costUsd: 0.002 })));
    expect(live.usageHour().sort((a, b) => (a.provider ?? '').localeCompare(b.provider ?? ''))).toEqual([
      { provider: 'ollama', model: 'llama3', calls: 1, errors: 0, tokensIn: 100, tokensOut: 20, costUsd: 0, unpricedCalls: 1 },
      { provider: 'sim-openai', model: 'gpt-4o', calls: 3, errors: 1, tokensIn: 200, tokensOut: 40, costUsd: 0.003, unpricedCalls: 0 },
    ]);
    clock.advance(31 * 60_000);
    expect(live.usageHour()).toEqual([{ provider: 'sim-openai', model: 'gpt-4o', calls: 1, errors: 0, tokensIn: 100, tokensOut: 20, costUsd: 0.002, unpricedCalls: 0 }]);
  });

  it('remembers each agent\'s newest error, by the audit\'s rule, over what the audit said at start', () => {
    const clock = new FakeClock(T0);
    const live = new LiveState(clock, T0);
    live.restoreLastErrors([{ agent: 'coder', ts: T0 - 5000, status: 429, errorCode: 'budget_exceeded', errorMessage: 'over budget' }]);
    expect(live.lastError('coder')).toEqual({ ts: T0 - 5000, status: 429, code: 'budget_exceeded', message: 'over budget' });
    live.onRequest(record(row({ ts: T0, status: 502, errorCode: 'upstream_unreachable', errorMessage: 'getaddrinfo ENOTFOUND x' })));
    live.onRequest(record(row({ ts: T0 + 1 })));
    // A stream that failed after its 200 is an error too.
    live.onRequest(record(row({ agent: 'reader', ts: T0 + 2, status: 200, errorCode: 'upstream_stream_error' })));
    expect(live.lastError('coder')).toEqual({ ts: T0, status: 502, code: 'upstream_unreachable', message: 'getaddrinfo ENOTFOUND x' });
    expect(live.lastError('reader')).toMatchObject({ status: 200, code: 'upstream_stream_error' });
    live.restoreLastErrors([{ agent: 'coder', ts: T0 - 1, status: 500, errorCode: null, errorMessage: null }]);
    expect(live.lastError('coder')?.status).toBe(502);
  });

  it('keeps the full row of what the live log shows, for the request detail', () => {
    const clock = new FakeClock(T0);
    const live = new LiveState(clock, T0);
    const first = row({ fallbackFrom: 'flaky' });
    live.onRequest(record(first));
    expect(live.row(first.id)).toBe(first);
    expect(live.recent()[0]).toMatchObject({ id: first.id, fallbackFrom: 'flaky' });
    const later = Array.from({ length: 200 }, () => row());
    for (const r of later) live.onRequest(record(r));
    expect(live.row(first.id)).toBeUndefined();
    // The log and the detail hold the same last 200 requests, oldest first.
    expect(live.recent().map((e) => e.id)).toEqual(later.map((r) => r.id));
    expect(later.every((r) => live.row(r.id) === r)).toBe(true);
  });

  it('shows the newest row of an id recorded twice, for as long as an entry of it is in the live log', () => {
    const live = new LiveState(new FakeClock(T0), T0);
    const refused = row({ status: 429 });
    const again = { ...refused, status: 200 };
    live.onRequest(record(refused));
    live.onRequest(record(again));
    expect(live.row(refused.id)).toBe(again);
    // 199 more: the first entry has left the log, the second is still in it.
    for (let i = 0; i < 199; i++) live.onRequest(record(row()));
    expect(live.row(refused.id)).toBe(again);
    live.onRequest(record(row()));
    expect(live.row(refused.id)).toBeUndefined();
  });
});
