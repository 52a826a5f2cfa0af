/**
 * What a step's throw becomes: the client's answer in its own format (a same-format upstream error as the provider
 * wrote it), the error kept for the row, and the breaker told when an upstream had answered. A throw caused by the
 * client leaving is a client close, not an error.
 */
import { GatewayError } from '../../core/errors.js';
import type { RequestContext } from '../context.js';
import { sendError, sendUpstreamError, toGatewayError } from '../respond.js';
import { countFailure } from './forward.js';

export function fail(ctx: RequestContext, err: unknown): void {
  const res = ctx.res;
  if (ctx.abort.signal.aborted && !(err instanceof GatewayError)) {
    ctx.clientClosed = true;
    ctx.status = 499;
  } else {
    const error = toGatewayError(err);
    ctx.error = error;
    ctx.status = error.status;
    if (error.kind === 'internal') ctx.deps.log.error('request failed', { request_id: ctx.endpoint.requestId, error: describe(err) });
    const failure = ctx.upstreamFailure;
    if (failure !== undefined && failure.error === err && failure.format === ctx.endpoint.wire && failure.text.length > 0) {
      sendUpstreamError(res, failure.status, failure.text, error, ctx.headers);
    } else sendError(res, error, ctx.endpoint.wire, ctx.endpoint.requestId, ctx.headers);
    if (res.headersSent) ctx.status = res.statusCode;
  }
  // The upstream answered but its body failed (stall, reset, garbage) or the client left: the breaker hears of it,
  // so failures count and a half-open probe is never left hanging. Already-reported permits ignore this.
  const attempt = ctx.attempt;
  if (attempt === undefined) return;
  // A reply over the gateway's own size cap says nothing about the provider's health.
  if (ctx.clientClosed || ctx.error === undefined || ctx.error.code === 'response_too_large') attempt.breaker.abandon();
  else countFailure(ctx, ctx.error);
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
