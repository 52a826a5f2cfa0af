/**
 * Inputs that used to freeze the gateway's event loop for seconds, while /health is polled every 10 ms: an
 * 8 MB request body of nested arrays (refused with a 400 before it is parsed), an 8 MB prompt forwarded as it
 * came, a 50 MB non-streamed upstream body in the client's own format (relayed as it arrives, metered from its
 * tail, never parsed) and the same body to translate (refused with a 502 past gateway.max_response_body, never
 * parsed). No gap between two health answers may pass 250 ms, a bound kept generous on purpose: the stalls were
 * 2.7 s and 1 s.
 */
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startFakeOpenAI } from '../fakes/index.js';
import { agentRows, startTestGateway } from '../helpers/gateway.js';
import { deferAfterEach, rawRequest } from '../integration/fakes-gateway.js';
import { pollHealth } from '../helpers/health-poll.js';

const defer = deferAfterEach();
const MAX_GAP_MS = 250;

async function gateway(recordResponses = false) {
  const fake = await startFakeOpenAI({ recordResponses });
  defer(() => fake.close());
  const gw = await startTestGateway({
    yaml: [
      'gateway: { embedded_defaults: false }',
      'providers:',
      `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-o }`,
      'models:',
      '  "gpt-*": fo',
      'prices:',
      '  gpt-4o-mini: { input: 3, output: 15 }',
    ].join('\n'),
  });
  defer(() => gw.stop());
  return { fake, gw };
}

/** A call whose answer is hashed as it arrives: holding and decoding 50 MB here would stall the loop under test. */
function hashedRequest(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: IncomingHttpHeaders; length: number; sha256: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      const hash = createHash('sha256');
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        length += chunk.length;
        hash.update(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, length, sha256: hash.digest('hex') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('no request stalls the event loop', () => {
  it('an 8 MB body of nested arrays gets a 400 before it is parsed', async () => {
    const { fake, gw } = await gateway();
    const depth = 4 * 1024 * 1024 - 20;
    const body = Buffer.from(`{"model":"gpt-4o-mini","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    expect(body.length).toBeGreaterThan(8_000_000);
    const poll = pollHealth(gw.url);
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const res = await rawRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const took = performance.now() - started;
    const gap = (await poll.stop()).longest;
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: { type: 'invalid_request_error', code: 'json_too_deep' } });
    expect(fake.requests).toHaveLength(0);
    expect(gap).toBeLessThan(MAX_GAP_MS);
    expect(took).toBeLessThan(2_000);
  });

  it('an 8 MB prompt is forwarded to the provider exactly as sent', async () => {
    const { fake, gw } = await gateway();
    const send = (body: string | Buffer) => rawRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    // A small request first: what a gateway does once (loading model tables, the first budget window) is not measured.
    expect((await send(JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }))).status).toBe(200);
    const prompt = 'A long document, line after line. '.repeat(240_000);
    const text = JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: prompt }] });
    // Encoded beforehand: this process polls /health too, and encoding 8 MB here would count as a gap.
    const body = Buffer.from(text);
    expect(body.length).toBeGreaterThan(8_000_000);
    const poll = pollHealth(gw.url);
    await new Promise((r) => setTimeout(r, 100));
    const res = await send(body);
    const gap = (await poll.stop()).longest;
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.rawBody).toBe(text);
    expect(gap).toBeLessThan(MAX_GAP_MS);
  });

  it('a 50 MB non-streamed upstream body in the client format reaches it whole, billed from its tail', async () => {
    const { fake, gw } = await gateway(true);
    fake.setScenario({ kind: 'oversized', bytes: 50 * 1024 * 1024, chunks: 1, usage: { input: 1000, output: 20_000 } });
    const send = (agent: string) =>
      hashedRequest(
        `${gw.url}/v1/chat/completions`,
        { 'content-type': 'application/json', 'x-agent-id': agent },
        JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'everything, please' }] }),
      );
    await send('warm');
    const poll = pollHealth(gw.url);
    await new Promise((r) => setTimeout(r, 100));
    const res = await send('big');
    const gap = (await poll.stop()).longest;
    expect(res.status).toBe(200);
    const sent = fake.requests.at(-1)!.responseBytes;
    expect(res.length).toBe(sent.length);
    expect(res.length).toBeGreaterThan(50 * 1024 * 1024);
    expect(res.sha256).toBe(createHash('sha256').update(sent).digest('hex'));
    // Its cost is known only once the last byte went out: no header states it.
    expect(res.headers['x-ai-gateway-cost-usd']).toBeUndefined();
    expect(gap).toBeLessThan(MAX_GAP_MS);
    const [row] = await agentRows(gw, 'big');
    expect(row).toMatchObject({ status: 200, error_code: null, input_tokens: 1000, output_tokens: 20_000, estimated: 0, bytes_out: sent.length });
    expect(row!.cost_usd).toBeCloseTo((1000 * 3 + 20_000 * 15) / 1e6, 9);
  });

  it('a 50 MB non-streamed upstream body to translate gets a quick 502 in the client format, never parsed', async () => {
    const { fake, gw } = await gateway();
    fake.setScenario({ kind: 'oversized', bytes: 50 * 1024 * 1024, chunks: 1 });
    const send = () =>
      rawRequest(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'everything, please' }] }),
      });
    // The fake renders the reply once and replays it: the measured request costs the fake nothing.
    await send();
    const poll = pollHealth(gw.url);
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const res = await send();
    const took = performance.now() - started;
    const gap = (await poll.stop()).longest;
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toMatchObject({ type: 'error', error: { message: expect.stringMatching(/larger than 16777216 bytes/) } });
    expect(gap).toBeLessThan(MAX_GAP_MS);
    expect(took).toBeLessThan(2_000);
  });
});
