/**
 * The forward step's retries, fallbacks and key pools with fake ports: scripted upstreams fail the first attempts,
 * the waits run on the fake clock (nothing sleeps), and each request still answers once, records one row with its
 * attempt count and the provider that answered, bills once and ends its budget hold once.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { fixtureBytes } from '../wire/helpers.js';
import { call, harness, openAIAnswer, type Exchange, type Harness } from './harness.js';

const ASK = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };
const FALLBACK = { ...ASK, model: 'gpt-fallback' };
const KEYS = ['sk-pool-first-0000000001', 'sk-pool-second-000000002'];
/** 10 input and 5 output tokens at $1 and $2 per 1M. */
const ONE_ANSWER_USD = 10e-6 + 10e-6;

const overloaded = (headers: Record<string, string> = {}) => ({ status: 503, headers, chunks: ['{"error":{"message":"overloaded","type":"server_error"}}'] });
const limited = (headers: Record<string, string> = {}) => ({ status: 429, headers, chunks: ['{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'] });
const ok = (text = 'hello') => ({ status: 200, chunks: [openAIAnswer(text)] });

/** Runs the request to its end, moving the fake clock over every wait it schedules; returns the waits, in ms. */
async function drive(h: Harness, x: Exchange): Promise<number[]> {
  const waits: number[] = [];
  let done = false;
  void x.done.then(() => (done = true));
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve));
    const next = h.timers.nextIn();
    if (next !== undefined) {
      waits.push(next);
      h.timers.advance(next);
    }
  }
  await x.done;
  return waits;
}

function onlyRow(h: Harness) {
  expect(h.records).toHaveLength(1);
  return h.records[0]!.row;
}

/** One budget hold, settled once with the cost of one answer. */
function billedOnce(h: Harness, usd: number): void {
  expect(h.controls.admissions).toHaveLength(1);
  const admission = h.controls.admissions[0]!;
  expect(admission.ends[0]).toBe('finish');
  expect(admission.counted).toBe('finish');
  expect(admission.finished?.costUsd).toBeCloseTo(usd, 12);
}

describe('retries', () => {
  it('retries a 503 with exponential backoff on the fake clock, then answers; one row with 3 attempts, billed once', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push(overloaded(), overloaded(), ok());
    const x = call(h, ASK);
    // Full jitter with random() = 0.5: half of 400 ms, then half of 800 ms.
    expect(await drive(h, x)).toEqual([200, 400]);
    expect(x.answer().status).toBe(200);
    expect(onlyRow(h)).toMatchObject({ status: 200, provider: 'openai', fallbackFrom: null, attempts: 3 });
    expect(h.controls.breakerEvents).toEqual(['openai:failure', 'openai:failure', 'openai:success']);
    billedOnce(h, ONE_ANSWER_USD);
    expect(h.logged).toContain('provider openai answered 503; retrying (attempt 1/3, waiting 200 ms)');
    expect(h.logged).toContain('provider openai answered 503; retrying (attempt 2/3, waiting 400 ms)');
  });

  it('waits exactly what Retry-After (seconds) or retry-after-ms asks instead of the backoff', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push(limited({ 'retry-after': '2' }), limited({ 'retry-after-ms': '750' }), ok());
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([2_000, 750]);
    expect(x.answer().status).toBe(200);
    expect(onlyRow(h)).toMatchObject({ attempts: 3 });
    // A rate limit says nothing of the provider's health.
    expect(h.controls.breakerEvents).toEqual(['openai:success', 'openai:success', 'openai:success']);
  });

  it('answers the last 429 with its Retry-After once the attempts are spent and no fallback exists', async () => {
    const h = harness();
    h.retry.maxAttempts = 2;
    h.providers.openai!.scripts.push(limited({ 'retry-after': '1' }), limited({ 'retry-after': '3' }));
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([1_000]);
    const answer = x.answer();
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('3');
    expect(onlyRow(h)).toMatchObject({ status: 429, provider: 'openai', attempts: 2 });
    billedOnce(h, 0);
  });

  it('never retries any other 4xx', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push({ status: 400, chunks: ['{"error":{"message":"bad","type":"invalid_request_error"}}'] });
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([]);
    expect(x.answer().status).toBe(400);
    expect(onlyRow(h)).toMatchObject({ attempts: 1 });
  });

  it('takes an upstream that says x-should-retry: false at its word', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push(overloaded({ 'x-should-retry': 'false' }));
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([]);
    expect(x.answer().status).toBe(503);
  });

  it('retries a reset connection, and sends a refused one straight to the fallback', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    const cause = (code: string) => Object.assign(new Error(code), { code });
    h.providers.openai!.scripts.push(
      new GatewayError('upstream_unreachable', 'provider openai is unreachable (ECONNRESET)', { cause: cause('ECONNRESET') }),
      new GatewayError('upstream_unreachable', 'provider openai is unreachable (ECONNREFUSED)', { cause: cause('ECONNREFUSED') }),
    );
    h.providers.backup!.scripts.push(ok('from backup'));
    const x = call(h, FALLBACK);
    expect(await drive(h, x)).toEqual([200]);
    expect(JSON.parse(x.answer().body).choices[0].message.content).toBe('from backup');
    expect(onlyRow(h)).toMatchObject({ provider: 'backup', fallbackFrom: 'openai', attempts: 3 });
    // Each failed attempt is one failure of the provider's breaker.
    expect(h.controls.breakerEvents).toEqual(['openai:failure', 'openai:failure', 'backup:success']);
  });

  it('retries a stream before its first byte and relays the answer that came', async () => {
    const h = harness();
    h.retry.maxAttempts = 2;
    h.providers.openai!.scripts.push(overloaded(), { status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: fixtureBytes('openai-text-usage').text.split(/(?<=\n\n)/) });
    const x = call(h, { ...ASK, stream: true });
    expect(await drive(h, x)).toEqual([200]);
    const answer = x.answer();
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('data: [DONE]');
    expect(onlyRow(h)).toMatchObject({ status: 200, stream: true, attempts: 2 });
    expect(h.controls.admissions[0]!.ends[0]).toBe('finish');
  });

  it('stops retrying when the client leaves during a wait: no further attempt, a 499 row, the hold ended once', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push(overloaded(), ok());
    const x = call(h, ASK);
    while (h.timers.pending === 0) await new Promise((resolve) => setImmediate(resolve));
    x.leave();
    await x.done;
    expect(h.timers.pending).toBe(0);
    expect(h.providers.openai!.sent).toHaveLength(1);
    expect(onlyRow(h)).toMatchObject({ status: 499, errorCode: 'client_closed', attempts: 1 });
    expect(h.controls.admissions).toHaveLength(1);
    expect(h.controls.admissions[0]!.counted).toBe('finish');
  });
});

