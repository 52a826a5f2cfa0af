/**
 * What a web page can make the gateway do, over real HTTP against fake providers: a cross-site `no-cors` POST, a
 * JSON POST from a foreign origin and a DNS-rebound Host are refused before anything is forwarded (the fakes
 * receive nothing) and in the client's own error format; a listed origin gets proper CORS, preflight included;
 * SDKs, which send no Origin, work as before.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { networkInterfaces } from 'node:os';
import { deferAfterEach, fakesYaml, rawRequest, shareFakesGateway, type FakesGateway } from './fakes-gateway.js';
import { startFakeOpenAI } from '../fakes/index.js';
import { eventually, startTestGateway } from '../helpers/gateway.js';

const APP = 'http://app.localhost:5173';
const EVIL = 'https://evil.example';

let bed: FakesGateway;
shareFakesGateway(
  (started) => (bed = started),
  (openai, anthropic) => ({ yaml: fakesYaml(openai, anthropic, '', [`allowed_origins: ["${APP}"]`, 'allowed_hosts: [gateway.test]']) }),
);

const chatJson = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'spend my keys' }] });
const messagesJson = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'spend my keys' }] });

const upstreamCalls = (): number => bed.openai.requests.length + bed.anthropic.requests.length;
const port = (): string => new URL(bed.gw.url).port;
const errorOf = (text: string): Record<string, unknown> => (JSON.parse(text) as { error: Record<string, unknown> }).error;

/** Exactly what `fetch(url, {mode: 'no-cors', method: 'POST', body: new Blob([json])})` sends from a page on `origin`. */
function noCorsBlobPost(path: string, body: string, origin: string) {
  return rawRequest(bed.gw.url + path, {
    method: 'POST',
    headers: { origin, accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-site': 'cross-site', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
}

describe('a web page cannot spend through the gateway', () => {
  it('a cross-site no-cors POST with a blob body (no content type) is refused in each format, and nothing is forwarded', async () => {
    const chat = await noCorsBlobPost('/v1/chat/completions', chatJson, EVIL);
    expect(chat.status).toBe(403);
    expect(errorOf(chat.text)).toMatchObject({ type: 'invalid_request_error', code: 'origin_not_allowed' });
    expect(String(errorOf(chat.text).message)).toContain('gateway.allowed_origins');
    expect(chat.headers['access-control-allow-origin']).toBeUndefined();

    const messages = await noCorsBlobPost('/v1/messages', messagesJson, EVIL);
    expect(messages.status).toBe(403);
    expect(JSON.parse(messages.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });

    // Pass-through paths too: they carry the provider key just the same.
    for (const path of ['/v1/completions', '/v1/embeddings', '/v1/audio/speech', '/v1/batches', '/agents/bot/v1/images/generations']) {
      const res = await noCorsBlobPost(path, '{"model":"gpt-4o-mini","input":"x"}', EVIL);
      expect(res.status, path).toBe(403);
    }
    expect(upstreamCalls()).toBe(0);

    // Audited as refusals, under the agent the call named.
    const id = String(chat.headers['x-request-id']);
    await eventually(() => bed.gw.rows().some((r) => r.id === id));
    expect(bed.gw.rows().find((r) => r.id === id)).toMatchObject({ status: 403, error_code: 'origin_not_allowed', provider: null });
    await eventually(() => bed.gw.rows().some((r) => r.agent === 'bot' && r.error_code === 'origin_not_allowed'));
  });

  it('the same blob body without an Origin header is refused too: a POST must say it is JSON (415)', async () => {
    for (const path of ['/v1/chat/completions', '/v1/completions']) {
      const res = await rawRequest(bed.gw.url + path, { method: 'POST', headers: {}, body: chatJson });
      expect(res.status, path).toBe(415);
      expect(errorOf(res.text)).toMatchObject({ code: 'unsupported_media_type' });
      expect(String(errorOf(res.text).message)).toContain('without a content-type');
    }
    const plain = await rawRequest(`${bed.gw.url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(plain.status).toBe(415);
    expect(upstreamCalls()).toBe(0);
  });

  it('application/json from a foreign origin is refused before any upstream contact', async () => {
    for (const [path, body] of [
      ['/v1/chat/completions', chatJson],
      ['/v1/messages', messagesJson],
      ['/v1/responses', JSON.stringify({ model: 'gpt-4o-mini', input: 'hi' })],
      ['/v1/embeddings', JSON.stringify({ model: 'text-embedding-3-small', input: 'hi' })],
    ] as const) {
      const res = await rawRequest(bed.gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', origin: EVIL, 'anthropic-version': '2023-06-01' }, body });
      expect(res.status, path).toBe(403);
    }
    // A GET reads nothing useful cross-site, but is refused all the same; so is the origin "null" of sandboxed pages.
    expect((await rawRequest(`${bed.gw.url}/v1/models`, { headers: { origin: EVIL } })).status).toBe(403);
    expect((await rawRequest(`${bed.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'null' }, body: chatJson })).status).toBe(403);
    expect(upstreamCalls()).toBe(0);
  });

  it('a preflight from a foreign origin gets no CORS grant', async () => {
    const res = await rawRequest(`${bed.gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(upstreamCalls()).toBe(0);
  });
});

describe('DNS rebinding: only Host names of this gateway are served', () => {
  const rebound = (): string => `attacker.example:${port()}`;

  it('refuses a foreign Host on the management API, the metrics, the proxy and unknown paths', async () => {
    for (const path of ['/api/status', '/api/logs', '/api/agents/default', '/metrics', '/nowhere']) {
      const res = await rawRequest(bed.gw.url + path, { headers: { host: rebound() } });
      expect(res.status, path).toBe(403);
      expect(errorOf(res.text)).toMatchObject({ code: 'host_not_allowed' });
      expect(res.text).not.toContain('"agents"');
    }
    const chat = await rawRequest(`${bed.gw.url}/v1/chat/completions`, { method: 'POST', headers: { host: rebound(), 'content-type': 'application/json' }, body: chatJson });
    expect(chat.status).toBe(403);
    expect(errorOf(chat.text)).toMatchObject({ type: 'invalid_request_error', code: 'host_not_allowed' });
    const messages = await rawRequest(`${bed.gw.url}/v1/messages`, { method: 'POST', headers: { host: rebound(), 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, body: messagesJson });
    expect(JSON.parse(messages.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const pause = await rawRequest(`${bed.gw.url}/api/agents/default/pause`, { method: 'POST', headers: { host: rebound(), 'content-type': 'application/json' }, body: '{}' });
    expect(pause.status).toBe(403);
    expect(upstreamCalls()).toBe(0);
    // The same name on another port is not this gateway either.
    expect((await rawRequest(`${bed.gw.url}/api/status`, { headers: { host: 'localhost:1' } })).status).toBe(403);
  });

  it('serves loopback names and addresses with the port, *.localhost and gateway.allowed_hosts', async () => {
    for (const host of [`localhost:${port()}`, `127.0.0.1:${port()}`, `[::1]:${port()}`, `LocalHost:${port()}`, `my-app.localhost:${port()}`, 'gateway.test', `gateway.test:${port()}`]) {
      const res = await rawRequest(`${bed.gw.url}/api/status`, { headers: { host } });
      expect(res.status, host).toBe(200);
    }
  });

  it('keeps /health answerable whatever the Host (probes use their own names; it reveals only liveness)', async () => {
    const res = await rawRequest(`${bed.gw.url}/health`, { headers: { host: 'attacker.example' } });
    expect(res.status).toBe(200);
    expect(Object.keys(JSON.parse(res.text) as object).sort()).toEqual(['status', 'uptime_seconds', 'version']);
  });
});

describe('an allowed origin gets CORS', () => {
  it('answers the preflight with the grant, the methods, the requested headers and a max age', async () => {
    const res = await rawRequest(`${bed.gw.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, x-stainless-os' },
    });
    expect(res.status).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-headers': 'authorization, content-type, x-stainless-os',
      'access-control-max-age': '7200',
    });
    expect(String(res.headers['access-control-allow-methods'])).toContain('POST');
    expect(String(res.headers.vary)).toContain('Origin');
    expect(upstreamCalls()).toBe(0);
  });

  it('serves the call itself, exposing x-request-id and the gateway headers', async () => {
    const res = await rawRequest(`${bed.gw.url}/v1/chat/completions`, { method: 'POST', headers: { origin: APP, 'content-type': 'application/json' }, body: chatJson });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers.vary).toBe('Origin');
    const exposed = String(res.headers['access-control-expose-headers']).split(/,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'x-ai-gateway-agent', 'x-ai-gateway-cost-usd']));
    expect(res.headers['x-ai-gateway-agent']).toBe('default');
    expect(bed.openai.requests).toHaveLength(1);
    // Calls without an Origin say the answer varies by it, so no cache hands one origin's answer to another.
    const sdk = await rawRequest(`${bed.gw.url}/v1/models`);
    expect(sdk.headers.vary).toBe('Origin');
    expect(sdk.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('the management API keeps its own rule: no Origin without the admin token', async () => {
    const res = await rawRequest(`${bed.gw.url}/api/status`, { headers: { origin: APP } });
    expect(res.status).toBe(403);
  });
});

