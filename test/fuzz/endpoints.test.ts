/**
 * Fuzzes every endpoint of a real gateway (in this process, fakes behind it that only ever answer 200 or a 4xx)
 * with generated bodies and headers. Properties: no 5xx (so any 5xx is the gateway's own), errors in the client's
 * own format, clean streams, no handler failure in the log, no unhandled rejection or exception.
 * Runs per property: FUZZ_RUNS (300 in CI; `npm run fuzz` runs ≥ 10 000 cases in all). FUZZ_SEED replays a run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { isAnthropicError, isObject, isOpenAIError, parseJson, send, sseFrames, type RawResponse } from '../faults/bed.js';
import { agentSegment, bodyOf, chatBody, embeddingsBody, headers, messagesBody, responsesBody } from './arbitraries.js';

const RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 300) || 300);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const REQUEST_TIMEOUT_MS = 10_000;

type ErrorShape = 'openai' | 'anthropic';

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const crashes: string[] = [];
const onRejection = (reason: unknown): void => {
  crashes.push(`unhandledRejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
};
const onException = (err: Error): void => {
  crashes.push(`uncaughtException: ${err.stack ?? err.message}`);
};

/** The error frame the gateway ends a stream with when the agent's budget runs out mid-stream. */
function budgetCutOff(data: unknown): boolean {
  return JSON.stringify(data).includes('budget exhausted while streaming');
}

