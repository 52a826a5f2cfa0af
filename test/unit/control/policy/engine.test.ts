import { describe, expect, it } from 'vitest';
import { PolicyEngine, compilePolicy } from '../../../../src/control/policy/engine.js';
import { PolicyParseError } from '../../../../src/control/policy/errors.js';
import type { PolicyVariables } from '../../../../src/control/policy/variables.js';

const base: PolicyVariables = {
  error_rate: 0,
  cost_this_hour: 0,
  cost_today: 0,
  total_cost: 0,
  calls_this_hour: 0,
  call_count: 0,
  error_count: 0,
  status: 'active',
};

describe('PolicyEngine', () => {
  const engine = () =>
    new PolicyEngine([
      { name: 'high-error-rate', condition: 'error_rate > 0.5 && calls_this_hour >= 10', action: 'pause' },
      { name: 'runaway-spend', condition: 'cost_this_hour > 50', action: 'deny' },
      { name: 'spendy', condition: 'cost_today > 10', action: 'alert' },
      { name: 'slow-down', condition: 'calls_this_hour > 100', action: 'throttle', params: { rate: '10/min' } },
    ]);

  it('fires pause and alert on the rising edge only', () => {
    const e = engine();
    const hot = { ...base, error_rate: 0.9, calls_this_hour: 12, cost_today: 11 };
    expect(e.evaluate('a', hot).fired.map((f) => f.policy)).toEqual(['high-error-rate', 'spendy']);
    expect(e.evaluate('a', hot).fired).toEqual([]);
    expect(e.evaluate('a', base).fired).toEqual([]);
    expect(e.evaluate('a', hot).fired.map((f) => f.policy)).toEqual(['high-error-rate', 'spendy']);
  });

  it('keeps edge memory per agent', () => {
    const e = engine();
    const hot = { ...base, cost_today: 11 };
    expect(e.evaluate('a', hot).fired).toHaveLength(1);
    expect(e.evaluate('b', hot).fired).toHaveLength(1);
    e.forget('a');
    expect(e.evaluate('a', hot).fired).toHaveLength(1);
  });

  it('deny and throttle are levels: reported on every evaluation while they hold', () => {
    const e = engine();
    const v = { ...base, cost_this_hour: 60, calls_this_hour: 150 };
    for (let i = 0; i < 3; i++) {
      const r = e.evaluate('a', v);
      expect(r.denying).toEqual({ policy: 'runaway-spend', action: 'deny', condition: 'cost_this_hour > 50' });
      expect(r.throttles.map((t) => [t.policy, t.rate.requests])).toEqual([
        ['slow-down', { capacity: 10, refillPerSecond: 10 / 60 }],
      ]);
    }
    expect(e.evaluate('a', base)).toEqual({ fired: [], denying: null, throttles: [] });
  });

  it('applies a policy only to the agents it names', () => {
    const e = new PolicyEngine([{ name: 'p', condition: 'call_count > 0', action: 'alert', agents: ['x'] }]);
    const v = { ...base, call_count: 1 };
    expect(e.evaluate('y', v).fired).toEqual([]);
    expect(e.evaluate('x', v).fired).toHaveLength(1);
  });

  it('a reload keeps edge memory of unchanged policies and forgets changed ones', () => {
    const e = new PolicyEngine([
      { name: 'same', condition: 'call_count > 0', action: 'pause' },
      { name: 'changed', condition: 'call_count > 0', action: 'alert' },
    ]);
    const v = { ...base, call_count: 5 };
    expect(e.evaluate('a', v).fired).toHaveLength(2);
    e.setPolicies([
      { name: 'same', condition: 'call_count > 0', action: 'pause' },
      { name: 'changed', condition: 'call_count > 1', action: 'alert' },
    ]);
    expect(e.evaluate('a', v).fired.map((f) => f.policy)).toEqual(['changed']);
  });

  it('a bad reload leaves the old policies in place', () => {
    const e = new PolicyEngine([{ name: 'ok', condition: 'call_count > 0', action: 'alert' }]);
    expect(() => e.setPolicies([{ name: 'bad', condition: 'call_count >', action: 'alert' }])).toThrow(PolicyParseError);
    expect(e.policies.map((p) => p.name)).toEqual(['ok']);
  });

  it('names the policy in parse errors and checks params and names', () => {
    let err: unknown;
    try {
      compilePolicy({ name: 'oops', condition: 'error_rate >> 1', action: 'pause' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyParseError);
    expect((err as PolicyParseError).policy).toBe('oops');
    expect((err as PolicyParseError).position).toBe(12);
    expect((err as PolicyParseError).message).toMatch(/^policy 'oops': unexpected '>' at column 13$/);
    expect(() => compilePolicy({ name: 't', condition: 'true', action: 'throttle' })).toThrow(/params.rate/);
    expect(() => compilePolicy({ name: 't', condition: 'true', action: 'throttle', params: { rate: 'fast' } })).toThrow(
      /invalid rate limit/,
    );
    expect(
      () =>
        new PolicyEngine([
          { name: 'dup', condition: 'true', action: 'alert' },
          { name: 'dup', condition: 'true', action: 'alert' },
        ]),
    ).toThrow(/two policies are named 'dup'/);
  });
});