describe('SDKs and CLIs send no Origin and work unchanged', () => {
  it('the official OpenAI and Anthropic clients', async () => {
    const openai = new OpenAI({ baseURL: `${bed.gw.url}/v1`, apiKey: 'sk-client', maxRetries: 0 });
    const chat = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    const anthropic = new Anthropic({ baseURL: bed.gw.url, apiKey: 'sk-client', maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content[0]?.type).toBe('text');
    expect(upstreamCalls()).toBe(2);
  });
});

describe('a gateway on a network address', () => {
  const defer = deferAfterEach();
  const lanAddress = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;

  it('without an admin token warns at start and in the status, and answers /metrics to loopback callers only', async (ctx) => {
    const fake = await startFakeOpenAI();
    defer(() => fake.close());
    const gw = await startTestGateway({ host: '0.0.0.0', yaml: `providers:\n  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }\n` });
    defer(() => gw.stop());
    expect(gw.logs.some((l) => l.includes('without gateway.admin_token') && l.includes('"level":"warn"'))).toBe(true);
    const port = new URL(gw.url).port;
    const status = await rawRequest(`http://127.0.0.1:${port}/api/status`);
    expect((JSON.parse(status.text) as { gateway: { exposureWarning?: string } }).gateway.exposureWarning).toContain('0.0.0.0');
    expect((await rawRequest(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    if (lanAddress === undefined) return ctx.skip('this machine has no non-loopback IPv4 address to call from');
    // Reached through the machine's own network address, the caller is not loopback.
    const remote = await rawRequest(`http://${lanAddress}:${port}/metrics`);
    expect(remote.status).toBe(403);
    expect(errorOf(remote.text)).toMatchObject({ code: 'metrics_unauthorized' });
    expect((await rawRequest(`http://${lanAddress}:${port}/api/status`)).status).toBe(403);
  });

  it('with an admin token: no warning, and /metrics needs the token from the network', async (ctx) => {
    const gw = await startTestGateway({ host: '0.0.0.0', yaml: 'gateway:\n  admin_token: metrics-token-123\n' });
    defer(() => gw.stop());
    expect(gw.logs.some((l) => l.includes('without gateway.admin_token'))).toBe(false);
    const port = new URL(gw.url).port;
    expect((await rawRequest(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    if (lanAddress === undefined) return ctx.skip('this machine has no non-loopback IPv4 address to call from');
    expect((await rawRequest(`http://${lanAddress}:${port}/metrics`)).status).toBe(403);
    expect((await rawRequest(`http://${lanAddress}:${port}/metrics`, { headers: { authorization: 'Bearer wrong-token' } })).status).toBe(403);
    const ok = await rawRequest(`http://${lanAddress}:${port}/metrics`, { headers: { authorization: 'Bearer metrics-token-123' } });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('ai_gateway_');
  });

  it('a loopback gateway has nothing to warn about', async () => {
    const gw = await startTestGateway({ yaml: '' });
    defer(() => gw.stop());
    expect(gw.logs.some((l) => l.includes('without gateway.admin_token'))).toBe(false);
    const status = await rawRequest(`${gw.url}/api/status`);
    expect(JSON.parse(status.text)).not.toHaveProperty('gateway.exposureWarning');
  });
});
