/**
 * Shared limits against a real Redis, with two "instances" in one process (two stores, two registries) on one
 * fake clock: the Lua scripts' windows, holds, leases and buckets, and the announcements between instances.
 * The multi-process cases (SIGKILL, Redis restarts) are in shared-state.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Alerter } from '../../src/alerts/alerter.js';
import { Logger } from '../../src/observe/logger.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentRegistry, BreakerRegistry, BudgetLedger, HOUR_MS, type AdmissionTicket } from '../../src/control/index.js';
import { GatewayError } from '../../src/core/errors.js';
import { RedisStore, type SharedAdmit } from '../../src/state/shared/redis-store.js';
import { SharedControls, type SharedControlsOptions, type WaitingSettlements } from '../../src/state/shared/shared-controls.js';
import { FakeClock, ManualTimers } from '../helpers/clock.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

let redis: PrivateRedis;
let prefixes = 0;

beforeAll(async () => {
  redis = await startPrivateRedis();
});
afterAll(async () => {
  await redis?.cleanup();
});

const BREAKER = { errorThreshold: 2, windowMs: 60_000, resetTimeoutMs: 30_000, halfOpenRequests: 1 };

interface Instance {
  shared: SharedControls;
  registry: AgentRegistry;
  ledger: BudgetLedger;
  breakers: BreakerRegistry;
  logs: string[];
}

/** Instances sharing one prefix of the private Redis, on one fake clock. */
async function fleet(
  n: number,
  agent: { budget?: { total?: number; hourly?: number }; rateLimit?: { spec: string; tpm?: number } },
  clock = new FakeClock('2026-12-06T12:00:00Z'),
  leaseMs?: number,
  extra: Pick<SharedControlsOptions, 'journal' | 'history'> = {},
): Promise<{
  instances: Instance[];
  clock: FakeClock;
  timers: ManualTimers;
  close: () => Promise<void>;
  /** Starts one more instance on the same prefix (a restart). */
  join: (extra: Pick<SharedControlsOptions, 'journal' | 'history'>) => Promise<Instance>;
}> {
  const timers = new ManualTimers(clock);
  const prefix = `t${process.pid}-${prefixes++}`;
  const instances: Instance[] = [];
  const join = async (options: Pick<SharedControlsOptions, 'journal' | 'history'>): Promise<Instance> => {
    const ledger = new BudgetLedger({ clock, timeZone: 'UTC' });
    const registry = new AgentRegistry({ clock, ledger, agents: [{ id: 'a', ...agent }] });
    const breakers = new BreakerRegistry({ clock, defaults: BREAKER, onTransition: (t) => shared.onBreakerTransition(t) });
    const logs: string[] = [];
    const store = new RedisStore({
      url: redis.url,
      prefix,
      onStatus: (up, why) => shared.onStoreStatus(up, why),
      onEvent: (e) => shared.onEvent(e),
      leaseMs,
    });
    // The callbacks above run only once the instance has started, after this line.
    const shared: SharedControls = new SharedControls({
      store,
      registry,
      ledger,
      breakers,
      clock,
      timers,
      onOutage: () => 'open',
      log: { info: (m) => logs.push(m), error: (m) => logs.push(m) },
      ...options,
    });
    expect(await shared.start()).toBe(true);
    const instance = { shared, registry, ledger, breakers, logs };
    instances.push(instance);
    return instance;
  };
  for (let i = 0; i < n; i++) await join(i === 0 ? extra : {});
  return { instances, clock, timers, join, close: async () => void (await Promise.all(instances.map((i) => i.shared.stop()))) };
}

