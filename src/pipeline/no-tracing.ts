/**
 * Tracing switched off: every span is one shared object that does nothing, so the hot path allocates nothing for
 * traces. A client's own W3C trace context (traceparent, tracestate) still reaches the provider unchanged, so a
 * trace the client started continues upstream even through a gateway that exports none.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { AttemptSpan, RequestTrace, StreamSpan, Tracing } from './ports.js';

/** The W3C trace context headers a client sent, as they came; undefined when it sent no traceparent. */
export function clientTraceContext(headers: IncomingHttpHeaders): Record<string, string> | undefined {
  const parent = headers.traceparent;
  if (typeof parent !== 'string') return undefined;
  const state = headers.tracestate;
  return state === undefined ? { traceparent: parent } : { traceparent: parent, tracestate: Array.isArray(state) ? state.join(',') : state };
}

const nothing = (): void => undefined;

/** Spans that record nothing, carrying the client's trace context (if any) to the upstream call. */
class UntracedRequest implements RequestTrace, AttemptSpan, StreamSpan {
  readonly onStreamEvent = undefined;
  readonly onAnswer = undefined;
  readonly end = nothing;
  readonly answered = nothing;
  readonly retrying = nothing;
  readonly firstEvent = nothing;

  constructor(readonly headers: Readonly<Record<string, string>> | undefined) {}

  admission(): this {
    return this;
  }

  attempt(): this {
    return this;
  }

  stream(): this {
    return this;
  }
}

const UNTRACED = new UntracedRequest(undefined);

export const NO_TRACING: Tracing = {
  start(ctx) {
    const context = clientTraceContext(ctx.req.headers);
    return context === undefined ? UNTRACED : new UntracedRequest(context);
  },
};
