/**
 * The chat endpoint's steps with fake ports and recorded upstream bytes, no sockets: every way a request ends
 * answers the client in its format, records one row, and ends its budget hold exactly once.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { fixtureBytes } from '../wire/helpers.js';
import { call, harness, openAIAnswer, type FakeAdmission, type Harness } from './harness.js';

const ASK = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };
const STREAM = { ...ASK, stream: true };

/** The recorded OpenAI stream, one SSE frame per chunk as a provider sends it. */
function openAIFrames(): string[] {
  return fixtureBytes('openai-text-usage').text.split(/(?<=\n\n)/);
}

function onlyRow(h: Harness) {
  expect(h.records).toHaveLength(1);
  return h.records[0]!.row;
}

/** The one hold of the request ended once, in the way expected (later ends are ignored by the port). */
function heldOnce(h: Harness, how: 'finish' | 'abandon'): FakeAdmission {
  expect(h.controls.admissions).toHaveLength(1);
  const admission = h.controls.admissions[0]!;
  expect(admission.counted).toBe(how);
  expect(admission.ends[0]).toBe(how);
  return admission;
}

describe('chat endpoint: answers', () => {
  it('a whole answer: relayed, metered, priced, settled once, breaker told success', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 200, chunks: [openAIAnswer('Hello')] });
    const x = call(h, ASK);
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).choices[0].message.content).toBe('Hello');
    expect(answer.headers['x-ai-gateway-cost-usd']).toBeDefined();
    const row = onlyRow(h);
    expect(row).toMatchObject({ status: 200, errorCode: null, provider: 'openai', upstreamModel: 'gpt-test-upstream', agent: 'tester', inputTokens: 10, outputTokens: 5, estimated: false, isCall: true });
    expect(row.costUsd).toBeGreaterThan(0);
    expect(heldOnce(h, 'finish').finished).toEqual({ ok: true, costUsd: row.costUsd });
    expect(h.controls.breakerEvents).toEqual(['openai:success']);
  });

  it('a recorded stream in the same format: the provider frames go out, usage is read from them', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: openAIFrames() });
    const x = call(h, STREAM);
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toContain('text/event-stream');
    expect(answer.body).toContain('Hello');
    expect(answer.body).toContain('data: [DONE]');
    const row = onlyRow(h);
    expect(row).toMatchObject({ status: 200, stream: true, errorCode: null });
    expect(row.outputTokens).toBeGreaterThan(0);
    heldOnce(h, 'finish');
    expect(h.controls.breakerEvents).toEqual(['openai:success']);
  });

  it('a recorded Anthropic stream translated for an OpenAI client', async () => {
    const h = harness();
    const { text } = fixtureBytes('anthropic-text');
    h.providers.anthropic!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: text.split(/(?<=\n\n)/) });
    const x = call(h, { ...STREAM, model: 'claude-test' });
    await x.done;
    expect(x.answer().body).toContain('chat.completion.chunk');
    expect(onlyRow(h)).toMatchObject({ status: 200, upstreamFormat: 'anthropic-messages', clientFormat: 'openai-chat' });
    heldOnce(h, 'finish');
  });

  it('falls back to the next target when the first answers 5xx; the row names the one it stood in for', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 500, chunks: ['{"error":{"message":"boom","type":"server_error"}}'] });
    h.providers.backup!.scripts.push({ status: 200, chunks: [openAIAnswer('from backup')] });
    const x = call(h, { ...ASK, model: 'gpt-fallback' });
    await x.done;
    expect(JSON.parse(x.answer().body).choices[0].message.content).toBe('from backup');
    expect(onlyRow(h)).toMatchObject({ status: 200, provider: 'backup', fallbackFrom: 'openai' });
    expect(h.controls.breakerEvents).toEqual(['openai:failure', 'backup:success']);
    heldOnce(h, 'finish');
  });

  it('falls back past an open breaker without calling its provider', async () => {
    const h = harness();
    h.controls.open.add('openai');
    h.providers.backup!.scripts.push({ status: 200, chunks: [openAIAnswer('ok')] });
    const x = call(h, { ...ASK, model: 'gpt-fallback' });
    await x.done;
    expect(h.providers.openai!.sent).toHaveLength(0);
    expect(onlyRow(h)).toMatchObject({ status: 200, provider: 'backup', fallbackFrom: 'openai' });
    heldOnce(h, 'finish');
  });
});

