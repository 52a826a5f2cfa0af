/**
 * Live logs in process: /api/logs/stream (SSE) filtered by agent and status, entries carrying the request id
 * the client got; the gateway keeping its log redactor's secrets current across a reload, and ignoring (and saying
 * so) a reload that arrives while it stops.
 */
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { deferAfterEach } from './fakes-gateway.js';
import { readConfig } from '../../src/config/index.js';
import { checkPolicyCondition } from '../../src/app/gateway.js';
import { Logger } from '../../src/observe/logger.js';
import { Redactor, mask } from '../../src/observe/redact.js';
import type { LogEntry } from '../../src/live/snapshot.js';

const defer = deferAfterEach();

async function setup(yaml: (f: FakeUpstream) => string, extra?: Parameters<typeof startTestGateway>[0]['extra']): Promise<{ f: FakeUpstream; gw: TestGateway }> {
  const f = await startFakeOpenAI();
  defer(() => f.close());
  const gw = await startTestGateway({ yaml: yaml(f), ...(extra ? { extra } : {}) });
  defer(() => gw.stop());
  return { f, gw };
}

async function chat(url: string, agent: string): Promise<{ id: string; status: number }> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  return { id: res.headers.get('x-request-id') ?? '', status: res.status };
}

/** Subscribes to the live log stream; entries arrive in `entries`. */
async function follow(url: string, query: string): Promise<{ entries: LogEntry[]; comments: string[]; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/api/logs/stream${query}`, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const entries: LogEntry[] = [];
  const comments: string[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of event.split('\n')) {
            if (line.startsWith('data: ')) entries.push(JSON.parse(line.slice(6)) as LogEntry);
            else if (line.startsWith(':')) comments.push(line);
          }
        }
      }
    } catch {
      /* aborted by close() */
    }
  })();
  // The first bytes (a comment) mean the subscription is in place.
  await eventually(() => comments.length > 0);
  return { entries, comments, close: () => controller.abort() };
}

describe('/api/logs/stream', () => {
  it('streams each finished request live, filtered by agent and by status', async () => {
    const { f, gw } = await setup((f) => `providers:\n  fo: { type: openai, base_url: ${f.baseURL}, api_key: sk-logs-provider-0001 }\nmodels:\n  "gpt-*": fo\n`);
    const all = await follow(gw.url, '');
    const aliceErrors = await follow(gw.url, '?agent=alice&status=error');
    const twoHundreds = await follow(gw.url, '?status=2xx');
    const exact400 = await follow(gw.url, '?status=400');
    defer(() => [all, aliceErrors, twoHundreds, exact400].forEach((s) => s.close()));

    const sent: { agent: string; id: string; status: number }[] = [];
    f.queueScenarios('text', { kind: 'error', status: 400 }, 'text', { kind: 'error', status: 500 });
    for (const agent of ['alice', 'alice', 'bob', 'bob']) sent.push({ agent, ...(await chat(gw.url, agent)) });
    expect(sent.map((s) => s.status)).toEqual([200, 400, 200, 500]);

    await eventually(() => all.entries.length === 4);
    expect(all.entries.map((e) => [e.id, e.agent, e.status])).toEqual(sent.map((s) => [s.id, s.agent, s.status]));
    expect(all.entries.every((e) => /^req_[0-9a-f]{12}[0-9a-z]{6,}$/.test(e.id))).toBe(true);
    expect(all.entries[0]).toMatchObject({ provider: 'fo', model: 'gpt-4o-mini', tokensIn: 12, tokensOut: 8, stream: false });
    expect(aliceErrors.entries.map((e) => e.id)).toEqual([sent[1]!.id]);
    expect(twoHundreds.entries.map((e) => e.id)).toEqual([sent[0]!.id, sent[2]!.id]);
    expect(exact400.entries.map((e) => e.id)).toEqual([sent[1]!.id]);
    // The stored log agrees with what was streamed.
    expect(gw.rows().map((r) => r.id)).toEqual(sent.map((s) => s.id));
  });
});

describe('shutdown with a log follower attached', () => {
  it('ends the live stream at once instead of holding the server open for the drain timeout', async () => {
    const gw = await startTestGateway({ yaml: '' });
    defer(() => gw.stop());
    const res = await fetch(`${gw.url}/api/logs/stream`);
    const reader = res.body!.getReader();
    await reader.read(); // the opening comment: subscribed
    const started = Date.now();
    await gw.stop();
    // The drain timeout is 10 s; a follower (ai-gateway logs -f, a remote dashboard) must not cost that.
    expect(Date.now() - started).toBeLessThan(3000);
    let done = false;
    while (!done) done = (await reader.read()).done;
  });
});

describe('log redaction', () => {
  it('masks every configured provider key, virtual key and the admin token, and follows reloads', async () => {
    const lines: string[] = [];
    const everything: string[] = [];
    const redactor = new Redactor();
    const sink = { write: (l: string) => void (lines.push(l), everything.push(l)) };
    const logger = new Logger({ format: 'json', level: 'debug', sink, redactor });
    const yaml = (f: FakeUpstream, key: string) =>
      [
        'gateway:',
        '  admin_token: admin-token-0123456789',
        'providers:',
        `  fo: { type: openai, base_url: ${f.baseURL}, api_key: ${key} }`,
        'models:',
        '  "gpt-*": fo',
        'agents:',
        '  alice: { keys: [vk-alice-0123456789] }',
      ].join('\n');
    const { f, gw } = await setup((f) => yaml(f, 'sk-first-provider-key-01'), { logger, redactor });
    const line = (text: string): string => {
      lines.length = 0;
      logger.info(text);
      return lines[0]!;
    };
    const said = line('sk-first-provider-key-01 vk-alice-0123456789 admin-token-0123456789');
    expect(said).not.toMatch(/sk-first-provider-key-01|vk-alice-0123456789|admin-token-0123456789/);
    expect(said).toContain(mask('sk-first-provider-key-01'));

    // A reload with a new provider key: the new key is masked from then on.
    const text = `${yaml(f, 'sk-second-provider-key-02')}\nstorage:\n  path: ${JSON.stringify(gw.dbPath)}\n`;
    writeFileSync(gw.configPath, text);
    const reloaded = readConfig({ path: gw.configPath, env: {}, checkPolicyCondition });
    expect(reloaded.errors).toEqual([]);
    expect(gw.gateway.reload(reloaded, 'test')).toBe(true);
    expect(line('now sk-second-provider-key-02')).toContain(mask('sk-second-provider-key-02'));
    expect(line('now sk-second-provider-key-02')).not.toContain('sk-second-provider-key-02');

    // Requests after the reload use the new key upstream; what the gateway itself logged (the reload, its
    // control event) holds neither key.
    expect((await chat(gw.url, 'alice')).status).toBe(200);
    expect(f.lastRequest?.headers.authorization).toBe('Bearer sk-second-provider-key-02');
    const own = everything.filter((l) => !l.includes('"msg":"now ') && !l.includes('"msg":"sk-first'));
    expect(own.some((l) => l.includes('"msg":"config reloaded"'))).toBe(true);
    expect(own.some((l) => l.includes('"msg":"control config_reload"') && l.includes('"actor":"test"'))).toBe(true);
    expect(everything.join('')).not.toMatch(/sk-first-provider-key-01|sk-second-provider-key-02|vk-alice-0123456789|admin-token-0123456789/);
  });
});

describe('reload while stopping', () => {
  it('a reload that arrives while the gateway stops is ignored and says so', async () => {
    const lines: string[] = [];
    const logger = new Logger({ format: 'json', level: 'info', sink: { write: (l: string) => void lines.push(l) } });
    const yaml = (f: FakeUpstream): string => ['providers:', `  fo: { type: openai, base_url: ${f.baseURL}, api_key: sk-test }`, 'models:', '  "gpt-*": fo'].join('\n');
    const { f, gw } = await setup(yaml, { logger });
    writeFileSync(gw.configPath, `${yaml(f)}\n  "reloaded-*": fo\nstorage:\n  path: ${JSON.stringify(gw.dbPath)}\n`);
    const next = readConfig({ path: gw.configPath, env: {}, checkPolicyCondition });
    expect(next.errors).toEqual([]);
    const closing = gw.gateway.close();
    expect(gw.gateway.reload(next, 'signal')).toBe(false);
    await closing;
    expect(gw.gateway.config().models.map((m) => m.pattern)).not.toContain('reloaded-*');
    expect(lines.some((l) => l.includes('"msg":"config reload ignored: the gateway is stopping"'))).toBe(true);
  });
});
