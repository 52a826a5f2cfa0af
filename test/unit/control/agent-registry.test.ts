import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../../../src/control/agent-registry.js';
import type { AdmissionTicket, RegistryEvent } from '../../../src/control/registry-types.js';
import { BudgetLedger } from '../../../src/control/budget-ledger.js';
import { HOUR_MS } from '../../../src/control/budget-windows.js';
import type {
  AgentInput,
  AgentOverride,
  ControlPersistence,
  PolicyInput,
} from '../../../src/control/types.js';
import { FakeClock } from '../../helpers/clock.js';

class MemoryPersistence implements ControlPersistence {
  saved: AgentOverride[] = [];
  constructor(private readonly initial: AgentOverride[] = []) {}
  loadOverrides(): AgentOverride[] {
    return this.initial;
  }
  saveOverride(o: AgentOverride): void {
    this.saved.push(structuredClone(o));
  }
}

function setup(
  opts: {
    agents?: AgentInput[];
    policies?: PolicyInput[];
    persistence?: ControlPersistence;
    timeZone?: string;
    start?: string;
    defaults?: { budget?: { hourly?: number } };
  } = {},
) {
  const clock = new FakeClock(opts.start);
  const ledger = new BudgetLedger({ clock, timeZone: opts.timeZone ?? 'UTC' });
  const registry = new AgentRegistry({
    clock,
    ledger,
    agents: opts.agents ?? [{ id: 'researcher', budget: { hourly: 1 }, rateLimit: { spec: '100/min' }, tags: ['research'] }],
    defaults: opts.defaults ?? {},
    policies: opts.policies ?? [],
    persistence: opts.persistence,
  });
  const events: RegistryEvent[] = [];
  registry.on((e) => events.push(e));
  const admit = (id: string, estimatedCostUsd: number, estimatedTokens?: number): AdmissionTicket => {
    const r = registry.admit(id, { estimatedCostUsd, estimatedTokens });
    if (!r.ok) throw new Error(`expected admission, got ${r.error.kind}: ${r.error.message}`);
    return r.ticket;
  };
  const call = (id: string, costUsd: number, ok = true) =>
    admit(id, costUsd).finish({ ok, tokensIn: 100, tokensOut: 20, costUsd });
  return { clock, ledger, registry, events, admit, call };
}

describe('AgentRegistry: state and counters', () => {
  it('lists configured agents as idle, then active with counters after a call', () => {
    const { registry, call } = setup();
    expect(registry.snapshot()).toMatchObject([
      { id: 'researcher', configured: true, tags: ['research'], status: 'idle', calls: 0, rateLimit: '100/min' },
    ]);
    call('researcher', 0.25);
    call('researcher', 0.05, false);
    const s = registry.agent('researcher');
    expect(s).toMatchObject({
      status: 'active',
      calls: 2,
      errors: 1,
      tokensIn: 200,
      tokensOut: 40,
      callsThisHour: 2,
      errorRate: 0.5,
      budget: { hourly: 1, daily: null, total: null },
      spend: { hourUsd: 0.3, todayUsd: 0.3, totalUsd: 0.3, reservedUsd: 0 },
    });
  });

  it('goes idle after 5 minutes without calls, and calls this hour roll off', () => {
    const { clock, registry, call } = setup();
    call('researcher', 0.01);
    clock.advance(5 * 60_000 - 1);
    expect(registry.agent('researcher')?.status).toBe('active');
    clock.advance(1);
    expect(registry.agent('researcher')?.status).toBe('idle');
    clock.advance(HOUR_MS);
    expect(registry.agent('researcher')).toMatchObject({ callsThisHour: 0, calls: 1 });
  });

  it('auto-registers unknown agents with the default limits and says so', () => {
    const { registry, events, call } = setup({ defaults: { budget: { hourly: 2 } } });
    call('stranger', 0.1);
    expect(events).toContainEqual({ type: 'agent_registered', agent: 'stranger', at: expect.any(Number) as number });
    expect(registry.agent('stranger')).toMatchObject({ configured: false, budget: { hourly: 2 }, calls: 1 });
    expect(registry.ids().sort()).toEqual(['researcher', 'stranger']);
  });

  it('abandon drops the hold without counting a call', () => {
    const { registry, admit } = setup();
    const t = admit('researcher', 0.4);
    expect(registry.agent('researcher')?.spend.reservedUsd).toBe(0.4);
    t.abandon();
    t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 1 }); // ignored after abandon
    expect(registry.agent('researcher')).toMatchObject({ calls: 0, spend: { reservedUsd: 0, totalUsd: 0 } });
  });

  it('restores spend and counters from the store on start', () => {
    const { clock, registry } = setup();
    registry.restore({
      entries: [{ ts: clock.now() - 1000, agent: 'old-bot', costUsd: 0.5 }],
      counters: [{ agent: 'old-bot', calls: 7, errors: 2, tokensIn: 700, tokensOut: 70, lastCallAt: clock.now() - 1000 }],
    });
    expect(registry.agent('old-bot')).toMatchObject({
      configured: false,
      calls: 7,
      errors: 2,
      status: 'active',
      spend: { hourUsd: 0.5, totalUsd: 0.5 },
    });
  });
});

