/**
 * The built CLI as an operator runs it (`npm test` builds dist/ first): `ai-gateway start --no-tui` writes
 * one structured line per request carrying the request id and never the provider key (JSON and pretty),
 * reloads on SIGHUP, and `ai-gateway logs -f` follows the live stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually } from '../helpers/gateway.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'ai-gateway.js');
const UPSTREAM_KEY = 'sk-cli-upstream-key-0123456789';

interface Child {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

function run(args: string[], cwd: string): Child {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, UPSTREAM_KEY, AI_GATEWAY_ADMIN_TOKEN: '', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  const collect = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      into.push(...lines);
    });
  };
  const stdout: string[] = [];
  const stderr: string[] = [];
  collect(proc.stdout, stdout);
  collect(proc.stderr, stderr);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stdout, stderr, exited };
}

async function chat(url: string, agent: string, model = 'gpt-4o-mini'): Promise<{ id: string; status: number }> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client-own-key-000000' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  return { id: res.headers.get('x-request-id') ?? '', status: res.status };
}

function config(fake: FakeUpstream): string {
  return [
    'providers:',
    `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: "\${UPSTREAM_KEY}" }`,
    'models:',
    '  "gpt-*": fo',
    'storage:',
    '  path: ./audit.db',
    'gateway:',
    '  embedded_defaults: false',
    // One attempt, so the scripted 500 reaches the client as the logs below expect.
    '  retries: { max_attempts: 1 }',
  ].join('\n');
}

async function startCli(dir: string, format: 'json' | 'pretty'): Promise<{ child: Child; url: string }> {
  const child = run(['start', '--config', join(dir, 'gateway.yaml'), '--no-tui', '--port', '0', '--log-format', format], dir);
  let url = '';
  await eventually(() => {
    const m = child.stderr.map((l) => /listening on (http:\/\/[0-9.:]+)/.exec(l)).find((x) => x !== null);
    if (m) url = m[1]!;
    return url !== '' || child.proc.exitCode !== null;
  }, 15_000);
  if (!url) throw new Error(`gateway did not start:\n${child.stderr.join('\n')}`);
  return { child, url };
}

describe.skipIf(!existsSync(join(ROOT, 'dist', 'cli', 'main.js')))('ai-gateway start --no-tui (built CLI)', () => {
  let fake: FakeUpstream;
  let dir: string;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    dir = mkdtempSync(join(tmpdir(), 'ai-gateway-cli-obs-'));
    writeFileSync(join(dir, 'gateway.yaml'), config(fake));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await new Promise((r) => c.once('exit', r));
      }
    }
  });
  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs JSON lines with the request id and no key, reloads on SIGHUP, and drains on SIGTERM', async () => {
    const { child, url } = await startCli(dir, 'json');
    fake.queueScenarios('text', { kind: 'error', status: 500, message: `upstream trouble with ${UPSTREAM_KEY}` });
    const sent = [await chat(url, 'alice'), await chat(url, 'alice'), await chat(url, 'bob', 'nope-unrouted')];
    expect(sent.map((s) => s.status)).toEqual([200, 500, 404]);
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);

    const parsed = () => child.stderr.map((l) => JSON.parse(l) as Record<string, unknown>);
    await eventually(() => parsed().filter((l) => l.msg === 'request').length === 3, 5000);
    const requests = parsed().filter((l) => l.msg === 'request');
    expect(requests.map((l) => [l.request_id, l.agent, l.status, l.level])).toEqual([
      [sent[0]!.id, 'alice', 200, 'info'],
      [sent[1]!.id, 'alice', 500, 'error'],
      [sent[2]!.id, 'bob', 404, 'warn'],
    ]);
    expect(requests[0]).toMatchObject({ provider: 'fo', model: 'gpt-4o-mini', tokens_in: 12, tokens_out: 8 });
    for (const l of parsed()) expect(typeof l.ts === 'string' && typeof l.level === 'string' && typeof l.msg === 'string').toBe(true);

    // SIGHUP re-reads the file: a control event by the "signal" actor.
    child.proc.kill('SIGHUP');
    await eventually(() => parsed().some((l) => l.msg === 'control config_reload' && l.actor === 'signal'), 5000);
    expect(parsed().find((l) => l.msg === 'config reloaded')).toMatchObject({ level: 'info', file: join(dir, 'gateway.yaml') });
    expect((await chat(url, 'alice')).status).toBe(200);

    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const all = child.stderr.join('\n');
    expect(all).toContain('SIGTERM: draining requests');
    expect(all).not.toContain(UPSTREAM_KEY);
    expect(all).not.toContain('sk-client-own-key-000000');
  });

  it('logs pretty lines with request_id=…', async () => {
    const { child, url } = await startCli(dir, 'pretty');
    const { id } = await chat(url, 'carol');
    await eventually(() => child.stderr.some((l) => l.includes(`request_id=${id}`)), 5000);
    const line = child.stderr.find((l) => l.includes(`request_id=${id}`))!;
    expect(line).toMatch(new RegExp(`^\\d{2}:\\d{2}:\\d{2}\\.\\d{3} INFO  request request_id=${id} agent=carol model=gpt-4o-mini provider=fo status=200 `));
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });

  it('ai-gateway logs -f prints recent rows, then follows new ones for its agent only', async () => {
    const { child, url } = await startCli(dir, 'json');
    const before = await chat(url, 'dave');
    const logs = run(['logs', '-f', '--json', '--agent', 'dave', '--url', url], dir);
    await eventually(() => logs.stdout.length >= 1, 10_000);
    expect((JSON.parse(logs.stdout[0]!) as { id: string }).id).toBe(before.id);

    // The follow subscribes right after printing the backlog; send until a live row shows up.
    const live: string[] = [];
    for (let i = 0; i < 50 && logs.stdout.length < 2; i++) {
      live.push((await chat(url, 'dave')).id);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs.stdout.length).toBeGreaterThanOrEqual(2);
    const seen = () => logs.stdout.map((l) => (JSON.parse(l) as { id: string; agent: string }));
    // From the first live row on, every dave request appears, in order, and nobody else's.
    const firstLive = live.indexOf(seen()[1]!.id);
    expect(firstLive).toBeGreaterThanOrEqual(0);
    const other = await chat(url, 'erin');
    const last = await chat(url, 'dave');
    await eventually(() => seen().some((e) => e.id === last.id), 5000);
    expect(seen().slice(1).map((e) => e.id)).toEqual([...live.slice(firstLive), last.id]);
    expect(seen().every((e) => e.agent === 'dave')).toBe(true);
    expect(seen().some((e) => e.id === other.id)).toBe(false);

    logs.proc.kill('SIGINT');
    expect(await logs.exited).toBe(0);
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
  });
});
