/**
 * Secrets never leave the gateway: unique provider keys, virtual keys, a client's own key and the admin token are
 * planted, traffic of every kind is run (both formats, streams, upstream errors that echo the key back, admin
 * calls, refused calls), and then every output is searched: log lines, audit rows, control events, the JSONL
 * mirror, the dashboard snapshot and a rendered TUI frame, the management API, metrics, and every response
 * body and header. Also: the management API refuses non-loopback callers (and web pages) without a token.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import React from 'react';
import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import { parseConfigText } from '../../src/config/index.js';
import { authorized } from '../../src/server/admin-routes.js';
import { startGateway, checkPolicyCondition, type RunningGateway } from '../../src/app/gateway.js';
import { Logger } from '../../src/observe/logger.js';
import { Redactor } from '../../src/observe/redact.js';
import { keyFingerprint } from '../../src/providers/key-pool.js';
import { App } from '../../src/tui/app.js';
import { createDashboardStore } from '../../src/tui/dashboard-store.js';
import { startFakeAnthropic, startFakeOpenAI, scenarioDirective, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { eventually, hasBuiltCli, spawnGateway, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { send, type RawResponse } from '../faults/bed.js';

const tag = randomBytes(6).toString('hex');
const SECRETS = {
  openaiKey: `sk-proj-PLANTED${tag}openai`,
  anthropicKey: `sk-ant-api03-PLANTED${tag}anthropic`,
  researcherKey: `vk-PLANTED${tag}researcher`,
  coderKey: `vk-PLANTED${tag}coder`,
  adminToken: `adm-PLANTED${tag}token`,
  /** A client's own key, passed through to a provider that has none. */
  clientKey: `sk-client-PLANTED${tag}own`,
  /** The keys of a provider's key pool (api_keys). */
  poolKeyA: `sk-proj-PLANTED${tag}poolA`,
  poolKeyB: `sk-proj-PLANTED${tag}poolB`,
};