describe('fuzzing every endpoint', () => {
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    // Fakes that never fail on purpose: any 5xx the client sees is the gateway's own.
    openai = await startFakeOpenAI({ recordResponses: false });
    anthropic = await startFakeAnthropic({ recordResponses: false });
    gw = await startTestGateway({
      yaml: [
        'gateway: { embedded_defaults: false, max_body: 256kb }',
        'providers:',
        `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-fuzz-openai-0001 }`,
        `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-fuzz-0001 }`,
        'models:',
        '  "gpt-*": fo',
        '  "o3-*": fo',
        '  "text-embedding-*": fo',
        '  "claude-*": fa',
        '  fast: { provider: fa, model: claude-haiku-4-5, fallbacks: [fo] }',
        'agents:',
        '  a0: { keys: [vk-fuzz-agent-0001], model: gpt-4o-mini }',
        '  fuzz: { provider: fa, rate_limit: 1000/min }',
        '  budgeted: { budget: { max_cost_per_hour: 0.00001 } }',
        'policies:',
        '  - { name: noisy, condition: "error_count > 1000000", action: alert }',
      ].join('\n'),
    });
  });

  afterAll(async () => {
    await gw?.stop();
    await openai?.close();
    await anthropic?.close();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });

  async function exchange(r: FuzzRequest): Promise<RawResponse> {
    const timeout = new Promise<RawResponse>((resolve) =>
      setTimeout(() => resolve({ status: -1, headers: {}, body: '', transportError: `no answer within ${REQUEST_TIMEOUT_MS} ms` }), REQUEST_TIMEOUT_MS).unref(),
    );
    return Promise.race([send(gw.url, r.path, { method: r.method, headers: r.headers, ...(r.body ? { body: r.body } : {}) }), timeout]);
  }

  function routable(path: string): boolean {
    // The client normalises dot segments before sending, so look at the path as it went out.
    const pathname = new URL(path, 'http://x').pathname;
    if (!pathname.startsWith('/agents/')) return true;
    const m = /^\/agents\/([^/]+)\/v1(\/|$)/.exec(pathname);
    if (!m) return false;
    try {
      decodeURIComponent(m[1]!);
      return true;
    } catch {
      return false;
    }
  }

  /** The properties every response must have. */
  function check(r: FuzzRequest, res: RawResponse, shape: ErrorShape): void {
    const where = `${r.method} ${r.path} → ${res.status} ${res.body.slice(0, 300)}`;
    expect(res.transportError, where).toBeUndefined();
    expect(res.status, where).toBeGreaterThanOrEqual(200);
    expect(res.status, where).toBeLessThan(500);
    expect(res.headers['x-request-id'], where).toBeDefined();
    if (res.status >= 400) {
      const json = parseJson(res.body);
      // A path whose agent segment cannot be decoded matches no endpoint, so its format is unknown: either shape.
      if (routable(r.path)) expect(shape === 'openai' ? isOpenAIError(json) : isAnthropicError(json), where).toBe(true);
      else expect(isOpenAIError(json) || isAnthropicError(json), where).toBe(true);
    }
    if (res.status === 200 && String(res.headers['content-type']).startsWith('text/event-stream')) {
      // The fakes' streams are clean, so a relayed stream must carry no error event but the gateway's own cut-off of
      // a stream that ran out of budget (agent `budgeted`, whose hour allows almost nothing).
      const errors = sseFrames(res.body).filter(
        (f) => (f.event === 'error' || (isObject(f.data) && ('error' in f.data || f.data.type === 'error' || f.data.type === 'response.failed'))) && !budgetCutOff(f.data),
      );
      expect(errors, where).toEqual([]);
    }
    expect(crashes, where).toEqual([]);
  }

  async function fuzz(arb: fc.Arbitrary<FuzzRequest>, shape: (r: FuzzRequest) => ErrorShape): Promise<void> {
    const logsBefore = gw.logs.length;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arb, async (r) => {
        const res = await exchange(r);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        check(r, res, shape(r));
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
    // How far the cases got: 200s went through translation to a provider and back.
    console.log(`[fuzz] ${expect.getState().currentTestName ?? ''}: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    const failures = gw.logs.slice(logsBefore).filter((l) => l.includes('unhandled error') || l.includes('request failed'));
    expect(failures).toEqual([]);
    gw.logs.length = 0;
    openai.reset();
    anthropic.reset();
  }

  const prefix = fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: agentSegment.map((a) => `/agents/${a}`) });
  const method = (usual: string) => fc.oneof({ weight: 12, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') });
  const postTo = (path: string, body: fc.Arbitrary<unknown>): fc.Arbitrary<FuzzRequest> =>
    fc.record({ prefix, method: method('POST'), headers, body: bodyOf(body), query: fc.constantFrom('', '?beta=true', '?x=%ZZ') }).map((v) => ({
      method: v.method,
      path: `${v.prefix}${path}${v.query}`,
      headers: v.headers,
      ...(v.method === 'GET' ? {} : { body: v.body }),
    }));

  it(`/v1/chat/completions (${RUNS} runs)`, () => fuzz(postTo('/v1/chat/completions', chatBody), () => 'openai'), 600_000);

  it(`/v1/messages (${RUNS} runs)`, () => fuzz(postTo('/v1/messages', fc.oneof(messagesBody, chatBody)), () => 'anthropic'), 600_000);

  it(`/v1/messages/count_tokens (${RUNS} runs)`, () => fuzz(postTo('/v1/messages/count_tokens', messagesBody), () => 'anthropic'), 600_000);

  it(`/v1/responses (${RUNS} runs)`, () => fuzz(postTo('/v1/responses', fc.oneof(responsesBody, chatBody)), () => 'openai'), 600_000);

  it(`/v1/embeddings (${RUNS} runs)`, () => fuzz(postTo('/v1/embeddings', embeddingsBody), () => 'openai'), 600_000);

  it(`/v1/models (${RUNS} runs)`, () =>
    fuzz(
      fc.record({ prefix, method: method('GET'), headers, query: fc.constantFrom('', '?limit=2', '?after_id=x&before_id=%00') }).map((v) => ({
        method: v.method,
        path: `${v.prefix}/v1/models${v.query}`,
        headers: v.headers,
      })),
      (r) => (r.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai'),
    ), 600_000);

  it(`/api/* management routes (${RUNS} runs)`, () => {
    const id = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a0', 'fuzz', 'budgeted', 'default', 'fo', 'fa') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('nobody', 'a0:fo', '%2F', '%E0%A4%A'), agentSegment) });
    const anyMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE');
    const route = (m: string, p: fc.Arbitrary<string>) => fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constant(m) }, { weight: 1, arbitrary: anyMethod }), p);
    const target = fc.oneof(
      route('GET', fc.constant('/api/status')),
      route('GET', fc.constant('/api/breakers')),
      route('POST', id.map((a) => `/api/breakers/${a}/reset`)),
      route('GET', id.map((a) => `/api/agents/${a}`)),
      route('POST', id.map((a) => `/api/agents/${a}/pause`)),
      route('POST', id.map((a) => `/api/agents/${a}/resume`)),
      route('PUT', id.map((a) => `/api/agents/${a}/budget`)),
      route(
        'GET',
        fc.tuple(fc.constantFrom('', '15m', '2h', 'yesterday', '2025-01-01', '-5m'), fc.constantFrom('', '0', '5', '-1', '1e9', 'x')).map(([since, limit]) => `/api/logs?since=${since}&limit=${limit}&agent=a0`),
      ),
      fc.tuple(anyMethod, fc.string({ unit: fc.constantFrom(...'abc/._-%?&='.split('')), maxLength: 20 }).map((s) => `/api/${s}`.replace('/api/logs/stream', '/api/logs/streams'))),
    );
    const adminBody = fc.oneof(
      fc.record({ reason: fc.oneof(fc.string({ maxLength: 300 }), fc.integer()) }, { requiredKeys: [] }),
      fc.record({ hourly: fc.oneof(fc.double(), fc.constant(null), fc.string()), daily: fc.oneof(fc.double({ min: 0, max: 100 }), fc.constant(null)), total: fc.oneof(fc.integer(), fc.constant(null), fc.boolean()) }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    return fuzz(
      fc.record({ target, headers, body: bodyOf(adminBody) }).map((v) => ({
        method: v.target[0],
        path: v.target[1],
        headers: v.headers,
        ...(v.target[0] === 'GET' ? {} : { body: v.body }),
      })),
      () => 'openai',
    );
  }, 600_000);
});
