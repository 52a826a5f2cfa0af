/** Error translation (spec §9, contract §5): every GatewayError renders in both formats, upstream errors map across. */
import { describe, expect, it } from 'vitest';
import type { ErrorKind } from '../../../src/core/errors.js';
import { GatewayError } from '../../../src/core/errors.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';

const A = openAIChatCodec;
const B = anthropicMessagesCodec;

describe('gateway decisions render in each format (contract §5)', () => {
  // kind, options, OpenAI [status, type, code], Anthropic [status, type]
  const table: Array<[ErrorKind, ConstructorParameters<typeof GatewayError>[2], [number, string, string | null], [number, string]]> = [
    ['invalid_request', { param: 'messages[0].role' }, [400, 'invalid_request_error', 'invalid_request_error'], [400, 'invalid_request_error']],
    ['authentication', {}, [401, 'invalid_request_error', 'invalid_api_key'], [401, 'authentication_error']],
    ['request_too_large', {}, [413, 'invalid_request_error', 'request_too_large'], [413, 'request_too_large']],
    ['model_not_found', {}, [404, 'invalid_request_error', 'model_not_found'], [404, 'not_found_error']],
    ['rate_limited', { retryAfter: 7 }, [429, 'rate_limit_error', 'rate_limit_exceeded'], [429, 'rate_limit_error']],
    ['budget_exceeded', { retryAfter: 1800 }, [429, 'insufficient_quota', 'budget_exceeded'], [402, 'billing_error']],
    ['agent_paused', {}, [403, 'permission_error', 'agent_paused'], [403, 'permission_error']],
    ['policy_denied', {}, [403, 'permission_error', 'policy_denied'], [403, 'permission_error']],
    ['circuit_open', { retryAfter: 30 }, [503, 'server_error', 'circuit_open'], [503, 'api_error']],
    ['upstream_timeout', {}, [504, 'server_error', 'upstream_timeout'], [504, 'timeout_error']],
    ['upstream_unreachable', {}, [502, 'server_error', 'upstream_unreachable'], [502, 'api_error']],
    ['internal', {}, [500, 'server_error', 'internal'], [500, 'api_error']],
  ];
  for (const [kind, options, [aStatus, aType, aCode], [bStatus, bType]] of table) {
    it(kind, () => {
      const error = new GatewayError(kind, `message for ${kind}`, options);
      const a = A.renderError(error, 'req_1');
      expect([a.status, a.body]).toEqual([aStatus, { error: { message: `message for ${kind}`, type: aType, param: options?.param ?? null, code: aCode } }]);
      const b = B.renderError(error, 'req_1');
      expect([b.status, b.body]).toEqual([bStatus, { type: 'error', error: { type: bType, message: `message for ${kind}` }, request_id: 'req_1' }]);
      for (const r of [a, b]) {
        expect(r.headers['x-should-retry']).toBe(['rate_limited', 'circuit_open', 'upstream_timeout', 'upstream_unreachable', 'internal'].includes(kind) ? 'true' : 'false');
        expect(r.headers['retry-after']).toBe(options?.retryAfter === undefined ? undefined : String(options.retryAfter));
      }
    });
  }
});

