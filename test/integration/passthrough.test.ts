/**
 * Same-format traffic (OpenAI client → OpenAI provider, Anthropic client → Anthropic provider) passes through
 * untouched: the client gets the provider's exact bytes, and the audit row holds the reported tokens and a
 * cost computed here by hand from the price table's published rates.
 *
 * Rates used (genai-prices 0.1.8, USD per 1M tokens), written as pico-USD per token:
 *   gpt-4o-mini        input 0.15 → 150_000, cache read 0.075 → 75_000, cache write = input, output 0.6 → 600_000
 *   claude-sonnet-4-5  input 3 → 3_000_000, cache read 0.3 → 300_000, 5m write 3.75 → 3_750_000,
 *                      1h write 6 → 6_000_000, output 15 → 15_000_000
 *   claude-haiku-4-5   input 1 → 1_000_000, cache read 0.1 → 100_000, 5m write 1.25 → 1_250_000, output 5 → 5_000_000
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../fakes/index.js';
import { eventually, type TestGateway } from '../helpers/gateway.js';
import {
  ANTHROPIC_PROVIDER_KEY,
  OPENAI_PROVIDER_KEY,
  frameData,
  isUsageOnlyFrame,
  postJson,
  rawRequest,
  shareFakesGateway,
  sseFrames,
  usdFromPico,
  type RawResponse,
} from './fakes-gateway.js';

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;

shareFakesGateway((started) => ({ openai, anthropic, gw } = started));

/** The audit row of one request, once the batched writer has stored it. */
async function rowOf(res: RawResponse): Promise<Record<string, unknown>> {
  const id = res.headers['x-request-id'];
  expect(typeof id).toBe('string');
  let row: Record<string, unknown> | undefined;
  await eventually(() => {
    row = gw.rows().find((r) => r.id === id);
    return row !== undefined;
  });
  return row!;
}

/**
 * The client's frames before its final error frame are the provider's frames, in order. The fake writes its
 * last frame and destroys the socket at once, so that frame may never leave its host: at most one is missing.
 */
function relayedPrefix(got: string[], sent: string[]): boolean {
  const relayed = got.slice(0, -1);
  if (relayed.length < sent.length - 1 || relayed.length > sent.length) return false;
  return relayed.every((frame, i) => frame === sent[i]);
}

const chatUrl = (): string => `${gw.url}/v1/chat/completions`;
const messagesUrl = (): string => `${gw.url}/v1/messages`;
const anthropicHeaders = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client-own-key' };