describe('AgentRegistry: pause and resume', () => {
  it('manual pause rejects calls, emits {actor, old, new}, persists, and never lifts by itself', () => {
    const persistence = new MemoryPersistence();
    const { clock, registry, events } = setup({ persistence });
    const p = registry.pause('researcher', { actor: 'tui', reason: 'looping' });
    expect(p).toEqual({ kind: 'manual', reason: 'looping', actor: 'tui', since: clock.now() });
    expect(events.at(-1)).toEqual({ type: 'pause_changed', agent: 'researcher', actor: 'tui', old: null, new: p, at: clock.now() });
    expect(persistence.saved.at(-1)).toMatchObject({ agent: 'researcher', pause: p, budget: {} });
    const r = registry.admit('researcher', { estimatedCostUsd: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('agent_paused');
      expect(r.error.status).toBe(403);
      expect(r.error.message).toContain('paused (looping) by tui');
      expect(r.error.message).toContain('ai-gateway resume researcher');
    }
    clock.advance(48 * HOUR_MS);
    registry.tick();
    expect(registry.agent('researcher')?.status).toBe('paused');
    expect(registry.resume('researcher', 'cli')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'pause_changed', actor: 'cli', old: p, new: null });
    expect(persistence.saved.at(-1)).toMatchObject({ agent: 'researcher', pause: null });
    expect(registry.resume('researcher', 'cli')).toBe(false);
    expect(registry.admit('researcher', { estimatedCostUsd: 0.01 }).ok).toBe(true);
  });

  it('pausing an already paused agent changes nothing', () => {
    const { registry, events } = setup();
    registry.pause('researcher', { actor: 'tui' });
    const n = events.length;
    expect(registry.pause('researcher', { actor: 'api', reason: 'again' })).toMatchObject({ actor: 'tui', reason: 'manual' });
    expect(events).toHaveLength(n);
  });

  it('pause/resume/setBudget of an unknown agent is not_found', () => {
    const { registry } = setup();
    expect(() => registry.pause('ghost', { actor: 'api' })).toThrow(/no agent 'ghost'/);
    expect(() => registry.setBudget('ghost', { hourly: 1 }, 'api')).toThrow(expect.objectContaining({ kind: 'not_found' }));
  });

  it('loads persisted pauses and budget overrides at start; overrides win over the config', () => {
    const since = Date.parse('2025-03-01T00:00:00Z');
    const persistence = new MemoryPersistence([
      { agent: 'researcher', pause: { kind: 'manual', reason: 'manual', actor: 'tui', since }, budget: { hourly: 3, daily: null }, updatedAt: since },
      { agent: 'gone', pause: null, budget: { total: 9 }, updatedAt: since },
    ]);
    const { registry } = setup({
      agents: [{ id: 'researcher', budget: { hourly: 1, daily: 5, total: 50 } }],
      persistence,
    });
    expect(registry.agent('researcher')).toMatchObject({
      status: 'paused',
      pause: { kind: 'manual', actor: 'tui', since },
      budget: { hourly: 3, daily: null, total: 50 },
    });
    expect(registry.agent('gone')).toMatchObject({ configured: false, budget: { total: 9 } });
  });
});