async function admit(i: Instance, usd: number, tokens = 0): Promise<AdmissionTicket | GatewayError> {
  try {
    return await i.shared.admit('a', { estimatedCostUsd: usd, estimatedTokens: tokens });
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
}

/** Settlement goes to Redis a microtask after finish, then answers: wait for the mirror to move. */
async function settled(i: Instance, totalUsd: number): Promise<void> {
  const deadline = Date.now() + 2000;
  while (Math.abs(i.ledger.spend('a').totalUsd - totalUsd) > 1e-12) {
    if (Date.now() > deadline) throw new Error(`spend stayed at ${i.ledger.spend('a').totalUsd}, expected ${totalUsd}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('shared budgets', () => {
  it('60 concurrent holds across two instances overshoot the total budget by at most one request', async () => {
    const { instances, timers, close } = await fleet(2, { budget: { total: 1 } });
    try {
      const results = await Promise.all(Array.from({ length: 60 }, (_, k) => admit(instances[k % 2]!, 0.03)));
      const admitted = results.filter((r): r is AdmissionTicket => !(r instanceof GatewayError));
      const refused = results.filter((r): r is GatewayError => r instanceof GatewayError);
      // Holds are upper bounds: 0.03 each, so 34 fit under $1 (33 × 0.03 = 0.99 leaves room for one more).
      expect(admitted).toHaveLength(34);
      expect(refused.every((e) => e.kind === 'budget_exceeded')).toBe(true);
      expect(refused[0]!.message).toContain('held by requests in flight');
      for (const t of admitted) t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.03 });
      // Each instance reads what the other settled on its next second.
      await new Promise((r) => setTimeout(r, 100));
      timers.advance(1000);
      await settled(instances[0]!, 1.02);
      await settled(instances[1]!, 1.02);
      const after = await admit(instances[1]!, 0.03);
      expect(after).toBeInstanceOf(GatewayError);
      expect((after as GatewayError).message).toContain('has spent its lifetime budget: $1.02 of $1.00');
    } finally {
      await close();
    }
  });

  it('the rolling hour forgets a settlement 60 minutes later, exactly like the local ledger', async () => {
    const { instances, clock, timers, close } = await fleet(2, { budget: { hourly: 0.1 } });
    try {
      const t = await admit(instances[0]!, 0.1);
      (t as AdmissionTicket).finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.1 });
      await settled(instances[0]!, 0.1);
      clock.advance(30 * 60_000 - 1000);
      // Instance 1 reads the spend and pauses the agent for its budget; the refusal still says exactly when.
      timers.advance(1000); // moves the clock too: 12:30 now
      await until(() => instances[1]!.registry.agent('a')?.pause?.kind === 'budget', 'the budget pause');
      // Its mirror of the hour ages by minute, not an hour after it was read: the 12:00 minute, stamped at its last
      // millisecond and counted by the second like all local spend, frees at 13:01:00.
      expect(instances[1]!.registry.agent('a')?.budgetFreesAt).toBe(Date.parse('2026-12-06T13:01:00.000Z'));
      const refused = await admit(instances[1]!, 0.01);
      expect((refused as GatewayError).kind).toBe('budget_exceeded');
      // Spent at 12:00, so room comes back at 13:00: 30 minutes from now.
      expect((refused as GatewayError).message).toContain('Room frees up in 30 min (2026-12-06T13:00:00.000Z)');
      clock.advance(30 * 60_000 - 1);
      expect(await admit(instances[1]!, 0.01)).toBeInstanceOf(GatewayError);
      clock.advance(1);
      const ok = await admit(instances[1]!, 0.01);
      expect(ok).not.toBeInstanceOf(GatewayError);
      // The next reading brings the mirror's hour down to Redis's exact figure.
      timers.advance(1000);
      await until(() => instances[1]!.ledger.spend('a').hourUsd === 0, 'the hour to be read again');
      expect(instances[1]!.ledger.spend('a')).toMatchObject({ hourUsd: 0, totalUsd: 0.1 });
    } finally {
      await close();
    }
  });

  it("an instance that stops renewing its lease stops holding room: its holds go when the lease ends, on Redis's clock", async () => {
    // Leases run on Redis's own clock (instances' clocks may differ): a short one, waited out for real.
    const { instances, clock, close } = await fleet(2, { budget: { total: 1 } }, undefined, 400);
    try {
      expect(await admit(instances[0]!, 1)).not.toBeInstanceOf(GatewayError);
      // The other instance sees the hold: no room left, whatever its own clock says.
      clock.advance(3_600_000);
      expect(((await admit(instances[1]!, 0.2)) as GatewayError).message).toContain('held by requests in flight');
      // Instance 0 dies without settling (no more heartbeats); instance 1 renews its own lease.
      await new Promise((r) => setTimeout(r, 500));
      await (instances[1]!.shared as unknown as { o: { store: RedisStore } }).o.store.heartbeat(clock.now());
      expect(await admit(instances[1]!, 0.2)).not.toBeInstanceOf(GatewayError);
    } finally {
      await close();
    }
  });

  it('a cost that no hold covered (estimate too low) still reaches every instance, in integer nano-dollars', async () => {
    const { instances, timers, close } = await fleet(2, {});
    try {
      const t = (await admit(instances[0]!, 0.000001)) as AdmissionTicket;
      t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.000123457 });
      await settled(instances[0]!, 0.000123457);
      timers.advance(1000); // the other instance's next reading
      await until(() => instances[1]!.ledger.spend('a').totalUsd === 0.000123457, 'the other instance to read the spend');
    } finally {
      await close();
    }
  });
});

describe('the shared rolling hour', () => {
  const day = '2026-12-06';
  const dayEnd = Date.parse('2026-12-07T00:00:00Z');

  /** One store on a fresh prefix, a plain client to read its keys, and admission against an hourly limit. */
  async function hourStore(): Promise<{
    store: RedisStore;
    reader: Redis;
    key: (name: string) => string;
    settle: (now: number, number: number, cost: number) => Promise<unknown>;
    admit: (now: number, hourly: number) => Promise<SharedAdmit>;
    close: () => Promise<void>;
  }> {
    const prefix = `t${process.pid}-${prefixes++}`;
    const store = new RedisStore({ url: redis.url, prefix, onStatus: () => undefined, onEvent: () => undefined });
    const reader = new Redis(redis.url);
    expect(await store.connect()).toBeUndefined();
    return {
      store,
      reader,
      key: (name) => `${prefix}:agent:a:${name}`,
      settle: (now, number, cost) => store.settle('a', { id: { writer: 'w', number }, now, day, hold: 0, cost, tokens: null, tokenDiff: 0 }),
      admit: (now, hourly) =>
        store.admit('a', { now, day, dayEnd, hold: 1, limits: { total: null, daily: null, hourly }, requests: null, tokens: null, tokenCount: 0 }),
      close: async () => {
        reader.disconnect();
        await store.close();
      },
    };
  }

  it('holds one entry a second however many settlements it has, and frees them together an hour after the second ends', async () => {
    const h = await hourStore();
    try {
      const start = Date.parse('2026-12-06T12:00:00.250Z');
      const secondEnd = Date.parse('2026-12-06T12:00:01Z');
      for (let k = 1; k <= 40; k++) await h.settle(start + k * 10, k, 1000);
      // Forty settlements within one second: one entry, named and scored by the second's end.
      expect(await h.reader.zrange(h.key('hour'), 0, -1, 'WITHSCORES')).toEqual([String(secondEnd), String(secondEnd)]);
      expect(await h.reader.hgetall(h.key('hour-amounts'))).toEqual({ [String(secondEnd)]: '40000' });
      expect(await h.admit(start + 1000, 40_000)).toMatchObject({ ok: false, window: 'hourly', spent: 40_000, freesAt: secondEnd + HOUR_MS });
      expect(await h.admit(secondEnd + HOUR_MS - 1, 40_000)).toMatchObject({ ok: false, window: 'hourly' });
      expect(await h.admit(secondEnd + HOUR_MS, 40_000)).toMatchObject({ ok: true });
      expect(await h.reader.zcard(h.key('hour'))).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('counts and ages out an hour an earlier version wrote, one entry per settlement, beside the new entries', async () => {
    const h = await hourStore();
    try {
      const oldAt = Date.parse('2026-12-06T11:30:00.123Z');
      // What an instance of the earlier version left: its settlement's id, time and amount.
      await h.reader.zadd(h.key('hour'), oldAt, '7');
      await h.reader.hset(h.key('hour-amounts'), '7', '30000');
      await h.reader.incrby(h.key('hour-sum'), 30_000);
      const now = Date.parse('2026-12-06T12:00:00.250Z');
      await h.settle(now, 1, 10_000);
      expect(await h.admit(now, 35_000)).toMatchObject({ ok: false, window: 'hourly', spent: 40_000, freesAt: oldAt + HOUR_MS });
      expect(await h.admit(oldAt + HOUR_MS, 35_000)).toMatchObject({ ok: true });
      expect(await h.reader.zrange(h.key('hour'), 0, -1)).toEqual([String(Date.parse('2026-12-06T12:00:01Z'))]);
    } finally {
      await h.close();
    }
  });
});

describe('unanswered and waiting settlements', () => {
  /** Redis stops answering writes for a while (a slow or stuck server) and then answers again. */
  async function stall(ms: number): Promise<void> {
    const admin = new Redis(redis.url);
    await admin.call('CLIENT', 'PAUSE', String(ms), 'WRITE');
    admin.disconnect();
  }

  it('a settlement whose answer was lost is sent again and applied once', async () => {
    const { instances, timers, close } = await fleet(1, {});
    try {
      const [one] = instances as [Instance];
      const t = (await admit(one, 1)) as AdmissionTicket;
      await stall(1500);
      t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 1 });
      // The command times out after 1 s while Redis still holds it, then runs it when the pause ends.
      await until(() => one.shared.view().status === 'down', 'the outage to be noticed');
      expect(one.logs.some((l) => l.startsWith('shared state unreachable'))).toBe(true);
      await new Promise((r) => setTimeout(r, 700));
      timers.advance(1000);
      await until(() => one.shared.view().status === 'up', 'the resync');
      expect(one.ledger.spend('a').totalUsd).toBe(1);
      expect(one.shared.view().pending).toBe(0);
    } finally {
      await close();
    }
  });

  it('a call admitted during an outage that ends after it still reaches Redis', async () => {
    const { instances, timers, close } = await fleet(2, {});
    try {
      const [one, two] = instances as [Instance, Instance];
      await stall(1300);
      const t = (await admit(one, 0.5)) as AdmissionTicket; // admitted under this instance's own limits
      expect(one.shared.view().status).toBe('down');
      await new Promise((r) => setTimeout(r, 500));
      timers.advance(1000);
      await until(() => one.shared.view().status === 'up', 'the resync');
      t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.5 });
      timers.advance(1000);
      await until(() => one.shared.view().pending === 0 && one.ledger.spend('a').totalUsd === 0.5, 'the spend to be written');
      timers.advance(1000);
      await until(() => two.ledger.spend('a').totalUsd === 0.5, `the other instance to read it (${JSON.stringify([two.shared.view(), two.ledger.spend('a')])})`);
    } finally {
      await close();
    }
  });
});

describe('settlements in order', () => {
  it('admissions and settlements sent while Redis has just lost its scripts (SCRIPT FLUSH) are all taken, none skipped', async () => {
    const { instances, close } = await fleet(1, {});
    try {
      const [one] = instances as [Instance];
      const tickets: AdmissionTicket[] = [];
      for (let k = 0; k < 40; k++) tickets.push((await admit(one, 0.01)) as AdmissionTicket);
      const admin = new Redis(redis.url);
      await admin.call('SCRIPT', 'FLUSH');
      admin.disconnect();
      // Admissions (by digest, then by the script itself) and settlements interleaved, one pair a turn.
      const more: Promise<AdmissionTicket | GatewayError>[] = [];
      for (const t of tickets) {
        t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.01 });
        more.push(admit(one, 0.01));
        await new Promise((r) => setImmediate(r));
      }
      for (const t of await Promise.all(more)) (t as AdmissionTicket).finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.01 });
      await settled(one, 0.8);
      expect(one.ledger.spend('a').reservedUsd).toBe(0);
    } finally {
      await close();
    }
  });
});

describe('settlements kept across a stop', () => {
  const NANOS = 1e9;
  const day = '2026-12-06';

  it('kept out of order, they are sent again in the order of their numbers: none is skipped', async () => {
    const clock = new FakeClock('2026-12-06T12:00:00Z');
    const now = clock.now();
    const unanswered = [6, 5].map((number) => ({
      agent: 'a',
      args: { id: { writer: 'stopped-instance.1', number }, now, day, hold: 0, cost: number * NANOS, tokens: null, tokenDiff: 0 },
    }));
    const journal = { load: () => ({ pending: [], unanswered }), save: async () => undefined };
    const { instances, close } = await fleet(1, {}, clock, undefined, { journal });
    try {
      expect(instances[0]!.ledger.spend('a').totalUsd).toBe(11);
    } finally {
      await close();
    }
  });

  it('an instance that served before it ever read Redis, meeting an empty one, counts that spend once', async () => {
    // Its audit history holds the call, and so does the journal of what waits for Redis.
    const clock = new FakeClock('2026-12-06T12:00:00Z');
    const pending = [{ agent: 'a', at: clock.now() - 1, day, nanos: 2 * NANOS }];
    const journal = { load: () => ({ pending, unanswered: [] }), save: async () => undefined };
    const history = () => [{ agent: 'a', hour: 3 * NANOS, day: 3 * NANOS, total: 5 * NANOS }];
    const { instances, close } = await fleet(1, {}, clock, undefined, { journal, history });
    try {
      const spend = instances[0]!.ledger.spend('a');
      expect([spend.hourUsd, spend.todayUsd, spend.totalUsd]).toEqual([3, 3, 5]);
    } finally {
      await close();
    }
  });
});

describe('stopping while Redis hangs', () => {
  it('a stop ends within seconds when Redis keeps its connections open and never answers', async () => {
    const { instances } = await fleet(1, {});
    const [one] = instances as [Instance];
    redis.freeze();
    try {
      const started = performance.now();
      await one.shared.stop();
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      redis.thaw();
    }
  });
});

describe('a crash right after a flush', () => {
  it('the journal on disk then holds the written spend under its ids: a restart sends it again and Redis skips it', async () => {
    const saved: WaitingSettlements[] = [];
    const journal = { load: () => ({ pending: [], unanswered: [] }), save: async (w: WaitingSettlements) => void saved.push(structuredClone(w)) };
    const { instances, timers, join, close } = await fleet(1, {}, undefined, undefined, { journal });
    try {
      const [one] = instances as [Instance];
      const paused = new Redis(redis.url);
      await paused.call('CLIENT', 'PAUSE', '1300', 'WRITE');
      paused.disconnect();
      const t = (await admit(one, 0.5)) as AdmissionTicket; // admitted during the outage
      t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.5 });
      timers.advance(200); // the journal keeps it
      await until(() => saved.at(-1)?.pending.length === 1, 'the journal');
      await new Promise((r) => setTimeout(r, 500));
      timers.advance(1000);
      await until(() => one.shared.view().status === 'up' && one.shared.view().pending === 0, 'the flush');
      // The process dies here, before the journal is written again: a new one starts on the file as it is.
      const onDisk = saved.at(-1)!;
      const restarted = await join({ journal: { load: () => structuredClone(onDisk), save: async () => undefined } });
      expect(restarted.ledger.spend('a').totalUsd).toBe(0.5);
    } finally {
      await close();
    }
  });
});

describe('a flush asked for twice', () => {
  it('waiting spend is written once when the tick and a resync both flush it', async () => {
    const { instances, clock, timers, close } = await fleet(2, {});
    try {
      const [one, two] = instances as [Instance, Instance];
      // Thirty calls admitted while Redis does not answer, on this instance's own limits.
      const paused = new Redis(redis.url);
      await paused.call('CLIENT', 'PAUSE', '1300', 'WRITE');
      paused.disconnect();
      const tickets = [(await admit(one, 0.01)) as AdmissionTicket];
      expect(one.shared.view().status).toBe('down');
      for (let k = 1; k < 30; k++) tickets.push((await admit(one, 0.01)) as AdmissionTicket);
      await new Promise((r) => setTimeout(r, 500));
      timers.advance(1000);
      await until(() => one.shared.view().status === 'up', 'the resync');
      // They finish after it, a minute apart: thirty settlements wait, one per minute.
      for (const t of tickets) {
        clock.advance(60_000);
        t.finish({ ok: true, tokensIn: 1, tokensOut: 1, costUsd: 0.01 });
      }
      expect(one.shared.view().pending).toBe(30);
      // The tick starts writing them; a blip (down, then up) starts a resync, which flushes too.
      timers.advance(1000);
      one.shared.onStoreStatus(false, 'a blip');
      one.shared.onStoreStatus(true, 'back');
      await until(() => one.shared.view().status === 'up' && one.shared.view().pending === 0, 'both flushes');
      // The other instance reads Redis every second: once it shows all of it, it shows no more than all of it.
      const deadline = Date.now() + 3000;
      while (two.ledger.spend('a').totalUsd < 0.3 - 1e-9 && Date.now() < deadline) {
        timers.advance(1000);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(two.ledger.spend('a').totalUsd).toBeCloseTo(0.3, 12);
      expect(one.ledger.spend('a').totalUsd).toBeCloseTo(0.3, 12);
    } finally {
      await close();
    }
  });
});

describe('alerts across instances', () => {
  it('a budget threshold crossed on two instances reaches the webhook once; each instance still records it', async () => {
    const { instances, clock, close } = await fleet(2, {});
    const posts: string[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        posts.push(body);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      const events: string[] = [];
      const alerters = instances.map(
        (i, n) =>
          new Alerter({
            clock,
            logger: new Logger({ format: 'json', level: 'error', sink: { write: () => undefined } }),
            settings: () => ({ budgetThresholds: [0.5], webhook: url, webhookTimeoutMs: 2000, desktop: false, bell: true }),
            emit: (e) => events.push(`${n}:${e.kind}`),
            budgetOf: () => ({ windows: { hourly: { spentUsd: 0, limitUsd: null }, daily: { spentUsd: 0, limitUsd: null }, total: { spentUsd: 6, limitUsd: 10 } }, dayKey: '' }),
            address: () => `instance-${n}`,
            claim: (id, ttlMs) => i.shared.claim(id, ttlMs),
          }),
      );
      for (const a of alerters) a.checkBudget('a');
      await until(() => posts.length > 0, 'the webhook POST');
      // Both deliveries have run by now: the second found the alert claimed.
      await new Promise((r) => setTimeout(r, 300));
      await Promise.all(alerters.map((a) => a.close()));
      expect(events.sort()).toEqual(['0:alert', '1:alert']);
      expect(posts).toHaveLength(1);
      expect(posts[0]).toContain('agent a has used');
    } finally {
      hook.close();
      await close();
    }
  });
});

describe('shared rate limits', () => {
  it('6/min lets exactly 6 through across three instances, then refills on the clock', async () => {
    const { instances, clock, close } = await fleet(3, { rateLimit: { spec: '6/min' } });
    try {
      const results = await Promise.all(Array.from({ length: 12 }, (_, k) => admit(instances[k % 3]!, 0)));
      const refused = results.filter((r): r is GatewayError => r instanceof GatewayError);
      expect(results.length - refused.length).toBe(6);
      expect(refused.every((e) => e.kind === 'rate_limited' && e.retryAfter === 10)).toBe(true);
      clock.advance(10_000);
      expect(await admit(instances[2]!, 0)).not.toBeInstanceOf(GatewayError);
      expect(await admit(instances[0]!, 0)).toBeInstanceOf(GatewayError);
    } finally {
      await close();
    }
  });

  it('tokens per minute are taken from the estimate and corrected by the real count', async () => {
    const { instances, close } = await fleet(2, { rateLimit: { spec: '1000/min', tpm: 1000 } });
    try {
      const t = (await admit(instances[0]!, 0, 900)) as AdmissionTicket;
      expect(((await admit(instances[1]!, 0, 200)) as GatewayError).message).toContain('tokens-per-minute');
      // The call used 100 tokens, not 900: 800 come back.
      t.finish({ ok: true, tokensIn: 60, tokensOut: 40, costUsd: 0 });
      await new Promise((r) => setTimeout(r, 50));
      expect(await admit(instances[1]!, 0, 850)).not.toBeInstanceOf(GatewayError);
    } finally {
      await close();
    }
  });
});

describe('announcements', () => {
  it('a pause and a new budget made on one instance reach the other through pub/sub', async () => {
    const { instances, close } = await fleet(2, { budget: { total: 5 } });
    try {
      const [one, two] = instances as [Instance, Instance];
      const events: string[] = [];
      two.registry.on((e) => events.push(e.type));
      one.registry.pause('a', { actor: 'api', reason: 'maintenance' });
      // The registry saves through its persistence in the gateway; here the test plays that part.
      one.shared.saveOverride({ agent: 'a', pause: one.registry.agent('a')!.pause, budget: {}, updatedAt: 0 });
      await until(() => two.registry.agent('a')?.pause?.reason === 'maintenance', 'the pause to arrive');
      expect(((await admit(two, 0.01)) as GatewayError).kind).toBe('agent_paused');
      one.shared.saveOverride({ agent: 'a', pause: null, budget: { total: 7 }, updatedAt: 0 });
      await until(() => two.registry.agent('a')?.pause === null && two.ledger.limits('a').total === 7, 'the resume and the budget');
      expect(events).toEqual(['pause_changed', 'budget_changed', 'pause_changed']);
    } finally {
      await close();
    }
  });

  it('a breaker that opens on one instance opens on the other for the time it has left', async () => {
    const { instances, clock, close } = await fleet(2, {});
    try {
      const [one, two] = instances as [Instance, Instance];
      const breaker = one.breakers.forCall('openai', 'a');
      for (let k = 0; k < 2; k++) {
        const d = breaker.tryAcquire();
        if (d.ok) d.permit.failure();
      }
      expect(breaker.state).toBe('open');
      await until(() => two.breakers.forCall('openai', 'a').state === 'open', 'the breaker to open on the other instance');
      clock.advance(30_000);
      expect(two.breakers.forCall('openai', 'a').state).toBe('half_open');
    } finally {
      await close();
    }
  });
});
