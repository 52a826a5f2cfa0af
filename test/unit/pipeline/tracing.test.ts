/**
 * The pipeline's use of the Tracing port, with a recording tracer and fake ports: every span it opens is ended
 * exactly once whatever happens (retries, transport failures, fallbacks, refusals, a client leaving mid-stream),
 * each upstream call carries its own attempt's trace context, and the request trace ends once, after the row.
 */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { AttemptSpan, RequestTrace, StreamSpan, TraceSpan, Tracing } from '../../../src/pipeline/ports.js';
import { fixtureBytes } from '../wire/helpers.js';
import { call, harness, openAIAnswer, type Exchange, type Harness } from './harness.js';

interface Recorded {
  name: string;
  ends: (string | null)[];
  status?: number;
  waitMs?: number;
  firstEvents: number;
}

/** A tracer that keeps every span it handed out and how each was ended. */
class RecordingTracing implements Tracing {
  readonly spans: Recorded[] = [];
  requestEnds = 0;
  rowsAtEnd = -1;

  constructor(private readonly h: Harness) {}

  start(): RequestTrace {
    const open = (name: string): Recorded => {
      const r: Recorded = { name, ends: [], firstEvents: 0 };
      this.spans.push(r);
      return r;
    };
    const span = (r: Recorded): TraceSpan => ({ end: (error?: unknown) => r.ends.push(error === undefined ? null : error instanceof GatewayError ? error.code : String(error)) });
    return {
      admission: () => span(open('admission')),
      attempt: (n, provider): AttemptSpan => {
        const r = open(`attempt ${n} ${provider.spec.name}`);
        return {
          ...span(r),
          headers: { traceparent: `attempt-${n}` },
          answered: (status) => (r.status = status),
          retrying: (waitMs) => (r.waitMs = waitMs),
        };
      },
      stream: (): StreamSpan => {
        const r = open('stream');
        return { ...span(r), firstEvent: () => r.firstEvents++ };
      },
      onStreamEvent: undefined,
      onAnswer: undefined,
      end: () => {
        this.requestEnds++;
        this.rowsAtEnd = this.h.records.length;
      },
    };
  }

  /** Every span ended exactly once. */
  balanced(): void {
    for (const s of this.spans) expect(s.ends, s.name).toHaveLength(1);
    expect(this.requestEnds).toBe(1);
    expect(this.rowsAtEnd).toBe(1);
  }
}

const ASK = { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] };
const overloaded = () => ({ status: 503, chunks: ['{"error":{"message":"overloaded","type":"server_error"}}'] });
const ok = (text = 'hello') => ({ status: 200, chunks: [openAIAnswer(text)] });
const streamed = () => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: fixtureBytes('openai-text-usage').text.split(/(?<=\n\n)/) });

function traced(): { h: Harness; t: RecordingTracing } {
  const h = harness();
  const t = new RecordingTracing(h);
  h.deps.tracing = t;
  return { h, t };
}

async function drive(h: Harness, x: Exchange): Promise<void> {
  let done = false;
  void x.done.then(() => (done = true));
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve));
    const next = h.timers.nextIn();
    if (next !== undefined) h.timers.advance(next);
  }
  await x.done;
}

describe('tracing in the pipeline', () => {
  it('a retried call: one attempt span per try, the failed one ended with its error and wait, each call with its own context', async () => {
    const { h, t } = traced();
    h.retry.maxAttempts = 3;
    h.providers.openai!.scripts.push(overloaded(), ok());
    const x = call(h, ASK);
    await drive(h, x);
    expect(x.answer().status).toBe(200);
    expect(t.spans.map((s) => [s.name, s.ends[0], s.status, s.waitMs])).toEqual([
      ['admission', null, undefined, undefined],
      ['attempt 1 openai', 'upstream_error', 503, 200],
      ['attempt 2 openai', null, 200, undefined],
    ]);
    expect(h.providers.openai!.sent.map((r) => r.trace)).toEqual([{ traceparent: 'attempt-1' }, { traceparent: 'attempt-2' }]);
    t.balanced();
  });

  it('transport failures and a fallback: every attempt ended once, numbered across targets', async () => {
    const { h, t } = traced();
    h.retry.maxAttempts = 3;
    const cause = (code: string) => Object.assign(new Error(code), { code });
    h.providers.openai!.scripts.push(
      new GatewayError('upstream_unreachable', 'provider openai is unreachable (ECONNRESET)', { cause: cause('ECONNRESET') }),
      new GatewayError('upstream_unreachable', 'provider openai is unreachable (ECONNREFUSED)', { cause: cause('ECONNREFUSED') }),
    );
    h.providers.backup!.scripts.push(ok('from backup'));
    await drive(h, call(h, { ...ASK, model: 'gpt-fallback' }));
    expect(t.spans.map((s) => [s.name, s.ends[0] === null ? 'ok' : 'failed', s.waitMs])).toEqual([
      ['admission', 'ok', undefined],
      ['attempt 1 openai', 'failed', 200],
      ['attempt 2 openai', 'failed', undefined],
      ['attempt 3 backup', 'ok', undefined],
    ]);
    t.balanced();
  });

  it('a refusal at admission: the admission span fails, no attempt is opened, the request trace still ends', async () => {
    const { h, t } = traced();
    h.controls.refuse = new GatewayError('agent_paused', 'agent default is paused', { code: 'agent_paused' });
    await drive(h, call(h, ASK));
    expect(t.spans.map((s) => [s.name, s.ends[0]])).toEqual([['admission', 'agent_paused']]);
    t.balanced();
  });

  it('a stream: the stream span sees its first event once and ends once; a retry before it is its own attempt', async () => {
    const { h, t } = traced();
    h.retry.maxAttempts = 2;
    h.providers.openai!.scripts.push(overloaded(), streamed());
    await drive(h, call(h, { ...ASK, stream: true }));
    expect(t.spans.map((s) => s.name)).toEqual(['admission', 'attempt 1 openai', 'attempt 2 openai', 'stream']);
    expect(t.spans[3]).toMatchObject({ ends: [null], firstEvents: 1 });
    t.balanced();
  });

  it('the client leaves mid-stream: the stream span ends once, not as an error', async () => {
    const { h, t } = traced();
    const frames = fixtureBytes('openai-text-usage').text.split(/(?<=\n\n)/);
    h.providers.openai!.scripts.push({ status: 200, headers: { 'content-type': 'text/event-stream' }, chunks: [frames[0]!, frames[1]!], hold: true });
    const x = call(h, { ...ASK, stream: true });
    for (let i = 0; i < 200 && !x.answer().body.includes('data:'); i++) await new Promise((resolve) => setImmediate(resolve));
    x.leave();
    await x.done;
    expect(t.spans.find((s) => s.name === 'stream')).toMatchObject({ ends: [null], firstEvents: 1 });
    t.balanced();
  });
});
