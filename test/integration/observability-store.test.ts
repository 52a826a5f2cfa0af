/**
 * What the gateway keeps on disk besides /metrics: retention removes old audit rows in batches and leaves
 * recent ones (lifetime totals survive), and the JSONL mirror gets one JSON line per request.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DEFAULT_USAGE, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';
import { deferAfterEach } from './fakes-gateway.js';
import { makeRow } from '../unit/store/helpers.js';
import { parseConfigText } from '../../src/config/index.js';
import { checkPolicyCondition } from '../../src/app/gateway.js';

const DAY = 86_400_000;
const defer = deferAfterEach();

async function fake(): Promise<FakeUpstream> {
  const f = await startFakeOpenAI();
  defer(() => f.close());
  return f;
}

async function gateway(options: TestGatewayOptions): Promise<TestGateway> {
  const gw = await startTestGateway(options);
  defer(() => gw.stop());
  return gw;
}

async function chat(url: string, agent: string, stream = false): Promise<Response> {
  return fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

function count(dbPath: string, where: string): number {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM requests WHERE ${where}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('retention', () => {
  it('prunes rows older than retention_days in batches, keeps newer ones and the lifetime totals', async () => {
    const f = await fake();
    const gw = await gateway({ yaml: `providers:\n  fo: { type: openai, base_url: ${f.baseURL}, api_key: sk-x }\nmodels:\n  "gpt-*": fo\n` });
    // Default retention is 90 days. Old rows go in through the same sink the proxy uses.
    expect(gw.gateway.config().storage.retentionDays).toBe(90);
    const now = Date.now();
    const sink = gw.gateway.store.sink;
    for (let i = 0; i < 2500; i++) sink.record(makeRow({ id: `old_${i}`, agent: 'archivist', ts: now - 120 * DAY + i, costUsd: 0.5, status: i % 10 === 0 ? 500 : 200 }));
    sink.record(makeRow({ id: 'edge_keep', agent: 'archivist', ts: now - 89 * DAY, costUsd: 0.25 }));
    expect((await chat(gw.url, 'archivist')).status).toBe(200);
    sink.flush();
    expect(count(gw.dbPath, '1')).toBe(2502);
    const lifetimeBefore = gw.gateway.store.queries.agentSpend(now - DAY).find((s) => s.agent === 'archivist')!.lifetime;

    const pass = gw.gateway.pruneNow();
    // A pass deletes one batch, then yields to the event loop before the next: requests keep flowing.
    expect(count(gw.dbPath, "id LIKE 'old_%'")).toBe(1500);
    expect(gw.gateway.pruneNow()).toBe(pass); // one pass at a time
    expect(await pass).toBe(2500);

    expect(gw.rows().map((r) => r.id).slice(0, 1)).toEqual(['edge_keep']);
    expect(gw.rows()).toHaveLength(2);
    const lifetimeAfter = gw.gateway.store.queries.agentSpend(now - DAY).find((s) => s.agent === 'archivist')!.lifetime;
    expect(lifetimeAfter.calls).toBe(2502);
    expect(lifetimeAfter.errors).toBe(lifetimeBefore.errors);
    expect(lifetimeAfter.costUsd).toBeCloseTo(lifetimeBefore.costUsd, 9);
    expect(gw.logs.some((l) => l.includes('"msg":"retention pruned old audit rows"') && l.includes('"rows":2500'))).toBe(true);
    expect(await gw.gateway.pruneNow()).toBe(0);
  });

  it('keeps everything with retention_days: 0', async () => {
    const f = await fake();
    const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-retention-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    // The harness appends its own storage block, so this config is built here and handed over whole.
    const yaml = `providers:\n  fo: { type: openai, base_url: ${f.baseURL}, api_key: sk-x }\nmodels:\n  "gpt-*": fo\nstorage:\n  path: ${JSON.stringify(join(dir, 'audit.db'))}\n  retention_days: 0\n`;
    const parsed = parseConfigText(yaml, { file: join(dir, 'gateway.yaml'), env: {}, baseDir: dir, checkPolicyCondition });
    const config = { ...parsed.config!, gateway: { ...parsed.config!.gateway, port: 0, host: '127.0.0.1' } };
    const gw = await gateway({ yaml: '', dir, extra: { config } });
    gw.gateway.store.sink.record(makeRow({ id: 'ancient', ts: Date.now() - 3650 * DAY }));
    gw.gateway.store.sink.flush();
    expect(await gw.gateway.pruneNow()).toBe(0);
    expect(gw.rows().map((r) => r.id)).toEqual(['ancient']);
  });
});

describe('JSONL mirror', () => {
  it('appends one JSON line per request to storage.jsonl', async () => {
    const f = await fake();
    const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-jsonl-'));
    defer(() => rmSync(dir, { recursive: true, force: true }));
    const yaml = [
      'providers:',
      `  fo: { type: openai, base_url: ${f.baseURL}, api_key: sk-provider-jsonl-0001 }`,
      'models:',
      '  "gpt-*": fo',
      'prices:',
      '  gpt-4o-mini: { input: 1, output: 4 }',
      'storage:',
      `  path: ${JSON.stringify(join(dir, 'audit.db'))}`,
      '  jsonl: ./logs/audit.jsonl',
    ].join('\n');
    const parsed = parseConfigText(yaml, { file: join(dir, 'gateway.yaml'), env: {}, baseDir: dir, checkPolicyCondition });
    expect(parsed.errors).toEqual([]);
    const jsonlPath = join(dir, 'logs', 'audit.jsonl');
    expect(parsed.config!.storage.jsonl).toBe(jsonlPath); // relative to the config file
    const config = { ...parsed.config!, gateway: { ...parsed.config!.gateway, port: 0, host: '127.0.0.1' } };
    const gw = await gateway({ yaml: '', dir, extra: { config } });

    f.queueScenarios({ kind: 'error', status: 400, message: 'bad thing' });
    const sent: { id: string | null; agent: string; status: number; stream: boolean }[] = [];
    for (const [agent, stream] of [['writer', false], ['writer', true], ['critic', false]] as const) {
      const res = await chat(gw.url, agent, stream);
      await res.text();
      sent.push({ id: res.headers.get('x-request-id'), agent, status: res.status, stream });
    }
    expect(sent.map((s) => s.status)).toEqual([400, 200, 200]);

    gw.gateway.store.sink.flush();
    await eventually(() => existsSync(jsonlPath) && readFileSync(jsonlPath, 'utf8').split('\n').length === 4);
    const text = readFileSync(jsonlPath, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.id, l.agent, l.status, l.stream])).toEqual(sent.map((s) => [s.id, s.agent, s.status, s.stream]));
    const ok = lines[2]!;
    expect(ok).toMatchObject({ provider: 'fo', model: 'gpt-4o-mini', input_tokens: DEFAULT_USAGE.input, output_tokens: DEFAULT_USAGE.output, estimated: false });
    // (12 · 1 + 8 · 4) / 1e6
    expect(ok.cost_usd).toBeCloseTo(0.000044, 12);
    expect(new Date(String(ok.time)).getTime()).toBe(ok.ts);
    expect(lines[0]!.error_code).not.toBeNull();
    // Same rows as SQLite, in the same order.
    expect(gw.rows().map((r) => r.id)).toEqual(lines.map((l) => l.id));
    expect(text).not.toContain('sk-provider-jsonl-0001');
  });

  it('accepts the seed format audit.log_file as the same mirror', async () => {
    const f = await fake();
    const gw = await gateway({ yaml: `providers:\n  fo: { type: openai, base_url: ${f.baseURL}, api_key: sk-x }\nmodels:\n  "gpt-*": fo\naudit:\n  log_file: ./seed-audit.jsonl\n` });
    const res = await chat(gw.url, 'seeded');
    await res.text();
    const path = join(gw.dir, 'seed-audit.jsonl');
    await eventually(() => existsSync(path) && readFileSync(path, 'utf8').endsWith('\n'));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ id: res.headers.get('x-request-id'), agent: 'seeded', status: 200 });
  });
});
