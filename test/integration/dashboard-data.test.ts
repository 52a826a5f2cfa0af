/**
 * What the dashboard shows, through a running gateway and its management API: an unreachable provider counts as a
 * failed call of its agent (as its audit row does) with the reason kept; a fallback names the provider it stood in
 * for; one request in full (`GET /api/logs/{id}`); a log filter that searches the stored history, not only what
 * memory holds (`GET /api/logs?q=`); spend by provider and model for the hour and the day (`GET /api/usage`).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManagementClient } from '../../src/client/management-client.js';
import { exportRows } from '../../src/store/index.js';
import type { AgentStatus, LogEntry, RequestDetail, UsageReport } from '../../src/live/snapshot.js';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { closedPort } from './fakes-gateway.js';

let fake: FakeUpstream;
let gw: TestGateway | undefined;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setScenario({ kind: 'text', usage: { input: 100, output: 10 } });
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function chat(url: string, agent: string, model: string): Promise<{ status: number; id: string }> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return { status: res.status, id: res.headers.get('x-request-id') ?? '' };
}

async function api<T>(url: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

async function agent(url: string, id: string): Promise<AgentStatus> {
  return (await api<AgentStatus>(url, `/api/agents/${id}`)).body;
}

async function yaml(): Promise<string> {
  const dead = await closedPort();
  return [
    'gateway: { embedded_defaults: false }',
    'providers:',
    `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
    `  dead: { type: openai, base_url: "http://127.0.0.1:${dead}/v1", api_key: sk-dead-key-123456 }`,
    'models:',
    '  "gone-*": { provider: dead, model: gpt-4o }',
    '  "spare-*": { provider: dead, model: gpt-4o-mini, fallbacks: [fo] }',
    '  "gpt-*": fo',
    'prices:',
    '  gpt-4o-mini: { input: 1, output: 2 }',
  ].join('\n');
}

describe('an unreachable provider', () => {
  it('counts as a failed call of the agent, as the audit row does, and its reason is kept', async () => {
    gw = await startTestGateway({ yaml: await yaml() });
    const g = gw;
    const first = await chat(g.url, 'lost', 'gone-1');
    expect(first.status).toBe(502);
    expect(await chat(g.url, 'lost', 'gone-2')).toMatchObject({ status: 502 });
    const a = await agent(g.url, 'lost');
    // Before: calls 0 errors 0 while the audit held two 502 rows.
    expect(a).toMatchObject({ calls: 2, errors: 2 });
    expect(a.lastError).toMatchObject({ status: 502, code: 'upstream_unreachable' });
    expect(a.lastError?.message).toBe('provider dead is unreachable (ECONNREFUSED)');
    await eventually(() => g.rows().length === 2);
    const rows = g.rows();
    expect(rows.map((r) => [r.agent, r.status, r.error_code])).toEqual([
      ['lost', 502, 'upstream_unreachable'],
      ['lost', 502, 'upstream_unreachable'],
    ]);
    expect(rows.map((r) => r.error_message)).toEqual([a.lastError?.message, a.lastError?.message]);
    expect(rows.filter((r) => Number(r.status) >= 400 || r.error_code !== null)).toHaveLength(a.errors);

    // The same text in the request detail, the log and the export.
    const detail = await api<RequestDetail>(g.url, `/api/logs/${first.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: first.id, agent: 'lost', provider: 'dead', status: 502, errorCode: 'upstream_unreachable', errorMessage: rows[0]?.error_message });
    const logs = await api<{ entries: LogEntry[] }>(g.url, '/api/logs?agent=lost');
    expect(logs.body.entries[0]?.errorMessage).toBe(rows[1]?.error_message);
    let exported = '';
    g.gateway.store.sink.flush();
    exportRows(g.dbPath, { format: 'jsonl' }, (chunk) => (exported += chunk));
    expect(JSON.parse(exported.split('\n')[0] ?? '{}')).toMatchObject({ error_code: 'upstream_unreachable', error_message: rows[0]?.error_message });
    // No key in any of it.
    expect(JSON.stringify([rows, detail.body, logs.body, exported])).not.toContain('sk-dead-key-123456');
    expect((await api<unknown>(g.url, '/api/logs/req_nope')).status).toBe(404);
  });
});

describe('a fallback', () => {
  it('is recorded with the provider it stood in for, and shown so in the log and the request detail', async () => {
    gw = await startTestGateway({ yaml: await yaml() });
    const g = gw;
    const { status, id } = await chat(g.url, 'steady', 'spare-1');
    expect(status).toBe(200);
    await eventually(() => g.rows().length === 1);
    expect(g.rows()[0]).toMatchObject({ provider: 'fo', fallback_from: 'dead', status: 200 });
    const detail = (await api<RequestDetail>(g.url, `/api/logs/${id}`)).body;
    expect(detail).toMatchObject({ provider: 'fo', fallbackFrom: 'dead', upstreamModel: 'gpt-4o-mini', status: 200, errorMessage: null });
    expect(detail.tokens).toEqual({ input: 100, cacheRead: 0, cacheWrite: 0, output: 10, reasoning: 0 });
    // $1 and $2 per 1M tokens.
    expect(detail.cost).toMatchObject({ totalUsd: 0.00012, input: 0.0001, output: 0.00002, estimated: false, priceVersion: 'config' });
    expect(detail.ttfbMs).toBeGreaterThanOrEqual(0);
    const entry = (await api<{ entries: LogEntry[] }>(g.url, '/api/logs')).body.entries[0];
    expect(entry).toMatchObject({ id, provider: 'fo', fallbackFrom: 'dead' });
    expect((await api<{ entries: LogEntry[] }>(g.url, '/api/logs?q=fallback')).body.entries.map((e) => e.id)).toEqual([id]);
  });
});

describe('the log search', () => {
  it('finds rows from before a restart, with the dashboard filter words, in SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-search-'));
    const config = await yaml();
    try {
      gw = await startTestGateway({ yaml: config, dir });
      for (let i = 0; i < 3; i++) expect((await chat(gw.url, 'archivist', 'gpt-4o')).status).toBe(200);
      expect((await chat(gw.url, 'archivist', 'gone-x')).status).toBe(502);
      await gw.stop();

      gw = await startTestGateway({ yaml: config, dir });
      const g = gw;
      // Nothing of it is in memory any more.
      expect((await api<{ recent: LogEntry[] }>(g.url, '/api/status')).body.recent).toEqual([]);
      expect((await chat(g.url, 'newcomer', 'gpt-4o')).status).toBe(200);
      const search = async (q: string): Promise<LogEntry[]> => (await api<{ entries: LogEntry[] }>(g.url, `/api/logs?q=${encodeURIComponent(q)}`)).body.entries;
      expect((await search('archivist')).map((e) => e.status)).toEqual([502, 200, 200, 200]);
      expect((await search('archivist 5xx')).map((e) => e.errorCode)).toEqual(['upstream_unreachable']);
      // Words match the error text too, ignoring case.
      expect((await search('ARCHIVIST econnrefused')).map((e) => e.errorMessage)).toEqual(['provider dead is unreachable (ECONNREFUSED)']);
      expect((await search('gpt-4o 2xx')).map((e) => e.agent)).toEqual(['newcomer', 'archivist', 'archivist', 'archivist']);
      // LIKE's own wildcards are plain characters in a filter.
      expect(await search('%')).toEqual([]);
      expect(await search('arch_vist')).toEqual([]);
      // The same through the client the remote dashboard uses.
      const client = new ManagementClient({ baseUrl: g.url });
      try {
        expect((await client.getLogs({ q: 'archivist 5xx', limit: 10 })).map((e) => e.agent)).toEqual(['archivist']);
        expect(await client.getRequest('req_missing')).toBeUndefined();
      } finally {
        await client.close();
      }
    } finally {
      await gw?.stop();
      gw = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('spend by provider and model', () => {
  it('answers the last hour from live counters and today from the audit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-usage-'));
    const config = await yaml();
    try {
      gw = await startTestGateway({ yaml: config, dir });
      expect((await chat(gw.url, 'a', 'spare-1')).status).toBe(200);
      await gw.stop();
      gw = await startTestGateway({ yaml: config, dir });
      const g = gw;
      expect((await chat(g.url, 'a', 'spare-2')).status).toBe(200);
      expect((await chat(g.url, 'b', 'gone-1')).status).toBe(502);
      const usage = (await api<UsageReport>(g.url, '/api/usage')).body;
      const byKey = (list: UsageReport['hour']) => Object.fromEntries(list.map((u) => [`${u.provider}/${u.model}`, u]));
      // The hour counts what this run saw; the day counts the audit, the run before included.
      expect(byKey(usage.hour)).toEqual({
        'fo/gpt-4o-mini': { provider: 'fo', model: 'gpt-4o-mini', calls: 1, errors: 0, tokensIn: 100, tokensOut: 10, costUsd: 0.00012, unpricedCalls: 0 },
        'dead/gpt-4o': { provider: 'dead', model: 'gpt-4o', calls: 1, errors: 1, tokensIn: 0, tokensOut: 0, costUsd: 0, unpricedCalls: 0 },
      });
      expect(byKey(usage.day)['fo/gpt-4o-mini']).toMatchObject({ calls: 2, errors: 0, tokensIn: 200, tokensOut: 20, unpricedCalls: 0 });
      expect(byKey(usage.day)['fo/gpt-4o-mini']?.costUsd).toBeCloseTo(0.00024, 12);
      expect(byKey(usage.day)['dead/gpt-4o']).toMatchObject({ calls: 1, errors: 1 });
      expect(usage.dayFrom).toBeLessThanOrEqual(usage.now);
      expect(usage.now - usage.dayFrom).toBeLessThan(86_400_000 + 3_600_000);
      // What the store reads equals the rows it holds.
      const db = new Database(g.dbPath, { readonly: true });
      try {
        const n = db.prepare("SELECT COUNT(*) AS n FROM requests WHERE provider = 'fo'").get() as { n: number };
        expect(n.n).toBe(2);
      } finally {
        db.close();
      }
    } finally {
      await gw?.stop();
      gw = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
