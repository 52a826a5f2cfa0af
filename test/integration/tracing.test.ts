/**
 * OpenTelemetry traces through a real gateway on 127.0.0.1, exported over OTLP/HTTP to a fake collector, against
 * the fake providers with the official SDKs as clients. Each test starts its own gateway and stops it before
 * reading the collector: the stop is what flushes the batched spans, so every test also proves that shutdown
 * exports what is pending.
 */
import { writeFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GoogleGenAI } from '@google/genai';
import { startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startFakeCollector, type CollectedSpan, type FakeCollector } from '../fakes/otlp-collector.js';
import { readConfig } from '../../src/config/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { deferAfterEach } from './fakes-gateway.js';

const COLLECTOR_TOKEN = 'otel-collector-token-Hq4Zr8Vw2Lp6';
const PROMPT = 'the secret recipe is twelve eggs';
const ANSWER = 'a traced answer';
/** 10 input and 5 output tokens at $1 and $2 per 1M tokens. */
const USAGE = { input: 10, output: 5 };
const COST_USD = 10e-6 + 10e-6;
const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gemini: FakeUpstream;
let collector: FakeCollector;
const defer = deferAfterEach();

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gemini = await startFakeGemini({ apiKey: 'gemini-provider-key-Tr4c3d0003' });
});

afterAll(async () => {
  await Promise.all([openai?.close(), anthropic?.close(), gemini?.close()]);
});

beforeEach(async () => {
  openai.reset();
  anthropic.reset();
  gemini.reset();
  gemini.setScenario({ kind: 'text', text: ANSWER, usage: USAGE });
  openai.setScenario({ kind: 'text', text: ANSWER, usage: USAGE });
  anthropic.setScenario({ kind: 'text', text: ANSWER, usage: { ...USAGE, cacheRead: 7, cacheWrite: 3 } });
  collector = await startFakeCollector();
  defer(() => collector.close());
});

function yaml(tracing: readonly string[] | undefined, gateway: readonly string[] = []): string {
  return [
    'gateway:',
    '  embedded_defaults: false',
    ...gateway.map((l) => `  ${l}`),
    'providers:',
    `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-provider-openai-Tr4c3d0001 }`,
    `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-provider-Tr4c3d0002 }`,
    `  fg: { type: gemini, base_url: ${gemini.baseURL}, api_key: gemini-provider-key-Tr4c3d0003 }`,
    'models:',
    '  "gpt-*": fo',
    '  "text-embedding-*": fo',
    '  "claude-*": fa',
    '  "gemini-*": fg',
    'prices:',
    '  gpt-4o-mini: { input: 1, output: 2 }',
    '  claude-haiku-4-5: { input: 1, output: 2, cache_read: 0.1, cache_write: 1.25 }',
    'agents:',
    '  tracer: { budget: { max_cost_per_hour: 5 } }',
    ...(tracing === undefined ? [] : ['tracing:', ...tracing.map((l) => `  ${l}`)]),
  ].join('\n');
}

async function gateway(options: { capture?: boolean; tracing?: boolean; gateway?: readonly string[]; endpoint?: string } = {}): Promise<TestGateway> {
  const tracing =
    options.tracing === false
      ? undefined
      : [`otlp_endpoint: ${options.endpoint ?? collector.endpoint}`, 'service_name: gw-under-test', 'headers: { authorization: "Bearer ${OTEL_TOKEN}" }', ...(options.capture ? ['capture_content: true'] : [])];
  const gw = await startTestGateway({ env: { OTEL_TOKEN: COLLECTOR_TOKEN }, yaml: yaml(tracing, options.gateway) });
  defer(() => gw.stop());
  return gw;
}

const openaiClient = (gw: TestGateway, headers: Record<string, string> = {}) =>
  new OpenAI({ baseURL: `${gw.url}/agents/tracer/v1`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: headers });

/** Stops the gateway (flushing its spans) and returns them. */
async function spansAfterStop(gw: TestGateway): Promise<readonly CollectedSpan[]> {
  await gw.stop();
  return collector.spans;
}

