/**
 * Every failure answers in the client's own wire format with the contract's status (ARCHITECTURE §5):
 * OpenAI `{"error":{message,type,param,code}}`, Anthropic `{"type":"error","error":{type,message}}`.
 * Upstream error responses of the client's own format reach it as the provider wrote them.
 */
import { describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/index.js';
import { eventually, type TestGateway } from '../helpers/gateway.js';
import { closedPort, postJson, shareFakesGateway, type RawResponse } from './fakes-gateway.js';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;

shareFakesGateway(
  (started) => ({ openai, anthropic, gw } = started),
  async (openai, anthropic) => {
    const dead = await closedPort();
    // Exact routes only, so a misspelt model has no glob to fall into and gets "close matches".
    return {
      yaml: [
        'gateway:',
        '  embedded_defaults: false',
        '  max_body: 1kb',
        'providers:',
        `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-o }`,
        `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-a }`,
        `  dead_o: { type: openai, base_url: "http://127.0.0.1:${dead}/v1", api_key: sk-o }`,
        `  dead_a: { type: anthropic, base_url: "http://127.0.0.1:${dead}", api_key: sk-a }`,
        `  slow_o: { type: openai, base_url: ${openai.baseURL}, api_key: sk-o, timeouts: { upstream: 300ms } }`,
        `  slow_a: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-a, timeouts: { upstream: 300ms } }`,
        'models:',
        '  gpt-4o-mini: fo',
        '  claude-haiku-4-5: fa',
        '  gpt-dead: dead_o',
        '  claude-dead: dead_a',
        '  gpt-slow: slow_o',
        '  claude-slow: slow_a',
      ].join('\n'),
    };
  },
);

const anthropicHeaders = { 'anthropic-version': '2023-06-01' };
const chat = (body: unknown): Promise<RawResponse> => postJson(`${gw.url}/v1/chat/completions`, body);
const messages = (body: unknown): Promise<RawResponse> => postJson(`${gw.url}/v1/messages`, body, anthropicHeaders);
const chatBody = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });
const messagesBody = (model: string, extra: Record<string, unknown> = {}) => ({ model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], ...extra });

interface OpenAIErrorShape {
  error: { message: string; type: string; param: string | null; code: string | null };
}
interface AnthropicErrorShape {
  type: 'error';
  error: { type: string; message: string };
}

/** An OpenAI error body with exactly the four documented fields. */
function openAIError(res: RawResponse): OpenAIErrorShape['error'] {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.text) as OpenAIErrorShape;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

function anthropicError(res: RawResponse): AnthropicErrorShape['error'] {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(res.text) as AnthropicErrorShape;
  expect(body.type).toBe('error');
  expect(typeof body.error.message).toBe('string');
  return body.error;
}

async function rowOf(res: RawResponse): Promise<Record<string, unknown>> {
  const id = res.headers['x-request-id'];
  let row: Record<string, unknown> | undefined;
  await eventually(() => {
    row = gw.rows().find((r) => r.id === id);
    return row !== undefined;
  });
  return row!;
}