describe('OpenAI client → OpenAI provider', () => {
  it('the client bytes go upstream as they came, non-ASCII and odd spacing included; a byte-order mark is not passed on', async () => {
    openai.setScenario({ kind: 'text', usage: { input: 10, output: 2 } });
    const body = '{ "model" : "gpt-4o-mini",\n  "messages": [{"role":"user","content":"caf\u00e9 \u00fcber \u65e5\u672c \ud83d\ude80"}] }';
    expect((await postJson(chatUrl(), body)).status).toBe(200);
    expect(openai.lastRequest!.rawBody).toBe(body);

    const res = await rawRequest(chatUrl(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]) });
    expect(res.status).toBe(200);
    expect(openai.lastRequest!.rawBody).toBe(body);
  });

  it('non-stream: exact provider bytes, untouched request body, hand-computed tokens and cost', async () => {
    openai.setScenario({ kind: 'text', usage: { input: 1000, cacheRead: 512, cacheWrite: 64, output: 200 } });
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], temperature: 0.2 });
    const res = await postJson(chatUrl(), body, { authorization: 'Bearer sk-client-own-key' });

    expect(res.status).toBe(200);
    expect(openai.requests).toHaveLength(1);
    expect(res.body.equals(openai.lastResponseBytes!)).toBe(true);
    // Same format and no alias: the request goes upstream byte for byte; only auth changes.
    expect(openai.lastRequest!.rawBody).toBe(body);
    expect(openai.lastRequest!.headers.authorization).toBe(`Bearer ${OPENAI_PROVIDER_KEY}`);

    // 1000·150_000 + 512·75_000 + 64·150_000 + 200·600_000 = 318_000_000 pUSD
    const cost = usdFromPico(318_000_000);
    expect(res.headers['x-ai-gateway-cost-usd']).toBe('0.000318');
    const row = await rowOf(res);
    expect(row).toMatchObject({
      agent: 'default',
      provider: 'fo',
      model: 'gpt-4o-mini',
      upstream_model: 'gpt-4o-mini',
      client_format: 'openai-chat',
      upstream_format: 'openai-chat',
      stream: 0,
      status: 200,
      error_code: null,
      input_tokens: 1000,
      cache_read_tokens: 512,
      cache_write_tokens: 64,
      output_tokens: 200,
      reasoning_tokens: 0,
      estimated: 0,
    });
    expect(row.cost_usd).toBeCloseTo(cost, 15);
    expect(row.cost_input).toBeCloseTo(usdFromPico(150_000_000), 15);
    expect(row.cost_cache_read).toBeCloseTo(usdFromPico(38_400_000), 15);
    expect(row.cost_cache_write).toBeCloseTo(usdFromPico(9_600_000), 15);
    expect(row.cost_output).toBeCloseTo(usdFromPico(120_000_000), 15);
    expect(row.price_version).toMatch(/^genai-prices@/);
  });

  it('stream without include_usage: usage asked for upstream, exactly that chunk removed for the client', async () => {
    openai.setScenario({ kind: 'text', chunks: 5, usage: { input: 40, cacheRead: 1024, output: 37 } });
    const clientBody = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'stream please' }], stream: true };
    const res = await postJson(chatUrl(), clientBody);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const upstream = openai.lastRequest!;
    expect(upstream.body).toEqual({ ...clientBody, stream_options: { include_usage: true } });

    const providerFrames = sseFrames(openai.lastResponseBytes!);
    const usageFrames = providerFrames.filter(isUsageOnlyFrame);
    expect(usageFrames).toHaveLength(1);
    const expected = providerFrames.filter((f) => !isUsageOnlyFrame(f)).join('');
    expect(res.text).toBe(expected);
    // The provider's bytes are otherwise intact: every content frame and the [DONE] terminator.
    expect(res.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(Buffer.byteLength(res.text)).toBe(openai.lastResponseBytes!.length - Buffer.byteLength(usageFrames[0]!));

    // 40·150_000 + 1024·75_000 + 37·600_000 = 105_000_000 pUSD
    const row = await rowOf(res);
    expect(row).toMatchObject({ stream: 1, status: 200, input_tokens: 40, cache_read_tokens: 1024, cache_write_tokens: 0, output_tokens: 37, estimated: 0 });
    expect(row.cost_usd).toBeCloseTo(usdFromPico(105_000_000), 15);
  });

  it('stream with include_usage set by the client: the exact provider bytes, usage chunk included', async () => {
    openai.setScenario({ kind: 'text', chunks: 3, usage: { input: 10, output: 5 } });
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const res = await postJson(chatUrl(), body);

    expect(res.status).toBe(200);
    expect(openai.lastRequest!.rawBody).toBe(body);
    expect(res.body.equals(openai.lastResponseBytes!)).toBe(true);
    expect(sseFrames(res.body).filter(isUsageOnlyFrame)).toHaveLength(1);
    // 10·150_000 + 5·600_000 = 4_500_000 pUSD
    const row = await rowOf(res);
    expect(row).toMatchObject({ input_tokens: 10, output_tokens: 5, estimated: 0 });
    expect(row.cost_usd).toBeCloseTo(usdFromPico(4_500_000), 15);
  });

  it('a stream cut off by the provider: the row is estimated and the client gets an OpenAI error chunk', async () => {
    openai.setScenario({ kind: 'reset_mid_stream', afterFrames: 3, delayMs: 5 });
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'this will break' }], stream: true };
    const res = await postJson(chatUrl(), body);

    expect(res.status).toBe(200);
    await openai.whenSettled(0);
    expect(openai.lastRequest!.resetByServer).toBe(true);
    const sent = sseFrames(openai.lastResponseBytes!);
    expect(sent).toHaveLength(3);
    const got = sseFrames(res.body);
    // What the provider sent, then one error chunk and no [DONE].
    expect(relayedPrefix(got, sent)).toBe(true);
    const last = frameData(got.at(-1)!) as { error?: { type?: string; code?: string; message?: string } };
    expect(last.error).toMatchObject({ type: 'server_error', code: 'upstream_unreachable' });
    expect(res.text).not.toContain('[DONE]');

    const row = await rowOf(res);
    expect(row.stream).toBe(1);
    expect(row.status).toBe(502);
    expect(row.error_code).toBe('upstream_unreachable');
    expect(row.estimated).toBe(1);
    expect(Number(row.output_tokens)).toBeGreaterThan(0);
    expect(Number(row.input_tokens)).toBeGreaterThan(0);
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
  });
});

