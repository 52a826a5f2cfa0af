/**
 * The standalone binary, exercised the way a user gets it: copied alone into an empty directory
 * and run with an empty environment (no PATH to a node, no npm, no node_modules). Skipped unless
 * `npm run build:binary` produced dist/ai-gateway-linux-x64.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { DEFAULT_TEXT, DEFAULT_USAGE, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { TOKENS_PER_MESSAGE, TOKENS_REPLY_PRIMER } from '../../src/metering/index.js';
import { BUILT_BINARY, ROOT } from '../helpers/cli.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const HAVE_BINARY = existsSync(BUILT_BINARY);
const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;
const AGENT = 'binary-e2e';
const UPSTREAM_KEY = 'sk-fake-upstream-key';
const direct = (text: string): number => countTokens(text, { disallowedSpecial: new Set() });

if (!HAVE_BINARY) {
  console.warn(`[binary e2e] skipped: ${BUILT_BINARY} does not exist; run \`npm run build:binary\` first`);
} else if (!HAVE_TMUX) {
  console.warn('[binary e2e] tmux not found: the --demo/TUI test is skipped (CI installs tmux)');
}

describe.skipIf(!HAVE_BINARY)('standalone binary', () => {
  let sandbox: string;
  let binary: string;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    sandbox = mkdtempSync(join(tmpdir(), 'ai-gateway-binary-'));
    binary = join(sandbox, 'ai-gateway');
    copyFileSync(BUILT_BINARY, binary);
  });

  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  afterAll(() => {
    rmSync(sandbox, { recursive: true, force: true });
  });

  /** What `env -i PATH=/nonexistent HOME=<sandbox>` leaves: nothing that could find a node or node_modules. */
  const bareEnv = (): NodeJS.ProcessEnv => ({ PATH: '/nonexistent', HOME: sandbox });

  it('prints its version with an empty environment', () => {
    const started = performance.now();
    const result = spawnSync(binary, ['--version'], { cwd: sandbox, env: bareEnv(), encoding: 'utf8', timeout: 15_000 });
    const elapsed = performance.now() - started;
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(VERSION);
    console.log(`[binary e2e] --version: ${elapsed.toFixed(0)} ms`);
  });

  describe('serving', () => {
    let fake: FakeUpstream;

    beforeAll(async () => {
      fake = await startFakeOpenAI({ apiKey: UPSTREAM_KEY });
    });

    afterAll(async () => {
      await fake.close();
    });

    it('proxies a streamed chat request to a provider and records it in the SQLite file', { timeout: 60_000 }, async () => {
      const port = await freePort();
      const dbPath = join(sandbox, 'audit.db');
      const configPath = join(sandbox, 'gateway.yaml');
      writeFileSync(
        configPath,
        [
          'gateway:',
          '  host: 127.0.0.1',
          `  port: ${port}`,
          'storage:',
          `  path: ${JSON.stringify(dbPath)}`,
          'providers:',
          `  fake: { type: openai, base_url: ${JSON.stringify(fake.baseURL)}, api_key: ${UPSTREAM_KEY} }`,
          'models:',
          '  "gpt-*": { provider: fake }',
          '',
        ].join('\n'),
      );

      const started = performance.now();
      const gateway = spawn(binary, ['--no-tui', '-c', configPath], {
        cwd: sandbox,
        env: bareEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(gateway);
      const output = collectOutput(gateway);
      const exited = exitOf(gateway);
      const base = `http://127.0.0.1:${port}`;

      const health = await waitForHealth(`${base}/health`, gateway, output, 20_000);
      console.log(`[binary e2e] start to /health 200: ${(performance.now() - started).toFixed(0)} ms`);
      expect(health).toMatchObject({ status: expect.any(String), version: VERSION });
      // It restarted itself once with glibc's malloc arenas capped: the binary's own argv[1] was not passed again.
      expect(readFileSync(`/proc/${gateway.pid}/environ`, 'utf8').split('\0')).toContain('MALLOC_ARENA_MAX=2');
      expect(readFileSync(`/proc/${gateway.pid}/cmdline`, 'utf8').split('\0').slice(1, 4)).toEqual(['--no-tui', '-c', configPath]);

      const response = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-agent-id': AGENT },
        body: JSON.stringify({
          model: 'gpt-4o-mini',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Say hello.' }],
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const stream = parseChatStream(await response.text());
      expect(stream.done).toBe(true);
      expect(stream.text).toBe(DEFAULT_TEXT);
      expect(stream.usage).toMatchObject({ prompt_tokens: DEFAULT_USAGE.input, completion_tokens: DEFAULT_USAGE.output });

      expect(fake.requests).toHaveLength(1);
      expect(fake.lastRequest?.headers['authorization']).toBe(`Bearer ${UPSTREAM_KEY}`);

      // A local token count runs the tokenizer's worker thread from the script bundled into the binary: its count is
      // o200k's exactly (a byte estimate would be far off), and the worker does not keep the process from exiting.
      const text = `${'lorem ipsum dolor sit amet, '.repeat(100)}<|endoftext|>`;
      const counted = await fetch(`${base}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-agent-id': `${AGENT}-count` },
        body: JSON.stringify({ model: 'gpt-4o-mini', system: 'Be brief.', messages: [{ role: 'user', content: text }] }),
      });
      expect(counted.status).toBe(200);
      expect(await counted.json()).toEqual({ input_tokens: TOKENS_REPLY_PRIMER + 2 * TOKENS_PER_MESSAGE + direct('Be brief.') + direct(text) });
      // Counted in a worker thread, not on the thread that serves requests.
      const threads = readdirSync(`/proc/${gateway.pid}/task`).map((task) => readFileSync(`/proc/${gateway.pid}/task/${task}/comm`, 'utf8').trim());
      expect(threads).toContain('WorkerThread');

      // The addon came out of the binary into the user's cache, not from any node_modules.
      const addonCache = join(sandbox, '.cache', 'ai-gateway');
      expect(readdirSync(addonCache).some((dir) => existsSync(join(addonCache, dir, 'better_sqlite3.node')))).toBe(true);

      // Audit writes are batched; SIGTERM must flush them before the process exits.
      gateway.kill('SIGTERM');
      const exit = await withTimeout(exited, 15_000, () => `gateway did not exit after SIGTERM\n${output()}`);
      expect(exit, output()).toEqual({ code: 0, signal: null });

      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare('SELECT * FROM requests WHERE agent = ?').all(AGENT) as Record<string, unknown>[];
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          model: 'gpt-4o-mini',
          provider: 'fake',
          stream: 1,
          status: 200,
          input_tokens: DEFAULT_USAGE.input,
          output_tokens: DEFAULT_USAGE.output,
        });
        expect(rows[0]?.['cost_usd']).toEqual(expect.any(Number));
        expect(rows[0]?.['cost_usd'] as number).toBeGreaterThan(0);
      } finally {
        db.close();
      }
    });
  });

  describe.skipIf(!HAVE_TMUX)('in a terminal', () => {
    // A private tmux server: nothing else on the machine can disturb it, and cleanup is one call.
    const socket = `ai-gateway-binary-${process.pid}`;
    const session = 'demo';
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

    afterEach(() => {
      tmux('kill-server');
    });

    it('runs --demo with the dashboard and quits cleanly on q', { timeout: 90_000 }, async () => {
      const port = await freePort();
      const dbPath = join(sandbox, 'demo.db');
      const exitFile = join(sandbox, 'demo-exit-code');
      const command = [
        `cd ${shellQuote(sandbox)} &&`,
        `env -i PATH=/nonexistent HOME=${shellQuote(sandbox)} TERM=xterm-256color`,
        `${shellQuote(binary)} --demo -p ${port} --db ${shellQuote(dbPath)};`,
        `echo $? > ${shellQuote(exitFile)}`,
      ].join(' ');
      const started = tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', command);
      expect(started.status, started.stderr).toBe(0);
      const pane = (): string => tmux('capture-pane', '-p', '-t', session).stdout ?? '';

      // The dashboard header names the product, its version and the address it serves.
      await waitFor(
        () => pane().includes(VERSION) && pane().includes(`127.0.0.1:${port}`),
        20_000,
        () => `dashboard did not appear:\n${pane()}`,
      );
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);

      // The simulated agents go through the real pipeline, so their calls reach the audit file; a few
      // seconds of traffic also give the garbage collector time to finalise SQLite statements.
      await waitFor(() => countRequests(dbPath) >= 10, 30_000, () => `the demo recorded fewer than 10 requests:\n${pane()}`);

      tmux('send-keys', '-t', session, 'q');
      await waitFor(() => existsSync(exitFile), 20_000, () => `q did not quit the dashboard:\n${pane()}`);
      expect(readFileSync(exitFile, 'utf8').trim()).toBe('0');
    });
  });
});

interface ChatStream {
  text: string;
  done: boolean;
  usage: Record<string, unknown> | undefined;
}

/** Joins the content deltas of an OpenAI chat completions SSE body. */
function parseChatStream(body: string): ChatStream {
  const result: ChatStream = { text: '', done: false, usage: undefined };
  for (const line of body.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      result.done = true;
      continue;
    }
    const chunk = JSON.parse(data) as {
      choices?: { delta?: { content?: string | null } }[];
      usage?: Record<string, unknown> | null;
    };
    result.text += chunk.choices?.[0]?.delta?.content ?? '';
    if (chunk.usage) result.usage = chunk.usage;
  }
  return result;
}

function countRequests(dbPath: string): number {
  if (!existsSync(dbPath)) return 0;
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    // The schema may not be there yet while the gateway starts.
    return 0;
  }
}

async function waitForHealth(
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> | undefined;
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`gateway exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
      }
      try {
        const response = await fetch(url);
        if (response.status !== 200) return false;
        body = (await response.json()) as Record<string, unknown>;
        return true;
      } catch {
        return false;
      }
    },
    timeoutMs,
    () => `gateway did not answer ${url} in time:\n${output()}`,
  );
  return body ?? {};
}

/** Polls `check` every 50 ms; real processes are being waited on, so there is no clock to fake. */
async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, explain: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, explain: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(explain())), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function collectOutput(child: ChildProcess): () => string {
  const parts: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => parts.push(chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => parts.push(chunk.toString('utf8')));
  return () => parts.join('').slice(-4000);
}

/** A port that was free a moment ago; the binary binds it right after. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
