/**
 * Shared state across gateway processes, end to end: a private redis-server, one fake OpenAI with exact prices,
 * three built-CLI gateways on one config (`shared_state.on_outage: open`) and a fourth that fails closed, each with
 * its own SQLite audit file. The audit rows of all files are the oracle for money: spend is shared through Redis,
 * never summed from one process's own file. The tests share the processes and run in order, each on its own agents;
 * the outage and empty-Redis tests also check that the budget the first test used up stays used up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioDirective, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { spawnGateway, type SpawnedGateway } from '../helpers/gateway.js';
import { redisSkipReason, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

const skip = redisSkipReason() ?? ensureBuilt();
if (skip) console.warn(`shared-state tests skipped: ${skip}`);

/** $1 per 1M input tokens, $1000 per 1M output tokens; every reply reports 12 in, 20 out. */
const MODEL = 'gpt-shared';
const USAGE = { input: 12, output: 20 };
const CALL_USD = (USAGE.input * 1 + USAGE.output * 1000) / 1e6; // 0.020012
const MAX_TOKENS = USAGE.output;
/**
 * A hold is the body's bytes at the input rate plus 20 output tokens (about $0.0201). Holds are granted while spend
 * plus open holds is under the limit, so a fifth call may start at $0.0804 and end at $0.10006: the allowed overshoot.
 */
const TOTAL_BUDGET = 0.1;

interface AgentView {
  id: string;
  status: string;
  costHourUsd: number;
  costTodayUsd: number;
  costTotalUsd: number;
  budget: { hourly: number | null; daily: number | null; total: number | null };
}

interface SharedStateView {
  status: 'connecting' | 'up' | 'down';
  onOutage: 'open' | 'closed';
  /** Epoch ms of the last change. */
  since: number;
  /** Settlements made while Redis was down, not yet written to it. */
  pending: number;
}

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

interface Instance {
  name: string;
  config: string;
  db: string;
  proc: SpawnedGateway;
}

/** Audit rows of one SQLite file (read-write, so a WAL left by a killed process is recovered as the gateway would). */
function auditRows(db: string): { agent: string; status: number; error_code: string | null; cost_usd: number | null }[] {
  const conn = new Database(db);
  try {
    return conn.prepare('SELECT agent, status, error_code, cost_usd FROM requests ORDER BY rowid').all() as ReturnType<typeof auditRows>;
  } finally {
    conn.close();
  }
}

function rowsOf(instances: readonly Instance[], agent: string): ReturnType<typeof auditRows> {
  return instances.flatMap((i) => auditRows(i.db)).filter((r) => r.agent === agent);
}

function costOf(rows: ReturnType<typeof auditRows>): number {
  return rows.reduce((sum, r) => sum + (r.cost_usd ?? 0), 0);
}

