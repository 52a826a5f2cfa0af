/** Tracing off: one shared do-nothing trace per request, except that a client's W3C trace context goes upstream as it came. */
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../src/pipeline/context.js';
import { clientTraceContext, NO_TRACING } from '../../../src/pipeline/no-tracing.js';

const ctxWith = (headers: Record<string, string | string[]>) => ({ req: { headers } }) as unknown as RequestContext;

describe('NO_TRACING', () => {
  it('without a traceparent every request shares one trace object whose attempts carry no headers', () => {
    const a = NO_TRACING.start(ctxWith({}));
    const b = NO_TRACING.start(ctxWith({ tracestate: 'only=state' }));
    expect(a).toBe(b);
    expect(a.attempt(1, undefined as never).headers).toBeUndefined();
    expect(a.onStreamEvent).toBeUndefined();
  });

  it('forwards the client’s traceparent and tracestate unchanged, to every attempt', () => {
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const trace = NO_TRACING.start(ctxWith({ traceparent: parent, tracestate: 'a=1' }));
    expect(trace.attempt(1, undefined as never).headers).toEqual({ traceparent: parent, tracestate: 'a=1' });
    expect(trace.attempt(2, undefined as never).headers).toEqual({ traceparent: parent, tracestate: 'a=1' });
    expect(clientTraceContext({ traceparent: parent, tracestate: ['a=1', 'b=2'] })).toEqual({ traceparent: parent, tracestate: 'a=1,b=2' });
  });
});
