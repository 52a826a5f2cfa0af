/**
 * Every upstream fault the fakes can produce, for every client/provider format pair, streamed and not.
 * Each case checks four things: the client gets an error (or a stream's terminal event) in its own format, the
 * audit row carries the error code, the breaker counts exactly what it should (5xx/529, timeouts and resets
 * yes; 429 no), and the gateway keeps serving (a follow-up request on the same route succeeds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../fakes/index.js';
import { eventually } from '../helpers/gateway.js';
import {
  breakerFailures,
  isAnthropicError,
  isObject,
  isOpenAIError,
  parseJson,
  rowOf,
  sendChat,
  sseFrames,
  startFaultBed,
  type ClientFormat,
  type FaultBed,
  type RawResponse,
} from './bed.js';

/** Response cap for whole (non-streamed) bodies in this bed; the oversized fault sends twice as much. */
const MAX_RESPONSE_BYTES = 100_000;
const OVERSIZED_BYTES = 200_000;

interface FaultCase {
  name: string;
  scenario: Scenario;
  /** What the breaker of the route must count for this fault. */
  breaker: 0 | 1;
  /**
   * Error codes the audit row may carry; null: the request succeeds. Streamed and whole responses may differ, and
   * a whole one relayed in its own format (`sameFormatWhole`, when given) from a translated one.
   */
  code: { stream: readonly string[] | null; whole: readonly string[] | null; sameFormatWhole?: readonly string[] | null };
  /** Audit status, when it is fixed; otherwise the row's status must equal what the client saw (or 502 for a stream). */
  rowStatus?: number;
}

const FAULTS: FaultCase[] = [
  { name: '500', scenario: { kind: 'error', status: 500 }, breaker: 1, code: { stream: ['upstream_error'], whole: ['upstream_error'] } },
  { name: '529 overloaded', scenario: { kind: 'error', status: 529 }, breaker: 1, code: { stream: ['upstream_error'], whole: ['upstream_error'] } },
  { name: '503', scenario: { kind: 'error', status: 503 }, breaker: 1, code: { stream: ['upstream_error'], whole: ['upstream_error'] } },
  { name: '429 with retry-after', scenario: { kind: 'error', status: 429, retryAfter: 7 }, breaker: 0, code: { stream: ['rate_limit_exceeded'], whole: ['rate_limit_exceeded'] }, rowStatus: 429 },
  { name: 'timeout before headers', scenario: { kind: 'timeout_before_headers' }, breaker: 1, code: { stream: ['upstream_timeout'], whole: ['upstream_timeout'] }, rowStatus: 504 },
  { name: 'body that stalls', scenario: { kind: 'stall_body' }, breaker: 1, code: { stream: ['upstream_timeout'], whole: ['upstream_timeout'] }, rowStatus: 504 },
  { name: 'reset before the response', scenario: { kind: 'reset_before' }, breaker: 1, code: { stream: ['upstream_unreachable'], whole: ['upstream_unreachable'] }, rowStatus: 502 },
  { name: 'reset in the middle', scenario: { kind: 'reset_mid_stream' }, breaker: 1, code: { stream: ['upstream_unreachable'], whole: ['upstream_unreachable'] }, rowStatus: 502 },
  { name: 'malformed SSE', scenario: { kind: 'malformed_sse' }, breaker: 1, code: { stream: ['stream_incomplete', 'upstream_error', 'invalid_upstream_response'], whole: ['invalid_upstream_response'] }, rowStatus: 502 },
  { name: 'malformed JSON', scenario: { kind: 'malformed_json' }, breaker: 1, code: { stream: ['invalid_upstream_response'], whole: ['invalid_upstream_response'] }, rowStatus: 502 },
  { name: 'error event mid-stream', scenario: { kind: 'midstream_error' }, breaker: 1, code: { stream: ['upstream_error'], whole: ['upstream_error'] } },
  // A stream, or a whole body in the client's own format, is relayed chunk by chunk, so size does not matter; a
  // whole body to translate over the cap is refused.
  { name: 'oversized response', scenario: { kind: 'oversized', bytes: OVERSIZED_BYTES }, breaker: 0, code: { stream: null, whole: ['response_too_large'], sameFormatWhole: null } },
];

interface Route {
  client: ClientFormat;
  model: string;
  provider: 'fo' | 'fa';
}

const ROUTES: Route[] = [
  { client: 'openai', model: 'gpt-4o-mini', provider: 'fo' },
  { client: 'anthropic', model: 'claude-haiku-4-5', provider: 'fa' },
  { client: 'openai', model: 'claude-haiku-4-5', provider: 'fa' },
  { client: 'anthropic', model: 'gpt-4o-mini', provider: 'fo' },
];

const CASES = ROUTES.flatMap((route) => [false, true].flatMap((stream) => FAULTS.map((fault) => ({ route, stream, fault }))));

function isClientError(format: ClientFormat, body: string): boolean {
  const json = parseJson(body);
  return format === 'openai' ? isOpenAIError(json) : isAnthropicError(json);
}

