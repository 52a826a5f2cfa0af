/**
 * Faults on the client side of the gateway: a client that leaves mid-stream (the upstream request is aborted and
 * the partial usage billed), slow headers and bodies (the server's timeouts apply), oversized headers and bodies,
 * invalid UTF-8, the wrong content type and broken JSON. Each gets an error in the client's own format (or, for
 * faults below HTTP, a plain HTTP error) and the gateway keeps serving.
 */
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/gateway.js';
import type { Scenario } from '../fakes/index.js';
import {
  breakerFailures,
  chatBody,
  chatPath,
  isAnthropicError,
  isOpenAIError,
  parseJson,
  rowOf,
  send,
  sendChat,
  startFaultBed,
  type ClientFormat,
  type FaultBed,
} from './bed.js';

const MAX_BODY = 64 * 1024;
const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;

/** Reply text of the slow stream: 12 deltas, 40 ms apart, so a client can leave in the middle. */
const SLOW_TEXT = 'The quick brown fox jumps over the lazy dog, again and again, until the reader leaves.';
const SLOW: Scenario = { kind: 'slow_chunks', text: SLOW_TEXT, chunks: 12, delayMs: 40 };

function inFormat(format: ClientFormat, body: string): boolean {
  const json = parseJson(body);
  return format === 'openai' ? isOpenAIError(json) : isAnthropicError(json);
}

/** Raw bytes over a socket, for requests no HTTP client would send; resolves with what the server answered. */
function rawExchange(port: number, chunks: string[], waitMs: number): Promise<{ text: string; closed: boolean; elapsedMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let text = '';
    const socket = connect(port, '127.0.0.1', () => {
      for (const c of chunks) socket.write(c);
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false, elapsedMs: Date.now() - started });
    }, waitMs);
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true, elapsedMs: Date.now() - started });
    });
  });
}

