/**
 * A full disk under the built CLI, for real: the database and its JSONL mirror live on a small tmpfs that the test
 * fills to the last byte. The gateway keeps answering while its pending rows have room, then refuses new requests
 * with a 503 in the client's format (and says why on /health/ready and in the status). A little space returning
 * takes the rows that fit and keeps the rest; once space returns for good it resumes by itself, and every
 * answered request has its row, in the database and in the mirror; after a restart the spend is exactly the sum
 * of the rows. Needs root to mount (CI runs as root); skips with the reason elsewhere.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { hasBuiltCli, SKIP_REASON, spawnGateway, type SpawnedGateway } from '../helpers/gateway.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../helpers/tmpfs.js';

const skip = !hasBuiltCli ? SKIP_REASON : tmpfsUnavailable;
if (skip !== undefined) console.warn(`full-disk test skipped: ${skip}`);

const PENDING_LIMIT = 40;

interface Answer {
  status: number;
  id: string;
  body: string;
}

async function chat(url: string, agent: string): Promise<Answer> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] }),
  });
  return { status: res.status, id: res.headers.get('x-request-id') ?? '', body: await res.text() };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== undefined)('a full disk under the gateway (tmpfs, built CLI)', () => {
  let fake: FakeUpstream;
  let fs: Tmpfs;
  let dir: string;
  const children: SpawnedGateway[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI({ recordResponses: false });
    fs = mountTmpfs(4 * 1024 * 1024);
    dir = mkdtempSync(join(tmpdir(), 'ai-gateway-full-disk-'));
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await fake?.close();
    fs?.unmount();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers while rows have room, then 503s; after space returns every answered request has its row, mirror included', async () => {
    const db = join(fs.dir, 'audit.db');
    const jsonl = join(fs.dir, 'audit.jsonl');
    const config = join(dir, 'gateway.yaml');
    writeFileSync(
      config,
      [
        'gateway: { embedded_defaults: false }',
        `storage: { jsonl: ${JSON.stringify(jsonl)}, max_pending_rows: ${PENDING_LIMIT} }`,
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-full-disk-0001 }`,
        'models: { "gpt-*": fo }',
      ].join('\n'),
    );
    const start = async (): Promise<SpawnedGateway> => {
      const gw = await spawnGateway({ cwd: dir, config, db });
      children.push(gw);
      return gw;
    };
    const gw = await start();
    const answered: string[] = [];
    const take = (a: Answer): void => {
      if (a.status === 200) answered.push(a.id);
    };

    for (let i = 0; i < 5; i++) take(await chat(gw.url, `w${i % 2}`));
    expect(answered).toHaveLength(5);
    await new Promise((r) => setTimeout(r, 300)); // flushed (every 50 ms)

    fs.fill();
    const refused: Answer[] = [];
    let afterFill = 0;
    // Four clients at a time, until the gateway has refused a good number.
    for (let round = 0; round < 100 && refused.length < 12; round++) {
      const batch = await Promise.all([0, 1, 2, 3].map((k) => chat(gw.url, `w${k % 2}`)));
      for (const a of batch) {
        if (a.status === 503) refused.push(a);
        else {
          expect(a.status).toBe(200);
          take(a);
          afterFill++;
        }
      }
    }
    // It kept serving while the pending rows had room, then refused.
    expect(afterFill).toBeGreaterThanOrEqual(PENDING_LIMIT - 4);
    expect(refused.length).toBeGreaterThanOrEqual(12);
    const errors = refused.map((a) => (JSON.parse(a.body) as { error: { type: string; code: string; message: string } }).error);
    for (const error of errors) expect(error).toMatchObject({ type: 'server_error', code: 'audit_unavailable' });
    // The backlog can fill before the flush that meets the full disk: the first refusals may only count the rows
    // waiting; once that flush has run, they name the disk's error.
    expect(errors[0]!.message).toMatch(/audit rows are waiting to be written|SQLITE_FULL|SQLITE_IOERR|ENOSPC/);
    expect(errors.at(-1)!.message).toMatch(/SQLITE_FULL|SQLITE_IOERR|ENOSPC/);
    const ready = await fetch(`${gw.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/refuses writes/);
    const status = (await (await fetch(`${gw.url}/api/status`)).json()) as { gateway: { storageBanner?: string } };
    expect(status.gateway.storageBanner).toMatch(/new requests are refused/);

    // A little space returns: the rows that fit land, the others wait their turn (the defect: they were discarded).
    fs.release(24 * 1024);
    await new Promise((r) => setTimeout(r, 2_500));
    const reader = new Database(db, { readonly: true });
    const landedOnALittleSpace = (reader.prepare('SELECT count(*) FROM requests').pluck().get() as number) - 5;
    reader.close();
    expect(landedOnALittleSpace).toBeGreaterThan(0);
    expect(landedOnALittleSpace).toBeLessThan(afterFill);
    fs.free();
    const storageBanner = async (): Promise<string | undefined> =>
      ((await (await fetch(`${gw.url}/api/status`)).json()) as { gateway: { storageBanner?: string } }).gateway.storageBanner;
    // Ready may return before the banner clears: rows that fit bring the backlog under its limit before the retry
    // that writes them all.
    await until(async () => (await storageBanner()) === undefined, 15_000);
    expect((await fetch(`${gw.url}/health/ready`)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const a = await chat(gw.url, `w${i % 2}`);
      expect(a.status).toBe(200);
      take(a);
    }
    gw.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    const log = gw.stderr();
    expect(log).toContain('audit database refuses writes');
    expect(log).toContain('audit backlog is full');
    expect(log).toContain('audit writes recovered');

    const conn = new Database(db, { readonly: true });
    const ids = conn.prepare('SELECT id FROM requests').pluck().all() as string[];
    const sum = conn.prepare('SELECT SUM(cost_usd) FROM requests').pluck().get() as number;
    conn.close();
    console.log(`[full-disk] ${answered.length} answered (${afterFill} after the disk filled), ${refused.length} refused with 503, ${landedOnALittleSpace} landed on a little space, ${ids.length} rows in the end`);
    expect(ids.length).toBe(answered.length);
    expect(new Set(ids)).toEqual(new Set(answered));
    const mirrored = readFileSync(jsonl, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    expect(mirrored.length).toBe(answered.length);
    expect(new Set(mirrored)).toEqual(new Set(answered));
    expect(existsSync(`${db}-unwritten.jsonl`)).toBe(false);

    // Budgets after a restart count every row, including the ones that landed late.
    const again = await start();
    const agents = ((await (await fetch(`${again.url}/api/status`)).json()) as { agents: { costTotalUsd: number; calls: number }[] }).agents;
    expect(agents.reduce((n, a) => n + a.calls, 0)).toBe(answered.length);
    expect(sum).toBeGreaterThan(0);
    expect(Math.abs(agents.reduce((s, a) => s + a.costTotalUsd, 0) - sum)).toBeLessThan(1e-9);
    again.kill('SIGTERM');
    expect((await again.exited).code).toBe(0);
  }, 90_000);
});
