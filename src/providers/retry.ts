/**
 * When an upstream call is worth another try, and how long to wait first: pure functions of the outcome, the
 * attempt number, the upstream's Retry-After headers and an injected random source, so every decision can be
 * tested without sockets or sleeps. The forward step (src/pipeline/steps/forward.ts) does the waiting.
 */
import type { Timers } from '../core/clock.js';
import type { GatewayError } from '../core/errors.js';

/** How a provider's calls are retried (gateway.retries, with a provider's own max_attempts). */
export interface RetryPolicy {
  /** Attempts per provider, the first included; 1 never retries. */
  maxAttempts: number;
  /** Ceiling of the first backoff wait; each later wait's ceiling doubles (full jitter below it). */
  baseDelayMs: number;
  /** Largest backoff wait. */
  maxDelayMs: number;
  /** Longest Retry-After the gateway waits out; a longer one goes to the fallback or back to the client. */
  maxRetryAfterMs: number;
}

/**
 * Statuses that say "try again": timeout, rate limit, the server's own failures, Anthropic's overloaded (529).
 * Any other 4xx is the request's fault and is answered as it is.
 */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504, 529]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * Transport failures where the request surely did not run upstream: the connect timed out, or the connection was
 * reset or closed under it (undici reports a reused keep-alive socket the server closed as UND_ERR_SOCKET). A
 * refused connection goes straight to a fallback, and a timeout waiting for an answer is never retried: the
 * provider may be working on (and billing) the first try.
 */
const RETRYABLE_TRANSPORT_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function isRetryableTransport(err: GatewayError): boolean {
  if (err.kind !== 'upstream_unreachable') return false;
  const code = (err.cause as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && RETRYABLE_TRANSPORT_CODES.has(code);
}

/**
 * The wait an upstream asked for, in ms: `retry-after-ms` (OpenAI), else `Retry-After` in seconds or as an
 * HTTP-date. Undefined when neither is there or readable; never negative.
 */
export function retryAfterMs(headers: Readonly<Record<string, string | undefined>>, nowMs: number): number | undefined {
  const ms = numberOf(headers['retry-after-ms']);
  if (ms !== undefined) return ms;
  const value = headers['retry-after'];
  if (value === undefined) return undefined;
  // A number is seconds (a negative one means nothing); only a non-number is read as a date.
  if (value.trim() !== '' && Number.isFinite(Number(value))) {
    const seconds = numberOf(value);
    return seconds === undefined ? undefined : Math.round(seconds * 1000);
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Exponential backoff with full jitter: a random wait below min(maxDelay, base × 2^(retry−1)), where `retry` is 1
 * before the second attempt. `random` returns [0, 1) like Math.random.
 */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

export type RetryVerdict =
  | { retry: true; waitMs: number }
  /** `tooLong`: the upstream asked for a wait beyond the cap (its Retry-After is kept for the client). */
  | { retry: false; reason: 'not_retryable' | 'exhausted' | 'too_long' };

/**
 * Whether a failed attempt on one provider is tried again there, and after how long. `attempt` is the number of
 * attempts that provider has had (1 after the first); `askedMs` is the upstream's Retry-After, if any, which is
 * honoured exactly when within the cap and replaces the backoff.
 */
export function retryVerdict(o: { retryable: boolean; attempt: number; askedMs: number | undefined; policy: RetryPolicy; random: () => number }): RetryVerdict {
  if (!o.retryable) return { retry: false, reason: 'not_retryable' };
  if (o.attempt >= o.policy.maxAttempts) return { retry: false, reason: 'exhausted' };
  if (o.askedMs !== undefined) return o.askedMs > o.policy.maxRetryAfterMs ? { retry: false, reason: 'too_long' } : { retry: true, waitMs: o.askedMs };
  return { retry: true, waitMs: backoffMs(o.attempt, o.policy, o.random) };
}

/** Waits `ms` on the injected timers; rejects with the signal's reason as soon as it aborts (the client left). */
export function waitFor(ms: number, timers: Timers, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(abortReason(signal));
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('the client went away', 'AbortError');
}
