/**
 * Pause and resume from the built CLI against a running gateway: paused agents get 403 agent_paused in the
 * client's own wire format without reaching the provider, and both actions land in the audit as actor `cli`.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'ai-gateway.js');
const BUILT = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));
if (!BUILT) console.warn('controls-pause-cli: dist/ is missing, skipping the CLI tests; run `npm run build` first');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Promise<Run> {
  const env = { ...process.env };
  delete env.AI_GATEWAY_ADMIN_TOKEN;
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      done({ code, stdout, stderr });
    });
  });
}

async function post(url: string, path: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

const openaiCall = (url: string) =>
  post(url, '/agents/bot/v1/chat/completions', { authorization: 'Bearer sk-client' }, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const anthropicCall = (url: string) =>
  post(url, '/agents/bot/v1/messages', { 'x-api-key': 'sk-client', 'anthropic-version': '2023-06-01' }, {
    model: 'claude-haiku-4-5',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'hi' }],
  });

describe.skipIf(!BUILT)('pause and resume through the CLI', () => {
  let fo: FakeUpstream;
  let fa: FakeUpstream;
  let gw: TestGateway;
  let cwd: string;

  beforeAll(async () => {
    fo = await startFakeOpenAI();
    fa = await startFakeAnthropic();
    cwd = mkdtempSync(join(tmpdir(), 'ai-gateway-cli-'));
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fo.baseURL}, api_key: sk-x }`,
        `  fa: { type: anthropic, base_url: ${fa.url}, api_key: sk-ant-x }`,
        'models:',
        '  "gpt-*": fo',
        '  "claude-*": fa',
        'agents:',
        '  bot: { budget: { max_cost_per_day: 10 } }',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw.stop();
    await fo.close();
    await fa.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('pause → 403 agent_paused in each format without calling the provider → resume → 200', async () => {
    expect((await openaiCall(gw.url)).status).toBe(200);
    expect((await anthropicCall(gw.url)).status).toBe(200);

    const paused = await cli(['pause', 'bot', '--url', gw.url, '--reason', 'runaway loop'], cwd);
    expect(paused.stderr).toBe('');
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain('bot paused (runaway loop)');

    const before = fo.requests.length + fa.requests.length;
    const o = await openaiCall(gw.url);
    expect(o.status).toBe(403);
    expect(o.headers.get('x-should-retry')).toBe('false');
    expect(Object.keys(o.json)).toEqual(['error']);
    const oe = o.json.error as Record<string, unknown>;
    expect(oe).toMatchObject({ type: 'permission_error', code: 'agent_paused', param: null });
    expect(oe.message).toMatch(/Agent 'bot' is paused \(runaway loop\) by cli since .*ai-gateway resume bot/);

    const a = await anthropicCall(gw.url);
    expect(a.status).toBe(403);
    expect(a.json.type).toBe('error');
    const ae = a.json.error as Record<string, unknown>;
    expect(ae.type).toBe('permission_error');
    expect(ae.message).toMatch(/Agent 'bot' is paused \(runaway loop\) by cli/);
    expect(typeof a.json.request_id).toBe('string');
    expect(fo.requests.length + fa.requests.length).toBe(before);

    const status = (await (await fetch(`${gw.url}/api/agents/bot`)).json()) as { status: string; pauseReason?: string; pausedBy?: string };
    expect(status).toMatchObject({ status: 'paused', pauseReason: 'runaway loop', pausedBy: 'cli' });

    const resumed = await cli(['resume', 'bot', '--url', gw.url], cwd);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toBe('bot resumed\n');
    expect((await openaiCall(gw.url)).status).toBe(200);
    expect((await anthropicCall(gw.url)).status).toBe(200);

    const events = gw.controlEvents().filter((e) => e.agent === 'bot');
    expect(events.map((e) => [e.kind, e.actor, e.reason])).toEqual([
      ['pause', 'cli', 'runaway loop'],
      ['resume', 'cli', 'runaway loop'],
    ]);
    await eventually(() => gw.rows().length === 6);
    const rows = gw.rows().filter((r) => r.agent === 'bot');
    expect(rows.map((r) => [r.client_format, r.status, r.error_code])).toEqual([
      ['openai-chat', 200, null],
      ['anthropic-messages', 200, null],
      ['openai-chat', 403, 'agent_paused'],
      ['anthropic-messages', 403, 'agent_paused'],
      ['openai-chat', 200, null],
      ['anthropic-messages', 200, null],
    ]);
  });

  it('names an unknown agent and a gateway that is not running with one line and exit 1', async () => {
    const unknown = await cli(['pause', 'nobody', '--url', gw.url], cwd);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no agent "nobody"/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);

    const down = await cli(['pause', 'bot', '--url', 'http://127.0.0.1:9'], cwd);
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toMatch(/not running|cannot reach|127\.0\.0\.1:9/);
  });
});