/** The stream's last frame: an error event, or the format's normal end. */
function terminal(format: ClientFormat, body: string): 'error' | 'end' | 'none' {
  const frames = sseFrames(body);
  const last = frames.at(-1);
  if (!last) return 'none';
  if (format === 'openai') {
    if (last.data === '[DONE]') return 'end';
    return isObject(last.data) && isOpenAIError(last.data) ? 'error' : 'none';
  }
  if (last.event === 'message_stop') return 'end';
  return last.event === 'error' && isAnthropicError(last.data) ? 'error' : 'none';
}

/** Characters of reply text a client received, in its own stream format. */
function streamedText(format: ClientFormat, body: string): number {
  let n = 0;
  for (const f of sseFrames(body)) {
    if (!isObject(f.data)) continue;
    if (format === 'openai') {
      const choices = f.data.choices;
      const delta = Array.isArray(choices) && isObject(choices[0]) ? choices[0].delta : undefined;
      if (isObject(delta) && typeof delta.content === 'string') n += delta.content.length;
    } else if (f.data.type === 'content_block_delta' && isObject(f.data.delta) && typeof f.data.delta.text === 'string') {
      n += f.data.delta.text.length;
    }
  }
  return n;
}

/** Characters of reply text in a whole answer of the client's format. */
function wholeText(format: ClientFormat, body: string): number {
  const json = parseJson(body);
  if (!isObject(json)) return 0;
  if (format === 'openai') {
    const choice = Array.isArray(json.choices) ? json.choices[0] : undefined;
    const message = isObject(choice) ? choice.message : undefined;
    return isObject(message) && typeof message.content === 'string' ? message.content.length : 0;
  }
  const block = Array.isArray(json.content) ? json.content[0] : undefined;
  return isObject(block) && typeof block.text === 'string' ? block.text.length : 0;
}

describe('provider faults', () => {
  let bed: FaultBed;
  beforeAll(async () => {
    bed = await startFaultBed({ agents: CASES.length, extra: { maxResponseBytes: MAX_RESPONSE_BYTES } });
  });
  afterAll(async () => {
    await bed?.close();
  });

  const rows = CASES.map((c, i) => [`${c.route.client} client → ${c.route.provider} ${c.stream ? 'stream' : 'whole'}: ${c.fault.name}`, { ...c, agent: `a${i}` }] as const);
  it.concurrent.each(rows)(
    '%s',
    async (_title, { route, stream, fault, agent }) => {
      const res: RawResponse = await sendChat(bed, route.client, agent, route.model, stream, fault.scenario);
      expect(res.transportError).toBeUndefined();
      const requestId = String(res.headers['x-request-id']);
      expect(requestId).toMatch(/^req_/);
      const sameFormat = (route.client === 'openai') === (route.provider === 'fo');
      const codes = stream ? fault.code.stream : sameFormat && fault.code.sameFormatWhole !== undefined ? fault.code.sameFormatWhole : fault.code.whole;

      // 1. The client's view, in its own format.
      if (codes === null) {
        expect(res.status, res.body.slice(-400)).toBe(200);
        if (stream) {
          expect(terminal(route.client, res.body), res.body.slice(-400)).toBe('end');
          expect(streamedText(route.client, res.body)).toBe(OVERSIZED_BYTES);
        } else expect(wholeText(route.client, res.body)).toBe(OVERSIZED_BYTES);
      } else if (res.status === 200) {
        // Only a stream may fail after its 200: it must end with an event the client's SDK understands.
        expect(stream).toBe(true);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        // Same-format streams too: a frame that does not parse is never relayed, and the client hears why.
        expect(terminal(route.client, res.body)).toBe('error');
      } else {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(isClientError(route.client, res.body), res.body).toBe(true);
        if (fault.scenario.kind === 'error' && fault.scenario.status === 429) expect(res.headers['retry-after']).toBe('7');
      }

      // 2. The audit row carries the error code.
      await eventually(() => rowOf(bed, requestId) !== undefined, 5000);
      const row = rowOf(bed, requestId)!;
      if (codes === null) {
        expect(row.status).toBe(200);
        expect(row.error_code).toBeNull();
      } else {
        expect(codes).toContain(row.error_code);
        const expectedStatus = fault.rowStatus ?? (res.status === 200 ? undefined : res.status);
        if (expectedStatus !== undefined) expect(row.status).toBe(expectedStatus);
        else expect(Number(row.status)).toBeGreaterThanOrEqual(500);
        // A whole body that arrived but does not parse is refused, and still billed for what the provider sent.
        if (fault.scenario.kind === 'malformed_json' && !stream) expect(row).toMatchObject({ estimated: 1, output_tokens: expect.any(Number) });
        if (fault.scenario.kind === 'malformed_json' && !stream) expect(Number(row.output_tokens)).toBeGreaterThan(0);
      }

      // 3. The breaker counted exactly what it should.
      expect(breakerFailures(bed, agent, route.provider)).toBe(fault.breaker);

      // 4. The gateway keeps serving this route.
      const next = await sendChat(bed, route.client, agent, route.model, stream, 'text');
      expect(next.status).toBe(200);
      if (stream) expect(terminal(route.client, next.body)).toBe('end');
      expect(breakerFailures(bed, agent, route.provider)).toBe(fault.breaker);
    },
  );
});
