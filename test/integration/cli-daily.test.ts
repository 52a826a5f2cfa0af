/**
 * The client commands a developer runs all day, as the built CLI against a gateway started here: `logs --since`
 * in every form the help promises (and `export --since` by the same parser), output to a pipe that closes early,
 * "did you mean" for a mistyped command, `--port`, `export` after the demo, and `statusline`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { BUILD_TIMEOUT_MS, ensureBuilt, runCli, runShell } from '../helpers/cli.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { FakeClock } from '../helpers/clock.js';
import { closedPort } from './fakes-gateway.js';

const HOUR = 3_600_000;
let skipReason: string | undefined;
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-cli-daily-'));
  dirs.push(dir);
  return dir;
}

function requireBuild(ctx: { skip: (note?: string) => void }): void {
  if (skipReason !== undefined) ctx.skip(skipReason);
}

async function chat(url: string, agent: string, model = 'gpt-priced'): Promise<void> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

/** A local date as YYYY-MM-DD. */
function localDay(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

let fake: FakeUpstream;
beforeAll(async () => {
  skipReason = ensureBuilt();
  fake = await startFakeOpenAI();
}, BUILD_TIMEOUT_MS + 10_000);
afterAll(async () => {
  await fake?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// 10 000 $/M input and 100 000 $/M output: the fake's 12 + 8 tokens cost exactly $0.92 a request.
const PRICED = ['models:', '  "gpt-*": fo', 'prices:', '  gpt-priced: { input: 10000, output: 100000 }'];

describe('logs and export --since, across the real CLI and gateway', () => {
  let gw: TestGateway;
  const clock = new FakeClock(Date.now() - 3 * HOUR);
  const cwd = tempDir();

  beforeAll(async () => {
    gw = await startTestGateway({ yaml: [`providers:`, `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`, ...PRICED].join('\n'), clock });
    // Requests 3 h, 90 min, 30 min and 5 min before the gateway's "now".
    await chat(gw.url, 'old');
    clock.advance(90 * 60_000);
    await chat(gw.url, 'mid');
    clock.advance(60 * 60_000);
    await chat(gw.url, 'recent');
    clock.advance(25 * 60_000);
    await chat(gw.url, 'latest');
    clock.advance(5 * 60_000);
    await eventually(() => gw.rows().length === 4);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const agentsSince = async (since: string): Promise<string[]> => {
    const r = await runCli(['logs', '--json', '--since', since, '--url', gw.url], { cwd });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { agent: string }).agent);
  };

  it.for([
    ['15m', ['latest']],
    ['1h', ['recent', 'latest']],
    ['2h', ['mid', 'recent', 'latest']],
    ['2d', ['old', 'mid', 'recent', 'latest']],
    ['1h20m', ['recent', 'latest']],
  ] as const)('logs --since %s', async ([since, agents], ctx) => {
    requireBuild(ctx);
    expect(await agentsSince(since)).toEqual(agents);
  });

  it('logs --since takes an ISO date-time and a plain date (local midnight)', async (ctx) => {
    requireBuild(ctx);
    expect(await agentsSince(new Date(clock.now() - 45 * 60_000).toISOString())).toEqual(['recent', 'latest']);
    expect(await agentsSince(localDay(clock.now() - 2 * 24 * HOUR))).toEqual(['old', 'mid', 'recent', 'latest']);
    expect(await agentsSince(localDay(clock.now() + 2 * 24 * HOUR))).toEqual([]);
  });

  it('logs --since with something that is neither: a usage error naming the forms, no request sent', async (ctx) => {
    requireBuild(ctx);
    for (const bad of ['yesterday', '1760000000000', '2026-02-31']) {
      const r = await runCli(['logs', '--since', bad, '--url', gw.url], { cwd });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`--since takes a duration such as 15m, 1h, 2d`);
      expect(r.stderr).toContain(`"${bad}"`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('export --since reads the same forms from the file', async (ctx) => {
    requireBuild(ctx);
    const exported = async (since: string): Promise<string[]> => {
      const r = await runCli(['export', '--db', gw.dbPath, '--since', since], { cwd });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { agent: string }).agent);
    };
    // export measures back from this machine's clock, which the gateway's fake clock follows to within seconds.
    expect(await exported('2h')).toEqual(['mid', 'recent', 'latest']);
    expect(await exported(localDay(clock.now() - 2 * 24 * HOUR))).toEqual(['old', 'mid', 'recent', 'latest']);
    const bad = await runCli(['export', '--db', gw.dbPath, '--since', 'lately'], { cwd });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--since takes a duration');
  });
});

describe('client commands against a running gateway', () => {
  let gw: TestGateway;
  const cwd = tempDir();

  beforeAll(async () => {
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        ...PRICED,
        'agents:',
        '  coder: { budget: { max_cost_per_hour: 5, max_cost_per_day: 20 } }',
        '  idle: { budget: { max_cost_total: 3 } }',
      ].join('\n'),
    });
    // 300 requests: enough rows that `logs` and `export` write far more than a pipe buffer holds.
    for (let batch = 0; batch < 10; batch++) await Promise.all(Array.from({ length: 30 }, (_, i) => chat(gw.url, i % 2 === 0 ? 'coder' : 'other', 'gpt-unpriced')));
    await chat(gw.url, 'coder');
    await chat(gw.url, 'coder');
    await eventually(() => gw.rows().length === 302);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it.for([
    ['status', '$NODE "$BIN" status --url "$URL" | true'],
    ['logs', '$NODE "$BIN" logs --json --limit 500 --url "$URL" | head -c 10 >/dev/null'],
    ['logs -f', '$NODE "$BIN" logs -f --url "$URL" | true'],
    ['export', '$NODE "$BIN" export --db "$DB" | head -n 1 >/dev/null'],
  ] as const)('%s into a pipe that closes early exits 0 with nothing on stderr', async ([, script], ctx) => {
    requireBuild(ctx);
    const r = await runShell(script, { cwd, env: { URL: gw.url, DB: gw.dbPath } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a mistyped command gets "Did you mean …?" and exit 2', async (ctx) => {
    requireBuild(ctx);
    const r = await runCli(['stauts'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'stauts'");
    expect(r.stderr).toContain('Did you mean status?');
    const logs = await runCli(['lgos'], { cwd });
    expect(logs.status).toBe(2);
    expect(logs.stderr).toContain('Did you mean logs?');
  });

  it('--port reaches the gateway on 127.0.0.1, over the config file’s port', async (ctx) => {
    requireBuild(ctx);
    const port = String(gw.gateway.port);
    const empty = tempDir();
    const status = await runCli(['status', '--port', port], { cwd: empty });
    expect(status.stderr).toBe('');
    expect(status.stdout).toContain(`at ${gw.url}`);
    // The config names another port; --port wins, the host still comes from the file.
    const configured = tempDir();
    writeFileSync(join(configured, 'gateway.yaml'), `gateway: { host: 127.0.0.1, port: ${await closedPort()} }\n`);
    for (const args of [['status'], ['logs', '--limit', '1'], ['budget', 'coder'], ['pause', 'idle'], ['resume', 'idle']]) {
      const r = await runCli([...args, '-p', port], { cwd: configured });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(0);
    }
    const without = await runCli(['status'], { cwd: configured });
    expect(without.status).toBe(1);
    expect(without.stderr).toContain('no gateway is running');
    const both = await runCli(['status', '--port', port, '--url', gw.url], { cwd: empty });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/cannot be used with/);
  });

  it('status, logs and budget spell numbers as the dashboard does', async (ctx) => {
    requireBuild(ctx);
    const status = await runCli(['status', '--url', gw.url], { cwd });
    expect(status.status).toBe(0);
    const coder = status.stdout.split('\n').find((l) => l.startsWith('coder'))!;
    // 152 calls, $0.92 twice: $1.84 of $5 this hour, of $20 today; a limitless lifetime; tokens grouped.
    expect(coder).toMatch(/^coder\s+active\s+gpt-priced\s+152\s+0\s+1\.8k\/1\.2k\s+\$1\.84 \/ \$5\s+\$1\.84 \/ \$20\s+\$1\.84 \+unpriced$/);
    expect(status.stdout.split('\n').find((l) => l.startsWith('idle'))).toMatch(/\$0\s+\$0\s+\$0 \/ \$3$/);
    const logs = await runCli(['logs', '--agent', 'coder', '--limit', '1', '--url', gw.url], { cwd });
    expect(logs.stdout).toMatch(/^\d{2}:\d{2}:\d{2} coder\s+fo\s+gpt-priced\s+200\s+12→8\s+\$0\.92\s+\d+(ms|\.\ds|s)$/m);
    const budget = await runCli(['budget', 'coder', '--url', gw.url], { cwd });
    expect(budget.stdout).toBe('coder\n  hourly  $1.84 of $5\n  daily   $1.84 of $20\n  total   $1.84 of no limit\n');
  });

  it('export right after the demo names the demo’s database', async (ctx) => {
    requireBuild(ctx);
    const demoDir = tempDir();
    gw.gateway.store.sink.flush();
    // A consistent copy of a live WAL database, as the demo would have left it.
    await gw.gateway.store.db.backup(join(demoDir, 'ai-gateway-demo.db'));
    const r = await runCli(['export'], { cwd: demoDir });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      "ai-gateway: no ai-gateway database at ./ai-gateway.db; the demo's history is in ./ai-gateway-demo.db: run `ai-gateway export --db ai-gateway-demo.db`",
    );
    const followed = await runCli(['export', '--db', 'ai-gateway-demo.db'], { cwd: demoDir });
    expect(followed.stderr).toBe('');
    expect(followed.status).toBe(0);
    expect(followed.stdout.trim().split('\n')).toHaveLength(302);
    // With neither file, the plain message.
    const none = await runCli(['export'], { cwd: tempDir() });
    expect(none.stderr.trim()).toBe('ai-gateway: no ai-gateway database at ./ai-gateway.db; pass --db FILE');
  });

  describe('statusline', () => {
    // What Claude Code writes on stdin.
    const hook = JSON.stringify({ session_id: 's1', model: { id: 'claude-sonnet-4-5', display_name: 'Sonnet 4.5' }, workspace: { current_dir: '/tmp' }, cost: { total_cost_usd: 0.1 } });

    it('names the agent of ANTHROPIC_BASE_URL and shows its spend against its budget', async (ctx) => {
      requireBuild(ctx);
      const r = await runCli(['statusline'], { cwd, input: hook, env: { ANTHROPIC_BASE_URL: `${gw.url}/agents/coder` } });
      expect(r).toEqual({ status: 0, stdout: 'ai-gateway coder · $1.84/h of $5 · today $1.84 of $20 · +unpriced\n', stderr: '' });
    });

    it('takes the agent from x-agent-id in ANTHROPIC_CUSTOM_HEADERS, or --agent', async (ctx) => {
      requireBuild(ctx);
      const headers = await runCli(['statusline', '--port', String(gw.gateway.port)], { cwd, input: hook, env: { ANTHROPIC_CUSTOM_HEADERS: 'x-team: a\nX-Agent-Id: idle' } });
      expect(headers.stdout).toBe('ai-gateway idle · $0/h · today $0 · total $0 of $3\n');
      const flag = await runCli(['statusline', '--url', gw.url, '--agent', 'newcomer'], { cwd, input: hook });
      expect(flag.stdout).toBe('ai-gateway newcomer · no requests yet\n');
    });

    it('with no gateway running: one short line, exit 0', async (ctx) => {
      requireBuild(ctx);
      const port = await closedPort();
      const r = await runCli(['statusline', '--port', String(port)], { cwd, input: hook });
      expect(r).toEqual({ status: 0, stdout: 'ai-gateway: not running\n', stderr: '' });
    });
  });
});