describe('AgentRegistry: budgets', () => {
  it('a spent hourly budget pauses the agent (actor budget) and lifts when the hour frees room', () => {
    const { clock, registry, events, call } = setup();
    call('researcher', 0.6);
    clock.advance(20 * 60_000);
    call('researcher', 0.6);
    expect(registry.agent('researcher')?.pause).toMatchObject({ kind: 'budget', reason: 'budget:hourly', actor: 'budget' });
    expect(events.at(-1)).toMatchObject({ type: 'pause_changed', actor: 'budget', old: null, new: { reason: 'budget:hourly' } });
    const r = registry.admit('researcher', { estimatedCostUsd: 0.01 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('budget_exceeded');
      expect(r.error.shouldRetry).toBe(false);
      expect(r.error.retryAfter).toBe(40 * 60);
      expect(r.error.message).toMatch(/hourly budget: \$1\.20 of \$1\.00 in the last 60 minutes\. Room frees up in 40 min/);
    }
    expect(registry.agent('researcher')?.budgetFreesAt).toBe(clock.now() + 40 * 60_000);
    clock.advance(40 * 60_000 - 1);
    registry.tick();
    expect(registry.agent('researcher')?.status).toBe('paused');
    clock.advance(1);
    registry.tick();
    expect(registry.agent('researcher')?.status).toBe('idle');
    expect(events.at(-1)).toMatchObject({ type: 'pause_changed', actor: 'budget', old: { reason: 'budget:hourly' }, new: null });
  });

  it('a spent daily budget lifts at local midnight (Asia/Kolkata)', () => {
    const { clock, registry, call } = setup({
      agents: [{ id: 'a', budget: { daily: 1 } }],
      timeZone: 'Asia/Kolkata',
      start: '2025-03-10T17:00:00Z',
    });
    call('a', 1);
    expect(registry.agent('a')?.pause?.reason).toBe('budget:daily');
    const r = registry.admit('a', { estimatedCostUsd: 0.5 });
    if (!r.ok) expect(r.error.message).toContain('Room frees up at midnight Asia/Kolkata (2025-03-10T18:30:00.000Z), in 1 h 30 min');
    clock.set('2025-03-10T18:30:00Z');
    expect(registry.agent('a')?.pause).toBeNull();
  });

  it('models priced at zero still run while the budget is spent', () => {
    const { registry, call } = setup();
    call('researcher', 1);
    expect(registry.agent('researcher')?.status).toBe('paused');
    const r = registry.admit('researcher', { estimatedCostUsd: 0 });
    expect(r.ok).toBe(true);
    if (r.ok) r.ticket.finish({ ok: true, tokensIn: 10, tokensOut: 10, costUsd: 0 });
    expect(registry.agent('researcher')?.calls).toBe(2);
  });

  it('resume cannot lift a budget pause while the window is spent; raising the budget does', () => {
    const persistence = new MemoryPersistence();
    const { registry, events, call } = setup({ persistence });
    call('researcher', 1);
    expect(() => registry.resume('researcher', 'tui')).toThrow(/hourly budget is spent.*--hourly/);
    const view = registry.setBudget('researcher', { hourly: 2, total: 10 }, 'tui');
    expect(view).toEqual({ hourly: 2, daily: null, total: 10 });
    const changed = events.find((e) => e.type === 'budget_changed');
    expect(changed).toMatchObject({
      agent: 'researcher',
      actor: 'tui',
      old: { hourly: 1, daily: null, total: null },
      new: { hourly: 2, daily: null, total: 10 },
    });
    expect(events.at(-1)).toMatchObject({ type: 'pause_changed', actor: 'budget', new: null });
    expect(persistence.saved.at(-1)).toMatchObject({ agent: 'researcher', pause: null, budget: { hourly: 2, total: 10 } });
    registry.setBudget('researcher', { total: null }, 'cli');
    expect(registry.agent('researcher')?.budget).toEqual({ hourly: 2, daily: null, total: null });
  });

  it('a bad budget value changes nothing', () => {
    const { registry, events } = setup();
    expect(() => registry.setBudget('researcher', { hourly: -5 }, 'tui')).toThrow(/hourly must be a number of USD >= 0/);
    expect(registry.agent('researcher')?.budget.hourly).toBe(1);
    expect(events.filter((e) => e.type === 'budget_changed')).toEqual([]);
  });

  it('a budget pause switches to the window that is still spent', () => {
    const { clock, registry, call } = setup({ agents: [{ id: 'a', budget: { hourly: 1, daily: 1.5 } }] });
    call('a', 1);
    expect(registry.agent('a')?.pause?.reason).toBe('budget:hourly');
    clock.advance(HOUR_MS);
    registry.admit('a', { estimatedCostUsd: 0.1 });
    expect(registry.agent('a')?.pause).toBeNull();
    call('a', 0.6);
    expect(registry.agent('a')?.pause?.reason).toBe('budget:daily');
  });

  it('a manual pause set while budget-paused stays after the window frees', () => {
    const { clock, registry, call } = setup();
    call('researcher', 1);
    registry.pause('researcher', { actor: 'cli' });
    clock.advance(2 * HOUR_MS);
    expect(registry.agent('researcher')?.pause).toMatchObject({ kind: 'manual', actor: 'cli' });
  });
});

describe('AgentRegistry: rate limits', () => {
  it('rejects with rate_limited and Retry-After once the bucket is empty', () => {
    const { clock, registry, admit } = setup({ agents: [{ id: 'a', rateLimit: { spec: '2/min' } }] });
    admit('a', 0);
    admit('a', 0);
    const r = registry.admit('a', { estimatedCostUsd: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('rate_limited');
      expect(r.error.retryAfter).toBe(30);
      expect(r.error.message).toContain('rate limit of 2/min');
    }
    clock.advance(30_000);
    expect(registry.admit('a', { estimatedCostUsd: 0 }).ok).toBe(true);
  });

  it('enforces tokens per minute from estimates corrected by real counts', () => {
    const { registry, admit } = setup({ agents: [{ id: 'a', rateLimit: { spec: '100/min', tpm: 1000 } }] });
    admit('a', 0, 400).finish({ ok: true, tokensIn: 900, tokensOut: 50, costUsd: 0 });
    const r = registry.admit('a', { estimatedCostUsd: 0, estimatedTokens: 100 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('tokens-per-minute');
  });
});

describe('AgentRegistry: policies', () => {
  const policies: PolicyInput[] = [
    { name: 'high-error-rate', condition: 'error_rate > 0.5 && calls_this_hour >= 4', action: 'pause' },
    { name: 'runaway-spend', condition: 'cost_this_hour > 0.5', action: 'deny' },
    { name: 'busy', condition: 'calls_this_hour >= 3', action: 'throttle', params: { rate: '1/min' } },
    { name: 'noisy', condition: 'error_count >= 1', action: 'alert' },
  ];

  it('a pause policy pauses on the rising edge (actor policy) and does not re-pause after a resume', () => {
    const { registry, events, call } = setup({ agents: [{ id: 'a' }], policies: policies.slice(0, 1) });
    call('a', 0, false);
    call('a', 0, false);
    call('a', 0, false);
    expect(registry.agent('a')?.status).not.toBe('paused');
    call('a', 0, false);
    expect(registry.agent('a')?.pause).toMatchObject({ kind: 'policy', reason: 'policy:high-error-rate', actor: 'policy' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'policy_fired', policy: 'high-error-rate', action: 'pause' }));
    expect(registry.variables('a')).toMatchObject({ error_rate: 1, calls_this_hour: 4, status: 'paused' });
    registry.resume('a', 'tui');
    call('a', 0, false); // condition still holds: no new edge
    expect(registry.agent('a')?.status).toBe('active');
  });

  it('a deny policy rejects while it holds and stops when it no longer does', () => {
    const { clock, registry, call } = setup({ agents: [{ id: 'a' }], policies: [policies[1] as PolicyInput] });
    call('a', 0.6);
    const r = registry.admit('a', { estimatedCostUsd: 0.1 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.kind).toBe('policy_denied');
      expect(r.error.message).toContain("Policy 'runaway-spend'");
    }
    expect(registry.agent('a')?.denyingPolicy).toBe('runaway-spend');
    clock.advance(HOUR_MS);
    expect(registry.admit('a', { estimatedCostUsd: 0.1 }).ok).toBe(true);
  });

  it('a throttle policy limits calls to its rate while it holds', () => {
    const { clock, registry, call } = setup({ agents: [{ id: 'a' }], policies: [policies[2] as PolicyInput] });
    call('a', 0);
    call('a', 0);
    call('a', 0);
    expect(registry.agent('a')?.throttledBy).toEqual(['busy']);
    expect(registry.admit('a', { estimatedCostUsd: 0 }).ok).toBe(true);
    const r = registry.admit('a', { estimatedCostUsd: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain("policy 'busy'");
    clock.advance(HOUR_MS);
    expect(registry.admit('a', { estimatedCostUsd: 0 }).ok).toBe(true);
    expect(registry.agent('a')?.throttledBy).toEqual([]);
  });

  it('alerts fire once per rising edge', () => {
    const { events, call } = setup({ agents: [{ id: 'a' }], policies: [policies[3] as PolicyInput] });
    call('a', 0, false);
    call('a', 0, false);
    expect(events.filter((e) => e.type === 'policy_fired')).toHaveLength(1);
  });
});

describe('AgentRegistry: config reload', () => {
  it('keeps state and counters, applies new limits, and rejects an invalid config whole', () => {
    const { registry, call } = setup();
    call('researcher', 0.2);
    registry.pause('researcher', { actor: 'tui' });
    registry.configure({
      agents: [{ id: 'researcher', budget: { hourly: 5 }, rateLimit: { spec: '10/s' } }],
      defaults: {},
      policies: [],
    });
    expect(registry.agent('researcher')).toMatchObject({
      calls: 1,
      status: 'paused',
      budget: { hourly: 5 },
      rateLimit: '10/s',
    });
    expect(() =>
      registry.configure({
        agents: [{ id: 'researcher', budget: { hourly: 1 }, rateLimit: { spec: 'lots' } }],
        defaults: {},
        policies: [],
      }),
    ).toThrow(/invalid rate limit/);
    expect(() =>
      registry.configure({ agents: [{ id: 'researcher' }], defaults: {}, policies: [{ name: 'x', condition: '(', action: 'pause' }] }),
    ).toThrow(/policy 'x'/);
    expect(registry.agent('researcher')).toMatchObject({ budget: { hourly: 5 }, rateLimit: '10/s' });
  });

  it("applies new defaults to agents without limits of their own, and leaves an unchanged agent's bucket as it was", () => {
    const own = (): AgentInput => ({ id: 'own', budget: { hourly: 1 }, rateLimit: { spec: '2/min' } });
    const { registry, admit } = setup({ agents: [own(), { id: 'plain' }], defaults: { budget: { hourly: 3 } } });
    admit('own', 0);
    // The same limits in new objects, as a reload reads them: nothing to apply for 'own', whose bucket keeps its level.
    registry.configure({ agents: [own(), { id: 'plain' }], defaults: { budget: { hourly: 7 }, rateLimit: { spec: '9/min' } }, policies: [] });
    expect(registry.agent('plain')).toMatchObject({ budget: { hourly: 7 }, rateLimit: '9/min' });
    expect(registry.agent('own')).toMatchObject({ budget: { hourly: 1 }, rateLimit: '2/min' });
    admit('own', 0);
    expect(registry.admit('own', { estimatedCostUsd: 0 })).toMatchObject({ ok: false, error: { kind: 'rate_limited' } });
  });

  it('applies a change to any one limit: a burst, tokens per minute, a budget window removed', () => {
    const { registry, admit, clock } = setup({ agents: [{ id: 'a', budget: { hourly: 1, daily: 5 }, rateLimit: { spec: '1/min' } }] });
    const reload = (a: AgentInput) => registry.configure({ agents: [a], defaults: {}, policies: [] });
    reload({ id: 'a', budget: { hourly: 1, daily: 5 }, rateLimit: { spec: '1/min', burst: 3 } });
    clock.advance(3 * 60_000);
    for (let i = 0; i < 3; i++) admit('a', 0);
    expect(registry.admit('a', { estimatedCostUsd: 0 }).ok).toBe(false);
    clock.advance(60_000);
    reload({ id: 'a', budget: { hourly: 1, daily: 5 }, rateLimit: { spec: '1/min', burst: 3, tpm: 100 } });
    admit('a', 0, 60).finish({ ok: true, tokensIn: 90, tokensOut: 5, costUsd: 0 });
    const r = registry.admit('a', { estimatedCostUsd: 0, estimatedTokens: 10 });
    expect(r).toMatchObject({ ok: false, error: { kind: 'rate_limited' } });
    if (!r.ok) expect(r.error.message).toContain('tokens-per-minute');
    reload({ id: 'a', budget: { hourly: 1 }, rateLimit: { spec: '1/min', burst: 3, tpm: 100 } });
    expect(registry.agent('a')?.budget).toEqual({ hourly: 1, daily: null, total: null });
  });
});
