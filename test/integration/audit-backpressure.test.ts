/**
 * When the audit store cannot take rows, the gateway stops admitting what it could not record, and never
 * answers a request that lacks its row. The database is made to refuse writes for real (`query_only`, which
 * fails every write with SQLITE_READONLY) with a pending limit of 3:
 * - the first 3 requests are answered, their rows held in memory;
 * - then new requests get a 503 in their own wire format (OpenAI and Anthropic), /health/ready is 503 with the
 *   reason, the status (the dashboard's snapshot) carries a storage banner, and the log says so once;
 * - once writes work again everything lands by itself, the banner clears, requests are served again;
 * - after a restart on the file, the spend is exactly the sum of the rows, late ones included.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { fakesYaml, postJson, rawRequest } from './fakes-gateway.js';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let dir: string;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  dir = mkdtempSync(join(tmpdir(), 'ai-gateway-backpressure-'));
});
afterAll(async () => {
  for (const g of gateways) await g.stop();
  await openai.close();
  await anthropic.close();
  rmSync(dir, { recursive: true, force: true });
});

async function start(limit = 3, where = dir): Promise<TestGateway> {
  const gw = await startTestGateway({ yaml: fakesYaml(openai, anthropic), storage: { max_pending_rows: limit }, dir: where, extra: { configPath: join(where, 'gateway.yaml') } });
  gateways.push(gw);
  return gw;
}

const chat = (url: string) => postJson(`${url}/agents/worker/v1/chat/completions`, { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const messages = (url: string) =>
  postJson(`${url}/agents/worker/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
const status = async (url: string) => (await (await fetch(`${url}/api/status`)).json()) as { gateway: { storageBanner?: string }; agents: { id: string; costTotalUsd: number; calls: number }[] };

describe('audit backpressure: a store that refuses writes', () => {
  it('refuses what it could not record, loses no answered row, and recovers by itself', async () => {
    const gw = await start();
    const answered: string[] = [];
    const first = await chat(gw.url);
    expect(first.status).toBe(200);
    answered.push(String(first.headers['x-request-id']));
    await eventually(() => gw.rows().length === 1);

    gw.gateway.store.db.pragma('query_only = ON');
    const upstreamBefore = openai.requests.length;
    for (let i = 0; i < 3; i++) {
      const res = await chat(gw.url);
      expect(res.status).toBe(200);
      answered.push(String(res.headers['x-request-id']));
    }
    expect(openai.requests.length).toBe(upstreamBefore + 3);
    // The writer's next flush finds the database refusing writes; from then on the refusal says why.
    await eventually(() => gw.gateway.store.sink.trouble()?.includes('SQLITE_READONLY') === true);

    const refused = await chat(gw.url);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.headers['x-should-retry']).toBe('true');
    const body = JSON.parse(refused.text) as { error: { type: string; code: string; message: string } };
    expect(body.error).toMatchObject({ type: 'server_error', code: 'audit_unavailable' });
    expect(body.error.message).toContain('cannot record new requests');
    expect(body.error.message).toContain('SQLITE_READONLY');

    const refusedAnthropic = await messages(gw.url);
    expect(refusedAnthropic.status).toBe(503);
    expect(JSON.parse(refusedAnthropic.text)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    // Nothing refused reached a provider.
    expect(openai.requests.length).toBe(upstreamBefore + 3);
    expect(anthropic.requests.length).toBe(0);

    const ready = await rawRequest(`${gw.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('audit database refuses writes') });
    expect((await status(gw.url)).gateway.storageBanner).toMatch(/SQLITE_READONLY.*new requests are refused/);

    gw.gateway.store.db.pragma('query_only = OFF');
    await eventually(() => gw.gateway.store.sink.stats().queued === 0, 10_000);
    expect((await rawRequest(`${gw.url}/health/ready`)).status).toBe(200);
    expect((await status(gw.url)).gateway.storageBanner).toBeUndefined();
    const after = await chat(gw.url);
    expect(after.status).toBe(200);
    answered.push(String(after.headers['x-request-id']));

    const ids = gw.rows().map((r) => r.id);
    expect(ids.sort()).toEqual([...answered].sort());
    expect(gw.rows().filter((r) => r.status === 503)).toEqual([]);
    const said = (text: string) => gw.logs.filter((l) => l.includes(text)).length;
    expect(said('audit database refuses writes')).toBe(1);
    expect(said('audit backlog is full')).toBe(1);
    expect(said('audit writes recovered')).toBe(1);
    expect(said('new requests are admitted')).toBe(1);

    await gw.stop();
    const db = new Database(gw.dbPath, { readonly: true });
    const sum = (db.prepare('SELECT SUM(cost_usd) FROM requests').pluck().get() as number) ?? 0;
    const count = db.prepare('SELECT count(*) FROM requests').pluck().get() as number;
    db.close();
    expect(count).toBe(answered.length);
    expect(sum).toBeGreaterThan(0);

    const again = await start();
    const worker = (await status(again.url)).agents.find((a) => a.id === 'worker');
    expect(worker?.calls).toBe(answered.length);
    expect(Math.abs((worker?.costTotalUsd ?? 0) - sum)).toBeLessThan(1e-12);
  }, 30_000);

  it('a reloaded max_pending_rows applies to the next request', async () => {
    const own = mkdtempSync(join(tmpdir(), 'ai-gateway-backpressure-reload-'));
    try {
      const gw = await start(100, own);
      writeFileSync(gw.configPath, readFileSync(gw.configPath, 'utf8').replace('max_pending_rows: 100', 'max_pending_rows: 1'));
      await eventually(() => gw.logs.some((l) => l.includes('config reloaded')), 5_000);
      await eventually(() => gw.gateway.store.sink.stats().queued === 0); // the reload's own control event
      gw.gateway.store.db.pragma('query_only = ON');
      expect((await chat(gw.url)).status).toBe(200);
      expect((await chat(gw.url)).status).toBe(503);
      gw.gateway.store.db.pragma('query_only = OFF');
      await eventually(() => gw.gateway.store.sink.stats().queued === 0, 10_000);
      expect((await chat(gw.url)).status).toBe(200);
      await gw.stop();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});
