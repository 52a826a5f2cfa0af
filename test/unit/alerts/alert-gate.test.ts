import { describe, expect, it } from 'vitest';
import { ALERT_HOUR_MS, AlertGate, alertText, type WindowSpend } from '../../../src/alerts/alert-gate.js';

const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);
const THRESHOLDS = [0.5, 0.8, 1];
const none: WindowSpend = { spentUsd: 0, limitUsd: null };
const hourly = (spentUsd: number, limitUsd = 1) => ({ hourly: { spentUsd, limitUsd }, daily: none, total: none });

describe('AlertGate: budget thresholds', () => {
  it('alerts once per threshold as spend crosses it, never again in the same window', () => {
    const gate = new AlertGate();
    expect(gate.budget('a', hourly(0.4), THRESHOLDS, T0, 'd1')).toEqual([]);
    expect(gate.budget('a', hourly(0.5), THRESHOLDS, T0 + 1, 'd1').map((x) => x.threshold)).toEqual([0.5]);
    expect(gate.budget('a', hourly(0.6), THRESHOLDS, T0 + 2, 'd1')).toEqual([]);
    expect(gate.budget('a', hourly(0.85), THRESHOLDS, T0 + 3, 'd1').map((x) => x.threshold)).toEqual([0.8]);
    expect(gate.budget('a', hourly(1.01), THRESHOLDS, T0 + 4, 'd1').map((x) => x.threshold)).toEqual([1]);
    expect(gate.budget('a', hourly(1.2), THRESHOLDS, T0 + 5, 'd1')).toEqual([]);
    // Another agent has its own thresholds.
    expect(gate.budget('b', hourly(0.9), THRESHOLDS, T0 + 6, 'd1').map((x) => x.threshold)).toEqual([0.8]);
  });

  it('counts a threshold reached to the nano-dollar, as budgets do (0.8 × $0.05 is reached by $0.04)', () => {
    const gate = new AlertGate();
    expect(0.8 * 0.05).toBeGreaterThan(0.04);
    expect(gate.budget('a', hourly(0.01 + 0.01 + 0.01 + 0.01, 0.05), THRESHOLDS, T0, 'd1').map((x) => x.threshold)).toEqual([0.8]);
  });

  it('names only the highest threshold one step crosses', () => {
    const gate = new AlertGate();
    const [alert, ...rest] = gate.budget('a', hourly(0.95), THRESHOLDS, T0, 'd1');
    expect(rest).toEqual([]);
    expect(alert).toMatchObject({ kind: 'budget', agent: 'a', window: 'hourly', threshold: 0.8, spentUsd: 0.95, limitUsd: 1, at: T0 });
    expect(gate.budget('a', hourly(0.99), THRESHOLDS, T0 + 1, 'd1')).toEqual([]);
  });

  it('re-arms an hourly threshold an hour after it went out, a daily one on the next day, a total one never', () => {
    const gate = new AlertGate();
    const all = (spent: number) => ({ hourly: { spentUsd: spent, limitUsd: 1 }, daily: { spentUsd: spent, limitUsd: 1 }, total: { spentUsd: spent, limitUsd: 1 } });
    expect(gate.budget('a', all(0.6), [0.5], T0, 'd1').map((x) => x.window)).toEqual(['hourly', 'daily', 'total']);
    expect(gate.budget('a', all(0.6), [0.5], T0 + ALERT_HOUR_MS - 1, 'd1')).toEqual([]);
    expect(gate.budget('a', all(0.6), [0.5], T0 + ALERT_HOUR_MS, 'd1').map((x) => x.window)).toEqual(['hourly']);
    expect(gate.budget('a', all(0.6), [0.5], T0 + ALERT_HOUR_MS + 1, 'd2').map((x) => x.window)).toEqual(['daily']);
    expect(gate.budget('a', all(0.6), [0.5], T0 + 30 * ALERT_HOUR_MS, 'd9').map((x) => x.window)).toEqual(['hourly', 'daily']);
  });

  it('alerts anew when the limit changes', () => {
    const gate = new AlertGate();
    expect(gate.budget('a', hourly(0.6, 1), THRESHOLDS, T0, 'd1')).toHaveLength(1);
    expect(gate.budget('a', hourly(0.6, 2), THRESHOLDS, T0 + 1, 'd1')).toEqual([]);
    expect(gate.budget('a', hourly(1.1, 2), THRESHOLDS, T0 + 2, 'd1').map((x) => x.threshold)).toEqual([0.5]);
  });

  it('does not send again what the audit says went out before a restart', () => {
    const first = new AlertGate();
    const sent = first.budget('a', hourly(0.85), THRESHOLDS, T0, 'd1');
    const second = new AlertGate();
    second.restore(sent.map((s) => ({ key: s.key, threshold: s.threshold, at: s.at })));
    expect(second.budget('a', hourly(0.9), THRESHOLDS, T0 + 60_000, 'd1')).toEqual([]);
    expect(second.budget('a', hourly(1), THRESHOLDS, T0 + 60_000, 'd1').map((x) => x.threshold)).toEqual([1]);
  });

  it('ignores windows without a limit', () => {
    const gate = new AlertGate();
    expect(gate.budget('a', { hourly: none, daily: { spentUsd: 5, limitUsd: null }, total: { spentUsd: 5, limitUsd: 0 } }, THRESHOLDS, T0, 'd1')).toEqual([]);
  });
});

describe('AlertGate: policies', () => {
  it('alerts at most once an hour per agent and policy', () => {
    const gate = new AlertGate();
    expect(gate.policy('a', 'noisy', 'error_count >= 1', T0)).toMatchObject({ kind: 'policy', agent: 'a', policy: 'noisy' });
    expect(gate.policy('a', 'noisy', 'error_count >= 1', T0 + 60_000)).toBeUndefined();
    expect(gate.policy('b', 'noisy', 'error_count >= 1', T0 + 60_000)).toBeDefined();
    expect(gate.policy('a', 'noisy', 'error_count >= 1', T0 + ALERT_HOUR_MS)).toBeDefined();
  });
});

describe('alertText', () => {
  it('says who, which window, how far, in dollars', () => {
    const gate = new AlertGate();
    const [eighty] = gate.budget('coder', hourly(0.0081, 0.01), THRESHOLDS, T0, 'd1');
    expect(alertText(eighty!)).toBe('agent coder has used 80% of its hourly budget ($0.0081 of $0.01)');
    const [full] = gate.budget('coder', hourly(0.0102, 0.01), THRESHOLDS, T0, 'd1');
    expect(alertText(full!)).toBe('agent coder has used its whole hourly budget ($0.0102 of $0.01); its calls are refused until there is room');
    expect(alertText(gate.policy('flaky', 'noisy', 'error_count >= 1', T0)!)).toBe('agent flaky: policy noisy fired (error_count >= 1)');
  });
});
