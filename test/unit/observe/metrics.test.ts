import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics, LabelCap, OTHER, type GaugeReadings, type RequestObservation } from '../../../src/observe/metrics.js';
import { labelValues, parsePrometheusText, sampleValue, samplesOf } from './prom-text.js';

const NO_TOKENS = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

function obs(over: Partial<RequestObservation>): RequestObservation {
  return {
    agent: 'a',
    provider: 'p',
    model: 'm',
    status: 200,
    durationSeconds: 0.2,
    ttfbSeconds: 0.05,
    tokens: NO_TOKENS,
    costUsd: null,
    streamEvents: 0,
    ...over,
  };
}

async function scrape(m: GatewayMetrics) {
  return parsePrometheusText(await m.render());
}

describe('LabelCap', () => {
  it('keeps the first N values, folds later ones into other, and remembers what it kept', () => {
    const cap = new LabelCap(2);
    expect(['x', 'y', 'z', 'x', 'y', 'w'].map((v) => cap.fold(v))).toEqual(['x', 'y', OTHER, 'x', 'y', OTHER]);
  });
});

describe('GatewayMetrics', () => {
  it('counts requests, tokens by kind, cost and stream events with exact values', async () => {
    const m = new GatewayMetrics({ maxLabelValues: 10, collectDefaults: false });
    m.requestFinished(obs({ tokens: { input: 100, output: 50, cacheRead: 40, cacheWrite: 7, reasoning: 3 }, costUsd: 0.5, streamEvents: 6 }));
    m.requestFinished(obs({ tokens: { ...NO_TOKENS, input: 1, output: 2 }, costUsd: 0.25, streamEvents: 0 }));
    m.requestFinished(obs({ status: 429, provider: 'none', ttfbSeconds: undefined, costUsd: null }));
    const f = await scrape(m);
    expect(sampleValue(f, 'ai_gateway_requests_total', { agent: 'a', provider: 'p', model: 'm', status: '200' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_requests_total', { agent: 'a', provider: 'none', model: 'm', status: '429' })).toBe(1);
    const tokens = (kind: string) => sampleValue(f, 'ai_gateway_tokens_total', { agent: 'a', model: 'm', kind });
    expect([tokens('input'), tokens('output'), tokens('cache_read'), tokens('cache_write'), tokens('reasoning')]).toEqual([101, 52, 40, 7, 3]);
    expect(sampleValue(f, 'ai_gateway_cost_usd_total', { agent: 'a', model: 'm' })).toBe(0.75);
    expect(sampleValue(f, 'ai_gateway_stream_events_total', { agent: 'a' })).toBe(6);
    expect(sampleValue(f, 'ai_gateway_request_duration_seconds_count', { agent: 'a', provider: 'p' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_request_duration_seconds_sum', { agent: 'a', provider: 'p' })).toBeCloseTo(0.4, 12);
    // A request refused before the upstream has no time to first byte.
    expect(sampleValue(f, 'ai_gateway_upstream_ttfb_seconds_count', { provider: 'p' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_upstream_ttfb_seconds_count', { provider: 'none' })).toBeUndefined();
  });

  it('counts each request once however often it is scraped, and what came between two scrapes in the second', async () => {
    const m = new GatewayMetrics({ maxLabelValues: 10, collectDefaults: false });
    const requests = (f: Awaited<ReturnType<typeof scrape>>) => sampleValue(f, 'ai_gateway_requests_total', { agent: 'a', provider: 'p', model: 'm', status: '200' });
    const input = (f: Awaited<ReturnType<typeof scrape>>) => sampleValue(f, 'ai_gateway_tokens_total', { agent: 'a', model: 'm', kind: 'input' });
    m.requestFinished(obs({ tokens: { ...NO_TOKENS, input: 3 }, costUsd: 0.5 }));
    const first = await scrape(m);
    expect([requests(first), input(first)]).toEqual([1, 3]);
    const again = await scrape(m);
    expect([requests(again), input(again)]).toEqual([1, 3]);
    m.requestFinished(obs({ tokens: { ...NO_TOKENS, input: 4 }, costUsd: 0.25 }));
    m.requestFinished(obs({ status: 502, tokens: { ...NO_TOKENS, input: Number.NaN } }));
    const later = await scrape(m);
    expect([requests(later), input(later)]).toEqual([2, 7]);
    expect(sampleValue(later, 'ai_gateway_requests_total', { agent: 'a', provider: 'p', model: 'm', status: '502' })).toBe(1);
    expect(sampleValue(later, 'ai_gateway_cost_usd_total', { agent: 'a', model: 'm' })).toBe(0.75);
  });

  it('does not invent zero series for token kinds or cost that did not occur', async () => {
    const m = new GatewayMetrics({ maxLabelValues: 10, collectDefaults: false });
    m.requestFinished(obs({ tokens: { ...NO_TOKENS, output: 5 } }));
    const f = await scrape(m);
    expect(labelValues(f, 'ai_gateway_tokens_total', 'kind')).toEqual(['output']);
    expect(samplesOf(f, 'ai_gateway_cost_usd_total')).toEqual([]);
  });

  it('uses buckets that span milliseconds to minutes for durations and time to first byte', async () => {
    const m = new GatewayMetrics({ maxLabelValues: 10, collectDefaults: false });
    m.requestFinished(obs({ durationSeconds: 0.003, ttfbSeconds: 240 }));
    const f = await scrape(m);
    for (const name of ['ai_gateway_request_duration_seconds_bucket', 'ai_gateway_upstream_ttfb_seconds_bucket']) {
      const les = samplesOf(f, name).map((s) => s.labels.le);
      expect(les[0]).toBe('0.005');
      expect(les).toContain('60');
      expect(les).toContain('300');
      expect(les.at(-1)).toBe('+Inf');
    }
    expect(sampleValue(f, 'ai_gateway_request_duration_seconds_bucket', { agent: 'a', provider: 'p', le: '0.005' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_upstream_ttfb_seconds_bucket', { provider: 'p', le: '120' })).toBe(0);
    expect(sampleValue(f, 'ai_gateway_upstream_ttfb_seconds_bucket', { provider: 'p', le: '300' })).toBe(1);
  });

  it('folds agents and models past max_label_values into other, each label on its own cap', async () => {
    const m = new GatewayMetrics({ maxLabelValues: 2, collectDefaults: false });
    m.requestFinished(obs({ agent: 'a1', model: 'm1', tokens: { ...NO_TOKENS, input: 1 } }));
    m.requestFinished(obs({ agent: 'a2', model: 'm1', tokens: { ...NO_TOKENS, input: 2 } }));
    m.requestFinished(obs({ agent: 'a3', model: 'm2', tokens: { ...NO_TOKENS, input: 4 } }));
    m.requestFinished(obs({ agent: 'a4', model: 'm3', tokens: { ...NO_TOKENS, input: 8 } }));
    m.requestFinished(obs({ agent: 'a1', model: 'm4', tokens: { ...NO_TOKENS, input: 16 } }));
    m.rateLimitHit('a5');
    m.rateLimitHit('a2');
    const f = await scrape(m);
    expect(labelValues(f, 'ai_gateway_requests_total', 'agent')).toEqual(['a1', 'a2', OTHER]);
    expect(labelValues(f, 'ai_gateway_requests_total', 'model')).toEqual(['m1', 'm2', OTHER]);
    expect(sampleValue(f, 'ai_gateway_tokens_total', { agent: OTHER, model: 'm2', kind: 'input' })).toBe(4);
    expect(sampleValue(f, 'ai_gateway_tokens_total', { agent: OTHER, model: OTHER, kind: 'input' })).toBe(8);
    expect(sampleValue(f, 'ai_gateway_tokens_total', { agent: 'a1', model: OTHER, kind: 'input' })).toBe(16);
    expect(sampleValue(f, 'ai_gateway_rate_limited_total', { agent: OTHER })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_rate_limited_total', { agent: 'a2' })).toBe(1);
    expect(m.agentLabel('a9')).toBe(OTHER);
    expect(m.agentLabel('a2')).toBe('a2');
  });

  it('reads budget gauges when scraped, per window, but not for agents folded into other', async () => {
    let budgets: GaugeReadings['budgets'] = [
      { agent: 'a', window: 'daily', remainingUsd: 4.5 },
      { agent: 'a', window: 'hourly', remainingUsd: 1 },
      { agent: 'b', window: 'daily', remainingUsd: 99 },
    ];
    const m = new GatewayMetrics({ maxLabelValues: 1, collectDefaults: false, gauges: () => ({ budgets, breakers: [] }) });
    const series = async () => samplesOf(await scrape(m), 'ai_gateway_budget_remaining_usd').map((s) => [s.labels.agent, s.labels.window, s.value]);
    expect(await series()).toEqual([
      ['a', 'daily', 4.5],
      ['a', 'hourly', 1],
    ]);
    // The next scrape shows the state of its own moment: a changed value, and a window whose limit went away is gone.
    budgets = [{ agent: 'a', window: 'daily', remainingUsd: 4.25 }];
    expect(await series()).toEqual([['a', 'daily', 4.25]]);
  });

  it('never exports a budget that is not a finite number', async () => {
    const budgets: GaugeReadings['budgets'] = [
      { agent: 'nan', window: 'daily', remainingUsd: Number.NaN },
      { agent: 'inf', window: 'hourly', remainingUsd: Number.POSITIVE_INFINITY },
      { agent: 'ok', window: 'total', remainingUsd: 2 },
    ];
    const m = new GatewayMetrics({ maxLabelValues: 10, collectDefaults: false, gauges: () => ({ budgets, breakers: [] }) });
    const text = await m.render();
    expect(text).not.toMatch(/NaN|Inf\b/);
    expect(samplesOf(parsePrometheusText(text), 'ai_gateway_budget_remaining_usd').map((s) => [s.labels.agent, s.value])).toEqual([['ok', 2]]);
  });

  it('counts attempts per pooled key and outcome, and shows each key’s state when scraped, by fingerprint', async () => {
    const keys: GaugeReadings['keys'] = [
      { provider: 'openai', key: '3f2a9c0d11be', state: 'resting' },
      { provider: 'openai', key: '77aa01c2d3e4', state: 'removed' },
      { provider: 'openai', key: '0b1c2d3e4f5a', state: 'ready' },
    ];
    const m = new GatewayMetrics({ maxLabelValues: 5, collectDefaults: false, gauges: () => ({ budgets: [], breakers: [], keys }) });
    m.keyAttempt('openai', '3f2a9c0d11be', 'ok');
    m.keyAttempt('openai', '3f2a9c0d11be', 'ok');
    m.keyAttempt('openai', '3f2a9c0d11be', 'rate_limited');
    m.keyAttempt('openai', '77aa01c2d3e4', 'refused');
    const f = await scrape(m);
    expect(sampleValue(f, 'ai_gateway_provider_key_requests_total', { provider: 'openai', key: '3f2a9c0d11be', outcome: 'ok' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_provider_key_requests_total', { provider: 'openai', key: '3f2a9c0d11be', outcome: 'rate_limited' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_provider_key_requests_total', { provider: 'openai', key: '77aa01c2d3e4', outcome: 'refused' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_provider_key_state', { provider: 'openai', key: '3f2a9c0d11be' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_provider_key_state', { provider: 'openai', key: '77aa01c2d3e4' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_provider_key_state', { provider: 'openai', key: '0b1c2d3e4f5a' })).toBe(0);
  });

  it('shows whether shared state answers, and no series at all without shared state', async () => {
    let up = 1;
    const m = new GatewayMetrics({ maxLabelValues: 5, collectDefaults: false, sharedState: true, gauges: () => ({ budgets: [], breakers: [], sharedStateUp: up }) });
    expect(sampleValue(await scrape(m), 'ai_gateway_shared_state_up', {})).toBe(1);
    up = 0;
    expect(sampleValue(await scrape(m), 'ai_gateway_shared_state_up', {})).toBe(0);
    const alone = new GatewayMetrics({ maxLabelValues: 5, collectDefaults: false, gauges: () => ({ budgets: [], breakers: [] }) });
    expect(samplesOf(parsePrometheusText(await alone.render()), 'ai_gateway_shared_state_up')).toEqual([]);
  });

  it('reads the controls once per scrape for all its gauges, and afresh at the next scrape', async () => {
    let reads = 0;
    const m = new GatewayMetrics({
      maxLabelValues: 5,
      collectDefaults: false,
      sharedState: true,
      gauges: () => {
        reads++;
        return { budgets: [{ agent: 'a', window: 'daily', remainingUsd: reads }], breakers: [{ key: 'p', state: 'open' }], keys: [], sharedStateUp: 1 };
      },
    });
    expect(sampleValue(await scrape(m), 'ai_gateway_budget_remaining_usd', { agent: 'a', window: 'daily' })).toBe(1);
    expect(reads).toBe(1);
    expect(sampleValue(await scrape(m), 'ai_gateway_budget_remaining_usd', { agent: 'a', window: 'daily' })).toBe(2);
    expect(reads).toBe(2);
  });

  it('maps breaker states to 0/1/2 when scraped and tracks requests in flight', async () => {
    let breakers: GaugeReadings['breakers'] = [
      { key: 'openai', state: 'open' },
      { key: 'coder:anthropic', state: 'half_open' },
      { key: 'mock', state: 'open' },
    ];
    const m = new GatewayMetrics({ maxLabelValues: 5, collectDefaults: false, gauges: () => ({ budgets: [], breakers }) });
    m.requestStarted();
    m.requestStarted();
    m.requestEnded();
    expect(sampleValue(await scrape(m), 'ai_gateway_circuit_breaker_state', { key: 'mock' })).toBe(2);
    breakers = [
      { key: 'openai', state: 'open' },
      { key: 'coder:anthropic', state: 'half_open' },
      { key: 'mock', state: 'closed' },
    ];
    const f = await scrape(m);
    expect(sampleValue(f, 'ai_gateway_circuit_breaker_state', { key: 'openai' })).toBe(2);
    expect(sampleValue(f, 'ai_gateway_circuit_breaker_state', { key: 'coder:anthropic' })).toBe(1);
    expect(sampleValue(f, 'ai_gateway_circuit_breaker_state', { key: 'mock' })).toBe(0);
    expect(sampleValue(f, 'ai_gateway_in_flight_requests')).toBe(1);
  });

  it('keeps its own registry: process metrics are prefixed, and two instances do not collide', async () => {
    const a = new GatewayMetrics({ maxLabelValues: 5 });
    const b = new GatewayMetrics({ maxLabelValues: 5 });
    a.requestFinished(obs({}));
    const fa = await scrape(a);
    const fb = await scrape(b);
    expect(fa.has('ai_gateway_process_cpu_user_seconds_total')).toBe(true);
    expect(fa.has('ai_gateway_nodejs_eventloop_lag_seconds')).toBe(true);
    expect(fa.get('ai_gateway_requests_total')?.type).toBe('counter');
    expect(fa.get('ai_gateway_request_duration_seconds')?.type).toBe('histogram');
    expect(fa.get('ai_gateway_in_flight_requests')?.type).toBe('gauge');
    expect(samplesOf(fb, 'ai_gateway_requests_total')).toEqual([]);
    expect(await client.register.getSingleMetric('ai_gateway_requests_total')).toBeUndefined();
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('leaves process metrics out when asked to', async () => {
    const m = new GatewayMetrics({ maxLabelValues: 5, collectDefaults: false });
    const names = [...(await scrape(m)).keys()];
    expect(names.every((n) => n.startsWith('ai_gateway_'))).toBe(true);
    expect(names).not.toContain('ai_gateway_process_cpu_user_seconds_total');
  });
});