async function chat(url: string, agent: string, format: 'openai' | 'anthropic' = 'openai', text = 'hi'): Promise<Reply> {
  const res =
    format === 'openai'
      ? await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
          body: JSON.stringify({ model: MODEL, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: text }] }),
        })
      : await fetch(`${url}/agents/${agent}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'sk-client', 'anthropic-version': '2023-06-01' },
          body: JSON.stringify({ model: 'claude-shared', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: text }] }),
        });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

/** A streamed chat; resolves with the status once the whole stream has arrived. */
async function streamChat(url: string, agent: string, text: string): Promise<number> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
    body: JSON.stringify({ model: MODEL, max_tokens: MAX_TOKENS, stream: true, messages: [{ role: 'user', content: text }] }),
  });
  const body = await res.text();
  if (res.status === 200 && !body.includes('data: [DONE]')) throw new Error(`stream ended early:\n${body}`);
  return res.status;
}

function errorCode(r: Reply): unknown {
  return (r.json.error as { code?: unknown } | undefined)?.code;
}

async function statusOf(url: string): Promise<{ agents: Map<string, AgentView>; sharedState: SharedStateView | undefined }> {
  const body = (await (await fetch(`${url}/api/status`)).json()) as { gateway: { sharedState?: SharedStateView }; agents: AgentView[] };
  return { agents: new Map(body.agents.map((a) => [a.id, a])), sharedState: body.gateway.sharedState };
}

async function agentOf(url: string, id: string): Promise<AgentView> {
  const a = (await statusOf(url)).agents.get(id);
  if (a === undefined) throw new Error(`no agent ${id} in ${url}/api/status`);
  return a;
}

async function ready(url: string): Promise<{ status: number; json: { shared_state?: { status: string; on_outage: string; since?: unknown } } }> {
  const res = await fetch(`${url}/health/ready`);
  return { status: res.status, json: (await res.json()) as { shared_state?: { status: string; on_outage: string; since?: unknown } } };
}

async function admin(url: string, method: 'POST' | 'PUT', path: string, body: unknown): Promise<number> {
  const res = await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

/** The ai_gateway_shared_state_up sample of an instance's /metrics. */
async function upGauge(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^ai_gateway_shared_state_up (\S+)$/m.exec(text);
  if (!m) throw new Error('no ai_gateway_shared_state_up in /metrics');
  return Number(m[1]);
}

/** The state of breaker `key` in GET /api/breakers ('closed' when it is not listed). */
async function breakerState(url: string, key: string): Promise<string> {
  const body = (await (await fetch(`${url}/api/breakers`)).json()) as { breakers: { key: string; state: string }[] };
  return body.breakers.find((b) => b.key === key)?.state ?? 'closed';
}

/** Polls `check` until it holds; fails with the last reason after `timeoutMs`. Returns the elapsed milliseconds. */
async function until(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean, stepMs = 20): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return performance.now() - started;
    } catch (err) {
      last = err;
    }
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last instanceof Error ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** The Anthropic error type of a 503 the gateway itself answers (as for an unavailable audit store). */
const ANTHROPIC_UNAVAILABLE = 'api_error';

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

/** Waits until every instance reports `usd` as the agent's total spend; on timeout, fails showing what each reports. */
async function allShow(instances: readonly Instance[], agent: string, usd: number, timeoutMs = 3000): Promise<void> {
  const shown = async (): Promise<Record<string, number>> =>
    Object.fromEntries(await Promise.all(instances.map(async (i) => [i.name, (await agentOf(i.proc.url, agent)).costTotalUsd] as const)));
  try {
    await until(`every instance shows $${usd} for ${agent}`, timeoutMs, async () => Object.values(await shown()).every((v) => close(v, usd)));
  } catch {
    const last = await shown();
    expect(last, `${agent}: spend per instance (audit rows of every file sum to $${usd})`).toEqual(Object.fromEntries(instances.map((i) => [i.name, usd])));
  }
}

describe.skipIf(skip !== undefined)('the private Redis of these tests', () => {
  it('keeps its data across a restart, as a production Redis does', async () => {
    const redis = await startPrivateRedis();
    try {
      await redis.client().set('kept', 'across restarts');
      await redis.restart();
      expect(await redis.client().get('kept')).toBe('across restarts');
    } finally {
      await redis.cleanup();
    }
  });
});

describe.skipIf(skip !== undefined)('shared state across gateway processes (built CLI, real Redis)', () => {
  let redis: PrivateRedis;
  let fake: FakeUpstream;
  let dir: string;
  /** a, b, c share one config (fail open); d fails closed. */
  const open: Instance[] = [];
  let closed: Instance;
  const all = (): Instance[] => [...open, closed];

  function writeConfig(name: string, onOutage: 'open' | 'closed', prefix: string): string {
    const path = join(dir, name);
    writeFileSync(
      path,
      [
        // One attempt per call: each scripted failure is one failure the breaker counts.
        'gateway: { embedded_defaults: false, retries: { max_attempts: 1 } }',
        'shared_state:',
        `  redis: ${redis.url}`,
        `  prefix: ${prefix}`,
        `  on_outage: ${onOutage}`,
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-shared-provider-0001 }`,
        'models:',
        '  "gpt-*": fo',
        '  "claude-*": fo',
        'prices:',
        `  ${MODEL}: { input: 1, output: 1000 }`,
        '  claude-shared: { input: 1, output: 1000 }',
        'agents:',
        `  budgeted: { budget: { max_cost_total: ${TOTAL_BUDGET} } }`,
        `  stalled: { budget: { max_cost_total: ${TOTAL_BUDGET} } }`,
        '  limited: { rate_limit: 6/min }',
        '  held: {}',
        '  spender: {}',
        '  outage: {}',
        // One open hold (about $0.0201) takes all of it.
        '  leased: { budget: { max_cost_total: 0.02 } }',
        '  quiet: {}',
        '  frozen: {}',
        '  blip: {}',
        '  wiped: {}',
        '  stranded: {}',
        '  fragile:',
        '    circuit_breaker: { error_threshold: 3, window: 60s, reset_timeout: 60s, half_open_requests: 1 }',
      ].join('\n'),
    );
    return path;
  }

  async function spawnInstance(name: string, config: string, db: string): Promise<Instance> {
    const proc = await spawnGateway({ cwd: dir, config, db });
    return { name, config, db, proc };
  }

  beforeAll(async () => {
    redis = await startPrivateRedis();
    fake = await startFakeOpenAI({ recordResponses: false, scenario: { kind: 'text', usage: USAGE } });
    dir = mkdtempSync(join(tmpdir(), 'ai-gateway-shared-'));
    const prefix = `ai-gateway-test-${randomBytes(4).toString('hex')}`;
    const openConfig = writeConfig('open.yaml', 'open', prefix);
    const closedConfig = writeConfig('closed.yaml', 'closed', prefix);
    const started = await Promise.all([
      ...['a', 'b', 'c'].map((n) => spawnInstance(n, openConfig, join(dir, `${n}.db`))),
      spawnInstance('d', closedConfig, join(dir, 'd.db')),
    ]);
    open.push(...started.slice(0, 3));
    closed = started[3]!;
  }, 30_000);

  afterAll(async () => {
    const procs = [...open, ...(closed ? [closed] : [])].map((i) => i.proc);
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await fake?.close();
    await redis?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('60 concurrent requests over three instances overshoot a shared total budget by at most one call', async () => {
    const replies = await Promise.all(Array.from({ length: 60 }, (_, i) => chat(open[i % 3]!.proc.url, 'budgeted')));
    const ok = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status !== 200);
    for (const r of refused) expect([r.status, errorCode(r)]).toEqual([429, 'budget_exceeded']);
    // Holds are atomic in Redis: one process alone admits five (the fifth is the allowed overshoot); three that
    // did not share would admit fifteen.
    expect(ok.length).toBeGreaterThanOrEqual(4);
    expect(ok.length).toBeLessThanOrEqual(5);

    await until('every reply has its audit row', 5000, () => rowsOf(open, 'budgeted').length === 60);
    const rows = rowsOf(open, 'budgeted');
    const spent = costOf(rows);
    expect(rows.filter((r) => r.status === 200)).toHaveLength(ok.length);
    expect(rows.filter((r) => r.status === 429 && r.error_code === 'budget_exceeded')).toHaveLength(refused.length);
    expect(spent).toBeCloseTo(ok.length * CALL_USD, 9);
    expect(spent).toBeLessThanOrEqual(TOTAL_BUDGET + CALL_USD + 1e-12);

    // Every instance shows the whole shared spend, not its own share of it.
    await allShow(open, 'budgeted', spent, 2000);
  });

  it('instances stalled for 1.5 s (SIGSTOP) in the middle of a burst do not call Redis down: the budget holds, nothing is counted twice or lost', async () => {
    // A process starved of CPU finds Redis's answers waiting in its socket when it runs again: that is not an
    // outage, which would put every instance on its own limits. Redis holds its answers for 300 ms, so that every
    // admission is still waiting for one when the instances stop, and has it in the socket when they go on.
    await redis.client().call('CLIENT', 'PAUSE', '300', 'WRITE');
    const burst = Promise.all(Array.from({ length: 60 }, (_, i) => chat(open[i % 3]!.proc.url, 'stalled')));
    await new Promise((r) => setTimeout(r, 100));
    for (const i of open) i.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 1500));
    for (const i of open) i.proc.kill('SIGCONT');
    const replies = await burst;
    const ok = replies.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThanOrEqual(4);
    expect(ok).toBeLessThanOrEqual(5);
    for (const i of open) expect(i.proc.stderr()).not.toContain('shared state unreachable');
    await until('every reply has its audit row', 5000, () => rowsOf(open, 'stalled').length === 60);
    const spent = costOf(rowsOf(open, 'stalled'));
    expect(spent).toBeCloseTo(ok * CALL_USD, 9);
    await allShow(open, 'stalled', spent);
  });

  it('a 6/min rate limit is one token bucket for all instances: exactly 6 of 24 concurrent requests pass', async () => {
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => chat(open[i % 3]!.proc.url, 'limited')));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(6);
    const limited = replies.filter((r) => r.status !== 200);
    expect(limited).toHaveLength(18);
    for (const r of limited) {
      expect([r.status, errorCode(r)]).toEqual([429, 'rate_limit_exceeded']);
      // The shared bucket refills one request every 10 s.
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(10);
    }
    await until('every reply has its audit row', 5000, () => rowsOf(open, 'limited').length === 24);
    expect(rowsOf(open, 'limited').filter((r) => r.error_code === 'rate_limit_exceeded')).toHaveLength(18);
  });

  it('a pause (CLI), a resume and a budget change (API) on one instance reach every other within a second', async () => {
    const [a, b, c] = open as [Instance, Instance, Instance];
    expect((await chat(b.proc.url, 'held')).status).toBe(200);

    const paused = await runCli(['pause', 'held', '--url', a.proc.url, '--reason', 'shared pause'], { cwd: dir });
    expect([paused.status, paused.stderr]).toEqual([0, '']);
    for (const other of [b, c, closed]) {
      await until(`${other.name} refuses the paused agent`, 1000, async () => {
        const r = await chat(other.proc.url, 'held');
        return r.status === 403 && errorCode(r) === 'agent_paused';
      });
      expect((await agentOf(other.proc.url, 'held')).status).toBe('paused');
    }

    expect(await admin(c.proc.url, 'POST', '/api/agents/held/resume', {})).toBe(200);
    for (const other of [a, b, closed]) {
      await until(`${other.name} sees the resume`, 1000, async () => (await agentOf(other.proc.url, 'held')).status !== 'paused');
      expect((await chat(other.proc.url, 'held')).status).toBe(200);
    }

    expect(await admin(b.proc.url, 'PUT', '/api/agents/held/budget', { total: 7.5 })).toBe(200);
    for (const other of [a, c, closed]) {
      await until(`${other.name} sees the budget change`, 1000, async () => (await agentOf(other.proc.url, 'held')).budget.total === 7.5);
    }
  });

  it('a breaker opened by failures through one instance fails fast on the others; a reset on one closes it everywhere', async () => {
    const [a, b, c] = open as [Instance, Instance, Instance];
    // b and d have used the breaker (so /api/breakers lists it); c has not.
    for (const warm of [a, b, closed]) expect((await chat(warm.proc.url, 'fragile')).status).toBe(200);
    const sent = fake.requests.length;
    fake.queueScenarios({ kind: 'error', status: 500 }, { kind: 'error', status: 500 }, { kind: 'error', status: 500 });
    for (let i = 0; i < 3; i++) expect((await chat(a.proc.url, 'fragile')).status).toBe(500);
    expect(fake.requests).toHaveLength(sent + 3);
    expect(await breakerState(a.proc.url, 'fragile:fo')).toBe('open');
    for (const other of [b, closed]) {
      await until(`${other.name} sees the breaker open`, 1000, async () => (await breakerState(other.proc.url, 'fragile:fo')) === 'open');
    }
    for (const other of [b, c, closed]) {
      const r = await chat(other.proc.url, 'fragile');
      expect([r.status, errorCode(r)]).toEqual([503, 'circuit_open']);
    }
    expect(fake.requests).toHaveLength(sent + 3);

    expect(await admin(c.proc.url, 'POST', '/api/breakers/fragile:fo/reset', {})).toBe(200);
    for (const other of [a, b, closed]) {
      await until(`${other.name} sees the reset`, 1000, async () => (await breakerState(other.proc.url, 'fragile:fo')) === 'closed');
    }
    expect((await chat(b.proc.url, 'fragile')).status).toBe(200);
    expect(fake.requests).toHaveLength(sent + 4);
  });

  it('an instance killed with SIGKILL and restarted on its own file reports the shared spend, neither doubled nor lost', async () => {
    for (let i = 0; i < 9; i++) expect((await chat(open[i % 3]!.proc.url, 'spender')).status).toBe(200);
    // The batched writer flushes every 50 ms: wait until every reply is a row, so the kill loses none.
    await until('nine spender rows', 5000, () => rowsOf(open, 'spender').length === 9);
    const spent = costOf(rowsOf(open, 'spender'));
    expect(spent).toBeCloseTo(9 * CALL_USD, 9);
    await allShow(open, 'spender', spent, 2000);

    const c = open[2]!;
    c.proc.kill('SIGKILL');
    await c.proc.exited;
    // Its own file holds only a third of the spend; the shared total comes from Redis.
    expect(costOf(auditRows(c.db).filter((r) => r.agent === 'spender'))).toBeCloseTo(3 * CALL_USD, 9);
    c.proc = (await spawnInstance('c', c.config, c.db)).proc;
    const after = await agentOf(c.proc.url, 'spender');
    expect(after.costTotalUsd).toBeCloseTo(spent, 9);
    expect(after.costTodayUsd).toBeCloseTo(spent, 9);
    expect(after.costHourUsd).toBeCloseTo(spent, 9);

    // One more call through the restarted instance: everyone agrees on the new total, nothing was replayed twice.
    expect((await chat(c.proc.url, 'spender')).status).toBe(200);
    await until('ten spender rows', 5000, () => rowsOf(open, 'spender').length === 10);
    const total = costOf(rowsOf(open, 'spender'));
    expect(total).toBeCloseTo(10 * CALL_USD, 9);
    await allShow(open, 'spender', total, 2000);
  });

  it('the holds of a killed instance stop counting once its lease lapses (15 s), and the instance comes back', async () => {
    const [a, , c] = open as [Instance, Instance, Instance];
    const sent = fake.requests.length;
    // The provider never answers this one: c holds the whole budget when it dies.
    const hung = chat(c.proc.url, 'leased', 'openai', `hi ${scenarioDirective('timeout_before_headers')}`).catch(() => undefined);
    await fake.waitForRequests(sent + 1, 5000);
    const refused = await chat(a.proc.url, 'leased');
    expect([refused.status, errorCode(refused)]).toEqual([429, 'budget_exceeded']);
    c.proc.kill('SIGKILL');
    await c.proc.exited;
    await hung;
    const waited = await until('a admits once the dead instance\'s hold lapsed', 20_000, async () => (await chat(a.proc.url, 'leased')).status === 200, 250);
    expect(waited).toBeLessThan(20_000);
    c.proc = (await spawnInstance('c', c.config, c.db)).proc;
    // Now the spend itself ($0.020012) has used the budget up, on every instance.
    for (const i of open) {
      await until(`${i.name} refuses leased`, 2000, async () => {
        const r = await chat(i.proc.url, 'leased');
        return r.status === 429 && errorCode(r) === 'budget_exceeded';
      });
    }
  }, 40_000);

  it('a pause announced while the subscriber connections were cut (a network blip) still reaches every instance', async () => {
    const [a, b, c] = open as [Instance, Instance, Instance];
    const killed = await redis.client().call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    expect(killed).toBe(4);
    expect(await admin(a.proc.url, 'POST', '/api/agents/blip/pause', { reason: 'during a blip' })).toBe(200);
    for (const other of [b, c, closed]) {
      await until(`${other.name} sees the pause`, 3000, async () => (await agentOf(other.proc.url, 'blip')).status === 'paused');
    }
  });

  it('a hung Redis (SIGSTOP): requests still answer, the flag goes down, and once it answers again no call is counted twice', async () => {
    const [a] = open as [Instance, Instance, Instance];
    // One call through each instance first, as in a gateway that has been running: its scripts are loaded in Redis.
    for (const i of open) expect((await chat(i.proc.url, 'frozen')).status).toBe(200);
    const sent = fake.requests.length;
    // Nine streams of 0.75 to 1.25 s; Redis freezes shortly before they end, so their settlements are sent to a
    // Redis that takes them in but answers only once it runs again (the client gives up on them after its timeout).
    const streams = Array.from({ length: 9 }, (_, i) =>
      streamChat(open[i % 3]!.proc.url, 'frozen', `hi ${scenarioDirective({ kind: 'text', chunks: 2, delayMs: 150 + 50 * (i % 3), usage: USAGE })}`),
    );
    await fake.waitForRequests(sent + 9, 5000);
    await new Promise((r) => setTimeout(r, 600)); // the freeze has to fall inside the streams: a moment, not a poll
    redis.freeze();
    expect(await Promise.all(streams)).toEqual(Array.from({ length: 9 }, () => 200));
    // A new call is not stuck behind the hung Redis for longer than its command timeout.
    const t0 = performance.now();
    expect((await chat(a.proc.url, 'frozen')).status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3000);
    for (const i of all()) await until(`${i.name} flags the hung Redis`, 5000, async () => (await ready(i.proc.url)).json.shared_state?.status === 'down');
    const refused = await chat(closed.proc.url, 'frozen');
    expect([refused.status, errorCode(refused)]).toEqual([503, 'shared_state_unavailable']);

    redis.thaw();
    for (const i of all()) await until(`${i.name} flags Redis up again`, 8000, async () => (await ready(i.proc.url)).json.shared_state?.status === 'up', 50);
    await until('thirteen frozen calls audited', 5000, () => rowsOf(all(), 'frozen').filter((r) => r.status === 200).length === 13);
    const spent = costOf(rowsOf(all(), 'frozen'));
    expect(spent).toBeCloseTo(13 * CALL_USD, 9);
    await allShow(all(), 'frozen', spent);
  });

  it('a Redis outage: fail-open serves on local limits, fail-closed refuses with 503 and audits it; after the restart spends agree again', async () => {
    const [a, b] = open as [Instance, Instance, Instance];
    expect((await chat(a.proc.url, 'outage')).status).toBe(200);
    for (const i of all()) {
      const r = await ready(i.proc.url);
      expect(r.status).toBe(200);
      expect(r.json.shared_state).toMatchObject({ status: 'up', on_outage: i === closed ? 'closed' : 'open' });
    }

    await redis.stop();
    for (const i of all()) {
      await until(`${i.name} flags the shared state down`, 5000, async () => (await ready(i.proc.url)).json.shared_state?.status === 'down');
    }
    for (const i of open) {
      const r = await ready(i.proc.url);
      expect(r.status).toBe(200);
      expect(r.json.shared_state).toMatchObject({ status: 'down', on_outage: 'open' });
      expect(Date.parse(String(r.json.shared_state?.since))).toBeGreaterThan(Date.now() - 10_000);
      expect((await statusOf(i.proc.url)).sharedState).toMatchObject({ status: 'down', onOutage: 'open' });
      expect(i.proc.stderr()).toMatch(/"level":"error","msg":"shared state unreachable: Redis does not answer/);
      expect(await upGauge(i.proc.url)).toBe(0);
    }
    const closedReady = await ready(closed.proc.url);
    expect(closedReady.status).toBe(503);
    expect(closedReady.json.shared_state).toMatchObject({ status: 'down', on_outage: 'closed' });
    expect((await statusOf(closed.proc.url)).sharedState).toMatchObject({ status: 'down', onOutage: 'closed' });

    // Fail-open: both instances keep answering and spending, under their own limits, which still hold the
    // last shared spend (the budget used up in the first test stays used up).
    for (const i of [a, b, a, b]) expect((await chat(i.proc.url, 'outage')).status).toBe(200);
    const exhausted = await chat(a.proc.url, 'budgeted');
    expect([exhausted.status, errorCode(exhausted)]).toEqual([429, 'budget_exceeded']);
    // A pause made during the outage waits for Redis and then reaches the others.
    expect(await admin(b.proc.url, 'POST', '/api/agents/quiet/pause', { reason: 'paused while Redis was down' })).toBe(200);
    expect((await chat(b.proc.url, 'quiet')).status).toBe(403);
    // An instance started during the outage starts (fail-open), says so, and serves.
    const c = open[2]!;
    c.proc.kill('SIGTERM');
    await c.proc.exited;
    c.proc = (await spawnInstance('c', c.config, c.db)).proc;
    expect((await ready(c.proc.url)).json.shared_state).toMatchObject({ status: 'down', on_outage: 'open' });
    expect((await chat(c.proc.url, 'outage')).status).toBe(200);
    // Fail-closed: refused in the client's own format, and each refusal is an audit row.
    const refusedOpenAI = await chat(closed.proc.url, 'outage');
    expect(refusedOpenAI.status).toBe(503);
    expect(refusedOpenAI.headers.get('retry-after')).toBe('1');
    expect(Object.keys(refusedOpenAI.json)).toEqual(['error']);
    expect(refusedOpenAI.json.error).toMatchObject({ code: 'shared_state_unavailable' });
    const refusedAnthropic = await chat(closed.proc.url, 'outage', 'anthropic');
    expect(refusedAnthropic.status).toBe(503);
    expect(refusedAnthropic.json).toMatchObject({ type: 'error', error: { type: ANTHROPIC_UNAVAILABLE } });
    expect(await upGauge(closed.proc.url)).toBe(0);
    await until('the refusals are audited', 5000, () => auditRows(closed.db).filter((r) => r.agent === 'outage' && r.error_code === 'shared_state_unavailable').length === 2);
    expect(auditRows(closed.db).filter((r) => r.agent === 'outage').map((r) => [r.status, r.cost_usd ?? 0])).toEqual([
      [503, 0],
      [503, 0],
    ]);

    await redis.start();
    for (const i of all()) {
      await until(`${i.name} flags the shared state up again`, 8000, async () => {
        const r = await ready(i.proc.url);
        return r.status === 200 && r.json.shared_state?.status === 'up';
      }, 50);
      expect((await statusOf(i.proc.url)).sharedState).toMatchObject({ status: 'up' });
      expect(await upGauge(i.proc.url)).toBe(1);
    }
    expect((await chat(closed.proc.url, 'outage')).status).toBe(200);
    for (const i of all()) {
      await until(`${i.name} sees the pause made during the outage`, 3000, async () => (await agentOf(i.proc.url, 'quiet')).status === 'paused');
    }
    // The outage-time spend reached Redis: every instance shows the sum of every file's rows.
    await until('seven outage calls audited', 5000, () => rowsOf(all(), 'outage').filter((r) => r.status === 200).length === 7);
    const spent = costOf(rowsOf(all(), 'outage'));
    expect(spent).toBeCloseTo(7 * CALL_USD, 9);
    await allShow(all(), 'outage', spent);
  });

  it('an instance stopped (SIGTERM, a rolling deploy) during an outage does not lose the spend it served meanwhile', async () => {
    const c = open[2]!;
    // Redis knows the agent already (an agent it has never seen is seeded from an instance's own audit file).
    expect((await chat(open[0]!.proc.url, 'stranded')).status).toBe(200);
    await allShow(all(), 'stranded', CALL_USD);
    await redis.stop();
    await until('c flags the shared state down', 5000, async () => (await ready(c.proc.url)).json.shared_state?.status === 'down');
    expect((await chat(c.proc.url, 'stranded')).status).toBe(200);
    await until('the call is audited', 5000, () => auditRows(c.db).some((r) => r.agent === 'stranded' && r.status === 200));
    c.proc.kill('SIGTERM');
    expect(await c.proc.exited).toEqual({ code: 0, signal: null });
    await redis.start();
    c.proc = (await spawnInstance('c', c.config, c.db)).proc;
    for (const i of all()) {
      await until(`${i.name} flags the shared state up`, 8000, async () => (await ready(i.proc.url)).json.shared_state?.status === 'up', 50);
    }
    expect(costOf(rowsOf(all(), 'stranded'))).toBeCloseTo(2 * CALL_USD, 9);
    await allShow(all(), 'stranded', costOf(rowsOf(all(), 'stranded')));
  });

  it('a gateway with another prefix on the same Redis shares nothing with this fleet', async () => {
    const other = await spawnInstance('e', writeConfig('other.yaml', 'open', `ai-gateway-other-${randomBytes(4).toString('hex')}`), join(dir, 'e.db'));
    try {
      expect((await ready(other.proc.url)).json.shared_state).toMatchObject({ status: 'up' });
      expect((await agentOf(open[0]!.proc.url, 'spender')).costTotalUsd).toBeGreaterThan(0);
      expect((await agentOf(other.proc.url, 'spender')).costTotalUsd).toBe(0);
      // The budget this fleet used up is whole for the other one.
      expect((await chat(other.proc.url, 'budgeted')).status).toBe(200);
      const r = await chat(open[0]!.proc.url, 'budgeted');
      expect([r.status, errorCode(r)]).toEqual([429, 'budget_exceeded']);
    } finally {
      other.proc.kill('SIGTERM');
      await other.proc.exited;
    }
  });

  it('a Redis that comes back empty (no persistence) gets spend, pauses and budgets put back: nothing resets', async () => {
    const agents = ['budgeted', 'spender', 'leased'];
    expect(await admin(open[0]!.proc.url, 'POST', '/api/agents/wiped/pause', {})).toBe(200);
    expect(await admin(open[0]!.proc.url, 'PUT', '/api/agents/wiped/budget', { daily: 4.25 })).toBe(200);
    for (const i of all()) await until(`${i.name} sees the pause`, 1000, async () => (await agentOf(i.proc.url, 'wiped')).status === 'paused');
    const before = await statusOf(open[0]!.proc.url);
    const restartedAt = Date.now();
    await redis.restart({ wipe: true });
    for (const i of all()) {
      await until(`${i.name} noticed the restart and resynced`, 8000, async () => {
        const shared = (await ready(i.proc.url)).json.shared_state;
        return shared?.status === 'up' && Date.parse(String(shared.since)) >= restartedAt;
      }, 50);
    }
    for (const agent of agents) await allShow(all(), agent, before.agents.get(agent)!.costTotalUsd);
    // The figures come from Redis, not from what each instance last showed: a new call adds to them everywhere.
    const spender = before.agents.get('spender')!.costTotalUsd;
    expect((await chat(open[1]!.proc.url, 'spender')).status).toBe(200);
    await allShow(all(), 'spender', spender + CALL_USD);
    for (const i of all()) {
      const r = await chat(i.proc.url, 'budgeted');
      expect([i.name, r.status, errorCode(r)]).toEqual([i.name, 429, 'budget_exceeded']);
      expect((await agentOf(i.proc.url, 'wiped')).status).toBe('paused');
      expect((await agentOf(i.proc.url, 'wiped')).budget.daily).toBe(4.25);
    }
  });
});