describe('client faults', () => {
  let bed: FaultBed;
  let port: number;
  beforeAll(async () => {
    bed = await startFaultBed({
      agents: 8,
      gateway: `max_body: ${MAX_BODY}`,
      extra: { clientTimeouts: { headersMs: HEADERS_TIMEOUT_MS, requestMs: REQUEST_TIMEOUT_MS } },
    });
    port = Number(new URL(bed.gw.url).port);
  });
  afterAll(async () => {
    await bed?.close();
  });

  async function stillServes(format: ClientFormat = 'openai'): Promise<void> {
    const res = await sendChat(bed, format, 'a7', format === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5', false, 'text');
    expect(res.status).toBe(200);
  }

  describe('a client that leaves mid-stream', () => {
    const routes = [
      { client: 'openai' as const, model: 'gpt-4o-mini', fake: 'openai' as const, agent: 'a0' },
      { client: 'anthropic' as const, model: 'claude-haiku-4-5', fake: 'anthropic' as const, agent: 'a1' },
      { client: 'anthropic' as const, model: 'gpt-4o-mini', fake: 'openai' as const, agent: 'a2' },
    ];
    it.each(routes)('$client client → $fake upstream: upstream aborted, partial usage billed', async ({ client, model, fake, agent }) => {
      const upstream = bed[fake];
      const before = upstream.requests.length;
      let requestId = '';
      // Leave once two pieces of reply text have arrived.
      await new Promise<void>((resolve, reject) => {
        const req = httpRequest(
          new URL(chatPath(client, agent), bed.gw.url),
          { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, agent: false },
          (res) => {
            requestId = String(res.headers['x-request-id']);
            let seen = '';
            res.on('data', (c: Buffer) => {
              seen += c.toString('utf8');
              if ((seen.match(/"(content|text)":"[^"]+"/g) ?? []).length >= 2) {
                req.destroy();
                resolve();
              }
            });
            res.on('end', () => reject(new Error('the stream ended before the client could leave')));
          },
        );
        req.on('error', () => undefined);
        req.end(chatBody(client, model, true, SLOW));
      });

      const record = await upstream.whenSettled(before, 5000);
      expect(record.aborted).toBe(true);
      expect(record.completed).toBe(false);

      await eventually(() => rowOf(bed, requestId) !== undefined, 5000);
      const row = rowOf(bed, requestId)!;
      expect(row.status).toBe(499);
      expect(row.error_code).toBe('client_closed');
      expect(row.estimated).toBe(1);
      // The text the gateway relayed before the client left is billed; never more than the whole reply.
      expect(Number(row.output_tokens)).toBeGreaterThan(0);
      expect(Number(row.output_tokens)).toBeLessThan(SLOW_TEXT.length);
      expect(Number(row.input_tokens)).toBeGreaterThan(0);
      expect(Number(row.cost_usd)).toBeGreaterThan(0);
      // Leaving is not the provider's fault.
      expect(breakerFailures(bed, agent, fake === 'openai' ? 'fo' : 'fa')).toBe(0);
      await stillServes(client);
    });

    it('a client that leaves while waiting for a whole response: the upstream request is aborted too', async () => {
      const before = bed.openai.requests.length;
      const controller = new AbortController();
      const pending = fetch(`${bed.gw.url}${chatPath('openai', 'a3')}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chatBody('openai', 'gpt-4o-mini', false, 'timeout_before_headers'),
        signal: controller.signal,
      }).catch((err: unknown) => err);
      await bed.openai.waitForRequests(before + 1);
      controller.abort();
      expect(await pending).toBeInstanceOf(Error);
      const record = await bed.openai.whenSettled(before, 5000);
      expect(record.aborted).toBe(true);
      await eventually(() => bed.gw.rows().some((r) => r.agent === 'a3' && r.status === 499), 5000);
      const row = bed.gw.rows().find((r) => r.agent === 'a3')!;
      expect(row.error_code).toBe('client_closed');
      expect(breakerFailures(bed, 'a3', 'fo')).toBe(0);
      await stillServes();
    });
  });

  describe('slow clients meet the server timeouts', () => {
    it('headers that never finish get a 408 and the socket is closed', async () => {
      const out = await rawExchange(port, ['POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\n', 'content-type: application/json\r\n'], 5000);
      expect(out.closed).toBe(true);
      expect(out.text).toMatch(/^HTTP\/1\.1 408 /);
      expect(out.elapsedMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
      expect(out.elapsedMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2000);
      await stillServes();
    });

    it('a body that never finishes is cut at the request timeout', async () => {
      const head = `POST ${chatPath('openai', 'a4')} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n`;
      const out = await rawExchange(port, [head, '{"model":"gpt-4o-mini",'], 5000);
      expect(out.closed).toBe(true);
      expect(out.elapsedMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(out.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2000);
      // Nothing reached the provider.
      expect(bed.openai.requests.some((r) => r.path.includes('a4'))).toBe(false);
      await stillServes();
    });
  });

  describe('oversized requests', () => {
    it('headers over the limit get a 431 in the OpenAI error shape', async () => {
      const res = await send(bed.gw.url, '/v1/chat/completions', { headers: { 'x-padding': 'p'.repeat(20_000) }, body: chatBody('openai', 'gpt-4o-mini', false) });
      expect(res.status).toBe(431);
      expect(isOpenAIError(parseJson(res.body))).toBe(true);
      expect((parseJson(res.body) as { error: { code: string } }).error.code).toBe('headers_too_large');
      await stillServes();
    });

    it.each(['openai', 'anthropic'] as const)('a %s body over max_body is a 413 in the client format, declared or chunked', async (format) => {
      const big = chatBody(format, format === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5', false, { kind: 'echo', text: 'x'.repeat(MAX_BODY) });
      const declared = await send(bed.gw.url, chatPath(format, 'a5'), { headers: { 'anthropic-version': '2023-06-01' }, body: big });
      expect(declared.status).toBe(413);
      expect(inFormat(format, declared.body)).toBe(true);
      // Without content-length the limit is enforced while reading.
      const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(new URL(chatPath(format, 'a5'), bed.gw.url), { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        for (let i = 0; i < big.length; i += 8192) req.write(big.slice(i, i + 8192));
        req.end();
      });
      expect(chunked.status).toBe(413);
      expect(inFormat(format, chunked.body)).toBe(true);
      await eventually(() => bed.gw.rows().filter((r) => r.agent === 'a5' && r.error_code === 'request_too_large').length >= (format === 'openai' ? 2 : 4));
      // Nothing over the limit went upstream.
      expect(bed.openai.requests.concat(bed.anthropic.requests).some((r) => r.rawBody.length > MAX_BODY)).toBe(false);
      await stillServes(format);
    });
  });

  describe('bodies that are not what they claim', () => {
    /** A valid request except for bytes in the user text that are not UTF-8. */
    const utf8Broken = (format: ClientFormat): Buffer => {
      const [head, tail] = chatBody(format, format === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5', false).split('say hello');
      return Buffer.concat([Buffer.from(head!), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(tail!)]);
    };

    const cases: { name: string; format: ClientFormat; body: (f: ClientFormat) => string | Buffer; headers?: Record<string, string>; status: number; code: string }[] = [
      { name: 'invalid UTF-8', format: 'openai', body: utf8Broken, status: 400, code: 'invalid_request_error' },
      { name: 'invalid UTF-8', format: 'anthropic', body: utf8Broken, status: 400, code: 'invalid_request_error' },
      { name: 'a form-encoded body', format: 'openai', body: () => 'model=gpt-4o-mini&messages=hi', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
      { name: 'JSON sent as text/plain', format: 'anthropic', body: (f) => chatBody(f, 'claude-haiku-4-5', false), headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
      { name: 'JSON sent as multipart', format: 'openai', body: (f) => chatBody(f, 'gpt-4o-mini', false), headers: { 'content-type': 'multipart/form-data; boundary=x' }, status: 415, code: 'unsupported_media_type' },
      { name: 'truncated JSON', format: 'openai', body: (f) => chatBody(f, 'gpt-4o-mini', false).slice(0, 30), status: 400, code: 'invalid_request_error' },
      { name: 'a JSON array', format: 'anthropic', body: () => '[1,2,3]', status: 400, code: 'invalid_request_error' },
    ];

    it.each(cases)('$name ($format client): $status in the client format, audited', async ({ format, body, headers, status, code }) => {
      const upstreamBefore = bed.openai.requests.length + bed.anthropic.requests.length;
      const res = await send(bed.gw.url, chatPath(format, 'a6'), { headers: { 'anthropic-version': '2023-06-01', ...headers }, body: body(format) });
      expect(res.status).toBe(status);
      expect(inFormat(format, res.body), res.body).toBe(true);
      const requestId = String(res.headers['x-request-id']);
      await eventually(() => rowOf(bed, requestId) !== undefined);
      expect(rowOf(bed, requestId)!.error_code).toBe(code);
      expect(rowOf(bed, requestId)!.status).toBe(status);
      expect(bed.openai.requests.length + bed.anthropic.requests.length).toBe(upstreamBefore);
      await stillServes(format);
    });

    it('JSON with a charset parameter or a +json type is accepted', async () => {
      for (const type of ['application/json; charset=utf-8', 'application/vnd.api+json']) {
        const res = await send(bed.gw.url, chatPath('openai', 'a6'), { headers: { 'content-type': type }, body: chatBody('openai', 'gpt-4o-mini', false) });
        expect(res.status).toBe(200);
      }
    });
  });
});