describe('planted secrets appear in no output', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gw: TestGateway;
  const responses: RawResponse[] = [];
  const jsonl = (): string => join(gw.dir, 'audit.jsonl');

  beforeAll(async () => {
    openai = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
    gw = await startTestGateway({
      env: {
        OPENAI_KEY: SECRETS.openaiKey,
        ANTHROPIC_KEY: SECRETS.anthropicKey,
        R_KEY: SECRETS.researcherKey,
        C_KEY: SECRETS.coderKey,
        ADMIN: SECRETS.adminToken,
        POOL_A: SECRETS.poolKeyA,
        POOL_B: SECRETS.poolKeyB,
      },
      yaml: [
        'gateway: { embedded_defaults: false, admin_token: "${ADMIN}" }',
        'audit: { log_file: audit.jsonl }',
        'providers:',
        `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: "\${OPENAI_KEY}" }`,
        `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: "\${ANTHROPIC_KEY}" }`,
        `  byok: { type: openai, base_url: ${openai.baseURL} }`,
        `  fp: { type: openai, base_url: ${openai.baseURL}, api_keys: ["\${POOL_A}", "\${POOL_B}"] }`,
        'models:',
        '  "gpt-*": fo',
        '  "claude-*": fa',
        '  "own-*": { provider: byok, model: gpt-4o-mini }',
        '  "pool-*": { provider: fp, model: gpt-4o-mini }',
        'agents:',
        '  researcher: { keys: ["${R_KEY}"], budget: { max_cost_per_hour: 5 } }',
        '  coder: { keys: ["${C_KEY}"], circuit_breaker: { error_threshold: 2 } }',
      ].join('\n'),
    });

    const openaiChat = (key: string, model: string, stream: boolean, scenario: Scenario | 'text' = 'text') =>
      send(gw.url, '/v1/chat/completions', {
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: `hello ${scenarioDirective(scenario)}` }] }),
      });
    const anthropicChat = (key: string, model: string, stream: boolean, scenario: Scenario | 'text' = 'text') =>
      send(gw.url, '/v1/messages', {
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model, stream, max_tokens: 32, messages: [{ role: 'user', content: `hello ${scenarioDirective(scenario)}` }] }),
      });
    // Upstream 401s that quote the key they were sent, as some OpenAI-compatible servers do.
    const echoOpenAI: Scenario = { kind: 'error', status: 401, message: `Incorrect API key provided: ${SECRETS.openaiKey}.` };
    const echoAnthropic: Scenario = { kind: 'error', status: 401, message: `invalid x-api-key ${SECRETS.anthropicKey}` };
    const echoClient: Scenario = { kind: 'error', status: 401, message: `Incorrect API key provided: ${SECRETS.clientKey}.` };

    const calls: Promise<RawResponse>[] = [
      openaiChat(SECRETS.researcherKey, 'gpt-4o-mini', false),
      openaiChat(SECRETS.researcherKey, 'gpt-4o-mini', true),
      openaiChat(SECRETS.researcherKey, 'claude-haiku-4-5', true),
      anthropicChat(SECRETS.coderKey, 'claude-haiku-4-5', false),
      anthropicChat(SECRETS.coderKey, 'claude-haiku-4-5', true),
      anthropicChat(SECRETS.coderKey, 'gpt-4o-mini', true),
      openaiChat(SECRETS.researcherKey, 'gpt-4o-mini', false, echoOpenAI),
      openaiChat(SECRETS.researcherKey, 'gpt-4o-mini', true, echoOpenAI),
      anthropicChat(SECRETS.coderKey, 'claude-haiku-4-5', false, echoAnthropic),
      anthropicChat(SECRETS.coderKey, 'gpt-4o-mini', false, echoOpenAI),
      openaiChat(SECRETS.researcherKey, 'claude-haiku-4-5', false, echoAnthropic),
      openaiChat(SECRETS.clientKey, 'own-model', false),
      openaiChat(SECRETS.clientKey, 'own-model', false, echoClient),
      openaiChat(SECRETS.coderKey, 'gpt-4o-mini', false, { kind: 'error', status: 500 }),
      openaiChat(SECRETS.coderKey, 'gpt-4o-mini', false, { kind: 'error', status: 500 }),
      openaiChat(SECRETS.coderKey, 'gpt-4o-mini', false),
      openaiChat(SECRETS.researcherKey, 'no-such-model', false),
      send(gw.url, '/v1/embeddings', { headers: { authorization: `Bearer ${SECRETS.researcherKey}` }, body: JSON.stringify({ model: 'gpt-embed', input: 'x' }) }),
      send(gw.url, '/v1/models', { headers: { authorization: `Bearer ${SECRETS.researcherKey}` } }),
      send(gw.url, '/v1/files', { headers: { authorization: `Bearer ${SECRETS.researcherKey}` } }),
    ];
    responses.push(...(await Promise.all(calls)));
    // The key pool, one call at a time: each key serves once, then an upstream 401 quoting a key takes out the key
    // it came on, the request moves to the other key, which the same 401 takes out too (two loud log lines).
    const echoPool: Scenario = { kind: 'error', status: 401, message: `Incorrect API key provided: ${SECRETS.poolKeyA}.` };
    for (const scenario of ['text', 'text', echoPool] as const) responses.push(await openaiChat(SECRETS.researcherKey, 'pool-model', false, scenario));
    // Management API: with the token, with a wrong one, with none.
    const admin = { authorization: `Bearer ${SECRETS.adminToken}` };
    responses.push(await send(gw.url, '/api/agents/researcher/pause', { headers: admin, body: JSON.stringify({ reason: 'secrets test' }) }));
    responses.push(await send(gw.url, '/api/agents/researcher/resume', { method: 'POST', headers: admin }));
    responses.push(await send(gw.url, '/api/agents/coder/budget', { method: 'PUT', headers: admin, body: JSON.stringify({ daily: 3 }) }));
    responses.push(await send(gw.url, '/api/status', { headers: { authorization: `Bearer ${SECRETS.adminToken}x` } }));
    responses.push(await send(gw.url, '/api/status', { headers: { 'x-admin-token': SECRETS.openaiKey } }));
    responses.push(await send(gw.url, '/api/status'));
    for (const path of ['/api/status', '/api/agents/researcher', '/api/agents/coder', '/api/logs?limit=1000', '/api/breakers']) {
      responses.push(await send(gw.url, path, { headers: admin }));
    }
    responses.push(await send(gw.url, '/metrics'));
    responses.push(await send(gw.url, '/health'));
    await eventually(() => gw.rows().length >= 17, 5000);
  });

  afterAll(async () => {
    await gw?.stop();
    await openai?.close();
    await anthropic?.close();
  });

  function leaks(where: string, text: string): string[] {
    return Object.entries(SECRETS)
      .filter(([, secret]) => text.includes(secret))
      .map(([name]) => `${name} in ${where}`);
  }

  it('the traffic really carried the secrets (the scan below is not vacuous)', () => {
    expect(openai.requests.some((r) => r.headers.authorization === `Bearer ${SECRETS.openaiKey}`)).toBe(true);
    expect(anthropic.requests.some((r) => r.headers['x-api-key'] === SECRETS.anthropicKey)).toBe(true);
    expect(openai.requests.some((r) => r.headers.authorization === `Bearer ${SECRETS.clientKey}`)).toBe(true);
    expect(openai.requests.filter((r) => r.headers.authorization === `Bearer ${SECRETS.poolKeyA}`)).toHaveLength(2);
    expect(openai.requests.filter((r) => r.headers.authorization === `Bearer ${SECRETS.poolKeyB}`)).toHaveLength(2);
    expect(responses.slice(20, 23).map((r) => r.status)).toEqual([200, 200, 502]);
    expect(gw.logs.filter((l) => l.includes('refused key'))).toHaveLength(2);
    expect(gw.rows().some((r) => r.agent === 'researcher')).toBe(true);
    expect(gw.rows().some((r) => r.agent === 'coder')).toBe(true);
    expect(responses.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(5);
    // The upstream errors that quoted a key reached the client with the key masked.
    for (const i of [6, 7, 8, 9, 10]) {
      expect(responses[i]!.status).toBe(401);
      expect(responses[i]!.body).toContain('[redacted]');
    }
  });

  it('log lines', () => {
    expect(leaks('logs', gw.logs.join('\n'))).toEqual([]);
  });

  it('audit rows, control events and the JSONL mirror', async () => {
    expect(leaks('requests table', JSON.stringify(gw.rows()))).toEqual([]);
    expect(gw.controlEvents().length).toBeGreaterThan(0);
    expect(leaks('control_events table', JSON.stringify(gw.controlEvents()))).toEqual([]);
    await eventually(() => readFileSync(jsonl(), 'utf8').split('\n').filter(Boolean).length >= gw.rows().length);
    expect(leaks('JSONL', readFileSync(jsonl(), 'utf8'))).toEqual([]);
    // The SQLite file itself, WAL included, byte for byte.
    gw.gateway.store.sink.flush();
    for (const file of [gw.dbPath, `${gw.dbPath}-wal`]) {
      let bytes = '';
      try {
        bytes = readFileSync(file).toString('latin1');
      } catch {
        continue;
      }
      expect(leaks(file.endsWith('-wal') ? 'SQLite WAL' : 'SQLite file', bytes)).toEqual([]);
    }
  });

  it('response bodies and headers, errors included', () => {
    const found = responses.flatMap((r, i) => [...leaks(`response ${i} body (${r.status})`, r.body), ...leaks(`response ${i} headers`, JSON.stringify(r.headers))]);
    // A provider quoting a client's own key back to that same client reveals nothing the client did not have.
    expect(found).toEqual(['clientKey in response 12 body (401)']);
  });

  it('the dashboard: snapshot JSON and a rendered TUI frame', async () => {
    const snapshot = gw.gateway.dashboard.snapshot();
    expect(snapshot.agents.map((a) => a.id)).toEqual(expect.arrayContaining(['researcher', 'coder']));
    expect(leaks('dashboard snapshot', JSON.stringify(snapshot))).toEqual([]);
    const store = createDashboardStore(gw.gateway.dashboard, { clock: systemClock, maxFps: 10, tickMs: 0 });
    const app = render(React.createElement(App, { store, actions: gw.gateway.dashboard.actions, version: 'test', noColor: true }));
    try {
      await eventually(() => (app.lastFrame() ?? '').includes('researcher'), 3000);
      expect(leaks('TUI frame', app.frames.join('\n'))).toEqual([]);
    } finally {
      app.unmount();
      store.close();
    }
  });

  it('metrics', async () => {
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('ai_gateway_');
    expect(leaks('metrics', metrics)).toEqual([]);
    // Per-key counters name each pooled key by its fingerprint.
    expect(metrics).toContain(`ai_gateway_provider_key_requests_total{provider="fp",key="${keyFingerprint(SECRETS.poolKeyA)}",outcome="ok"} 1`);
    expect(metrics).toContain(`ai_gateway_provider_key_requests_total{provider="fp",key="${keyFingerprint(SECRETS.poolKeyB)}",outcome="refused"} 1`);
  });
});

