import type { Clock } from '../core/clock.js';
import { GatewayError, type ErrorKind } from '../core/errors.js';
import type { Actor, BreakerSettings } from './types.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** `shared`: another instance sharing breaker state opened or closed it. */
export type TransitionReason = 'failures' | 'reset_timeout' | 'probe_failed' | 'probes_succeeded' | 'manual' | 'shared';

export interface BreakerTransition {
  key: string;
  from: BreakerState;
  to: BreakerState;
  reason: TransitionReason;
  /** `breaker` for automatic transitions, the surface for a manual reset. */
  actor: Actor;
  /** Epoch milliseconds. */
  at: number;
}

export type BreakerListener = (t: BreakerTransition) => void;

/** A failure the provider caused, as opposed to a bad request: connection failures and timeouts. */
export type TransportFailure = 'timeout' | 'connection';

/**
 * Whether an outcome counts against a breaker: 5xx (including 529 overloaded), timeouts and connection errors.
 * 4xx (including 429) are the caller's or the account's problem, not the provider's health.
 */
export function isBreakerFailure(outcome: number | TransportFailure | ErrorKind): boolean {
  if (typeof outcome === 'number') return outcome >= 500 && outcome <= 599;
  return (
    outcome === 'timeout' ||
    outcome === 'connection' ||
    outcome === 'upstream_timeout' ||
    outcome === 'upstream_unreachable'
  );
}

/** `isBreakerFailure` for a GatewayError from a provider adapter; `upstream_error` carries the upstream status. */
export function isBreakerFailureError(err: GatewayError): boolean {
  return err.kind === 'upstream_error' ? isBreakerFailure(err.status) : isBreakerFailure(err.kind);
}

/** Permission to send one request; report its outcome exactly once (later reports are ignored). */
export interface BreakerPermit {
  readonly probe: boolean;
  success(): void;
  failure(): void;
  /** The request ended without a verdict (client went away, request rejected before sending). */
  release(): void;
}

export type BreakerDecision =
  | { ok: true; permit: BreakerPermit }
  | { ok: false; retryAfterSeconds: number; state: 'open' | 'half_open' };

export interface BreakerSnapshot {
  key: string;
  state: BreakerState;
  failuresInWindow: number;
  settings: BreakerSettings;
  /** Seconds until an open breaker lets probes through; null unless open. */
  retryAfterSeconds: number | null;
  probesInFlight: number;
  probeSuccesses: number;
  /** Epoch ms of the last transition, null if it never moved. */
  changedAt: number | null;
}