describe('chat endpoint: refusals before the provider', () => {
  it('a body that is not JSON: 400 in the client format, recorded, nothing held', async () => {
    const h = harness();
    const x = call(h, '{"model":');
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.message).toContain('not valid JSON');
    expect(onlyRow(h)).toMatchObject({ status: 400, errorCode: 'invalid_request_error', isCall: false, model: '' });
    expect(h.controls.admissions).toHaveLength(0);
  });

  it('an unknown model: 404 model_not_found in the Anthropic format for an Anthropic client', async () => {
    const h = harness();
    const x = call(h, { model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { wire: 'anthropic-messages', path: '/v1/messages' });
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect(onlyRow(h)).toMatchObject({ status: 404, errorCode: 'model_not_found', model: 'nope', provider: null });
    expect(h.controls.admissions).toHaveLength(0);
  });

  for (const [name, error, status] of [
    ['paused', new GatewayError('agent_paused', 'agent tester is paused', { code: 'agent_paused' }), 403],
    ['budget refused', new GatewayError('budget_exceeded', 'daily budget spent', { code: 'budget_exceeded' }), 429],
    ['rate limited', new GatewayError('rate_limited', '2 requests per minute', { code: 'rate_limited', retryAfter: 7 }), 429],
  ] as const) {
    it(`${name}: ${status}, recorded as no call, the provider never reached`, async () => {
      const h = harness();
      h.controls.refuse = error;
      const x = call(h, ASK);
      await x.done;
      const answer = x.answer();
      expect(answer.status).toBe(status);
      if (error.retryAfter !== undefined) expect(answer.headers['retry-after']).toBe('7');
      expect(onlyRow(h)).toMatchObject({ status, errorCode: error.code, isCall: false, provider: null });
      expect(h.providers.openai!.sent).toHaveLength(0);
      expect(h.controls.admissions).toHaveLength(0);
    });
  }

  it('breaker open on the only target: 503 circuit_open, a failed call that cost nothing', async () => {
    const h = harness();
    h.controls.open.add('openai');
    const x = call(h, ASK);
    await x.done;
    expect(x.answer().status).toBe(503);
    expect(onlyRow(h)).toMatchObject({ status: 503, errorCode: 'circuit_open', isCall: true, costUsd: null });
    expect(heldOnce(h, 'finish').finished).toEqual({ ok: false, costUsd: 0 });
    expect(h.providers.openai!.sent).toHaveLength(0);
  });
});

describe('chat endpoint: upstream failures', () => {
  it('upstream 4xx in the client format: passed through as written, key masked; the provider counts as healthy', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 400, chunks: ['{"error":{"message":"bad key sk-provider-secret","type":"invalid_request_error","code":"bad"}}'] });
    const x = call(h, ASK);
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(400);
    expect(answer.body).not.toContain('sk-provider-secret');
    expect(answer.body).toContain('bad key');
    expect(onlyRow(h)).toMatchObject({ status: 400, provider: 'openai', isCall: true });
    expect(h.controls.breakerEvents).toEqual(['openai:success']);
    expect(heldOnce(h, 'finish').finished?.ok).toBe(false);
  });

  it('upstream 5xx with no fallback: the error reaches the client, the breaker counts a failure', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 503, chunks: ['{"error":{"message":"overloaded","type":"server_error"}}'] });
    const x = call(h, ASK);
    await x.done;
    expect(x.answer().status).toBe(503);
    expect(onlyRow(h)).toMatchObject({ status: 503, provider: 'openai' });
    expect(h.controls.breakerEvents).toEqual(['openai:failure']);
    heldOnce(h, 'finish');
  });

  it('a malformed upstream answer: 502 invalid_upstream_response, estimated usage billed', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 200, chunks: ['<html>gateway timeout</html>'] });
    const x = call(h, ASK);
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body).error.code).toBe('invalid_upstream_response');
    const row = onlyRow(h);
    expect(row).toMatchObject({ status: 502, errorCode: 'invalid_upstream_response', estimated: true });
    expect(row.costUsd).toBeGreaterThan(0);
    expect(h.controls.breakerEvents).toEqual(['openai:failure']);
    heldOnce(h, 'finish');
  });

  it('a cut-off stream whose tokens are still being counted after the client has its answer: the row keeps the client\'s latency', async () => {
    const h = harness();
    // Token counts wait until the test lets them through.
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let counts = 0;
    h.deps.meter = {
      ...h.deps.meter,
      countTokens: async (texts) => {
        counts++;
        await gate;
        return { counts: texts.map((t) => Math.ceil(t.length / 4)), estimated: false };
      },
    };
    const frames = openAIFrames();
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [frames[0]!, frames[1]!, 'data: {not json\n\n'] });
    const x = call(h, STREAM);
    // The answer is out and its response closed; counting the cut-off output then takes a second.
    while (counts === 0 || !x.ctx.res.writableFinished) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    h.clock.advance(1_000);
    release();
    await x.done;
    expect(onlyRow(h)).toMatchObject({ status: 502, stream: true, estimated: true });
    expect(onlyRow(h).latencyMs).toBeLessThan(1_000);
  });

  it('a malformed frame mid-stream ends the stream with an error event after the good frames', async () => {
    const h = harness();
    const frames = openAIFrames();
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [frames[0]!, frames[1]!, 'data: {not json\n\n', frames[2]!] });
    const x = call(h, STREAM);
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('Hello');
    expect(answer.body).not.toContain('Grüße');
    expect(answer.body).not.toContain('[DONE]');
    expect(onlyRow(h)).toMatchObject({ status: 502, stream: true, estimated: true });
    expect(h.controls.breakerEvents).toEqual(['openai:failure']);
    heldOnce(h, 'finish');
  });

  it('a network error: 502 upstream_unreachable, a failed call that cost nothing', async () => {
    const h = harness();
    h.providers.openai!.scripts.push(new GatewayError('upstream_unreachable', 'provider openai is unreachable (ECONNREFUSED)'));
    const x = call(h, ASK);
    await x.done;
    expect(x.answer().status).toBe(502);
    expect(onlyRow(h)).toMatchObject({ status: 502, errorCode: 'upstream_unreachable', provider: 'openai', costUsd: null, isCall: true });
    expect(h.controls.breakerEvents).toEqual(['openai:failure']);
    expect(heldOnce(h, 'finish').finished).toEqual({ ok: false, costUsd: 0 });
  });

  it('a network error on the first target falls back to the next', async () => {
    const h = harness();
    h.providers.openai!.scripts.push(new GatewayError('upstream_timeout', 'provider openai timed out'));
    h.providers.backup!.scripts.push({ status: 200, chunks: [openAIAnswer('ok')] });
    const x = call(h, { ...ASK, model: 'gpt-fallback' });
    await x.done;
    expect(onlyRow(h)).toMatchObject({ status: 200, provider: 'backup', fallbackFrom: 'openai' });
    expect(h.controls.breakerEvents).toEqual(['openai:failure', 'backup:success']);
    heldOnce(h, 'finish');
  });
});

