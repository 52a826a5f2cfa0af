/**
 * Retries, fallbacks and key pools through a real gateway on 127.0.0.1 against the fake providers, with the
 * official SDKs as clients (their own retries off). The fakes fail the first attempts with a chosen status and
 * Retry-After, then answer; the gateway's backoff is made tiny by config, so nothing waits long. The client never
 * sees a 429 while a fallback or a spare key exists, the audit row names the provider that answered and its
 * attempts, the answer is billed once and no budget hold outlives its request.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/providers/key-pool.js';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const POOL = ['sk-pool-first-Xq7Lm2Np9Rt4', 'sk-pool-second-Vb3Kc8Hd1Wf6'];
const ANTHROPIC_GOOD = 'sk-ant-pool-good-Jy5Ue2Oa7Si0';
const ANTHROPIC_REVOKED = 'sk-ant-pool-revoked-Gt4Fr9De3Sw1';
/** 10 input and 5 output tokens at $1 and $2 per 1M tokens. */
const ONE_ANSWER_USD = 10e-6 + 10e-6;
const USAGE = { input: 10, output: 5 };

let openai: FakeUpstream;
let spare: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  openai = await startFakeOpenAI();
  spare = await startFakeOpenAI();
  anthropic = await startFakeAnthropic({ apiKey: ANTHROPIC_GOOD });
  gw = await startTestGateway({
    env: { POOL_1: POOL[0]!, POOL_2: POOL[1]!, GOOD: ANTHROPIC_GOOD, REVOKED: ANTHROPIC_REVOKED },
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      // Tiny waits: the behaviour is the same as with the defaults, only faster.
      '  retries: { max_attempts: 3, backoff: 2ms, max_backoff: 10ms, max_retry_after: 2s }',
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-single-provider-key-001 }`,
      `  pool: { type: openai, base_url: ${spare.baseURL}, api_keys: ["\${POOL_1}", "\${POOL_2}"], max_attempts: 1 }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_keys: ["\${REVOKED}", "\${GOOD}"] }`,
      `  fallback: { type: anthropic, base_url: ${anthropic.url}, api_key: "\${GOOD}" }`,
      'models:',
      '  "gpt-fb": { provider: fo, model: gpt-4o-mini, fallbacks: [{ provider: fallback, model: claude-haiku-4-5 }] }',
      '  "gpt-pool": { provider: pool, model: gpt-4o-mini }',
      '  "gpt-*": fo',
      '  "claude-*": fa',
      'prices:',
      '  gpt-4o-mini: { input: 1, output: 2 }',
      '  claude-haiku-4-5: { input: 1, output: 2 }',
      'agents:',
      '  payer: { budget: { max_cost_per_hour: 5 } }',
    ].join('\n'),
  });
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([openai?.close(), spare?.close(), anthropic?.close()]);
});

beforeEach(() => {
  for (const fake of [openai, spare, anthropic]) {
    fake.reset();
    fake.setScenario({ kind: 'text', text: 'fine', usage: USAGE });
  }
});

const openaiClient = () => new OpenAI({ baseURL: `${gw.url}/agents/payer/v1`, apiKey: 'sk-client', maxRetries: 0 });
const ask = (model: string) => openaiClient().chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

/** The newest audit row, once `count` rows are written. */
async function lastRow(count: number): Promise<Record<string, unknown>> {
  await eventually(() => gw.rows().length >= count);
  return gw.rows()[count - 1]!;
}

async function heldNow(): Promise<number> {
  const s = (await (await fetch(`${gw.url}/api/status`)).json()) as { gateway: { heldUsd: number } };
  return s.gateway.heldUsd;
}

describe('retries through a real gateway', () => {
  it('answers after two 5xx: one row with 3 attempts, billed once, nothing left held, a log line per retry', async () => {
    const before = gw.rows().length;
    openai.queueScenarios({ kind: 'error', status: 503 }, { kind: 'error', status: 502 });
    const answer = await ask('gpt-4o-mini');
    expect(answer.choices[0]!.message.content).toBe('fine');
    expect(openai.requests).toHaveLength(3);
    const row = await lastRow(before + 1);
    expect(row).toMatchObject({ status: 200, provider: 'fo', fallback_from: null, attempts: 3 });
    expect(row.cost_usd).toBeCloseTo(ONE_ANSWER_USD, 12);
    expect(await heldNow()).toBe(0);
    const retries = gw.logs.filter((l) => l.includes('provider fo answered 50'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain('attempt 1/3');
    expect(retries[1]).toContain('attempt 2/3');
  });

  it('retries a connection the provider reset before answering', async () => {
    const before = gw.rows().length;
    openai.queueScenarios({ kind: 'reset_before' });
    expect((await ask('gpt-4o-mini')).choices[0]!.message.content).toBe('fine');
    expect(await lastRow(before + 1)).toMatchObject({ status: 200, provider: 'fo', attempts: 2 });
    expect(gw.logs.some((l) => /provider fo failed \((ECONNRESET|UND_ERR_SOCKET)\); retrying \(attempt 1\/3/.test(l))).toBe(true);
  });

  it('waits out a short retry-after-ms and retries a stream before its first byte', async () => {
    const before = gw.rows().length;
    openai.queueScenarios({ kind: 'error', status: 429, retryAfterMs: 30 });
    const stream = await openaiClient().chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('fine');
    expect(await lastRow(before + 1)).toMatchObject({ status: 200, stream: 1, attempts: 2 });
    expect(gw.logs.some((l) => l.includes('provider fo answered 429; retrying (attempt 1/3, waiting 30 ms)'))).toBe(true);
  });

  it('sends a 429 whose Retry-After is past the cap to the fallback: the client never sees it; row and dashboard name the fallback', async () => {
    const before = gw.rows().length;
    openai.queueScenarios({ kind: 'error', status: 429, retryAfter: 120 });
    const answer = await ask('gpt-fb');
    expect(answer.choices[0]!.message.content).toBe('fine');
    expect(openai.requests).toHaveLength(1);
    const row = await lastRow(before + 1);
    expect(row).toMatchObject({ status: 200, provider: 'fallback', fallback_from: 'fo', attempts: 2 });
    expect(row.cost_usd).toBeCloseTo(ONE_ANSWER_USD, 12);
    expect(await heldNow()).toBe(0);
    await eventually(() => gw.gateway.dashboard.snapshot().recent.some((e) => e.id === row.id));
    expect(gw.gateway.dashboard.snapshot().recent.find((e) => e.id === row.id)).toMatchObject({ provider: 'fallback', fallbackFrom: 'fo', attempts: 2 });
  });

  it('answers the 429 with its Retry-After when the retries are spent and there is no fallback', async () => {
    const before = gw.rows().length;
    // retry-after-ms 20 is waited out each time; the client is told the whole second it rounds up to.
    openai.setScenario({ kind: 'error', status: 429, retryAfterMs: 20 });
    const failure = await ask('gpt-4o-mini').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    expect((failure as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('1');
    expect(openai.requests).toHaveLength(3);
    expect(await lastRow(before + 1)).toMatchObject({ status: 429, provider: 'fo', attempts: 3 });
    expect(await heldNow()).toBe(0);
  });
}, 30_000);

describe('key pools through a real gateway', () => {
  it('hands a rate-limited key’s request to the spare key at once; the resting key sits out the next request', async () => {
    const before = gw.rows().length;
    spare.queueScenarios({ kind: 'error', status: 429, retryAfter: 60 });
    expect((await ask('gpt-pool')).choices[0]!.message.content).toBe('fine');
    expect((await ask('gpt-pool')).choices[0]!.message.content).toBe('fine');
    expect(spare.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${POOL[0]}`, `Bearer ${POOL[1]}`, `Bearer ${POOL[1]}`]);
    expect(await lastRow(before + 2)).toMatchObject({ status: 200, provider: 'pool', attempts: 1 });
    expect(gw.rows()[before]).toMatchObject({ status: 200, provider: 'pool', attempts: 2 });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(`ai_gateway_provider_key_requests_total{provider="pool",key="${keyFingerprint(POOL[0]!)}",outcome="rate_limited"} 1`);
    expect(metrics).toContain(`ai_gateway_provider_key_requests_total{provider="pool",key="${keyFingerprint(POOL[1]!)}",outcome="ok"} 2`);
    expect(metrics).toContain(`ai_gateway_provider_key_state{provider="pool",key="${keyFingerprint(POOL[0]!)}"} 1`);
    expect(metrics).toContain(`ai_gateway_provider_key_state{provider="pool",key="${keyFingerprint(POOL[1]!)}"} 0`);
  });

  it('answers 429 only once every key rests, with Retry-After until the first wakes', async () => {
    // The first key still rests from the test before (60 s); the second now gets 45 s.
    spare.queueScenarios({ kind: 'error', status: 429, retryAfter: 45 });
    const failure = await ask('gpt-pool').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    const retryAfter = Number((failure as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(44);
    expect(retryAfter).toBeLessThanOrEqual(45);
    expect(spare.requests).toHaveLength(1);
  });

  it('takes a key the upstream refuses out with one loud log line that names its fingerprint, never the key', async () => {
    const before = gw.rows().length;
    const client = new Anthropic({ baseURL: `${gw.url}/agents/payer`, apiKey: 'sk-ant-client', maxRetries: 0 });
    for (let i = 0; i < 3; i++) {
      const answer = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.content[0]).toMatchObject({ type: 'text', text: 'fine' });
    }
    expect(anthropic.requests.map((r) => r.headers['x-api-key'])).toEqual([ANTHROPIC_REVOKED, ANTHROPIC_GOOD, ANTHROPIC_GOOD, ANTHROPIC_GOOD]);
    expect(await lastRow(before + 3)).toMatchObject({ status: 200, provider: 'fa', attempts: 1 });
    expect(gw.rows()[before]).toMatchObject({ status: 200, attempts: 2 });
    const loud = gw.logs.filter((l) => l.includes('refused key'));
    expect(loud).toHaveLength(1);
    expect(loud[0]).toContain(`provider fa refused key ${keyFingerprint(ANTHROPIC_REVOKED)} (HTTP 401)`);
    expect(loud[0]).toContain('"level":"error"');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(`ai_gateway_provider_key_state{provider="fa",key="${keyFingerprint(ANTHROPIC_REVOKED)}"} 2`);
    for (const key of [...POOL, ANTHROPIC_GOOD, ANTHROPIC_REVOKED]) {
      expect(gw.logs.join('\n')).not.toContain(key);
      expect(metrics).not.toContain(key);
    }
  });
});