/**
 * CLOSED → OPEN after `errorThreshold` counted failures within a sliding `windowMs`; OPEN fails fast until
 * `resetTimeoutMs` has passed, then HALF_OPEN lets `halfOpenRequests` probes through: that many successes close
 * it, one failure re-opens it. Durations use the monotonic clock; transition times the wall clock.
 * Outcomes of requests admitted in an earlier state (a long stream that started before the breaker opened)
 * are ignored: each transition starts a new generation.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private generation = 0;
  private failures: number[] = [];
  private openedAt = 0;
  private probesIssued = 0;
  private probeSuccesses = 0;
  private changedAt: number | null = null;

  constructor(
    readonly key: string,
    private settings: BreakerSettings,
    private readonly clock: Clock,
    private readonly listener: BreakerListener = () => {},
  ) {
    validate(settings);
  }

  get state(): BreakerState {
    this.advance();
    return this.current;
  }

  tryAcquire(): BreakerDecision {
    this.advance();
    if (this.current === 'open') return { ok: false, state: 'open', retryAfterSeconds: this.secondsToHalfOpen() };
    if (this.current === 'half_open') {
      if (this.probesIssued >= this.settings.halfOpenRequests) {
        // All probes are out; the verdict is at most one request away.
        return { ok: false, state: 'half_open', retryAfterSeconds: 1 };
      }
      this.probesIssued++;
      return { ok: true, permit: this.permit(true) };
    }
    return { ok: true, permit: this.permit(false) };
  }

  /** Closes the breaker and forgets its failures. */
  reset(actor: Actor): void {
    this.failures = [];
    this.transition('closed', 'manual', actor);
  }

  /** Takes the state another instance reached: open for `openForMs` more, or closed. */
  adopt(to: 'open' | 'closed', openForMs: number): void {
    this.failures = [];
    if (to === 'open') {
      this.openedAt = this.clock.monotonic() - Math.max(0, this.settings.resetTimeoutMs - openForMs);
      if (this.current === 'open') return;
    }
    this.transition(to, 'shared', 'shared');
  }

  /** How long an open breaker still fails fast, in ms; 0 unless open. */
  openForMs(): number {
    return this.current === 'open' ? Math.max(0, this.openedAt + this.settings.resetTimeoutMs - this.clock.monotonic()) : 0;
  }

  updateSettings(settings: BreakerSettings): void {
    validate(settings);
    this.settings = settings;
  }

  snapshot(): BreakerSnapshot {
    this.advance();
    this.pruneFailures(this.clock.monotonic());
    return {
      key: this.key,
      state: this.current,
      failuresInWindow: this.failures.length,
      settings: this.settings,
      retryAfterSeconds: this.current === 'open' ? this.secondsToHalfOpen() : null,
      probesInFlight: this.current === 'half_open' ? this.probesIssued - this.probeSuccesses : 0,
      probeSuccesses: this.current === 'half_open' ? this.probeSuccesses : 0,
      changedAt: this.changedAt,
    };
  }

  private permit(probe: boolean): BreakerPermit {
    const generation = this.generation;
    let done = false;
    const once = (fn: () => void) => () => {
      if (done) return;
      done = true;
      if (generation === this.generation) fn();
    };
    return {
      probe,
      success: once(() => this.onSuccess(probe)),
      failure: once(() => this.onFailure(probe)),
      release: once(() => {
        if (probe) this.probesIssued--;
      }),
    };
  }

  private onSuccess(probe: boolean): void {
    if (!probe) return;
    this.probeSuccesses++;
    if (this.probeSuccesses >= this.settings.halfOpenRequests) {
      this.failures = [];
      this.transition('closed', 'probes_succeeded', 'breaker');
    }
  }

  private onFailure(probe: boolean): void {
    const now = this.clock.monotonic();
    if (probe) {
      this.open(now, 'probe_failed');
      return;
    }
    this.failures.push(now);
    this.pruneFailures(now);
    if (this.failures.length >= this.settings.errorThreshold) this.open(now, 'failures');
  }

  private open(now: number, reason: TransitionReason): void {
    this.openedAt = now;
    this.failures = [];
    this.transition('open', reason, 'breaker');
  }

  private advance(): void {
    if (this.current === 'open' && this.clock.monotonic() - this.openedAt >= this.settings.resetTimeoutMs) {
      this.transition('half_open', 'reset_timeout', 'breaker');
    }
  }

  private transition(to: BreakerState, reason: TransitionReason, actor: Actor): void {
    const from = this.current;
    this.current = to;
    this.generation++;
    this.probesIssued = 0;
    this.probeSuccesses = 0;
    if (from === to) return;
    this.changedAt = this.clock.now();
    this.listener({ key: this.key, from, to, reason, actor, at: this.changedAt });
  }

  private pruneFailures(now: number): void {
    const from = now - this.settings.windowMs;
    let i = 0;
    while (i < this.failures.length && (this.failures[i] ?? 0) <= from) i++;
    if (i > 0) this.failures.splice(0, i);
  }

  private secondsToHalfOpen(): number {
    const ms = this.openedAt + this.settings.resetTimeoutMs - this.clock.monotonic();
    return Math.max(1, Math.ceil(ms / 1000));
  }
}

function validate(s: BreakerSettings): void {
  const ok =
    Number.isInteger(s.errorThreshold) &&
    s.errorThreshold >= 1 &&
    s.windowMs > 0 &&
    s.resetTimeoutMs > 0 &&
    Number.isInteger(s.halfOpenRequests) &&
    s.halfOpenRequests >= 1;
  if (!ok) {
    throw new GatewayError(
      'config',
      'circuit_breaker needs error_threshold >= 1, window > 0, reset_timeout > 0 and half_open_requests >= 1',
    );
  }
}
