import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { BreakerRegistry, breakerKey } from '../../../src/control/breaker-registry.js';
import {
  CircuitBreaker,
  isBreakerFailure,
  isBreakerFailureError,
  type BreakerPermit,
  type BreakerTransition,
} from '../../../src/control/circuit-breaker.js';
import type { BreakerSettings } from '../../../src/control/types.js';
import { FakeClock } from '../../helpers/clock.js';

const settings: BreakerSettings = { errorThreshold: 3, windowMs: 60_000, resetTimeoutMs: 30_000, halfOpenRequests: 2 };

function setup(s: BreakerSettings = settings) {
  const clock = new FakeClock();
  const transitions: BreakerTransition[] = [];
  const breaker = new CircuitBreaker('openai', s, clock, (t) => transitions.push(t));
  const permit = (): BreakerPermit => {
    const d = breaker.tryAcquire();
    if (!d.ok) throw new Error('expected a permit');
    return d.permit;
  };
  return { clock, breaker, transitions, permit };
}

describe('isBreakerFailure', () => {
  it('counts 5xx, 529, timeouts and connection errors', () => {
    for (const s of [500, 502, 503, 504, 529, 599]) expect(isBreakerFailure(s)).toBe(true);
    for (const k of ['timeout', 'connection', 'upstream_timeout', 'upstream_unreachable'] as const) {
      expect(isBreakerFailure(k)).toBe(true);
    }
  });

  it('does not count 2xx or 4xx, including 429', () => {
    for (const s of [200, 400, 401, 403, 404, 408, 413, 429]) expect(isBreakerFailure(s)).toBe(false);
    for (const k of ['rate_limited', 'invalid_request', 'authentication'] as const) expect(isBreakerFailure(k)).toBe(false);
  });

  it('reads a GatewayError by kind, or by upstream status for upstream_error', () => {
    expect(isBreakerFailureError(new GatewayError('upstream_error', 'x', { status: 529 }))).toBe(true);
    expect(isBreakerFailureError(new GatewayError('upstream_error', 'x', { status: 400 }))).toBe(false);
    expect(isBreakerFailureError(new GatewayError('upstream_timeout', 'x'))).toBe(true);
    expect(isBreakerFailureError(new GatewayError('rate_limited', 'x'))).toBe(false);
  });
});

