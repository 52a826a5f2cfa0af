/**
 * Agent identity (path prefix, x-agent-id header, virtual key; first that applies) lands in the audit row's
 * agent column, and keys stay where they belong: virtual keys and client keys never reach a provider that
 * has its own key, and the provider's key never reaches the client, the log or the store.
 */
import { describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/index.js';
import { eventually, type TestGateway } from '../helpers/gateway.js';
import {
  ANTHROPIC_PROVIDER_KEY,
  OPENAI_PROVIDER_KEY,
  postJson,
  rawRequest,
  shareFakesGateway,
  type RawResponse,
} from './fakes-gateway.js';

const RESEARCHER_KEY = 'vk-researcher-7f3a9c2e1d';
const WRITER_KEY = 'vk-writer-55b1e0aa42';
const CLIENT_KEY = 'sk-client-own-Hh7Jj8Kk9Ll0';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;

shareFakesGateway(
  (started) => ({ openai, anthropic, gw } = started),
  (openai, anthropic) => ({
    env: { RESEARCHER_KEY, WRITER_KEY, OPENAI_KEY: OPENAI_PROVIDER_KEY, ANTHROPIC_KEY: ANTHROPIC_PROVIDER_KEY },
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: "\${OPENAI_KEY}" }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: "\${ANTHROPIC_KEY}" }`,
      // No api_key: the client's own key passes through (and a virtual key must not).
      `  fo_open: { type: openai, base_url: ${openai.baseURL} }`,
      `  fa_open: { type: anthropic, base_url: ${anthropic.url} }`,
      'models:',
      '  "gpt-open-*": fo_open',
      '  "claude-open-*": fa_open',
      '  "gpt-*": fo',
      '  "claude-*": fa',
      'agents:',
      '  researcher:',
      '    keys: ["${RESEARCHER_KEY}"]',
      '  writer:',
      '    api_key: ${WRITER_KEY}',
    ].join('\n'),
  }),
);

const chatBody = (model = 'gpt-4o-mini', extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });
const messagesBody = (model = 'claude-haiku-4-5', extra: Record<string, unknown> = {}) => ({
  model,
  max_tokens: 32,
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});
const anthropicVersion = { 'anthropic-version': '2023-06-01' };

async function agentOf(res: RawResponse): Promise<unknown> {
  const id = res.headers['x-request-id'];
  let row: Record<string, unknown> | undefined;
  await eventually(() => {
    row = gw.rows().find((r) => r.id === id);
    return row !== undefined;
  });
  return row!.agent;
}

describe('who is calling', () => {
  it('by path prefix /agents/{id}/v1/… (both formats)', async () => {
    const o = await postJson(`${gw.url}/agents/researcher/v1/chat/completions`, chatBody());
    expect(o.status).toBe(200);
    expect(o.headers['x-ai-gateway-agent']).toBe('researcher');
    expect(await agentOf(o)).toBe('researcher');
    // The upstream path has no agent prefix.
    expect(openai.lastRequest!.pathname).toBe('/v1/chat/completions');

    const a = await postJson(`${gw.url}/agents/researcher/v1/messages`, messagesBody(), anthropicVersion);
    expect(a.status).toBe(200);
    expect(await agentOf(a)).toBe('researcher');
    expect(anthropic.lastRequest!.pathname).toBe('/v1/messages');
  });

  it('by x-agent-id header; an unknown id is registered on the fly', async () => {
    const res = await postJson(`${gw.url}/v1/chat/completions`, chatBody(), { 'x-agent-id': 'eval-loop-3' });
    expect(res.status).toBe(200);
    expect(res.headers['x-ai-gateway-agent']).toBe('eval-loop-3');
    expect(await agentOf(res)).toBe('eval-loop-3');
  });

  it('by virtual key (Bearer and x-api-key; keys: list and the older api_key field)', async () => {
    const o = await postJson(`${gw.url}/v1/chat/completions`, chatBody(), { authorization: `Bearer ${RESEARCHER_KEY}` });
    expect(o.status).toBe(200);
    expect(await agentOf(o)).toBe('researcher');
    expect(openai.lastRequest!.headers.authorization).toBe(`Bearer ${OPENAI_PROVIDER_KEY}`);

    const a = await postJson(`${gw.url}/v1/messages`, messagesBody(), { ...anthropicVersion, 'x-api-key': WRITER_KEY });
    expect(a.status).toBe(200);
    expect(await agentOf(a)).toBe('writer');
    expect(anthropic.lastRequest!.headers['x-api-key']).toBe(ANTHROPIC_PROVIDER_KEY);
  });

  it('the path beats the header, the header beats the key; no identity is "default"', async () => {
    const both = await postJson(`${gw.url}/agents/researcher/v1/chat/completions`, chatBody(), { 'x-agent-id': 'writer', authorization: `Bearer ${WRITER_KEY}` });
    expect(await agentOf(both)).toBe('researcher');
    const headerAndKey = await postJson(`${gw.url}/v1/chat/completions`, chatBody(), { 'x-agent-id': 'writer', authorization: `Bearer ${RESEARCHER_KEY}` });
    expect(await agentOf(headerAndKey)).toBe('writer');
    const nobody = await postJson(`${gw.url}/v1/chat/completions`, chatBody(), { authorization: `Bearer ${CLIENT_KEY}` });
    expect(nobody.headers['x-ai-gateway-agent']).toBe('default');
    expect(await agentOf(nobody)).toBe('default');
  });
});

describe('keys', () => {
  it('a provider without a key gets the client key, but never a virtual key', async () => {
    const own = await postJson(`${gw.url}/v1/chat/completions`, chatBody('gpt-open-1'), { authorization: `Bearer ${CLIENT_KEY}` });
    expect(own.status).toBe(200);
    expect(openai.lastRequest!.headers.authorization).toBe(`Bearer ${CLIENT_KEY}`);

    const virtual = await postJson(`${gw.url}/v1/chat/completions`, chatBody('gpt-open-1'), { authorization: `Bearer ${RESEARCHER_KEY}` });
    expect(virtual.status).toBe(200);
    expect(await agentOf(virtual)).toBe('researcher');
    expect(openai.lastRequest!.headers.authorization).toBeUndefined();

    const ownA = await postJson(`${gw.url}/v1/messages`, messagesBody('claude-open-1'), { ...anthropicVersion, 'x-api-key': CLIENT_KEY });
    expect(ownA.status).toBe(200);
    expect(anthropic.lastRequest!.headers['x-api-key']).toBe(CLIENT_KEY);

    const virtualA = await postJson(`${gw.url}/v1/messages`, messagesBody('claude-open-1'), { ...anthropicVersion, 'x-api-key': WRITER_KEY });
    expect(virtualA.status).toBe(200);
    expect(anthropic.lastRequest!.headers['x-api-key']).toBeUndefined();
    expect(anthropic.lastRequest!.headers.authorization).toBeUndefined();

    for (const r of [...openai.requests, ...anthropic.requests]) {
      const sent = JSON.stringify(r.headers) + r.rawBody;
      expect(sent).not.toContain(RESEARCHER_KEY);
      expect(sent).not.toContain(WRITER_KEY);
    }
  });

  it('with a provider key set: the client key never goes upstream; no key reaches the client, the log or the store', async () => {
    const clientAuth = { authorization: `Bearer ${CLIENT_KEY}`, 'x-api-key': CLIENT_KEY };
    const responses: RawResponse[] = [];
    // Success, stream, upstream error and gateway error, in both formats, plus control actions.
    responses.push(await postJson(`${gw.url}/v1/chat/completions`, chatBody(), clientAuth));
    responses.push(await postJson(`${gw.url}/v1/chat/completions`, chatBody('gpt-4o-mini', { stream: true }), clientAuth));
    responses.push(await postJson(`${gw.url}/v1/messages`, messagesBody(), { ...anthropicVersion, ...clientAuth }));
    responses.push(await postJson(`${gw.url}/v1/messages`, messagesBody('claude-haiku-4-5', { stream: true }), { ...anthropicVersion, ...clientAuth }));
    openai.queueScenarios({ kind: 'error', status: 401 });
    responses.push(await postJson(`${gw.url}/agents/researcher/v1/chat/completions`, chatBody(), clientAuth));
    anthropic.queueScenarios({ kind: 'error', status: 500 });
    responses.push(await postJson(`${gw.url}/v1/messages`, messagesBody(), { ...anthropicVersion, ...clientAuth }));
    responses.push(await postJson(`${gw.url}/v1/chat/completions`, chatBody('no-such-model'), clientAuth));
    responses.push(await postJson(`${gw.url}/api/agents/researcher/pause`, { reason: 'checking keys' }));
    responses.push(await postJson(`${gw.url}/api/agents/researcher/resume`, {}));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 401, 500, 404, 200, 200]);

    for (const r of [...openai.requests, ...anthropic.requests]) {
      const sent = JSON.stringify(r.headers) + r.rawBody;
      expect(sent).not.toContain(CLIENT_KEY);
    }
    expect(openai.requests.every((r) => r.headers.authorization === `Bearer ${OPENAI_PROVIDER_KEY}`)).toBe(true);
    expect(anthropic.requests.every((r) => r.headers['x-api-key'] === ANTHROPIC_PROVIDER_KEY)).toBe(true);

    const secrets = [OPENAI_PROVIDER_KEY, ANTHROPIC_PROVIDER_KEY];
    for (const r of responses) {
      const seen = JSON.stringify(r.headers) + r.text;
      for (const s of secrets) expect(seen).not.toContain(s);
    }

    const rows = gw.rows();
    const events = gw.controlEvents();
    expect(rows.length).toBeGreaterThanOrEqual(7);
    expect(events.some((e) => e.kind === 'pause')).toBe(true);
    const stored = JSON.stringify(rows) + JSON.stringify(events);
    const logged = gw.logs.join('\n');
    expect(logged.length).toBeGreaterThan(0);
    for (const s of [...secrets, CLIENT_KEY, RESEARCHER_KEY, WRITER_KEY]) {
      expect(stored).not.toContain(s);
      expect(logged).not.toContain(s);
    }
  });

  it('an upstream error that echoes the provider key does not hand it to the client or the log', async () => {
    openai.queueScenarios({ kind: 'error', status: 401, message: `Incorrect API key provided: ${OPENAI_PROVIDER_KEY}.` });
    const o = await postJson(`${gw.url}/v1/chat/completions`, chatBody(), { authorization: `Bearer ${CLIENT_KEY}` });
    expect(o.status).toBe(401);
    expect(openai.lastResponseBytes!.toString()).toContain(OPENAI_PROVIDER_KEY);
    expect(o.text).not.toContain(OPENAI_PROVIDER_KEY);

    anthropic.queueScenarios({ kind: 'error', status: 401, message: `invalid x-api-key ${ANTHROPIC_PROVIDER_KEY}` });
    const a = await postJson(`${gw.url}/v1/messages`, messagesBody(), anthropicVersion);
    expect(a.status).toBe(401);
    expect(a.text).not.toContain(ANTHROPIC_PROVIDER_KEY);

    // Translated the other way (an Anthropic client routed to OpenAI) the message is rewritten, and still clean.
    openai.queueScenarios({ kind: 'error', status: 401, message: `Incorrect API key provided: ${OPENAI_PROVIDER_KEY}.` });
    const x = await postJson(`${gw.url}/v1/messages`, messagesBody('gpt-4o-mini'), anthropicVersion);
    expect(x.status).toBe(401);
    expect(x.text).not.toContain(OPENAI_PROVIDER_KEY);

    const logged = gw.logs.join('\n');
    expect(logged).not.toContain(OPENAI_PROVIDER_KEY);
    expect(logged).not.toContain(ANTHROPIC_PROVIDER_KEY);
    expect(JSON.stringify(gw.rows())).not.toContain(OPENAI_PROVIDER_KEY);
  });

  it('admin routes answer loopback callers (no admin token configured)', async () => {
    const res = await rawRequest(`${gw.url}/api/status`);
    expect(res.status).toBe(200);
  });
});