describe('upstream errors translate across formats (spec §9 table)', () => {
  const anthropicBody = (type: string, message: string) => ({ type: 'error', error: { type, message }, request_id: 'req_up' });
  const openaiBody = (type: string, code: string | null, message: string) => ({ error: { message, type, param: null, code } });

  it('Anthropic 529 overloaded → OpenAI 503 server_error/overloaded, and back to 529', () => {
    const e = B.decodeError(529, anthropicBody('overloaded_error', 'Overloaded'), {});
    expect(e.kind).toBe('upstream_error');
    expect(e.upstreamType).toBe('overloaded_error');
    const a = A.renderError(e, 'r');
    expect([a.status, a.body['error']]).toEqual([503, { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded' }]);
    expect(a.headers['x-should-retry']).toBe('true');
    const back = B.renderError(A.decodeError(503, a.body, {}), 'r');
    expect([back.status, (back.body['error'] as Record<string, unknown>)['type']]).toEqual([529, 'overloaded_error']);
  });

  it('Anthropic 402 billing ⇄ OpenAI 429 insufficient_quota, never retried', () => {
    const a = A.renderError(B.decodeError(402, anthropicBody('billing_error', 'Your credit balance is too low'), {}), 'r');
    expect([a.status, (a.body['error'] as Record<string, unknown>)['type'], a.headers['x-should-retry']]).toEqual([429, 'insufficient_quota', 'false']);
    const quota = A.decodeError(429, openaiBody('insufficient_quota', 'insufficient_quota', 'You exceeded your current quota'), {});
    expect(quota.kind).toBe('upstream_error');
    expect(quota.shouldRetry).toBe(false);
    const b = B.renderError(quota, 'r');
    expect([b.status, (b.body['error'] as Record<string, unknown>)['type'], b.headers['x-should-retry']]).toEqual([402, 'billing_error', 'false']);
  });

  it('429 rate limits keep retry-after (seconds or -ms) and x-should-retry', () => {
    const e = A.decodeError(429, openaiBody('requests', 'rate_limit_exceeded', 'Rate limit reached'), { 'retry-after-ms': '1500', 'X-Should-Retry': 'true' });
    expect([e.kind, e.retryAfter, e.shouldRetry]).toEqual(['rate_limited', 2, true]);
    const b = B.renderError(e, 'r');
    expect([b.status, (b.body['error'] as Record<string, unknown>)['type'], b.headers['retry-after']]).toEqual([429, 'rate_limit_error', '2']);
    const fromB = B.decodeError(429, anthropicBody('rate_limit_error', 'slow down'), { 'retry-after': '12' });
    const a = A.renderError(fromB, 'r');
    expect([a.status, (a.body['error'] as Record<string, unknown>)['code'], a.headers['retry-after']]).toEqual([429, 'rate_limit_exceeded', '12']);
  });

  it('401 → invalid_api_key / authentication_error', () => {
    const a = A.renderError(B.decodeError(401, anthropicBody('authentication_error', 'invalid x-api-key'), {}), 'r');
    expect([a.status, (a.body['error'] as Record<string, unknown>)['code']]).toEqual([401, 'invalid_api_key']);
    const b = B.renderError(A.decodeError(401, openaiBody('invalid_request_error', 'invalid_api_key', 'Incorrect API key'), {}), 'r');
    expect([b.status, (b.body['error'] as Record<string, unknown>)['type']]).toEqual([401, 'authentication_error']);
  });

  it('"prompt is too long" → context_length_exceeded', () => {
    const a = A.renderError(B.decodeError(400, anthropicBody('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'), {}), 'r');
    expect([a.status, (a.body['error'] as Record<string, unknown>)['code']]).toEqual([400, 'context_length_exceeded']);
  });

  it('404 about a model → model_not_found; other 404 → not_found_error', () => {
    const a = A.renderError(B.decodeError(404, anthropicBody('not_found_error', 'model: claude-nope'), {}), 'r');
    expect((a.body['error'] as Record<string, unknown>)['code']).toBe('model_not_found');
    const b = B.renderError(A.decodeError(404, openaiBody('invalid_request_error', 'model_not_found', 'The model `gpt-9` does not exist'), {}), 'r');
    expect([b.status, (b.body['error'] as Record<string, unknown>)['type']]).toEqual([404, 'not_found_error']);
  });

  it('413, 409/422, 500, 504 rows', () => {
    const r413 = A.renderError(B.decodeError(413, anthropicBody('request_too_large', 'Request exceeds the maximum size'), {}), 'r');
    expect([r413.status, (r413.body['error'] as Record<string, unknown>)['type']]).toEqual([413, 'invalid_request_error']);
    for (const status of [409, 422]) {
      const b = B.renderError(A.decodeError(status, openaiBody('invalid_request_error', null, 'conflict'), {}), 'r');
      expect([b.status, (b.body['error'] as Record<string, unknown>)['type']]).toEqual([400, 'invalid_request_error']);
      expect(A.renderError(A.decodeError(status, openaiBody('invalid_request_error', null, 'x'), {}), 'r').status).toBe(status);
    }
    const r500 = A.renderError(B.decodeError(500, anthropicBody('api_error', 'Internal server error'), {}), 'r');
    expect([r500.status, (r500.body['error'] as Record<string, unknown>)['type']]).toEqual([500, 'server_error']);
    expect(B.renderError(A.decodeError(500, openaiBody('server_error', null, 'oops'), {}), 'r').body['error']).toEqual({ type: 'api_error', message: 'oops' });
    const r504 = A.renderError(B.decodeError(504, anthropicBody('timeout_error', 'Request timed out'), {}), 'r');
    expect([r504.status, (r504.body['error'] as Record<string, unknown>)['code']]).toEqual([504, 'timeout']);
    const b504 = B.renderError(A.decodeError(504, 'Gateway Timeout', {}), 'r');
    expect([b504.status, (b504.body['error'] as Record<string, unknown>)['type']]).toEqual([504, 'timeout_error']);
  });

  it('non-JSON bodies keep the text as the message', () => {
    const e = A.decodeError(502, '<html>Bad Gateway</html>', {});
    expect([e.kind, e.status, e.message]).toEqual(['upstream_error', 502, '<html>Bad Gateway</html>']);
    expect(B.decodeError(503, undefined, {}).message).toBe('Upstream returned HTTP 503.');
  });
});

describe('mid-stream error events', () => {
  it('OpenAI fail() writes data:{"error":…} and no [DONE]; Anthropic fail() writes event: error', () => {
    const opts = { id: 'x', created: 1, model: 'm', includeUsage: true };
    const a = A.createStreamEncoder(opts);
    a.push({ type: 'text-delta', text: 'hi' });
    const out = a.fail(new GatewayError('upstream_timeout', 'Upstream timed out after 600s'));
    expect(out).toBe('data: {"error":{"message":"Upstream timed out after 600s","type":"server_error","param":null,"code":"upstream_timeout"}}\n\n');
    expect(a.finished).toBe(true);
    const b = B.createStreamEncoder(opts);
    b.push({ type: 'text-delta', text: 'hi' });
    expect(b.fail(new GatewayError('upstream_error', 'Overloaded', { status: 529, upstreamType: 'overloaded_error' }))).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
  });
});