describe('chat endpoint: streams cut short', () => {
  it('budget cut-off mid-stream: the stream ends with an error event, what was produced is billed', async () => {
    const h = harness();
    h.controls.limited = true;
    h.controls.room = 0;
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: openAIFrames() });
    const x = call(h, { ...STREAM, max_tokens: 1 });
    await x.done;
    const answer = x.answer();
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('budget exhausted while streaming');
    expect(answer.body).not.toContain('[DONE]');
    const row = onlyRow(h);
    expect(row).toMatchObject({ status: 429, errorCode: 'budget_exceeded', isCall: true });
    expect(row.costUsd).toBeGreaterThan(0);
    // The gateway's own cut-off says nothing about the provider's health.
    expect(h.controls.breakerEvents).toEqual(['openai:success']);
    expect(heldOnce(h, 'finish').finished?.ok).toBe(false);
  });

  it('the agent paused mid-stream: the stream stops at the next chunk', async () => {
    const h = harness();
    const frames = openAIFrames();
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [frames[0]!, frames[1]!], hold: true });
    const x = call(h, STREAM);
    await until(() => x.answer().body.includes('Hello'));
    h.controls.admissions[0]!.stop = new GatewayError('agent_paused', 'agent tester was paused', { code: 'agent_paused' });
    h.providers.openai!.live!.write(frames[2]!);
    await x.done;
    expect(x.answer().body).toContain('was paused');
    expect(onlyRow(h)).toMatchObject({ status: 403, errorCode: 'agent_paused' });
    expect(h.controls.breakerEvents).toEqual(['openai:success']);
    heldOnce(h, 'finish');
  });

  it('the client leaves mid-stream: 499 client_closed, the upstream aborted, what was produced billed', async () => {
    const h = harness();
    const frames = openAIFrames();
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [frames[0]!, frames[1]!], hold: true });
    const x = call(h, STREAM);
    await until(() => x.answer().body.includes('Hello'));
    x.leave();
    await x.done;
    expect(h.providers.openai!.sent[0]!.signal.aborted).toBe(true);
    const row = onlyRow(h);
    expect(row).toMatchObject({ status: 499, errorCode: 'client_closed', errorMessage: null, estimated: true, isCall: true });
    expect(row.outputTokens).toBeGreaterThan(0);
    expect(h.controls.breakerEvents).toEqual(['openai:abandon']);
    expect(heldOnce(h, 'finish').finished?.ok).toBe(true);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
