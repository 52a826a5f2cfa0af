/**
 * Real requests through every way a request can end — upstream 5xx, a reset mid-stream, a client that leaves,
 * a fallback, a budget cut-off, usage of 1e300 — and after each the money held by requests in flight, as
 * /api/status shows it, is back to exactly 0: no hold outlives its request.
 */
import { describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { deferAfterEach, postJson } from './fakes-gateway.js';

const defer = deferAfterEach();

interface Bed {
  main: FakeUpstream;
  failing: FakeUpstream;
  gw: TestGateway;
}

async function bed(): Promise<Bed> {
  const main = await startFakeOpenAI();
  const failing = await startFakeOpenAI({ scenario: { kind: 'error', status: 500 } });
  defer(() => main.close());
  defer(() => failing.close());
  const gw = await startTestGateway({
    yaml: [
      'gateway: { embedded_defaults: false, default_output_cap: 20 }',
      'providers:',
      `  main: { type: openai, base_url: ${main.baseURL}, api_key: sk-m }`,
      `  failing: { type: openai, base_url: ${failing.baseURL}, api_key: sk-f }`,
      'models:',
      '  "gpt-fallback": { provider: failing, model: gpt-held, fallbacks: [main] }',
      '  "gpt-*": main',
      'prices:',
      '  gpt-held: { input: 1, output: 1000 }',
      'agents:',
      '  payer: { budget: { max_cost_per_hour: 0.5 } }',
    ].join('\n'),
  });
  defer(() => gw.stop());
  return { main, failing, gw };
}

interface Status {
  gateway: { heldUsd: number };
  agents: { id: string; heldUsd: number }[];
}

async function heldNow(gw: TestGateway): Promise<{ total: number; payer: number }> {
  const s = (await (await fetch(`${gw.url}/api/status`)).json()) as Status;
  return { total: s.gateway.heldUsd, payer: s.agents.find((a) => a.id === 'payer')?.heldUsd ?? 0 };
}

/** Waits for the request's row (written after settlement), then reads the held money. */
async function heldAfter(gw: TestGateway, rows: number): Promise<{ total: number; payer: number }> {
  await eventually(() => gw.rows().length >= rows);
  return heldNow(gw);
}

const messages = [{ role: 'user', content: 'Write about budgets.' }];
const chat = (gw: TestGateway, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> =>
  fetch(`${gw.url}/agents/payer/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-held', messages, ...body }), ...(signal ? { signal } : {}) });

describe('no hold outlives its request', () => {
  const outcomes: { name: string; scenario: Scenario; stream: boolean; model?: string; status: number; code: string | null }[] = [
    { name: 'upstream 5xx', scenario: { kind: 'error', status: 503 }, stream: false, status: 503, code: 'upstream_error' },
    { name: 'upstream 5xx on a stream', scenario: { kind: 'error', status: 500 }, stream: true, status: 500, code: 'upstream_error' },
    { name: 'reset mid-stream', scenario: { kind: 'reset_mid_stream', chunks: 6, afterFrames: 3 }, stream: true, status: 502, code: 'upstream_unreachable' },
    { name: 'fallback after a failing primary', scenario: { kind: 'text' }, stream: false, model: 'gpt-fallback', status: 200, code: null },
    { name: 'budget cut-off mid-stream', scenario: { kind: 'text', text: 'word '.repeat(3000), chunks: 100, usage: { input: 5, output: 3000 } }, stream: true, status: 429, code: 'budget_exceeded' },
    { name: 'usage of 1e300', scenario: { kind: 'text', usage: { input: 5, output: 8 }, usageWire: { completion_tokens: 1e300 } }, stream: false, status: 200, code: null },
    { name: 'usage of 1e300 on a stream', scenario: { kind: 'text', usage: { input: 5, output: 8 }, usageWire: { completion_tokens: 1e300 } }, stream: true, status: 200, code: null },
  ];

  it.each(outcomes)('$name', async (o) => {
    const b = await bed();
    b.main.setScenario(o.scenario);
    const res = await chat(b.gw, { stream: o.stream, ...(o.model ? { model: o.model } : {}) });
    await res.arrayBuffer();
    const held = await heldAfter(b.gw, 1);
    expect(held).toEqual({ total: 0, payer: 0 });
    const row = b.gw.rows()[0]!;
    expect(row.status).toBe(o.status);
    expect(row.error_code).toBe(o.code);
    // Whatever the outcome, the row's cost is a real amount or NULL, never Infinity.
    expect(row.cost_usd === null || Number.isFinite(row.cost_usd)).toBe(true);
    // The agent still gets in afterwards (nothing is left held against its budget), unless it spent it.
    if (o.code === 'budget_exceeded') return;
    b.main.setScenario({ kind: 'text', usage: { input: 5, output: 5 } });
    expect((await postJson(`${b.gw.url}/agents/payer/v1/chat/completions`, { model: 'gpt-held', messages, max_tokens: 5 })).status).toBe(200);
  });

  it('a client that leaves mid-stream', async () => {
    const b = await bed();
    b.main.setScenario({ kind: 'text', chunks: 20, delayMs: 100 });
    const abort = new AbortController();
    const res = await chat(b.gw, { stream: true, max_tokens: 100 }, abort.signal);
    const reader = res.body!.getReader();
    await reader.read();
    // Held while it runs: 100 output tokens at $0.001, plus the input bound at $1 per 1M tokens.
    expect((await heldNow(b.gw)).payer).toBeGreaterThan(0.1);
    abort.abort();
    await reader.closed.catch(() => undefined);
    expect(await heldAfter(b.gw, 1)).toEqual({ total: 0, payer: 0 });
    expect(b.gw.rows()[0]).toMatchObject({ status: 499, error_code: 'client_closed' });
  });

  it('many concurrent requests with mixed endings leave nothing held', async () => {
    const b = await bed();
    const mix: Scenario[] = [
      { kind: 'text', usage: { input: 5, output: 3 } },
      { kind: 'error', status: 500 },
      { kind: 'reset_mid_stream', afterFrames: 2 },
      { kind: 'text', usage: { input: 5, output: 3 }, usageWire: { prompt_tokens: -3 } },
      { kind: 'malformed_json', afterFrames: 2 },
    ];
    b.main.queueScenarios(...Array.from({ length: 30 }, (_, i) => mix[i % mix.length]!));
    await Promise.all(Array.from({ length: 30 }, async (_, i) => (await chat(b.gw, { stream: i % 2 === 0, max_tokens: 5 })).arrayBuffer()));
    expect(await heldAfter(b.gw, 30)).toEqual({ total: 0, payer: 0 });
  });
});
