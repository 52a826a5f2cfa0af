/**
 * One gateway per database file, with real processes (the built CLI): a second gateway on the file exits 2 and
 * names the running one; readers such as `export` keep working beside it; a gateway killed with SIGKILL leaves a
 * stale lock that the next one takes over, saying so; SIGTERM and SIGINT remove the lock. The files it creates
 * are private (0600), -wal and -shm included, checked after real traffic.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { hasBuiltCli, SKIP_REASON, spawnGateway, type SpawnedGateway } from '../helpers/gateway.js';
import { runCli } from '../helpers/cli.js';

if (!hasBuiltCli) console.warn(`database lock tests skipped: ${SKIP_REASON}`);

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

async function chat(url: string, agent: string): Promise<string> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  expect(res.status).toBe(200);
  return res.headers.get('x-request-id') ?? '';
}

describe.skipIf(!hasBuiltCli)('one gateway per database file (built CLI)', () => {
  let fake: FakeUpstream;
  let dir: string;
  let config: string;
  const children: SpawnedGateway[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI({ recordResponses: false });
    dir = mkdtempSync(join(tmpdir(), 'ai-gateway-lock-'));
    config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      ['gateway: { embedded_defaults: false }', 'providers:', `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-lock-0001 }`, 'models: { "gpt-*": fo }'].join('\n'),
    );
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(db: string): Promise<SpawnedGateway> {
    const gw = await spawnGateway({ cwd: dir, config, db });
    children.push(gw);
    return gw;
  }

  it('a second gateway on the same file exits 2 naming the running one; export reads beside it; files are 0600', async () => {
    const db = join(dir, 'data', 'one.db');
    const first = await start(db);
    const ids = [await chat(first.url, 'a'), await chat(first.url, 'b'), await chat(first.url, 'a')];

    const second = await runCli(['--no-tui', '-c', config, '--db', db, '-p', '0'], { cwd: dir });
    expect(second.status).toBe(2);
    expect(second.stderr).toContain(`another gateway is running on ${db}`);
    expect(second.stderr).toContain(`PID ${first.child.pid}`);
    expect(second.stderr).toContain(first.url);
    // The refused one touched nothing: the first still answers and still holds the lock.
    await chat(first.url, 'c');
    expect(JSON.parse(readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: first.child.pid, address: first.url });

    // Rows are flushed within 50 ms; the export is a reader and needs no lock.
    await new Promise((r) => setTimeout(r, 300));
    const exported = await runCli(['export', '--db', db, '--format', 'jsonl'], { cwd: dir });
    expect(exported.status).toBe(0);
    const exportedIds = exported.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(exportedIds).toEqual(expect.arrayContaining(ids));

    for (const file of [db, `${db}-wal`, `${db}-shm`, `${db}.lock`]) expect(mode(file), file).toBe('600');
    expect(mode(join(dir, 'data'))).toBe('700');

    first.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
    expect(existsSync(`${db}.lock`)).toBe(false);
  }, 60_000);

  it('a gateway killed with SIGKILL leaves a stale lock; the next one takes it over and says so; SIGINT removes it', async () => {
    const db = join(dir, 'killed.db');
    const killed = await start(db);
    await chat(killed.url, 'a');
    killed.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    expect(JSON.parse(readFileSync(`${db}.lock`, 'utf8')).pid).toBe(killed.child.pid);

    const next = await start(db);
    const line = next
      .stderr()
      .split('\n')
      .find((l) => l.includes('stale database lock'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ pid: killed.child.pid, address: killed.url, reason: `PID ${killed.child.pid} is not running` });
    expect(JSON.parse(readFileSync(`${db}.lock`, 'utf8'))).toMatchObject({ pid: next.child.pid, address: next.url });
    await chat(next.url, 'a');

    next.kill('SIGINT');
    expect((await next.exited).code).toBe(0);
    expect(existsSync(`${db}.lock`)).toBe(false);
  }, 60_000);
});
