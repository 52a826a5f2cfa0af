/**
 * A half-open breaker lets one probe through; its verdict must always come back. A probe whose whole (non-streamed)
 * body fails after a 200 status used to report nothing, so the breaker waited for the verdict forever and refused
 * every later request with circuit_open. The breaker's clock is faked; the network is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/clock.js';
import { startFakeOpenAI, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { chatBody, chatPath, send } from './bed.js';

class SteppedClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  monotonic(): number {
    return performance.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

const RESET_MS = 30_000;

describe('half-open probes always report back', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  const clock = new SteppedClock();
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      clock,
      yaml: [
        'gateway: { embedded_defaults: false }',
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-probe-0001, timeouts: { upstream: 2s, idle: 300ms } }`,
        'models: { "gpt-*": fo }',
        'agents:',
        '  p: { circuit_breaker: { error_threshold: 1, window: 60s, reset_timeout: 30s, half_open_requests: 1 } }',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw?.stop();
    await fake?.close();
  });

  const state = (): string | undefined => gw.gateway.controls.breakers.snapshot().find((b) => b.key === 'p:fo')?.state;
  const call = (scenario: Scenario | 'text') => send(gw.url, chatPath('openai', 'p'), { body: chatBody('openai', 'gpt-4o-mini', false, scenario) });

  it.each([
    ['a body reset after the headers', { kind: 'reset_mid_stream' } as Scenario, 502],
    ['a body that stalls', { kind: 'stall_body' } as Scenario, 504],
    ['a truncated JSON body', { kind: 'malformed_json' } as Scenario, 502],
  ])('%s: the failed probe re-opens the breaker instead of wedging it', async (_name, scenario, status) => {
    // Open it, then let the reset timeout pass: the next request is the one probe.
    expect((await call({ kind: 'error', status: 500 })).status).toBe(500);
    expect(state()).toBe('open');
    clock.advance(RESET_MS);
    expect(state()).toBe('half_open');

    expect((await call(scenario)).status).toBe(status);
    expect(state()).toBe('open');

    // After another reset timeout a good probe closes it again.
    clock.advance(RESET_MS);
    expect((await call('text')).status).toBe(200);
    expect(state()).toBe('closed');
  });

  it('a probe whose client leaves gives its slot back', async () => {
    expect((await call({ kind: 'error', status: 500 })).status).toBe(500);
    clock.advance(RESET_MS);
    const before = fake.requests.length;
    const controller = new AbortController();
    const pending = fetch(`${gw.url}${chatPath('openai', 'p')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chatBody('openai', 'gpt-4o-mini', false, { kind: 'stall_body' }),
      signal: controller.signal,
    }).then(async (r) => r.text());
    await fake.waitForRequests(before + 1);
    // Headers arrived and the body stalls; the client gives up while the gateway reads it.
    await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await expect(pending).rejects.toThrow();
    await fake.whenSettled(before);
    // Still half-open with its probe slot free: the next request is let through, and closes it.
    await new Promise((r) => setTimeout(r, 50));
    expect(state()).toBe('half_open');
    expect((await call('text')).status).toBe(200);
    expect(state()).toBe('closed');
  });
});
