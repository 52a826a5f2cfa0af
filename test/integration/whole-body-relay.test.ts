/**
 * Non-streamed answers in the client's own format are relayed without being parsed: a small one is held and goes
 * out byte for byte with its cost in a header; a large one (past 1 MiB) goes out as it arrives, billed from the
 * usage at its end, estimated (and marked) when there is none. A provider that breaks off mid-body is its failure,
 * billed for what it sent; a client that leaves mid-body is a client close.
 *
 * Prices (config, USD per 1M tokens): gpt-4o-mini input 3, output 15; claude-haiku-4-5 input 1, output 5.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { fillerText } from '../fakes/scenario.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const BIG = 3 * 1024 * 1024;
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gw = await startTestGateway({
    yaml: [
      'gateway: { embedded_defaults: false }',
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-o, apis: [chat, responses] }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-a }`,
      'models:',
      '  "gpt-*": fo',
      '  "claude-*": fa',
      'prices:',
      '  gpt-4o-mini: { input: 3, output: 15 }',
      '  claude-haiku-4-5: { input: 1, output: 5 }',
    ].join('\n'),
  });
});
afterAll(async () => {
  await gw.stop();
  await openai.close();
  await anthropic.close();
});
beforeEach(() => {
  openai.reset();
  anthropic.reset();
});

type Api = 'chat' | 'responses' | 'messages';

const PATHS: Record<Api, string> = { chat: '/v1/chat/completions', responses: '/v1/responses', messages: '/v1/messages' };

function requestBody(api: Api): string {
  if (api === 'chat') return JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  if (api === 'responses') return JSON.stringify({ model: 'gpt-4o-mini', input: 'hi' });
  return JSON.stringify({ model: 'claude-haiku-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
}

interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body ended normally (not cut off). */
  complete: boolean;
}

/** One call with node:http; `leaveAfterMs`: the client stops reading at once and hangs up that much later. */
function call(agent: string, api: Api, scenario: Scenario, leaveAfterMs?: number): Promise<Exchange> {
  (api === 'messages' ? anthropic : openai).queueScenarios(scenario);
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${gw.url}/agents/${agent}${PATHS[api]}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' } }, (res) => {
      const parts: Buffer[] = [];
      const done = (complete: boolean): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts), complete });
      if (leaveAfterMs !== undefined) {
        res.pause();
        setTimeout(() => {
          req.destroy();
          done(false);
        }, leaveAfterMs);
        return;
      }
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => done(true));
      res.on('error', () => done(false));
    });
    req.on('error', reject);
    req.end(requestBody(api));
  });
}

function sentBytes(api: Api): Buffer {
  return (api === 'messages' ? anthropic : openai).requests.at(-1)!.responseBytes;
}

describe('whole answers in the client format', () => {
  it('a small one goes out as the provider wrote it, with its cost in a header', async () => {
    const res = await call('small', 'chat', { kind: 'text', usage: { input: 120, output: 45 } });
    expect(res.status).toBe(200);
    expect(res.body.equals(sentBytes('chat'))).toBe(true);
    expect(res.headers['content-length']).toBe(String(res.body.length));
    const cost = (120 * 3 + 45 * 15) / 1e6;
    expect(res.headers['x-ai-gateway-cost-usd']).toBe(cost.toFixed(6));
    const [row] = await agentRows(gw, 'small');
    expect(row).toMatchObject({ status: 200, input_tokens: 120, output_tokens: 45, estimated: 0 });
    expect(row!.cost_usd).toBeCloseTo(cost, 9);
  });

  const BIG_CASES: Array<[Api, number, number]> = [
    ['chat', 3, 15],
    ['responses', 3, 15],
    ['messages', 1, 5],
  ];
  it.each(BIG_CASES)('a %s answer past 1 MiB streams through whole and is billed from its tail', async (api, inUsd, outUsd) => {
    const agent = `big-${api}`;
    const res = await call(agent, api, { kind: 'oversized', bytes: BIG, usage: { input: 700, output: 900_000 } });
    expect(res.status).toBe(200);
    expect(res.complete).toBe(true);
    const sent = sentBytes(api);
    expect(sent.length).toBeGreaterThan(BIG);
    expect(res.body.equals(sent)).toBe(true);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['x-ai-gateway-cost-usd']).toBeUndefined();
    const [row] = await agentRows(gw, agent);
    expect(row).toMatchObject({ status: 200, error_code: null, input_tokens: 700, output_tokens: 900_000, estimated: 0, bytes_out: sent.length });
    expect(row!.cost_usd).toBeCloseTo((700 * inUsd + 900_000 * outUsd) / 1e6, 9);
  });

  it('a large answer without usage is billed on an estimate from its size, and marked estimated', async () => {
    const res = await call('no-usage', 'chat', { kind: 'oversized', bytes: BIG, usageWire: 'omit' });
    expect(res.status).toBe(200);
    const sent = sentBytes('chat');
    expect(res.body.equals(sent)).toBe(true);
    const [row] = await agentRows(gw, 'no-usage');
    expect(row).toMatchObject({ status: 200, estimated: 1, output_tokens: Math.ceil(sent.length / 3) });
    expect(Number(row!.input_tokens)).toBeGreaterThan(0);
    expect(Number(row!.cost_usd)).toBeGreaterThan((Math.ceil(sent.length / 3) * 15) / 1e6 - 1e-9);
  });

  it('a provider that resets mid-body fails the call, cuts the client off and is billed for what it sent', async () => {
    const res = await call('reset', 'chat', { kind: 'reset_mid_stream', text: fillerText(2 * BIG), usage: { input: 10, output: 5 } });
    expect(res.status).toBe(200);
    expect(res.complete).toBe(false);
    const sent = sentBytes('chat');
    expect(res.body.length).toBeLessThanOrEqual(sent.length);
    const [row] = await agentRows(gw, 'reset');
    expect(row).toMatchObject({ status: 502, error_code: 'upstream_unreachable', estimated: 1, output_tokens: Math.ceil(sent.length / 3) });
    expect(Number(row!.cost_usd)).toBeGreaterThan(0);
  });

  it('a client that leaves mid-body is a client close, billed for what the provider sent', async () => {
    const res = await call('leaver', 'messages', { kind: 'oversized', bytes: 10 * BIG, usage: { input: 10, output: 5 } }, 300);
    expect(res.status).toBe(200);
    const [row] = await agentRows(gw, 'leaver');
    expect(row).toMatchObject({ status: 499, error_code: 'client_closed', estimated: 1 });
    // The gateway read only what the client took (back-pressure), not the whole answer.
    expect(Number(row!.bytes_out)).toBeLessThan(10 * BIG);
    expect(Number(row!.output_tokens)).toBe(Math.ceil(Number(row!.bytes_out) / 3));
    expect(Number(row!.cost_usd)).toBeGreaterThan(0);
  });
});