describe('CircuitBreaker', () => {
  it('opens after error_threshold failures within the window', () => {
    const { breaker, transitions, permit } = setup();
    permit().failure();
    permit().failure();
    permit().success();
    expect(breaker.state).toBe('closed');
    permit().failure();
    expect(breaker.state).toBe('open');
    expect(transitions).toMatchObject([{ key: 'openai', from: 'closed', to: 'open', reason: 'failures', actor: 'breaker' }]);
  });

  it('the window slides: old failures stop counting', () => {
    const { clock, breaker, permit } = setup();
    permit().failure();
    clock.advance(30_000);
    permit().failure();
    clock.advance(30_000); // the first failure is now exactly 60 s old and leaves the window
    permit().failure();
    expect(breaker.state).toBe('closed');
    permit().failure();
    expect(breaker.state).toBe('open');
  });

  it('fails fast while open with retryAfter until the reset timeout', () => {
    const { clock, breaker, permit } = setup();
    for (let i = 0; i < 3; i++) permit().failure();
    expect(breaker.tryAcquire()).toEqual({ ok: false, state: 'open', retryAfterSeconds: 30 });
    clock.advance(12_500);
    expect(breaker.tryAcquire()).toEqual({ ok: false, state: 'open', retryAfterSeconds: 18 });
    clock.advance(17_499);
    expect(breaker.tryAcquire()).toMatchObject({ ok: false, retryAfterSeconds: 1 });
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
  });

  it('half-open lets half_open_requests probes through; their successes close it', () => {
    const { clock, breaker, transitions, permit } = setup();
    for (let i = 0; i < 3; i++) permit().failure();
    clock.advance(30_000);
    const p1 = permit();
    const p2 = permit();
    expect(p1.probe && p2.probe).toBe(true);
    expect(breaker.tryAcquire()).toEqual({ ok: false, state: 'half_open', retryAfterSeconds: 1 });
    expect(breaker.snapshot()).toMatchObject({ state: 'half_open', probesInFlight: 2, probeSuccesses: 0 });
    p1.success();
    expect(breaker.state).toBe('half_open');
    p2.success();
    expect(breaker.state).toBe('closed');
    expect(transitions.map((t) => `${t.from}>${t.to}:${t.reason}`)).toEqual([
      'closed>open:failures',
      'open>half_open:reset_timeout',
      'half_open>closed:probes_succeeded',
    ]);
    // closing forgot the old failures
    permit().failure();
    permit().failure();
    expect(breaker.state).toBe('closed');
  });

  it('a failed probe re-opens it for another reset timeout', () => {
    const { clock, breaker, transitions, permit } = setup();
    for (let i = 0; i < 3; i++) permit().failure();
    clock.advance(30_000);
    const p1 = permit();
    const p2 = permit();
    p1.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toMatchObject({ ok: false, retryAfterSeconds: 30 });
    p2.success(); // a probe of the abandoned half-open episode: ignored
    expect(breaker.state).toBe('open');
    expect(transitions.at(-1)).toMatchObject({ from: 'half_open', to: 'open', reason: 'probe_failed' });
    clock.advance(30_000);
    expect(breaker.state).toBe('half_open');
  });

  it('a released probe frees its slot for another', () => {
    const { clock, breaker, permit } = setup({ ...settings, halfOpenRequests: 1 });
    for (let i = 0; i < 3; i++) permit().failure();
    clock.advance(30_000);
    const p = permit();
    expect(breaker.tryAcquire().ok).toBe(false);
    p.release();
    const again = permit();
    again.success();
    expect(breaker.state).toBe('closed');
  });

  it('ignores late outcomes of requests admitted before it opened, and double reports', () => {
    const { breaker, permit } = setup();
    const slow = permit();
    const twice = permit();
    twice.failure();
    twice.failure();
    twice.failure();
    expect(breaker.snapshot().failuresInWindow).toBe(1);
    permit().failure();
    permit().failure();
    expect(breaker.state).toBe('open');
    slow.failure();
    slow.success();
    expect(breaker.snapshot().failuresInWindow).toBe(0);
    expect(breaker.state).toBe('open');
  });

  it('manual reset closes it and reports the actor', () => {
    const { breaker, transitions, permit } = setup();
    for (let i = 0; i < 3; i++) permit().failure();
    breaker.reset('tui');
    expect(breaker.state).toBe('closed');
    expect(transitions.at(-1)).toMatchObject({ from: 'open', to: 'closed', reason: 'manual', actor: 'tui' });
    const n = transitions.length;
    breaker.reset('tui'); // already closed: no event
    expect(transitions).toHaveLength(n);
  });

  it('snapshot shows retry time while open', () => {
    const { clock, breaker, permit } = setup();
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', retryAfterSeconds: null, changedAt: null });
    for (let i = 0; i < 3; i++) permit().failure();
    clock.advance(10_000);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', retryAfterSeconds: 20, changedAt: clock.now() - 10_000 });
  });

  it('rejects nonsense settings', () => {
    const clock = new FakeClock();
    expect(() => new CircuitBreaker('x', { ...settings, errorThreshold: 0 }, clock)).toThrow(/error_threshold/);
    expect(() => new CircuitBreaker('x', { ...settings, halfOpenRequests: 1.5 }, clock)).toThrow(/half_open_requests/);
  });
});

describe('BreakerRegistry', () => {
  it('shares one breaker per provider unless the agent sets its own thresholds', () => {
    const clock = new FakeClock();
    const events: BreakerTransition[] = [];
    const reg = new BreakerRegistry({
      clock,
      defaults: settings,
      perAgent: new Map([['careful', { ...settings, errorThreshold: 1 }]]),
      onTransition: (t) => events.push(t),
    });
    expect(reg.forCall('openai', 'a')).toBe(reg.forCall('openai', 'b'));
    const own = reg.forCall('openai', 'careful');
    expect(own.key).toBe(breakerKey('openai', 'careful'));
    expect(own.key).toBe('careful:openai');
    const d = own.tryAcquire();
    if (d.ok) d.permit.failure();
    expect(own.state).toBe('open');
    expect(reg.forCall('openai', 'a').state).toBe('closed');
    expect(events).toMatchObject([{ key: 'careful:openai', to: 'open' }]);
    expect(reg.snapshot().map((s) => [s.key, s.state])).toEqual([
      ['careful:openai', 'open'],
      ['openai', 'closed'],
    ]);
    expect(reg.reset('careful:openai', 'api')).toBe(true);
    expect(own.state).toBe('closed');
    expect(reg.reset('nope', 'api')).toBe(false);
  });

  it('keeps state across a reload and drops per-agent breakers no longer configured', () => {
    const clock = new FakeClock();
    const reg = new BreakerRegistry({ clock, defaults: settings, perAgent: new Map([['x', settings]]) });
    const shared = reg.forCall('anthropic', 'a');
    for (let i = 0; i < 3; i++) {
      const d = shared.tryAcquire();
      if (d.ok) d.permit.failure();
    }
    reg.forCall('anthropic', 'x');
    reg.configure({ ...settings, resetTimeoutMs: 5_000 }, new Map());
    expect(reg.get('x:anthropic')).toBeUndefined();
    expect(reg.forCall('anthropic', 'x')).toBe(shared);
    expect(shared.state).toBe('open');
    clock.advance(5_000);
    expect(shared.state).toBe('half_open');
  });
});
