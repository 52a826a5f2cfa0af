/**
 * The CLI as a user runs it: `node bin/ai-gateway.js …` in a child process, which runs the built code in dist/.
 * `npm test` builds first; run on its own, this file builds once when dist/ is missing or older than src/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI } from '../fakes/index.js';
import { startTestGateway } from '../helpers/gateway.js';
import { BIN, BUILD_TIMEOUT_MS, ROOT, cleanEnv, ensureBuilt, type CliRun } from '../helpers/cli.js';
import { closedPort, fakesYaml, postJson } from './fakes-gateway.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let skipReason: string | undefined;
const tmpDirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-cli-'));
  tmpDirs.push(dir);
  return dir;
}

function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? tempDir(), env: cleanEnv(options.env), encoding: 'utf8', timeout: 15_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  skipReason = ensureBuilt();
}, BUILD_TIMEOUT_MS + 10_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** Skips (with the reason printed) when there is no built CLI to run. */
function requireBuild(ctx: { skip: (note?: string) => void }): void {
  if (skipReason !== undefined) ctx.skip(skipReason);
}

describe('ai-gateway CLI', () => {
  it('--version prints the package version', (ctx) => {
    requireBuild(ctx);
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(PACKAGE_VERSION);
  });

  describe('validate', () => {
    const examples = [
      'gateway.example.yaml',
      ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`),
      ...readdirSync(join(ROOT, 'test/fixtures/config')).filter((f) => f.endsWith('.yaml')).map((f) => `test/fixtures/config/${f}`),
    ];

    it('finds example configs to check', () => {
      expect(examples).toContain('test/fixtures/config/seed-agent-gateway.yaml');
      expect(examples.length).toBeGreaterThanOrEqual(3);
    });

    // Variables the examples require with ${VAR:?message}; everything else they reference may stay unset.
    const exampleEnv = { AI_GATEWAY_ADMIN_TOKEN: 'test-admin-token-0123456789' };

    it.for(examples)('%s is valid (exit 0)', (file, ctx) => {
      requireBuild(ctx);
      const r = cli(['validate', '-c', join(ROOT, file)], { env: exampleEnv });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`${join(ROOT, file)}: ok`);
    });

    it('a required ${VAR:?…} that is unset is an error naming the variable (exit 2)', (ctx) => {
      requireBuild(ctx);
      const dir = tempDir();
      const file = join(dir, 'needs-token.yaml');
      writeFileSync(file, 'gateway:\n  admin_token: ${AI_GATEWAY_ADMIN_TOKEN:?set an admin token}\n');
      const r = cli(['validate', '-c', file], { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stdout).toContain(`${file}:2`);
      expect(r.stdout).toContain('gateway.admin_token');
      expect(r.stdout).toContain('AI_GATEWAY_ADMIN_TOKEN');
    });

    it('the seed agent-gateway config loads unchanged', (ctx) => {
      requireBuild(ctx);
      const r = cli(['validate', '-c', join(ROOT, 'test/fixtures/config/seed-agent-gateway.yaml')]);
      expect(r.status).toBe(0);
      expect(r.stdout).not.toMatch(/\berror:/);
    });

    it('warns about a bare-number duration, saying how it was read and how to write it', (ctx) => {
      requireBuild(ctx);
      const dir = tempDir();
      const file = join(dir, 'bare.yaml');
      writeFileSync(file, ['agents:', '  bot:', '    circuit_breaker:', '      error_threshold: 5', '      reset_timeout: 30000', ''].join('\n'));
      const r = cli(['validate', '-c', file], { cwd: dir });
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`${file}:5:7: warning: agents.bot.circuit_breaker.reset_timeout: the bare number 30000 is read as 30000 ms`);
      expect(r.stdout).toContain('(fix: write it with a unit: 30s)');
      expect(r.stdout).toContain(`${file}: ok (1 warning)`);
    });

    it('a broken config exits 2 and names the file, line and dot-path', (ctx) => {
      requireBuild(ctx);
      const dir = tempDir();
      const file = join(dir, 'broken.yaml');
      writeFileSync(
        file,
        ['gateway:', '  port: 8080', 'agents:', '  researcher:', '    budget:', '      max_cost_per_hour: lots', ''].join('\n'),
      );
      const r = cli(['validate', '-c', file], { cwd: dir });
      expect(r.status).toBe(2);
      const out = r.stdout + r.stderr;
      expect(out).toContain(`${file}:6`);
      expect(out).toContain('agents.researcher.budget.max_cost_per_hour');
      expect(out).not.toMatch(/\n\s+at /);
    });

    it('locates an Azure resource without api_version or a deployment, and a routing rule that routes nowhere (exit 2)', (ctx) => {
      requireBuild(ctx);
      const dir = tempDir();
      const file = join(dir, 'azure.yaml');
      writeFileSync(
        file,
        [
          'providers:',
          '  az: { type: azure, base_url: https://res.openai.azure.com, deployments: { gpt-4o: prod } }',
          '  az2: { type: azure, base_url: https://res.openai.azure.com, api_version: 2024-10-21, deployments: { gpt-4o: prod } }',
          'models:',
          '  gpt-4o-mini: az2',
          'routing:',
          '  thinking: mystery-model',
          '  long_context: { model: gpt-4o-mini, threshold_tokens: -5 }',
          '',
        ].join('\n'),
      );
      const r = cli(['validate', '-c', file], { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stdout).toContain(`${file}:8`);
      expect(r.stdout).toContain('routing.long_context.threshold_tokens');
      // The schema error stops the check before cross-references; fixed, those are reported with their lines.
      writeFileSync(file, readFileSync(file, 'utf8').replace('-5', '100000'));
      const fixed = cli(['validate', '-c', file], { cwd: dir });
      expect(fixed.status).toBe(2);
      expect(fixed.stdout).toContain(`${file}:2:3: error: providers.az.api_version: an Azure OpenAI resource endpoint needs an api-version on every call`);
      expect(fixed.stdout).toContain(`${file}:5:3: error: models.gpt-4o-mini: model "gpt-4o-mini" goes to Azure provider "az2", which has no deployment for it`);
      expect(fixed.stdout).toContain(`${file}:7:3: error: routing.thinking: routing thinking goes to model "mystery-model", which no route serves`);
    });
  });

  it('init writes a gateway.yaml that then validates', (ctx) => {
    requireBuild(ctx);
    const dir = tempDir();
    const init = cli(['init'], { cwd: dir });
    expect(init.status).toBe(0);
    expect(existsSync(join(dir, 'gateway.yaml'))).toBe(true);
    // Without -c, validate reads ./gateway.yaml.
    const check = cli(['validate'], { cwd: dir });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('gateway.yaml: ok');
    // A second init refuses to overwrite.
    const again = cli(['init'], { cwd: dir });
    expect(again.status).toBe(2);
  });

  it('export --format jsonl|csv reads the rows of a gateway that has stopped', async (ctx) => {
    requireBuild(ctx);
    const openai = await startFakeOpenAI();
    const anthropic = await startFakeAnthropic();
    const dir = tempDir();
    const gw = await startTestGateway({ yaml: fakesYaml(openai, anthropic), dir });
    const ids: string[] = [];
    try {
      for (const agent of ['alpha', 'beta']) {
        const res = await postJson(`${gw.url}/agents/${agent}/v1/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
        expect(res.status).toBe(200);
        ids.push(String(res.headers['x-request-id']));
      }
    } finally {
      await gw.stop();
      await openai.close();
      await anthropic.close();
    }

    // Run from another directory, so only --db can lead to the file (the gateway's dir holds a gateway.yaml naming it).
    const elsewhere = tempDir();
    const jsonl = cli(['export', '--format', 'jsonl', '--db', gw.dbPath], { cwd: elsewhere });
    expect(jsonl.status).toBe(0);
    const lines = jsonl.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.id).sort()).toEqual([...ids].sort());
    expect(lines.map((l) => l.agent).sort()).toEqual(['alpha', 'beta']);
    for (const l of lines) expect(l).toMatchObject({ model: 'gpt-4o-mini', status: 200, provider: 'fo' });

    const csv = cli(['export', '--format', 'csv', '--db', gw.dbPath, '--agent', 'beta'], { cwd: elsewhere });
    expect(csv.status).toBe(0);
    const rows = csv.stdout.trim().split(/\r?\n/);
    expect(rows).toHaveLength(2);
    const header = rows[0]!.split(',');
    expect(header).toContain('id');
    expect(header).toContain('agent');
    const values = rows[1]!.split(',');
    expect(values[header.indexOf('agent')]).toBe('beta');
    expect(values[header.indexOf('id')]).toBe(ids[1]);

    const out = join(dir, 'audit.csv');
    const toFile = cli(['export', '--format', 'csv', '--db', gw.dbPath, '-o', out], { cwd: elsewhere });
    expect(toFile.status).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split(/\r?\n/)).toHaveLength(3);
  });

  it('status against a port with nothing listening: a one-line hint, exit 1', async (ctx) => {
    requireBuild(ctx);
    const port = await closedPort();
    const r = cli(['status', '--url', `http://127.0.0.1:${port}`]);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(String(port));
    expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
  });

  it('--demo --no-tui --port 0 records requests within seconds; SIGTERM exits 0 with every row flushed', async (ctx) => {
    requireBuild(ctx);
    const dir = tempDir();
    const db = join(dir, 'demo.db');
    const child = spawn(process.execPath, [BIN, '--demo', '--no-tui', '--port', '0', '--db', db, '--log-format', 'json'], {
      cwd: dir,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.once('exit', (code, signal) => done({ code, signal })));

    const deadline = Date.now() + 15_000;
    const until = async (check: () => boolean, what: string): Promise<void> => {
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`demo: ${what} did not happen in time; stderr:\n${stderr}`);
        if (child.exitCode !== null) throw new Error(`demo exited early (${child.exitCode}); stderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await until(() => /listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr), 'listening');
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)![1]);
    expect(port).toBeGreaterThan(0);
    // It says what it is doing first: the audit file, then the address.
    const messages = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages.slice(0, 2)).toEqual(['opening ./demo.db…', expect.stringMatching(/^ai-gateway \S+ listening on http:\/\/127\.0\.0\.1:\d+ \(demo/)]);

    const countRows = (): number => {
      if (!existsSync(db)) return 0;
      const conn = new Database(db, { readonly: true, fileMustExist: true });
      try {
        return (conn.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
      } catch {
        return 0; // the schema may not exist yet
      } finally {
        conn.close();
      }
    };
    await until(() => countRows() >= 3, 'three audit rows');

    child.kill('SIGTERM');
    const { code, signal } = await exited;
    expect(signal).toBeNull();
    expect(code).toBe(0);

    // Every request the gateway logged before it stopped is in the file.
    const logged = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; request_id?: string })
      .filter((l) => l.msg === 'request' && typeof l.request_id === 'string')
      .map((l) => l.request_id!);
    expect(logged.length).toBeGreaterThanOrEqual(3);
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const stored = new Set((conn.prepare('SELECT id FROM requests').all() as { id: string }[]).map((r) => r.id));
      for (const id of logged) expect(stored.has(id), `row ${id} flushed`).toBe(true);
      expect(stored.size).toBeGreaterThanOrEqual(logged.length);
    } finally {
      conn.close();
    }
  }, 30_000);
});