function only(spans: readonly CollectedSpan[], name: string | RegExp): CollectedSpan {
  const found = spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));
  expect(found, `spans named ${String(name)}: ${spans.map((s) => s.name).join(', ')}`).toHaveLength(1);
  return found[0]!;
}

const childrenOf = (spans: readonly CollectedSpan[], parent: CollectedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);

describe('request traces over OTLP/HTTP', () => {
  it('a non-streamed call: one SERVER span with the GenAI attributes and cost, admission and attempt children, no content', async () => {
    const gw = await gateway();
    const answer = await openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] });
    expect(answer.choices[0]!.message.content).toBe(ANSWER);
    const [row] = await agentRows(gw, 'tracer');
    const spans = await spansAfterStop(gw);
    const request = only(spans, 'chat gpt-4o-mini');
    expect(request.kind).toBe('server');
    expect(request.parentSpanId).toBe('');
    expect(request.statusCode).toBe(0);
    expect(request.resource['service.name']).toBe('gw-under-test');
    expect(request.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.response.finish_reasons': ['stop'],
      'http.response.status_code': 200,
      'ai_gateway.agent': 'tracer',
      'ai_gateway.provider': 'fo',
      'ai_gateway.cost_estimated': false,
      'ai_gateway.attempts': 1,
    });
    expect(request.attributes['ai_gateway.cost_usd'] as number).toBeCloseTo(COST_USD, 12);
    expect(request.attributes['ai_gateway.request_id']).toBe(row!.id);
    const children = childrenOf(spans, request);
    expect(children.map((s) => s.name).sort()).toEqual(['admission', 'upstream attempt 1']);
    const attempt = only(children, 'upstream attempt 1');
    expect(attempt.kind).toBe('client');
    expect(attempt.attributes).toMatchObject({ 'http.response.status_code': 200, 'ai_gateway.provider': 'fo', 'gen_ai.provider.name': 'openai', 'server.address': '127.0.0.1' });
    // The provider's call is a child of the attempt span.
    expect(openai.lastRequest!.headers.traceparent).toBe(`00-${request.traceId}-${attempt.spanId}-01`);
    // Content stays out by default.
    const exported = JSON.stringify(spans.map((s) => s.attributes));
    expect(exported).not.toContain(PROMPT);
    expect(exported).not.toContain(ANSWER);
    expect(request.attributes['gen_ai.input.messages']).toBeUndefined();
    // The collector got the configured credential; the logs never show it.
    expect(collector.requests.length).toBeGreaterThan(0);
    for (const r of collector.requests) expect(r).toMatchObject({ method: 'POST', path: '/v1/traces', status: 200, headers: { authorization: `Bearer ${COLLECTOR_TOKEN}`, 'content-type': 'application/json' } });
    expect(gw.logs.join('\n')).not.toContain(COLLECTOR_TOKEN);
  });

  it('a streamed Anthropic call: stream span with its first event, cache tokens, the client traceparent as parent', async () => {
    const gw = await gateway();
    const client = new Anthropic({ baseURL: `${gw.url}/agents/tracer`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' } });
    const stream = client.messages.stream({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: PROMPT }] });
    expect(await stream.finalText()).toBe(ANSWER);
    const spans = await spansAfterStop(gw);
    const request = only(spans, 'chat claude-haiku-4-5');
    expect(request.traceId).toBe(CLIENT_TRACE);
    expect(request.parentSpanId).toBe(CLIENT_SPAN);
    expect(request.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 20,
      'gen_ai.usage.cache_read.input_tokens': 7,
      'gen_ai.usage.cache_creation.input_tokens': 3,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.response.finish_reasons': ['stop'],
      'http.response.status_code': 200,
    });
    expect(request.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    const children = childrenOf(spans, request);
    expect(children.map((s) => s.name).sort()).toEqual(['admission', 'stream', 'upstream attempt 1']);
    const streamSpan = only(children, 'stream');
    expect(streamSpan.events.map((e) => e.name)).toEqual(['first_event']);
    expect(streamSpan.statusCode).toBe(0);
    const attempt = only(children, 'upstream attempt 1');
    expect(attempt.endNs).toBeLessThanOrEqual(streamSpan.endNs);
    const sent = anthropic.lastRequest!.headers;
    expect(sent.traceparent).toBe(`00-${CLIENT_TRACE}-${attempt.spanId}-01`);
    expect(sent.tracestate).toBe('vendor=abc');
  });

  it('a retried call has one attempt span per try, the failed one marked with its status and wait', async () => {
    const gw = await gateway({ gateway: ['retries: { max_attempts: 3, backoff: 2ms, max_backoff: 10ms }'] });
    openai.queueScenarios({ kind: 'error', status: 503 });
    await openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const spans = await spansAfterStop(gw);
    const request = only(spans, 'chat gpt-4o-mini');
    expect(request.attributes['ai_gateway.attempts']).toBe(2);
    const first = only(spans, 'upstream attempt 1');
    const second = only(spans, 'upstream attempt 2');
    for (const s of [first, second]) expect(s.parentSpanId).toBe(request.spanId);
    expect(first).toMatchObject({ statusCode: 2, attributes: { 'http.response.status_code': 503 } });
    expect(first.attributes['ai_gateway.retry.wait_ms']).toBeTypeOf('number');
    expect(first.attributes['error.type']).toBeTypeOf('string');
    expect(second).toMatchObject({ statusCode: 0, attributes: { 'http.response.status_code': 200 } });
    // Each upstream call names its own attempt as parent.
    expect(openai.requests.map((r) => r.headers.traceparent)).toEqual([`00-${request.traceId}-${first.spanId}-01`, `00-${request.traceId}-${second.spanId}-01`]);
  });

  it('a refused call: the request span is an ERROR with error.type, its admission span too, and nothing went upstream', async () => {
    const gw = await gateway();
    gw.gateway.actions.pause('tracer', 'test');
    await expect(openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow();
    const [row] = await agentRows(gw, 'tracer');
    const spans = await spansAfterStop(gw);
    const request = only(spans, 'chat gpt-4o-mini');
    expect(request.statusCode).toBe(2);
    expect(row!.error_code).toBeTypeOf('string');
    expect(request.attributes['error.type']).toBe(row!.error_code);
    expect(request.attributes['http.response.status_code']).toBeGreaterThanOrEqual(400);
    expect(only(spans, 'admission').statusCode).toBe(2);
    expect(spans.some((s) => s.name.startsWith('upstream attempt'))).toBe(false);
    expect(openai.requests).toHaveLength(0);
  });

  it('capture_content exports the prompt and the answer as gen_ai messages, streamed and whole', async () => {
    const gw = await gateway({ capture: true });
    await openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: PROMPT }] });
    const stream = await openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: PROMPT }] });
    for await (const _chunk of stream) void _chunk;
    const spans = (await spansAfterStop(gw)).filter((s) => s.name === 'chat gpt-4o-mini');
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(JSON.parse(span.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: PROMPT }] }]);
      expect(JSON.parse(span.attributes['gen_ai.output.messages'] as string)).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: ANSWER }], finish_reason: 'stop' }]);
    }
    const whole = spans.find((s) => s.attributes['gen_ai.request.stream'] === false)!;
    expect(JSON.parse(whole.attributes['gen_ai.system_instructions'] as string)).toEqual([{ type: 'text', content: 'be brief' }]);
  });

  it('side calls: an embeddings call and a pass-through call each get a request span and an attempt whose context goes upstream', async () => {
    const gw = await gateway();
    await openaiClient(gw).embeddings.create({ model: 'text-embedding-3-small', input: 'hi' });
    const traceparent = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
    const res = await fetch(`${gw.url}/agents/tracer/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client', traceparent, tracestate: 'vendor=abc' },
      body: JSON.stringify({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello', max_tokens: 20 }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const spans = await spansAfterStop(gw);
    const embeddings = only(spans, 'embeddings text-embedding-3-small');
    expect(embeddings.attributes).toMatchObject({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.provider.name': 'openai', 'http.response.status_code': 200 });
    const pass = only(spans, 'passthrough gpt-3.5-turbo-instruct');
    expect(pass.traceId).toBe(CLIENT_TRACE);
    expect(pass.attributes['gen_ai.operation.name']).toBeUndefined();
    const attempts = childrenOf(spans, pass).filter((s) => s.name === 'upstream attempt 1');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.attributes['http.response.status_code']).toBe(200);
    const [embedCall, passCall] = openai.requests;
    expect(embedCall!.headers.traceparent).toBe(`00-${embeddings.traceId}-${only(childrenOf(spans, embeddings), 'upstream attempt 1').spanId}-01`);
    // The client's own context was replaced by the attempt's (its tracestate kept, as the propagator carries it).
    expect(passCall!.headers.traceparent).toBe(`00-${CLIENT_TRACE}-${attempts[0]!.spanId}-01`);
    expect(passCall!.headers.tracestate).toBe('vendor=abc');
  });

  it('a reload that changes tracing says a restart applies it, and keeps exporting as started', async () => {
    const gw = await gateway();
    writeFileSync(gw.configPath, `${yaml([`otlp_endpoint: ${collector.endpoint}`, 'capture_content: true'])}\nstorage:\n  path: ${JSON.stringify(gw.dbPath)}\n`);
    const next = readConfig({ path: gw.configPath, env: {} });
    expect(next.errors).toEqual([]);
    expect(gw.gateway.reload(next)).toBe(true);
    expect(gw.logs.filter((l) => l.includes('tracing settings changed; restart the gateway to apply them'))).toHaveLength(1);
    await openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }] });
    const spans = await spansAfterStop(gw);
    expect(only(spans, 'chat gpt-4o-mini').attributes['gen_ai.input.messages']).toBeUndefined();
  });

  it('a Gemini client to a Gemini provider: generate_content on gcp.gemini, the context carried upstream', async () => {
    const gw = await gateway();
    const ai = new GoogleGenAI({ apiKey: 'client-gemini-key', httpOptions: { baseUrl: `${gw.url}/agents/tracer` } });
    expect((await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })).text).toBe(ANSWER);
    const spans = await spansAfterStop(gw);
    const request = only(spans, 'generate_content gemini-2.5-flash');
    expect(request.attributes).toMatchObject({ 'gen_ai.operation.name': 'generate_content', 'gen_ai.provider.name': 'gcp.gemini', 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 5 });
    const attempt = only(childrenOf(spans, request), 'upstream attempt 1');
    expect(gemini.lastRequest!.headers.traceparent).toBe(`00-${request.traceId}-${attempt.spanId}-01`);
  });

  it('a collector that refuses the export: one warning in the log, without the credential; the request is unaffected', async () => {
    const gw = await gateway({ endpoint: collector.endpoint.replace('/v1/traces', '/v1/metrics') });
    const answer = await openaiClient(gw).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]!.message.content).toBe(ANSWER);
    await gw.stop();
    expect(collector.spans).toHaveLength(0);
    expect(collector.requests.length).toBeGreaterThan(0);
    expect(collector.requests.every((r) => r.status === 404 && r.headers.authorization === `Bearer ${COLLECTOR_TOKEN}`)).toBe(true);
    expect(gw.logs.filter((l) => l.includes('trace export failed'))).toHaveLength(1);
    expect(gw.logs.join('\n')).not.toContain(COLLECTOR_TOKEN);
  });

  it('tracing off: nothing reaches the collector, and the client traceparent and tracestate reach the provider unchanged', async () => {
    const gw = await gateway({ tracing: false });
    const traceparent = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
    await openaiClient(gw, { traceparent, tracestate: 'vendor=abc' }).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const client = new Anthropic({ baseURL: `${gw.url}/agents/tracer`, apiKey: 'sk-client', maxRetries: 0, defaultHeaders: { traceparent } });
    await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(openai.lastRequest!.headers).toMatchObject({ traceparent, tracestate: 'vendor=abc' });
    expect(anthropic.lastRequest!.headers.traceparent).toBe(traceparent);
    expect(anthropic.lastRequest!.headers.tracestate).toBeUndefined();
    const ai = new GoogleGenAI({ apiKey: 'client-gemini-key', httpOptions: { baseUrl: `${gw.url}/agents/tracer`, headers: { traceparent } } });
    await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(gemini.lastRequest!.headers.traceparent).toBe(traceparent);
    await gw.stop();
    expect(collector.requests).toHaveLength(0);
  });
});
