/**
 * /metrics as a Prometheus server reads it: parsed with a strict exposition parser, and every value checked
 * against the requests the test sent and the usage the fake upstream reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { labelValues, parsePrometheusText, sampleValue, samplesOf, type Family } from '../unit/observe/prom-text.js';

const PROVIDER_KEY = 'sk-metrics-provider-key-0001';

async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
  return parsePrometheusText(await res.text());
}

interface Sent {
  status: number;
  body: string;
}

async function chat(url: string, agent: string, model: string, extra: Record<string, unknown> = {}): Promise<Sent> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
  return { status: res.status, body: await res.text() };
}

describe('/metrics after known traffic', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: ${PROVIDER_KEY} }`,
        'models:',
        '  "gpt-*": fo',
        'prices:',
        '  gpt-metered: { input: 2, output: 10, cache_read: 0.5 }',
        'agents:',
        '  alice: { budget: { max_cost_per_day: 1 } }',
        '  limited: { rate_limit: 1/min }',
        '  flaky: { circuit_breaker: { error_threshold: 2, window: 60s, reset_timeout: 30s } }',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  it('moves counts, tokens, cost, rate limits, breaker state and histograms by exactly what happened', async () => {
    // alice: one plain and one streamed request, with the usage the fake reports.
    fake.queueScenarios({ kind: 'text', usage: { input: 100, output: 50, cacheRead: 40 } });
    expect((await chat(gw.url, 'alice', 'gpt-metered')).status).toBe(200);
    fake.queueScenarios({ kind: 'text', chunks: 4, usage: { input: 10, output: 20 } });
    const streamed = await chat(gw.url, 'alice', 'gpt-metered', { stream: true, stream_options: { include_usage: true } });
    expect(streamed.status).toBe(200);
    expect(streamed.body).toContain('data: [DONE]');

    // limited: 1/min, so the second request is refused before any upstream call.
    expect((await chat(gw.url, 'limited', 'gpt-metered')).status).toBe(200);
    expect((await chat(gw.url, 'limited', 'gpt-metered')).status).toBe(429);

    // flaky: two upstream 500s open its own breaker; the third request never reaches the upstream.
    fake.queueScenarios({ kind: 'error', status: 500 }, { kind: 'error', status: 500 });
    expect((await chat(gw.url, 'flaky', 'gpt-metered')).status).toBe(500);
    expect((await chat(gw.url, 'flaky', 'gpt-metered')).status).toBe(500);
    const upstreamCalls = fake.requests.length;
    expect((await chat(gw.url, 'flaky', 'gpt-metered')).status).toBe(503);
    expect(fake.requests.length).toBe(upstreamCalls);

    // An unpriced model: counted, tokens counted, no cost series.
    expect((await chat(gw.url, 'bob', 'gpt-unpriced')).status).toBe(200);

    const f = await scrape(gw.url);
    const requests = (agent: string, provider: string, model: string, status: string) =>
      sampleValue(f, 'ai_gateway_requests_total', { agent, provider, model, status });
    expect(requests('alice', 'fo', 'gpt-metered', '200')).toBe(2);
    expect(requests('limited', 'fo', 'gpt-metered', '200')).toBe(1);
    expect(requests('limited', 'none', 'gpt-metered', '429')).toBe(1);
    // An upstream error is counted against the provider that answered; a breaker refusal contacted none.
    expect(requests('flaky', 'fo', 'gpt-metered', '500')).toBe(2);
    expect(requests('flaky', 'none', 'gpt-metered', '503')).toBe(1);
    expect(requests('bob', 'fo', 'gpt-unpriced', '200')).toBe(1);
    expect(f.get('ai_gateway_requests_total')?.samples.reduce((sum, s) => sum + s.value, 0)).toBe(8);

    // Tokens: 100 + 10 uncached input, 40 cache reads, 50 + 20 output (the fake's default usage is 12 in / 8 out).
    const tokens = (agent: string, model: string, kind: string) => sampleValue(f, 'ai_gateway_tokens_total', { agent, model, kind });
    expect(tokens('alice', 'gpt-metered', 'input')).toBe(110);
    expect(tokens('alice', 'gpt-metered', 'cache_read')).toBe(40);
    expect(tokens('alice', 'gpt-metered', 'output')).toBe(70);
    expect(tokens('alice', 'gpt-metered', 'cache_write')).toBeUndefined();
    expect(tokens('bob', 'gpt-unpriced', 'input')).toBe(12);
    expect(tokens('bob', 'gpt-unpriced', 'output')).toBe(8);
    expect(tokens('flaky', 'gpt-metered', 'input')).toBeUndefined();

    // Cost: (100·2 + 40·0.5 + 50·10) / 1e6 = 0.00072, plus (10·2 + 20·10) / 1e6 = 0.00022.
    expect(sampleValue(f, 'ai_gateway_cost_usd_total', { agent: 'alice', model: 'gpt-metered' })).toBeCloseTo(0.00094, 15);
    expect(sampleValue(f, 'ai_gateway_cost_usd_total', { agent: 'limited', model: 'gpt-metered' })).toBeCloseTo((12 * 2 + 8 * 10) / 1e6, 15);
    expect(labelValues(f, 'ai_gateway_cost_usd_total', 'agent')).toEqual(['alice', 'limited']);
    // The audit agrees with the metric, row by row.
    const aliceRows = gw.rows().filter((r) => r.agent === 'alice');
    expect(aliceRows.map((r) => r.cost_usd)).toEqual([0.00072, 0.00022].map((v) => expect.closeTo(v, 15)));

    expect(sampleValue(f, 'ai_gateway_rate_limited_total', { agent: 'limited' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_circuit_breaker_state', { key: 'flaky:fo' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_in_flight_requests')).toBe(0);

    // Histograms: one duration per request that reached a provider; time to first byte only for answered ones.
    expect(sampleValue(f, 'ai_gateway_request_duration_seconds_count', { agent: 'alice', provider: 'fo' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_request_duration_seconds_count', { agent: 'limited', provider: 'none' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_upstream_ttfb_seconds_count', { provider: 'fo' })).toBe(4);
    expect(sampleValue(f, 'ai_gateway_upstream_ttfb_seconds_bucket', { provider: 'fo', le: '+Inf' })).toBe(4);

    // Only the streamed request read stream events: start, four text deltas, finish (with usage) at least.
    expect(labelValues(f, 'ai_gateway_stream_events_total', 'agent')).toEqual(['alice']);
    expect(sampleValue(f, 'ai_gateway_stream_events_total', { agent: 'alice' })).toBeGreaterThanOrEqual(6);

    // Process defaults, on the same registry.
    expect(f.get('ai_gateway_process_resident_memory_bytes')?.type).toBe('gauge');
    expect(f.get('ai_gateway_nodejs_heap_size_used_bytes')?.type).toBe('gauge');
  });

  it('reports what is left of a budget as of the scrape, with no wait for a timer', async () => {
    const f = await scrape(gw.url);
    expect(sampleValue(f, 'ai_gateway_budget_remaining_usd', { agent: 'alice', window: 'daily' })).toBeCloseTo(1 - 0.00094, 12);
    // Windows without a limit have no series.
    expect(sampleValue(f, 'ai_gateway_budget_remaining_usd', { agent: 'alice', window: 'hourly' })).toBeUndefined();
    expect(labelValues(f, 'ai_gateway_budget_remaining_usd', 'agent')).toEqual(['alice']);
    // A breaker that exists is shown in whatever state it is in, closed ones included.
    expect(sampleValue(f, 'ai_gateway_circuit_breaker_state', { key: 'fo' })).toBe(0);
  });

  it('never shows a provider key', async () => {
    const res = await fetch(`${gw.url}/metrics`);
    expect(await res.text()).not.toContain(PROVIDER_KEY);
  });
});

describe('/metrics right after start', () => {
  it('already has every budget gauge, read when scraped', async () => {
    const gw = await startTestGateway({
      yaml: [
        'providers:',
        '  fo: { type: openai, base_url: http://127.0.0.1:9/v1, api_key: sk-x }',
        'agents:',
        '  alice: { budget: { max_cost_per_day: 1, max_cost_per_hour: 0.25 } }',
        '  bob: { budget: { max_cost_total: 7 } }',
      ].join('\n'),
    });
    try {
      const f = await scrape(gw.url);
      expect(samplesOf(f, 'ai_gateway_budget_remaining_usd').map((s) => [s.labels.agent, s.labels.window, s.value])).toEqual([
        ['alice', 'hourly', 0.25],
        ['alice', 'daily', 1],
        ['bob', 'total', 7],
      ]);
    } finally {
      await gw.stop();
    }
  });
});

describe('metrics.max_label_values', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        'models:',
        '  "gpt-*": fo',
        'metrics:',
        '  max_label_values: 2',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  it('folds the third and later agents and models into other', async () => {
    const calls: [string, string][] = [
      ['a1', 'gpt-m1'],
      ['a2', 'gpt-m2'],
      ['a3', 'gpt-m3'],
      ['a4', 'gpt-m1'],
      ['a1', 'gpt-m4'],
    ];
    for (const [agent, model] of calls) expect((await chat(gw.url, agent, model)).status).toBe(200);
    const f = await scrape(gw.url);
    expect(labelValues(f, 'ai_gateway_requests_total', 'agent')).toEqual(['a1', 'a2', 'other']);
    expect(labelValues(f, 'ai_gateway_requests_total', 'model')).toEqual(['gpt-m1', 'gpt-m2', 'other']);
    const requests = (agent: string, model: string) => sampleValue(f, 'ai_gateway_requests_total', { agent, provider: 'fo', model, status: '200' });
    expect(requests('other', 'other')).toBe(1); // a3 / gpt-m3
    expect(requests('other', 'gpt-m1')).toBe(1); // a4
    expect(requests('a1', 'other')).toBe(1); // gpt-m4
    expect(sampleValue(f, 'ai_gateway_tokens_total', { agent: 'other', model: 'other', kind: 'input' })).toBe(12);
    // The audit keeps the real names; only the metric labels are folded.
    expect(gw.rows().map((r) => r.agent)).toEqual(['a1', 'a2', 'a3', 'a4', 'a1']);
  });
});
