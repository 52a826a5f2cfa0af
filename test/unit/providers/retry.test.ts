import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { backoffMs, isRetryableStatus, isRetryableTransport, retryAfterMs, retryVerdict, waitFor, type RetryPolicy } from '../../../src/providers/retry.js';
import { FakeClock, ManualTimers } from '../../helpers/clock.js';

const POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };
const NOW = Date.parse('2025-03-10T12:00:00Z');

describe('what is retried', () => {
  it('retries 408, 429, 500, 502, 503, 504 and 529, and no other status', () => {
    const retried = [];
    for (let s = 400; s < 600; s++) if (isRetryableStatus(s)) retried.push(s);
    expect(retried).toEqual([408, 429, 500, 502, 503, 504, 529]);
  });

  it('retries a reset connection and a connect timeout, not a refused connection nor a wait for the answer', () => {
    const unreachable = (code: string) => new GatewayError('upstream_unreachable', 'x', { cause: Object.assign(new Error(code), { code }) });
    expect(isRetryableTransport(unreachable('ECONNRESET'))).toBe(true);
    expect(isRetryableTransport(unreachable('UND_ERR_SOCKET'))).toBe(true);
    expect(isRetryableTransport(unreachable('UND_ERR_CONNECT_TIMEOUT'))).toBe(true);
    expect(isRetryableTransport(unreachable('ECONNREFUSED'))).toBe(false);
    expect(isRetryableTransport(new GatewayError('upstream_timeout', 'x', { cause: Object.assign(new Error(), { code: 'UND_ERR_HEADERS_TIMEOUT' }) }))).toBe(false);
  });
});

describe('Retry-After', () => {
  it('reads retry-after-ms first, then seconds, then an HTTP-date', () => {
    expect(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }, NOW)).toBe(250);
    expect(retryAfterMs({ 'retry-after': '2' }, NOW)).toBe(2_000);
    expect(retryAfterMs({ 'retry-after': '1.5' }, NOW)).toBe(1_500);
    expect(retryAfterMs({ 'retry-after': new Date(NOW + 7_000).toUTCString() }, NOW)).toBe(7_000);
    // A date already past means now; garbage and negatives mean nothing was asked.
    expect(retryAfterMs({ 'retry-after': new Date(NOW - 7_000).toUTCString() }, NOW)).toBe(0);
    expect(retryAfterMs({ 'retry-after': 'soon' }, NOW)).toBeUndefined();
    expect(retryAfterMs({ 'retry-after': '-3' }, NOW)).toBeUndefined();
    expect(retryAfterMs({}, NOW)).toBeUndefined();
  });
});

describe('backoff', () => {
  it('is full jitter below a ceiling that doubles per retry up to the cap', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, POLICY, top))).toEqual([499, 999, 1_999, 3_999, 7_999, 7_999, 7_999]);
    expect(backoffMs(3, POLICY, () => 0)).toBe(0);
    expect(backoffMs(2, POLICY, () => 0.5)).toBe(500);
  });
});

describe('the verdict', () => {
  const v = (o: Partial<Parameters<typeof retryVerdict>[0]>) => retryVerdict({ retryable: true, attempt: 1, askedMs: undefined, policy: POLICY, random: () => 0.5, ...o });

  it('waits out a Retry-After within the cap, exactly, instead of the backoff', () => {
    expect(v({ askedMs: 2_000 })).toEqual({ retry: true, waitMs: 2_000 });
    expect(v({})).toEqual({ retry: true, waitMs: 250 });
  });

  it('gives up past the cap, after max_attempts, and on what is not retryable', () => {
    expect(v({ askedMs: 30_001 })).toEqual({ retry: false, reason: 'too_long' });
    expect(v({ attempt: 3 })).toEqual({ retry: false, reason: 'exhausted' });
    expect(v({ retryable: false })).toEqual({ retry: false, reason: 'not_retryable' });
    expect(retryVerdict({ retryable: true, attempt: 1, askedMs: undefined, policy: { ...POLICY, maxAttempts: 1 }, random: () => 0 })).toEqual({ retry: false, reason: 'exhausted' });
  });
});

describe('waiting', () => {
  it('waits on the injected timers and stops when the client leaves', async () => {
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    const done = new AbortController();
    let waited = false;
    const first = waitFor(1_000, timers, done.signal).then(() => (waited = true));
    timers.advance(999);
    await Promise.resolve();
    expect(waited).toBe(false);
    timers.advance(1);
    await first;
    expect(waited).toBe(true);

    const left = new AbortController();
    const second = waitFor(5_000, timers, left.signal);
    expect(timers.pending).toBe(1);
    left.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    expect(timers.pending).toBe(0);
  });
});
