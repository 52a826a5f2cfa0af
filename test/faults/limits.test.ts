/**
 * Every configured limit is applied where it should be: per-provider upstream timeouts (connect, first byte,
 * idle between stream chunks, the whole exchange) with gateway-wide defaults, the cap on concurrent upstream
 * connections, and the request header and body limits. Timings are checked against windows, never slept on.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { chatBody, chatPath, isOpenAIError, parseJson, send, sseFrames } from './bed.js';

/** Accepts TCP connections and never says a word: a TLS handshake against it can only time out. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

function errorCode(body: string): unknown {
  const json = parseJson(body);
  return isOpenAIError(json) ? (json as { error: { code: unknown } }).error.code : undefined;
}

describe('upstream timeouts, per provider over gateway defaults', () => {
  let fake: FakeUpstream;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    silent = await silentServer();
    gw = await startTestGateway({
      yaml: [
        // Gateway defaults are long; each provider below shortens exactly one of them.
        'gateway: { embedded_defaults: false, upstream_timeout: 20s, connect_timeout: 20s, idle_timeout: 20s }',
        'providers:',
        `  tls-silent: { type: openai, base_url: "https://127.0.0.1:${silent.port}/v1", api_key: sk-limit-0001, timeouts: { connect: 300ms } }`,
        `  first-byte: { type: openai, base_url: ${fake.baseURL}, api_key: sk-limit-0002, timeouts: { upstream: 300ms } }`,
        `  idle: { type: openai, base_url: ${fake.baseURL}, api_key: sk-limit-0003, timeouts: { idle: 300ms } }`,
        `  total: { type: openai, base_url: ${fake.baseURL}, api_key: sk-limit-0004, timeouts: { upstream: 700ms } }`,
        `  defaults: { type: openai, base_url: ${fake.baseURL}, api_key: sk-limit-0005 }`,
        'models:',
        '  gpt-connect: tls-silent',
        '  gpt-first-byte: first-byte',
        '  gpt-idle: idle',
        '  gpt-total: total',
        '  gpt-defaults: defaults',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
    await silent?.close();
  });

  const chat = (model: string, stream: boolean, scenario: Parameters<typeof chatBody>[3]) =>
    timed(() => send(gw.url, '/v1/chat/completions', { body: chatBody('openai', model, stream, scenario) }));

  it('connect: a TLS handshake that never completes fails after the provider connect timeout', async () => {
    const { value: res, ms } = await chat('gpt-connect', false, 'text');
    expect(res.status).toBe(502);
    expect(errorCode(res.body)).toBe('upstream_unreachable');
    expect(res.body).toContain('UND_ERR_CONNECT_TIMEOUT');
    expect(ms).toBeGreaterThanOrEqual(280);
    expect(ms).toBeLessThan(3000);
  });

  it('first byte: no response headers within the provider upstream timeout is a 504', async () => {
    const { value: res, ms } = await chat('gpt-first-byte', true, 'timeout_before_headers');
    expect(res.status).toBe(504);
    expect(errorCode(res.body)).toBe('upstream_timeout');
    expect(ms).toBeGreaterThanOrEqual(280);
    expect(ms).toBeLessThan(3000);
  });

  it('idle: a stream silent for longer than the provider idle timeout ends with an upstream_timeout event', async () => {
    const { value: res, ms } = await chat('gpt-idle', true, { kind: 'stall_body', delayMs: 0 });
    expect(res.status).toBe(200);
    const last = sseFrames(res.body).at(-1)?.data;
    expect(isOpenAIError(last)).toBe(true);
    expect((last as { error: { code: string } }).error.code).toBe('upstream_timeout');
    expect(ms).toBeGreaterThanOrEqual(280);
    expect(ms).toBeLessThan(3000);
  });

  it('idle: chunks that keep coming within the idle timeout are never cut', async () => {
    // 8 chunks 150 ms apart: 1.05 s in all, each gap half the idle timeout.
    const { value: res } = await chat('gpt-idle', true, { kind: 'slow_chunks', chunks: 8, delayMs: 150 });
    expect(res.status).toBe(200);
    expect(sseFrames(res.body).at(-1)?.data).toBe('[DONE]');
  });

  it('total: a stream that trickles forever is cut at the provider upstream timeout', async () => {
    // Every gap (100 ms) is far below the idle timeout, but 40 of them exceed the 700 ms total.
    const { value: res, ms } = await chat('gpt-total', true, { kind: 'slow_chunks', chunks: 40, delayMs: 100 });
    expect(res.status).toBe(200);
    const last = sseFrames(res.body).at(-1)?.data;
    expect(isOpenAIError(last), res.body.slice(-300)).toBe(true);
    expect((last as { error: { code: string } }).error.code).toBe('upstream_timeout');
    expect(ms).toBeGreaterThanOrEqual(650);
    expect(ms).toBeLessThan(3000);
    // The row is written once the usage is metered, which may come after the client has the last byte.
    await eventually(() => gw.rows().some((r) => r.model === 'gpt-total'));
    const row = gw.rows().find((r) => r.model === 'gpt-total');
    expect(row?.status).toBe(504);
    expect(row?.error_code).toBe('upstream_timeout');
  });

  it('a provider without overrides uses the gateway defaults (20 s): the same stall is not cut within 1 s', async () => {
    const before = fake.requests.length;
    const controller = new AbortController();
    const pending = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody('openai', 'gpt-defaults', false, 'timeout_before_headers'),
      signal: controller.signal,
    }).then(
      (r) => r.status,
      () => 'aborted',
    );
    await fake.waitForRequests(before + 1);
    const outcome = await Promise.race([pending, new Promise((r) => setTimeout(() => r('still waiting'), 1000))]);
    expect(outcome).toBe('still waiting');
    controller.abort();
    expect(await pending).toBe('aborted');
  });
});

describe('the cap on concurrent upstream connections', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: `gateway: { embedded_defaults: false, max_upstream_connections: 2 }\nproviders:\n  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-limit-0006 }\nmodels: { "gpt-*": fo }\n`,
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  it('six concurrent streams reach the provider two at a time, and all complete', async () => {
    // Each stream takes ~300 ms; the fake sees a new request only when one of the two connections frees up.
    const calls = Array.from({ length: 6 }, () =>
      send(gw.url, '/v1/chat/completions', { body: chatBody('openai', 'gpt-4o-mini', true, { kind: 'slow_chunks', chunks: 4, delayMs: 100 }) }),
    );
    let maxOpen = 0;
    const sampler = setInterval(() => {
      const open = fake.requests.filter((r) => !r.settled).length;
      maxOpen = Math.max(maxOpen, open);
    }, 5);
    const results = await Promise.all(calls);
    clearInterval(sampler);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(fake.requests).toHaveLength(6);
    expect(maxOpen).toBe(2);
  });
});

describe('request header and body limits from the config', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: `gateway: { embedded_defaults: false, max_header_size: 2kb, max_body: 4kb }\nproviders:\n  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-limit-0007 }\nmodels: { "gpt-*": fo, "text-embedding-*": fo }\n`,
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  it('max_header_size: 1.5 KiB of headers pass, 3 KiB get a 431', async () => {
    const body = chatBody('openai', 'gpt-4o-mini', false);
    expect((await send(gw.url, '/v1/chat/completions', { headers: { 'x-pad': 'p'.repeat(1500) }, body })).status).toBe(200);
    const over = await send(gw.url, '/v1/chat/completions', { headers: { 'x-pad': 'p'.repeat(3000) }, body });
    expect(over.status).toBe(431);
    expect(errorCode(over.body)).toBe('headers_too_large');
  });

  it.each([
    ['/v1/chat/completions', (pad: string) => chatBody('openai', 'gpt-4o-mini', false, { kind: 'echo', text: pad })],
    ['/v1/messages', (pad: string) => chatBody('anthropic', 'gpt-4o-mini', false, { kind: 'echo', text: pad })],
    ['/v1/messages/count_tokens', (pad: string) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: pad }] })],
    ['/v1/embeddings', (pad: string) => JSON.stringify({ model: 'text-embedding-3-small', input: pad })],
    [chatPath('openai', 'someone'), (pad: string) => chatBody('openai', 'gpt-4o-mini', false, { kind: 'echo', text: pad })],
  ])('max_body on %s: 3 KiB pass, 5 KiB get a 413', async (path, body) => {
    const headers = { 'anthropic-version': '2023-06-01' };
    const ok = await send(gw.url, path, { headers, body: body('a'.repeat(3000)) });
    expect(ok.status).toBe(200);
    const upstreamBefore = fake.requests.length;
    const over = await send(gw.url, path, { headers, body: body('a'.repeat(5000)) });
    expect(over.status).toBe(413);
    expect(over.body).toContain('request_too_large');
    expect(fake.requests.length).toBe(upstreamBefore);
  });

  it('the management API has its own small body limit', async () => {
    const res = await send(gw.url, '/api/agents/default/pause', { body: JSON.stringify({ reason: 'r'.repeat(70 * 1024) }) });
    expect(res.status).toBe(413);
  });
});
