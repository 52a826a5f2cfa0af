/**
 * Sends the request to the first target whose breaker lets it through, falling back to the next target
 * on a breaker that is open or an upstream that fails before any byte reached the client.
 */
import { GatewayError } from '../../core/errors.js';
import { upstreamFormatFor, type UpstreamResponse } from '../../providers/provider.js';
import { codecFor } from '../../wire/index.js';
import type { RequestContext } from '../context.js';
import type { BreakerGate, RouteTarget } from '../ports.js';
import { readUpstreamText } from './relay-json.js';
import { priceOf } from './admit.js';
import { buildUpstreamBody, chatEndpoint, noteChanges } from './translate.js';

export interface Attempt {
  target: RouteTarget;
  breaker: BreakerGate;
  response: UpstreamResponse;
  /** Milliseconds until the upstream's response headers arrived. */
  ttfbMs: number;
}

/** The step: on success `ctx.attempt` holds the answering target and its response; otherwise the last error is thrown. */
export async function forward(ctx: RequestContext): Promise<void> {
  const { targets, deps } = ctx;
  let lastError: unknown;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    const hasNext = i + 1 < targets.length;
    const breaker = deps.controls.breaker(ctx.agent, target.provider.spec.name);
    try {
      breaker.check();
    } catch (err) {
      lastError = err;
      if (hasNext) continue;
      throw err;
    }
    const started = deps.clock.monotonic();
    let response: UpstreamResponse;
    try {
      response = await send(ctx, target);
    } catch (err) {
      if (err instanceof GatewayError && (err.kind === 'upstream_timeout' || err.kind === 'upstream_unreachable')) {
        breaker.failure();
        lastError = err;
        if (hasNext) continue;
      } else {
        breaker.abandon();
      }
      throw err;
    }
    const ttfbMs = deps.clock.monotonic() - started;
    if (response.status >= 400) {
      const error = await readError(ctx, target, response);
      // The breakers' own rule decides what is the provider's fault (5xx), and so worth a fallback.
      if (deps.controls.providerFailed(response.status)) {
        breaker.failure();
        if (hasNext) {
          lastError = error;
          continue;
        }
      } else {
        // A 4xx is the request's fault: the provider answered, so it counts as healthy.
        breaker.success();
      }
      throw error;
    }
    ctx.attempt = { target, breaker, response, ttfbMs };
    ctx.ttfbMs = ttfbMs;
    ctx.upstreamCalled = true;
    ctx.price = priceOf(deps.meter, target);
    noteChanges(ctx);
    return;
  }
  throw lastError ?? new GatewayError('internal', 'no route target');
}

/** Builds the body for one target (translation differs per target format) and sends it. */
function send(ctx: RequestContext, target: RouteTarget): Promise<UpstreamResponse> {
  const wire = ctx.endpoint.wire;
  const upstreamFormat = upstreamFormatFor(target.provider, wire);
  ctx.trying(target, upstreamFormat);
  let request = ctx.request!;
  if (upstreamFormat !== wire && ctx.state !== undefined) {
    if (ctx.state instanceof GatewayError) throw ctx.state;
    request = ctx.state.request;
  }
  const body = buildUpstreamBody(request, ctx.bodyText, wire, target, ctx.settings.strictTranslation(ctx.agent));
  ctx.upstreamBody = body;
  return target.provider.send({
    endpoint: chatEndpoint(upstreamFormat, target.upstreamModel, request.stream),
    method: 'POST',
    body: body.text,
    model: target.upstreamModel,
    clientHeaders: ctx.req.headers,
    clientKey: ctx.identity!.clientKey,
    signal: ctx.abort.signal,
  });
}

/** Reads an error response of the target's format into a GatewayError, keeping its text for a same-format client. */
async function readError(ctx: RequestContext, target: RouteTarget, response: UpstreamResponse): Promise<GatewayError> {
  const raw = await readUpstreamText(response, ctx.settings.maxResponseBytes, target.provider.spec.name).catch(() => '');
  // Some upstreams echo the key they were sent; the client must not learn the provider's key that way.
  const text = ctx.deps.redaction.known(raw);
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* a non-JSON error body is described by its status */
  }
  const format = upstreamFormatFor(target.provider, ctx.endpoint.wire);
  const error = codecFor(format).decodeError(response.status, json, response.headers);
  ctx.upstreamFailure = { format, status: response.status, text, error };
  ctx.upstreamCalled = true;
  return error;
}

/** A failure after the upstream answered: the breaker hears of it when it is the provider's fault. */
export function countFailure(ctx: RequestContext, error: GatewayError): void {
  const attempt = ctx.attempt!;
  if (ctx.deps.controls.providerFailed(error)) attempt.breaker.failure();
  else attempt.breaker.success();
}