describe('Anthropic client → Anthropic provider', () => {
  it('non-stream: exact provider bytes and hand-computed cost with 5m and 1h cache writes', async () => {
    anthropic.setScenario({ kind: 'text', usage: { input: 1000, cacheRead: 2000, cacheWrite: 400, cacheWrite1h: 100, output: 300 } });
    const body = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 512, messages: [{ role: 'user', content: 'hello' }] });
    const res = await postJson(messagesUrl(), body, anthropicHeaders);

    expect(res.status).toBe(200);
    expect(res.body.equals(anthropic.lastResponseBytes!)).toBe(true);
    expect(anthropic.lastRequest!.rawBody).toBe(body);
    expect(anthropic.lastRequest!.headers['x-api-key']).toBe(ANTHROPIC_PROVIDER_KEY);
    expect(anthropic.lastRequest!.headers['anthropic-version']).toBe('2023-06-01');

    // 1000·3e6 + 2000·3e5 + 400·3.75e6 + 100·6e6 + 300·15e6 = 10_200_000_000 pUSD
    expect(res.headers['x-ai-gateway-cost-usd']).toBe('0.010200');
    const row = await rowOf(res);
    expect(row).toMatchObject({
      provider: 'fa',
      model: 'claude-sonnet-4-5',
      client_format: 'anthropic-messages',
      upstream_format: 'anthropic-messages',
      stream: 0,
      status: 200,
      input_tokens: 1000,
      cache_read_tokens: 2000,
      cache_write_tokens: 500,
      output_tokens: 300,
      estimated: 0,
    });
    expect(row.cost_usd).toBeCloseTo(usdFromPico(10_200_000_000), 15);
    expect(row.cost_input).toBeCloseTo(usdFromPico(3_000_000_000), 15);
    expect(row.cost_cache_read).toBeCloseTo(usdFromPico(600_000_000), 15);
    expect(row.cost_cache_write).toBeCloseTo(usdFromPico(2_100_000_000), 15);
    expect(row.cost_output).toBeCloseTo(usdFromPico(4_500_000_000), 15);
  });

  it('stream: exact provider bytes, usage from message_start and message_delta', async () => {
    anthropic.setScenario({ kind: 'text', chunks: 4, usage: { input: 50, cacheRead: 3000, cacheWrite: 200, output: 120 } });
    const body = JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'stream' }] });
    const res = await postJson(messagesUrl(), body, anthropicHeaders);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(anthropic.lastRequest!.rawBody).toBe(body);
    expect(res.body.equals(anthropic.lastResponseBytes!)).toBe(true);
    expect(res.text).toContain('event: message_stop');

    // 50·1e6 + 3000·1e5 + 200·1.25e6 + 120·5e6 = 1_200_000_000 pUSD
    const row = await rowOf(res);
    expect(row).toMatchObject({ stream: 1, status: 200, input_tokens: 50, cache_read_tokens: 3000, cache_write_tokens: 200, output_tokens: 120, estimated: 0 });
    expect(row.cost_usd).toBeCloseTo(usdFromPico(1_200_000_000), 15);
  });

  it('a stream cut off by the provider: reported input kept, output estimated, Anthropic error event', async () => {
    anthropic.setScenario({ kind: 'reset_mid_stream', afterFrames: 5, delayMs: 5, usage: { input: 77, output: 500 } });
    const body = { model: 'claude-haiku-4-5', max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'break' }] };
    const res = await postJson(messagesUrl(), body, anthropicHeaders);

    expect(res.status).toBe(200);
    await anthropic.whenSettled(0);
    const sent = sseFrames(anthropic.lastResponseBytes!);
    expect(sent.length).toBe(5);
    expect(sent.some((f) => f.includes('content_block_delta'))).toBe(true);
    const got = sseFrames(res.body);
    expect(relayedPrefix(got, sent)).toBe(true);
    const last = got.at(-1)!;
    expect(last.startsWith('event: error\n')).toBe(true);
    expect(frameData(last)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(res.text).not.toContain('message_stop');

    const row = await rowOf(res);
    expect(row.status).toBe(502);
    expect(row.estimated).toBe(1);
    // message_start reported the input; the output (500 was never reported) is estimated from the text seen.
    expect(row.input_tokens).toBe(77);
    expect(Number(row.output_tokens)).toBeGreaterThan(0);
    expect(Number(row.output_tokens)).toBeLessThan(500);
  });
});

describe('a client that goes away mid-stream', () => {
  /** Sends a streaming request, reads the first body chunk, then destroys the connection. */
  function streamThenHangUp(url: string, body: unknown, headers: Record<string, string>): Promise<{ requestId: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve({ requestId: String(res.headers['x-request-id']) });
        });
        res.on('error', () => undefined);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET') reject(err);
      });
      req.end(JSON.stringify(body));
    });
  }

  it.each([
    ['openai', () => openai, () => chatUrl(), { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'long' }] }, {}],
    [
      'anthropic',
      () => anthropic,
      () => messagesUrl(),
      { model: 'claude-haiku-4-5', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'long' }] },
      anthropicHeaders,
    ],
  ] as const)('%s: the upstream request is aborted and the row is recorded as 499, estimated', async (_name, fake, url, body, headers) => {
    fake().setScenario({ kind: 'text', chunks: 40, delayMs: 50 });
    const { requestId } = await streamThenHangUp(url(), body, headers);
    const upstream = await fake().whenSettled(0);
    expect(upstream.aborted).toBe(true);
    expect(upstream.completed).toBe(false);

    let row: Record<string, unknown> | undefined;
    await eventually(() => {
      row = gw.rows().find((r) => r.id === requestId);
      return row !== undefined;
    });
    expect(row).toMatchObject({ status: 499, error_code: 'client_closed', stream: 1, estimated: 1 });
  });
});