describe('fallbacks', () => {
  it('never shows the client a 429 when a fallback exists: a Retry-After past the cap goes to the fallback at once', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push(limited({ 'retry-after': '120' }));
    h.providers.backup!.scripts.push(ok('from backup'));
    const x = call(h, FALLBACK);
    expect(await drive(h, x)).toEqual([]);
    expect(x.answer().status).toBe(200);
    expect(onlyRow(h)).toMatchObject({ status: 200, provider: 'backup', fallbackFrom: 'openai', attempts: 2 });
    billedOnce(h, ONE_ANSWER_USD);
  });

  it('falls back once the retries are spent', async () => {
    const h = harness();
    h.retry.maxAttempts = 2;
    h.providers.openai!.scripts.push(limited(), limited());
    h.providers.backup!.scripts.push(ok('from backup'));
    const x = call(h, FALLBACK);
    expect(await drive(h, x)).toEqual([200]);
    expect(x.answer().status).toBe(200);
    expect(onlyRow(h)).toMatchObject({ provider: 'backup', fallbackFrom: 'openai', attempts: 3 });
  });
});

describe('key pools', () => {
  it('spreads requests over the keys round-robin', async () => {
    const h = harness();
    h.keys.apply([{ name: 'openai', apiKeys: KEYS }]);
    for (let i = 0; i < 3; i++) {
      h.providers.openai!.scripts.push(ok());
      await drive(h, call(h, ASK));
    }
    expect(h.providers.openai!.sent.map((r) => r.key)).toEqual([KEYS[0], KEYS[1], KEYS[0]]);
  });

  it('hands a rate-limited key’s request to the next key at once, even with one attempt; the key rests for its Retry-After', async () => {
    const h = harness();
    h.keys.apply([{ name: 'openai', apiKeys: KEYS }]);
    h.providers.openai!.scripts.push(limited({ 'retry-after': '20' }), ok());
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([]);
    expect(x.answer().status).toBe(200);
    expect(h.providers.openai!.sent.map((r) => r.key)).toEqual([KEYS[0], KEYS[1]]);
    expect(onlyRow(h)).toMatchObject({ status: 200, provider: 'openai', attempts: 2 });
    billedOnce(h, ONE_ANSWER_USD);
    // While the first key rests, the second serves every request.
    h.providers.openai!.scripts.push(ok());
    await drive(h, call(h, ASK));
    expect(h.providers.openai!.sent[2]?.key).toBe(KEYS[1]);
    h.clock.advance(20_000);
    expect(h.keys.pool('openai')!.states().map((s) => s.state)).toEqual(['ready', 'ready']);
  });

  it('takes a refused key out and serves with the others', async () => {
    const h = harness();
    h.keys.apply([{ name: 'openai', apiKeys: KEYS }]);
    h.providers.openai!.scripts.push({ status: 401, chunks: ['{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}'] }, ok(), ok());
    const x = call(h, ASK);
    await drive(h, x);
    expect(x.answer().status).toBe(200);
    await drive(h, call(h, ASK));
    expect(h.providers.openai!.sent.map((r) => r.key)).toEqual([KEYS[0], KEYS[1], KEYS[1]]);
    expect(h.keys.pool('openai')!.states().map((s) => s.state)).toEqual(['removed', 'ready']);
  });

  it('answers 429 only when every key rests, with Retry-After until the first key wakes', async () => {
    const h = harness();
    h.retry.maxAttempts = 3;
    h.keys.apply([{ name: 'openai', apiKeys: KEYS }]);
    h.providers.openai!.scripts.push(limited({ 'retry-after': '50' }), limited({ 'retry-after': '40' }));
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([]);
    const answer = x.answer();
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('40');
    expect(JSON.parse(answer.body).error.message).toBe('every key of provider openai is rate limited; retry in 40s');
    expect(onlyRow(h)).toMatchObject({ status: 429, attempts: 2 });
    // The next request is answered without calling the provider, with the time left.
    h.clock.advance(15_000);
    const next = call(h, ASK);
    await drive(h, next);
    expect(next.answer().headers['retry-after']).toBe('25');
    expect(h.providers.openai!.sent).toHaveLength(2);
  });

  it('sends the request to the fallback when every key rests', async () => {
    const h = harness();
    h.keys.apply([{ name: 'openai', apiKeys: [KEYS[0]!] }]);
    h.providers.openai!.scripts.push(limited({ 'retry-after': '45' }));
    h.providers.backup!.scripts.push(ok('from backup'), ok('from backup'));
    const x = call(h, FALLBACK);
    await drive(h, x);
    expect(x.answer().status).toBe(200);
    expect(onlyRow(h)).toMatchObject({ provider: 'backup', fallbackFrom: 'openai', attempts: 2 });
    // The resting key is not even tried by the next request.
    const next = call(h, FALLBACK);
    await drive(h, next);
    expect(h.providers.openai!.sent).toHaveLength(1);
    expect(h.records[1]!.row).toMatchObject({ provider: 'backup', attempts: 1 });
  });

  it('sends side calls with the pool’s keys too: a 429 there rests the key, and every key resting refuses them', async () => {
    const h = harness();
    h.keys.apply([{ name: 'openai', apiKeys: KEYS }]);
    const limitedFor = (seconds: number) => ({ status: 429, headers: { 'retry-after': String(seconds) }, chunks: ['{"error":{"message":"Rate limit reached","type":"requests"}}'] });
    const embed = () => call(h, { model: 'gpt-test', input: 'x' }, { endpoint: 'embeddings', path: '/v1/embeddings', auditFormat: 'openai-embeddings' });
    h.providers.openai!.scripts.push(limitedFor(30), ok(), limitedFor(20));
    const first = embed();
    await drive(h, first);
    expect(first.answer().status).toBe(429);
    await drive(h, call(h, ASK));
    const second = embed();
    await drive(h, second);
    expect(second.answer().status).toBe(429);
    expect(h.providers.openai!.sent.map((r) => r.key)).toEqual([KEYS[0], KEYS[1], KEYS[1]]);
    // Both keys rest now: the next side call is refused without calling the provider, until the first wakes.
    const third = embed();
    await drive(h, third);
    expect(third.answer().status).toBe(429);
    expect(third.answer().headers['retry-after']).toBe('20');
    expect(h.providers.openai!.sent).toHaveLength(3);
    expect(h.records.map((r) => r.row.attempts)).toEqual([1, 1, 1, 0]);
  });

  it('waits for a single resting key when its Retry-After is within the cap', async () => {
    const h = harness();
    h.retry.maxAttempts = 2;
    h.keys.apply([{ name: 'openai', apiKeys: [KEYS[0]!] }]);
    h.providers.openai!.scripts.push(limited({ 'retry-after': '3' }), ok());
    const x = call(h, ASK);
    expect(await drive(h, x)).toEqual([3_000]);
    expect(x.answer().status).toBe(200);
    expect(onlyRow(h)).toMatchObject({ attempts: 2 });
  });
});