describe('malformed requests: 400 invalid_request_error', () => {
  it('OpenAI client, body that is not JSON', async () => {
    const res = await chat('{"model": "gpt-4o-mini", "messages": [');
    expect(res.status).toBe(400);
    const err = openAIError(res);
    expect(err.type).toBe('invalid_request_error');
    expect(err.message).toMatch(/not valid JSON/);
    expect(openai.requests).toHaveLength(0);
    expect(await rowOf(res)).toMatchObject({ status: 400, provider: null, client_format: 'openai-chat' });
  });

  it('Anthropic client, body that is not JSON', async () => {
    const res = await messages('{not json');
    expect(res.status).toBe(400);
    expect(anthropicError(res).type).toBe('invalid_request_error');
    expect(anthropic.requests).toHaveLength(0);
  });

  it('a schema violation names the field', async () => {
    const o = await chat({ model: 'gpt-4o-mini', messages: 'hello' });
    expect(o.status).toBe(400);
    const oe = openAIError(o);
    expect(oe.type).toBe('invalid_request_error');
    expect(`${oe.param ?? ''} ${oe.message}`).toContain('messages');

    const a = await messages({ model: 'claude-haiku-4-5', max_tokens: 10, messages: 'hello' });
    expect(a.status).toBe(400);
    const ae = anthropicError(a);
    expect(ae.type).toBe('invalid_request_error');
    expect(ae.message).toContain('messages');
    expect(openai.requests).toHaveLength(0);
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe('a body over gateway.max_body (1kb): 413', () => {
  const big = 'x'.repeat(2048);

  it('OpenAI client', async () => {
    const res = await chat(chatBody('gpt-4o-mini', { user: big }));
    expect(res.status).toBe(413);
    const err = openAIError(res);
    expect(err.code).toBe('request_too_large');
    expect(err.type).toBe('invalid_request_error');
    expect(err.message).toContain('1024 bytes');
    expect(openai.requests).toHaveLength(0);
  });

  it('Anthropic client', async () => {
    const res = await messages(messagesBody('claude-haiku-4-5', { system: big }));
    expect(res.status).toBe(413);
    expect(anthropicError(res).type).toBe('request_too_large');
    expect(anthropic.requests).toHaveLength(0);
  });
});

describe('no route for the model: 404 model_not_found with close matches', () => {
  it('OpenAI client', async () => {
    const res = await chat(chatBody('gpt-4o-mnii'));
    expect(res.status).toBe(404);
    const err = openAIError(res);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
    expect(err.message).toContain('gpt-4o-mnii');
    expect(err.message).toMatch(/Close matches: .*gpt-4o-mini/);
    expect(await rowOf(res)).toMatchObject({ status: 404, error_code: 'model_not_found', provider: null });
  });

  it('Anthropic client', async () => {
    const res = await messages(messagesBody('claude-haiku-4.5'));
    expect(res.status).toBe(404);
    const err = anthropicError(res);
    expect(err.type).toBe('not_found_error');
    expect(err.message).toMatch(/Close matches: .*claude-haiku-4-5/);
  });
});

describe('upstream unreachable (nothing listens on its port): 502', () => {
  it('OpenAI client', async () => {
    const res = await chat(chatBody('gpt-dead'));
    expect(res.status).toBe(502);
    const err = openAIError(res);
    expect(err.code).toBe('upstream_unreachable');
    expect(err.message).toContain('dead_o');
    expect(await rowOf(res)).toMatchObject({ status: 502, error_code: 'upstream_unreachable', provider: 'dead_o' });
  });

  it('Anthropic client, streaming request (fails before any byte, so a plain error response)', async () => {
    const res = await messages(messagesBody('claude-dead', { stream: true }));
    expect(res.status).toBe(502);
    expect(anthropicError(res).type).toBe('api_error');
  });
});

describe('upstream timeout (no headers within timeouts.upstream = 300ms): 504', () => {
  it('OpenAI client', async () => {
    openai.setScenario('timeout_before_headers');
    const started = Date.now();
    const res = await chat(chatBody('gpt-slow'));
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(5000);
    const err = openAIError(res);
    expect(err.code).toBe('upstream_timeout');
    await openai.whenSettled(0);
    expect(await rowOf(res)).toMatchObject({ status: 504, error_code: 'upstream_timeout', provider: 'slow_o' });
  });

  it('Anthropic client', async () => {
    anthropic.setScenario('timeout_before_headers');
    const res = await messages(messagesBody('claude-slow'));
    expect(res.status).toBe(504);
    expect(anthropicError(res).type).toBe('timeout_error');
  });
});

describe('upstream error statuses pass on with their body', () => {
  it('OpenAI 429: status, exact body bytes and retry-after reach the client', async () => {
    openai.setScenario({ kind: 'error', status: 429, retryAfter: 7 });
    const res = await chat(chatBody('gpt-4o-mini'));
    expect(res.status).toBe(429);
    expect(res.body.equals(openai.lastResponseBytes!)).toBe(true);
    expect(res.headers['retry-after']).toBe('7');
    expect(openAIError(res).code).toBe('rate_limit_exceeded');
    expect(await rowOf(res)).toMatchObject({ status: 429, provider: 'fo' });
  });

  it('Anthropic 429: status, exact body bytes and retry-after reach the client', async () => {
    anthropic.setScenario({ kind: 'error', status: 429, retryAfter: 12 });
    const res = await messages(messagesBody('claude-haiku-4-5'));
    expect(res.status).toBe(429);
    expect(res.body.equals(anthropic.lastResponseBytes!)).toBe(true);
    expect(res.headers['retry-after']).toBe('12');
    expect(anthropicError(res).type).toBe('rate_limit_error');
  });

  it('a streaming request rejected upstream (400) gets the plain error body, not a stream', async () => {
    openai.setScenario({ kind: 'error', status: 400, message: 'Invalid value for temperature', param: 'temperature' });
    const res = await chat(chatBody('gpt-4o-mini', { stream: true }));
    expect(res.status).toBe(400);
    expect(res.body.equals(openai.lastResponseBytes!)).toBe(true);
    expect(openAIError(res)).toMatchObject({ param: 'temperature', message: 'Invalid value for temperature' });
  });
});
