/**
 * Upstream errors reach each official SDK, across formats, as that SDK's own error class with the status
 * spec §9 gives, the provider's message kept and retry hints kept. A fresh gateway per test, so repeated
 * 5xx answers never open a provider's circuit breaker for the next case.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as OpenAIErrors from 'openai';
import * as AnthropicErrors from '@anthropic-ai/sdk';
import { DEFAULT_TEXT } from '../fakes/index.js';
import { rawRequest } from './fakes-gateway.js';
import { rejectionOf, startTranslationRig, type TranslationRig } from './translation-helpers.js';

let rig: TranslationRig;
let seq = 0;

beforeEach(async () => {
  rig = await startTranslationRig();
});
afterEach(async () => {
  await rig.stop();
});

type Mode = 'stream' | 'create';
const MODES: Mode[] = ['stream', 'create'];

function openaiCall(agent: string, mode: Mode): Promise<unknown> {
  const client = rig.openaiClient(agent);
  const params = { model: 'claude-sonnet-4-5', messages: [{ role: 'user' as const, content: 'hi' }] };
  return mode === 'stream' ? client.chat.completions.stream(params).finalChatCompletion() : client.chat.completions.create(params);
}

function anthropicCall(agent: string, mode: Mode): Promise<unknown> {
  const client = rig.anthropicClient(agent);
  const params = { model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
  return mode === 'stream' ? client.messages.stream(params).finalMessage() : client.messages.create(params);
}

interface OpenAICase {
  upstream: number;
  message: string;
  cls: new (...args: never[]) => OpenAIErrors.APIError;
  status: number;
  type: string;
  code: string | null;
}

// Upstream = the fake Anthropic API; client = the openai SDK.
const OPENAI_CASES: OpenAICase[] = [
  { upstream: 400, message: 'messages.0.content: Field required', cls: OpenAIErrors.BadRequestError, status: 400, type: 'invalid_request_error', code: null },
  { upstream: 401, message: 'invalid x-api-key', cls: OpenAIErrors.AuthenticationError, status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  { upstream: 429, message: 'Number of request tokens has exceeded your per-minute rate limit', cls: OpenAIErrors.RateLimitError, status: 429, type: 'requests', code: 'rate_limit_exceeded' },
  { upstream: 500, message: 'Internal server error', cls: OpenAIErrors.InternalServerError, status: 500, type: 'server_error', code: null },
  { upstream: 529, message: 'Overloaded', cls: OpenAIErrors.InternalServerError, status: 503, type: 'server_error', code: 'overloaded' },
];

describe('openai client → claude model: upstream HTTP errors', () => {
  for (const c of OPENAI_CASES) {
    for (const mode of MODES) {
      it(`Anthropic ${c.upstream} → ${c.cls.name} ${c.status} (${mode})`, async () => {
        rig.anthropic.setScenario({ kind: 'error', status: c.upstream, message: c.message });
        const agent = `oe-${++seq}`;
        const err = await rejectionOf(openaiCall(agent, mode));
        expect(err).toBeInstanceOf(c.cls);
        const e = err as OpenAIErrors.APIError;
        expect(e.status).toBe(c.status);
        expect(e.message).toContain(c.message);
        if (c.upstream !== 429) expect(e.type).toBe(c.type);
        expect(e.code ?? null).toBe(c.code);
        if (c.upstream === 429) expect(e.headers?.get('retry-after')).toBe('1');
        const row = await rig.rowOf(agent);
        expect(row).toMatchObject({ status: c.status, client_format: 'openai-chat', upstream_format: 'anthropic-messages', input_tokens: 0, output_tokens: 0 });
        expect(row['error_code']).not.toBeNull();
        expect(Number(row['cost_usd'] ?? 0)).toBe(0);
      });
    }
  }
});

interface AnthropicCase {
  upstream: number;
  message: string;
  cls: new (...args: never[]) => AnthropicErrors.APIError;
  status: number;
  type: string;
}

// Upstream = the fake OpenAI API; client = the Anthropic SDK.
const ANTHROPIC_CASES: AnthropicCase[] = [
  { upstream: 400, message: "Invalid value for 'temperature'", cls: AnthropicErrors.BadRequestError, status: 400, type: 'invalid_request_error' },
  { upstream: 401, message: 'Incorrect API key provided', cls: AnthropicErrors.AuthenticationError, status: 401, type: 'authentication_error' },
  { upstream: 429, message: 'Rate limit reached for gpt-4o-mini', cls: AnthropicErrors.RateLimitError, status: 429, type: 'rate_limit_error' },
  { upstream: 500, message: 'The server had an error while processing your request.', cls: AnthropicErrors.InternalServerError, status: 500, type: 'api_error' },
  { upstream: 503, message: 'The engine is currently overloaded, please try again later.', cls: AnthropicErrors.OverloadedError, status: 529, type: 'overloaded_error' },
];

describe('anthropic client → gpt model: upstream HTTP errors', () => {
  for (const c of ANTHROPIC_CASES) {
    for (const mode of MODES) {
      it(`OpenAI ${c.upstream} → ${c.cls.name} ${c.status} (${mode})`, async () => {
        rig.openai.setScenario({ kind: 'error', status: c.upstream, message: c.message });
        const agent = `ae-${++seq}`;
        const err = await rejectionOf(anthropicCall(agent, mode));
        expect(err).toBeInstanceOf(c.cls);
        const e = err as AnthropicErrors.APIError;
        expect(e.status).toBe(c.status);
        expect(e.type).toBe(c.type);
        expect(e.message).toContain(c.message);
        // Anthropic bodies carry the gateway's request id at the top level (spec §9).
        const body = e.error as { type?: string; request_id?: string } | undefined;
        expect(body?.type).toBe('error');
        expect(body?.request_id).toBe(e.headers?.get('x-request-id'));
        if (c.upstream === 429) expect(e.headers?.get('retry-after')).toBe('1');
        const row = await rig.rowOf(agent);
        expect(row).toMatchObject({ status: c.status, client_format: 'anthropic-messages', upstream_format: 'openai-chat', input_tokens: 0, output_tokens: 0 });
        expect(row['error_code']).not.toBeNull();
        expect(Number(row['cost_usd'] ?? 0)).toBe(0);
      });
    }
  }
});

describe('mid-stream errors after HTTP 200', () => {
  it('openai client: an Anthropic `event: error` after content becomes a thrown APIError, no [DONE], row failed', async () => {
    rig.anthropic.setScenario({ kind: 'midstream_error', afterDeltas: 2, message: 'Overloaded right now' });
    const agent = `om-${++seq}`;
    const err = await rejectionOf(openaiCall(agent, 'stream'));
    expect(err).toBeInstanceOf(OpenAIErrors.APIError);
    const e = err as OpenAIErrors.APIError;
    expect(e.status).toBeUndefined();
    expect(e.message).toContain('Overloaded right now');

    // The raw stream: two content deltas, then the error chunk and nothing after it.
    rig.anthropic.setScenario({ kind: 'midstream_error', afterDeltas: 2, message: 'Overloaded right now' });
    const raw = await rawRequest(`${rig.gw.url}/agents/${agent}-raw/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(raw.status).toBe(200);
    const data = raw.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    expect(data).not.toContain('[DONE]');
    const last = JSON.parse(data.at(-1)!) as { error?: { message?: string; type?: string } };
    expect(last.error?.message).toContain('Overloaded right now');
    expect(last.error?.type).toBe('server_error');
    const contents = data.slice(0, -1).map((d) => (JSON.parse(d) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '');
    expect(contents.join('')).toBe(DEFAULT_TEXT.slice(0, contents.join('').length));
    expect(contents.join('').length).toBeGreaterThan(0);

    const row = await rig.rowOf(agent);
    expect(row['error_code']).not.toBeNull();
    expect(Number(row['status'])).toBeGreaterThanOrEqual(500);
    // Input came from message_start; the output that was produced is billed.
    expect(row['input_tokens']).toBe(12);
    expect(Number(row['output_tokens'])).toBeGreaterThan(0);
  });

  it('anthropic client: an OpenAI error chunk after content becomes a thrown APIError, no message_stop, row failed', async () => {
    rig.openai.setScenario({ kind: 'midstream_error', afterDeltas: 2, message: 'Upstream fell over' });
    const agent = `am-${++seq}`;
    const client = rig.anthropicClient(agent);
    const stream = client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    const seen: string[] = [];
    stream.on('streamEvent', (ev) => seen.push(ev.type));
    const err = await rejectionOf(stream.finalMessage());
    expect(err).toBeInstanceOf(AnthropicErrors.APIError);
    const e = err as AnthropicErrors.APIError;
    expect(e.status).toBeUndefined();
    expect(e.type).toBe('api_error');
    expect(e.message).toContain('Upstream fell over');
    expect(seen).toContain('content_block_delta');
    expect(seen).not.toContain('message_stop');
    expect(seen).not.toContain('message_delta');
    const row = await rig.rowOf(agent);
    expect(row['error_code']).not.toBeNull();
    expect(Number(row['status'])).toBeGreaterThanOrEqual(500);
    expect(row['estimated']).toBe(1);
  });
});
