/**
 * The HTTP surface every caller relies on: x-request-id on every response (echoed when the client sends
 * one), x-ai-gateway-agent on proxied responses, and the health endpoints.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventually, type TestGateway } from '../helpers/gateway.js';
import { postJson, rawRequest, shareFakesGateway, type RawResponse } from './fakes-gateway.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let gw: TestGateway;

shareFakesGateway((started) => ({ gw } = started));

const chatBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const messagesBody = { model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
const anthropicVersion = { 'anthropic-version': '2023-06-01' };

describe('x-request-id', () => {
  it('is on every kind of response, unique per request', async () => {
    const all: [string, RawResponse][] = [
      ['chat', await postJson(`${gw.url}/v1/chat/completions`, chatBody)],
      ['chat stream', await postJson(`${gw.url}/v1/chat/completions`, { ...chatBody, stream: true })],
      ['messages', await postJson(`${gw.url}/v1/messages`, messagesBody, anthropicVersion)],
      ['messages stream', await postJson(`${gw.url}/v1/messages`, { ...messagesBody, stream: true }, anthropicVersion)],
      ['bad json', await postJson(`${gw.url}/v1/chat/completions`, '{')],
      ['no route', await postJson(`${gw.url}/v1/chat/completions`, { ...chatBody, model: 'nothing-like-this' })],
      ['unknown path', await rawRequest(`${gw.url}/nope`)],
      ['wrong method', await rawRequest(`${gw.url}/v1/chat/completions`)],
      ['models', await rawRequest(`${gw.url}/v1/models`)],
      ['health', await rawRequest(`${gw.url}/health`)],
      ['ready', await rawRequest(`${gw.url}/health/ready`)],
      ['metrics', await rawRequest(`${gw.url}/metrics`)],
      ['admin', await rawRequest(`${gw.url}/api/status`)],
    ];
    const ids = all.map(([name, r]) => {
      const id = r.headers['x-request-id'];
      expect(typeof id === 'string' && id.length > 0, `${name} has x-request-id`).toBe(true);
      return id as string;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('echoes the id the client sent, in the header and the audit row', async () => {
    const id = 'client-chosen-id-42';
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody, { 'x-request-id': id });
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
    await eventually(() => gw.rows().some((r) => r.id === id));

    const err = await postJson(`${gw.url}/v1/messages`, '{', { ...anthropicVersion, 'x-request-id': 'client-err-7' });
    expect(err.status).toBe(400);
    expect(err.headers['x-request-id']).toBe('client-err-7');
    expect(await rawRequest(`${gw.url}/health`, { headers: { 'x-request-id': 'probe-1' } })).toMatchObject({ headers: { 'x-request-id': 'probe-1' } });
  });
});

describe('x-ai-gateway-agent', () => {
  it('is on proxied responses, streamed or not, successful or not', async () => {
    const ok = await postJson(`${gw.url}/agents/builder/v1/chat/completions`, chatBody);
    const stream = await postJson(`${gw.url}/v1/messages`, { ...messagesBody, stream: true }, { ...anthropicVersion, 'x-agent-id': 'builder' });
    const failed = await postJson(`${gw.url}/agents/builder/v1/chat/completions`, { ...chatBody, model: 'zzz' });
    const anonymous = await postJson(`${gw.url}/v1/chat/completions`, chatBody);
    expect([ok.status, stream.status, failed.status, anonymous.status]).toEqual([200, 200, 404, 200]);
    expect(ok.headers['x-ai-gateway-agent']).toBe('builder');
    expect(stream.headers['x-ai-gateway-agent']).toBe('builder');
    expect(failed.headers['x-ai-gateway-agent']).toBe('builder');
    expect(anonymous.headers['x-ai-gateway-agent']).toBe('default');
  });
});

describe('health', () => {
  it('GET /health: {status, version, uptime_seconds}', async () => {
    const res = await rawRequest(`${gw.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['status', 'uptime_seconds', 'version']);
    expect(body.status).toBe('ok');
    expect(body.version).toBe(PACKAGE_VERSION);
    expect(Number.isInteger(body.uptime_seconds)).toBe(true);
    expect(body.uptime_seconds as number).toBeGreaterThanOrEqual(0);
    expect(body.uptime_seconds as number).toBeLessThan(600);
  });

  it('GET /health/ready: 200 once the store is open', async () => {
    const res = await rawRequest(`${gw.url}/health/ready`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: 'ready' });
  });
});