describe.skipIf(!hasBuiltCli)('planted secrets appear nowhere in the built CLI\'s log lines, database and JSONL', () => {
  it('a run with traffic, errors and admin calls, then SIGTERM', async () => {
    const fake = await startFakeOpenAI();
    const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-secrets-'));
    try {
      const config = join(dir, 'gateway.yaml');
      writeFileSync(
        config,
        [
          'gateway: { embedded_defaults: false, admin_token: "${ADMIN}" }',
          'storage: { jsonl: audit.jsonl }',
          'providers:',
          `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: "\${OPENAI_KEY}" }`,
          'models: { "gpt-*": fo }',
          'agents:',
          '  researcher: { keys: ["${R_KEY}"] }',
        ].join('\n'),
      );
      const gw = await spawnGateway({ cwd: dir, config, db: join(dir, 'audit.db'), env: { OPENAI_KEY: SECRETS.openaiKey, R_KEY: SECRETS.researcherKey, ADMIN: SECRETS.adminToken } });
      const echo: Scenario = { kind: 'error', status: 401, message: `Incorrect API key provided: ${SECRETS.openaiKey}.` };
      for (const [stream, scenario] of [[false, 'text'], [true, 'text'], [false, echo], [true, { kind: 'error', status: 500 }]] as const) {
        const res = await send(gw.url, '/v1/chat/completions', {
          headers: { authorization: `Bearer ${SECRETS.researcherKey}` },
          body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: `hi ${scenarioDirective(scenario)}` }] }),
        });
        expect(res.body).not.toContain(SECRETS.openaiKey);
      }
      await send(gw.url, '/api/agents/researcher/pause', { headers: { authorization: `Bearer ${SECRETS.adminToken}` }, body: '{}' });
      await send(gw.url, '/api/status', { headers: { authorization: `Bearer ${SECRETS.openaiKey}` } });
      gw.kill('SIGTERM');
      expect((await gw.exited).code).toBe(0);
      const outputs: [string, string][] = [
        ['stderr', gw.stderr()],
        ['audit.db', readFileSync(join(dir, 'audit.db')).toString('latin1')],
        ['audit.jsonl', readFileSync(join(dir, 'audit.jsonl'), 'utf8')],
      ];
      // Not vacuous: the log has a line per request and the JSONL a row per request.
      expect(gw.stderr().match(/"request_id"/g)?.length ?? 0).toBeGreaterThanOrEqual(4);
      expect(readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(4);
      const found = outputs.flatMap(([where, text]) => Object.entries(SECRETS).filter(([, v]) => text.includes(v)).map(([name]) => `${name} in ${where}`));
      expect(found).toEqual([]);
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('the management API without a token answers only loopback callers that are not web pages', () => {
  function fakeReq(remoteAddress: string, headers: Record<string, string> = {}): IncomingMessage {
    return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
  }

  it('decides by address, Origin and token', () => {
    expect(authorized(fakeReq('127.0.0.1'), undefined)).toBe(true);
    expect(authorized(fakeReq('::1'), undefined)).toBe(true);
    expect(authorized(fakeReq('::ffff:127.0.0.1'), '')).toBe(true);
    expect(authorized(fakeReq('192.168.1.20'), undefined)).toBe(false);
    expect(authorized(fakeReq('::ffff:10.0.0.7'), undefined)).toBe(false);
    expect(authorized(fakeReq('127.0.0.1', { origin: 'https://evil.example' }), undefined)).toBe(false);
    expect(authorized(fakeReq('127.0.0.1', { origin: 'null' }), undefined)).toBe(false);
    // With a token, the address does not matter; the token does.
    expect(authorized(fakeReq('192.168.1.20', { authorization: 'Bearer tok-123456' }), 'tok-123456')).toBe(true);
    expect(authorized(fakeReq('127.0.0.1'), 'tok-123456')).toBe(false);
    expect(authorized(fakeReq('127.0.0.1', { authorization: 'Bearer tok-1234567' }), 'tok-123456')).toBe(false);
    expect(authorized(fakeReq('127.0.0.1', { 'x-admin-token': 'tok-123456' }), 'tok-123456')).toBe(true);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
  if (external === undefined) console.warn('no non-loopback IPv4 interface: the over-the-network admin check is skipped');

  describe.skipIf(external === undefined)('over a real non-loopback interface', () => {
    let gateway: RunningGateway;
    let open: RunningGateway;
    const token = `adm-${tag}`;
    const startOn = async (adminToken: string | undefined): Promise<RunningGateway> => {
      const yaml = `gateway: { embedded_defaults: false, host: 0.0.0.0, port: 0${adminToken ? `, admin_token: ${adminToken}` : ''} }\nstorage: { path: ":memory:" }\n`;
      const parsed = parseConfigText(yaml, { file: 'secrets.yaml', env: {}, baseDir: process.cwd(), checkPolicyCondition });
      if (!parsed.config) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
      const redactor = new Redactor();
      return startGateway({ config: parsed.config, logger: new Logger({ format: 'json', sink: { write: () => undefined }, redactor }), redactor });
    };
    beforeAll(async () => {
      open = await startOn(undefined);
      gateway = await startOn(token);
    });
    afterAll(async () => {
      await open?.close();
      await gateway?.close();
    });

    it('no token: loopback yes, the LAN address no, a web page on loopback no', async () => {
      expect((await send(`http://127.0.0.1:${open.port}`, '/api/status')).status).toBe(200);
      const lan = await send(`http://${external}:${open.port}`, '/api/status');
      expect(lan.status).toBe(403);
      expect(lan.body).toContain('admin_unauthorized');
      const page = await send(`http://127.0.0.1:${open.port}`, '/api/agents/x/pause', { method: 'POST', headers: { origin: 'https://evil.example' } });
      expect(page.status).toBe(403);
      // The proxy itself still answers LAN callers (it is the admin API that is guarded).
      expect((await send(`http://${external}:${open.port}`, '/health')).status).toBe(200);
    });

    it('with a token: any address with the token, none without', async () => {
      expect((await send(`http://${external}:${gateway.port}`, '/api/status')).status).toBe(401);
      expect((await send(`http://127.0.0.1:${gateway.port}`, '/api/status')).status).toBe(401);
      expect((await send(`http://${external}:${gateway.port}`, '/api/status', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    });
  });
});
