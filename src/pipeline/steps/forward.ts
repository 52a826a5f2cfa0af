/**
 * Sends the request to its targets in turn. Each target is tried up to its `max_attempts` while its failures are
 * worth another try (408, 429, 5xx, 529, a reset connection or a connect timeout), waiting out the upstream's
 * Retry-After (up to the cap) or an exponential backoff with full jitter, all on the injected timers and cut short
 * when the client leaves. A provider with a pool of keys sends each attempt with the next ready key; a key that was
 * rate-limited or refused hands the request straight to the next key. The next target (a fallback) takes over on
 * an open breaker, a rate limit, exhausted retries or an upstream that failed. Everything happens before the first
 * byte reaches the client: a stream that breaks later is never retried.
 *
 * Breakers: every attempt asks the provider's breaker first and tells it the outcome, so each failed attempt
 * (5xx, timeout, unreachable) counts as one failure of that provider, and a breaker that opens mid-retry sends the
 * request on to the fallback.
 */
import { GatewayError } from '../../core/errors.js';
import type { PoolKey } from '../../providers/key-pool.js';
import { transportDetail } from '../../providers/http-upstream.js';
import { upstreamFormatFor, type ProviderAdapter, type UpstreamRequest, type UpstreamResponse } from '../../providers/provider.js';
import { isRetryableStatus, isRetryableTransport, retryAfterMs, retryVerdict, waitFor, type RetryVerdict } from '../../providers/retry.js';
import { codecFor } from '../../wire/index.js';
import type { RequestContext } from '../context.js';
import type { BreakerGate, RouteTarget } from '../ports.js';
import { readUpstreamText } from './upstream-body.js';
import { priceOf } from './admit.js';
import { buildUpstreamBody, chatEndpoint, noteChanges } from './translate.js';

export interface Attempt {
  target: RouteTarget;
  breaker: BreakerGate;
  response: UpstreamResponse;
  /** Milliseconds until the upstream's response headers arrived. */
  ttfbMs: number;
}

/** A target that did not answer: its last error, and whether the next target may take the request. */
interface Miss {
  error: unknown;
  fallback: boolean;
}

/** The step: on success `ctx.attempt` holds the answering target and its response; otherwise the last error is thrown. */
export async function forward(ctx: RequestContext): Promise<void> {
  const { targets, deps } = ctx;
  let lastError: unknown;
  for (let i = 0; i < targets.length; i++) {
    const target = targets[i]!;
    const outcome = await tryTarget(ctx, target);
    if ('response' in outcome) {
      ctx.attempt = outcome;
      ctx.ttfbMs = outcome.ttfbMs;
      ctx.upstreamCalled = true;
      ctx.price = priceOf(deps.meter, target);
      noteChanges(ctx);
      return;
    }
    lastError = outcome.error;
    if (!outcome.fallback || i + 1 === targets.length) throw outcome.error;
  }
  throw lastError ?? new GatewayError('internal', 'no route target');
}

/** One target, with its retries. Throws only when the client left (or on a bug); upstream failures are a Miss. */
async function tryTarget(ctx: RequestContext, target: RouteTarget): Promise<Attempt | Miss> {
  const { deps } = ctx;
  const name = target.provider.spec.name;
  const policy = ctx.settings.retry(name);
  const pool = deps.keys.pool(name);
  const breaker = deps.controls.breaker(ctx.agent, name);
  // Attempts that count against max_attempts; a hand-over to another key of the pool does not, up to one per key.
  let counted = 0;
  let handOvers = pool === undefined ? 0 : pool.size - 1;
  let waitMs = 0;
  // The last upstream failure here: what the client hears if the breaker opens before the next attempt.
  let failed: unknown;
  for (;;) {
    if (waitMs > 0) await waitFor(waitMs, deps.timers, ctx.abort.signal);
    let key: PoolKey | undefined;
    if (pool !== undefined) {
      key = pool.take();
      if (key === undefined) {
        // The row names the provider whose keys all rest, as it would had it been called.
        ctx.trying(target, upstreamFormatFor(target.provider, ctx.endpoint.wire));
        return { error: restingError(name, pool.wakeInMs()), fallback: true };
      }
    }
    try {
      breaker.check();
    } catch (err) {
      return { error: failed ?? err, fallback: true };
    }
    counted++;
    ctx.attempts++;
    const span = ctx.trace.attempt(ctx.attempts, target.provider);
    const started = deps.clock.monotonic();
    let response: UpstreamResponse;
    try {
      response = await send(ctx, target, key?.secret ?? target.provider.spec.apiKey ?? ctx.identity!.clientKey, span.headers);
    } catch (err) {
      if (!(err instanceof GatewayError) || (err.kind !== 'upstream_timeout' && err.kind !== 'upstream_unreachable')) {
        span.end(err);
        breaker.abandon();
        throw err;
      }
      breaker.failure();
      if (key !== undefined) pool!.report(key, undefined, undefined);
      failed = err;
      const verdict = retryVerdict({ retryable: isRetryableTransport(err), attempt: counted, askedMs: undefined, policy, random: deps.random });
      if (verdict.retry) span.retrying(verdict.waitMs);
      span.end(err);
      if (!verdict.retry) return { error: err, fallback: true };
      waitMs = verdict.waitMs;
      logRetry(ctx, name, `failed (${transportDetail(err.cause)})`, counted, policy.maxAttempts, waitMs);
      continue;
    }
    const ttfbMs = deps.clock.monotonic() - started;
    span.answered(response.status);
    if (response.status < 400) {
      span.end();
      if (key !== undefined) pool!.report(key, response.status, undefined);
      return { target, breaker, response, ttfbMs };
    }
    const status = response.status;
    const error = await readError(ctx, target, response).catch((err: unknown) => {
      span.end(err);
      throw err;
    });
    failed = error;
    // Gemini says how long to wait only in its error body (RetryInfo.retryDelay), which the codec read.
    const askedMs = retryAfterMs(response.headers, deps.clock.now()) ?? (error.retryAfter === undefined ? undefined : error.retryAfter * 1000);
    if (key !== undefined) pool!.report(key, status, askedMs);
    // The breakers' own rule decides what is the provider's fault (5xx); a 4xx means the provider answered.
    const providerFault = deps.controls.providerFailed(status);
    if (providerFault) breaker.failure();
    else breaker.success();
    // A key's own trouble (rate limited, refused) is no fault of the request: another ready key takes it at once.
    if (pool !== undefined && (status === 429 || status === 401 || status === 403) && handOvers > 0 && pool.ready()) {
      span.retrying(0);
      span.end(error);
      logRetry(ctx, name, `answered ${status}`, counted, policy.maxAttempts, 0, 'trying the next key');
      handOvers--;
      counted--;
      waitMs = 0;
      continue;
    }
    // An upstream that says not to retry (x-should-retry: false, an exhausted quota) is taken at its word.
    const retryable = isRetryableStatus(status) && error.shouldRetry !== false;
    let verdict: RetryVerdict = retryVerdict({ retryable, attempt: counted, askedMs, policy, random: deps.random });
    if (verdict.retry && pool !== undefined) {
      // Every key rests: the next attempt waits for the first to wake, if that is soon enough.
      const wake = pool.wakeInMs();
      if (wake === undefined) verdict = { retry: false, reason: 'not_retryable' };
      else if (wake > policy.maxRetryAfterMs) verdict = { retry: false, reason: 'too_long' };
      else waitMs = Math.max(verdict.waitMs, wake);
    } else if (verdict.retry) waitMs = verdict.waitMs;
    if (verdict.retry) span.retrying(waitMs);
    span.end(error);
    if (verdict.retry) {
      logRetry(ctx, name, `answered ${status}`, counted, policy.maxAttempts, waitMs);
      continue;
    }
    // With every key resting or taken out, the client hears of the pool, not of the one key that answered last.
    if (pool !== undefined && !pool.ready() && (status === 429 || status === 401 || status === 403)) {
      return { error: restingError(name, pool.wakeInMs()), fallback: true };
    }
    const fallback = status === 429 || providerFault || verdict.reason === 'exhausted' || verdict.reason === 'too_long';
    return { error, fallback };
  }
}

/** Every key of a pool rests (a 429 with Retry-After = until the first wakes) or was refused by the upstream. */
function restingError(provider: string, wakeMs: number | undefined): GatewayError {
  if (wakeMs === undefined) {
    return new GatewayError('upstream_error', `provider ${provider} refused every configured key (401/403); check its api_keys`, { status: 502, code: 'provider_keys_refused' });
  }
  const seconds = Math.max(1, Math.ceil(wakeMs / 1000));
  return new GatewayError('rate_limited', `every key of provider ${provider} is rate limited; retry in ${seconds}s`, { retryAfter: seconds, code: 'rate_limit_exceeded' });
}

/** One line per retry: the provider, what went wrong (`answered 503`, `failed (ECONNRESET)`), attempt n/N and the wait. */
function logRetry(ctx: RequestContext, provider: string, what: string, attempt: number, of: number, waitMs: number, how = 'retrying'): void {
  ctx.deps.log.info(`provider ${provider} ${what}; ${how} (attempt ${attempt}/${of}, waiting ${Math.round(waitMs)} ms)`, {
    request_id: ctx.endpoint.requestId,
    provider,
    outcome: what,
    attempt,
    max_attempts: of,
    wait_ms: Math.round(waitMs),
  });
}

/** Builds the body for one target (translation differs per target format) and sends it. */
function send(ctx: RequestContext, target: RouteTarget, key: string | undefined, trace: UpstreamRequest['trace']): Promise<UpstreamResponse> {
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
    bodyBytes: clientBytes(ctx, body.text),
    model: target.upstreamModel,
    clientHeaders: ctx.req.headers,
    key,
    trace,
    signal: ctx.abort.signal,
  });
}

/**
 * The client's bytes when the upstream body is their unchanged text. The decoder dropped a byte-order mark if there
 * was one (and refuses invalid UTF-8), so the bytes are exactly the text unless they start with one.
 */
function clientBytes(ctx: RequestContext, text: string): Buffer | undefined {
  const bytes = ctx.body;
  return bytes !== undefined && text === ctx.bodyText && bytes[0] !== 0xef ? bytes : undefined;
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

/** The credential of a side call (one attempt, no retries) and the report of how it went. */
export interface SideCallKey {
  /** The next ready key of the provider's pool, else its single key, else the client's own. */
  secret: string | undefined;
  /** Tells the pool how the call ended (undefined status: the connection failed). */
  done(status: number | undefined, headers?: Readonly<Record<string, string | undefined>>): void;
}

/**
 * Side calls (count_tokens, embeddings, pass-through) go out once, with the pool's next ready key; counted as one
 * attempt. Throws the pool's 429 when every key rests.
 */
export function sideCallKey(ctx: RequestContext, provider: ProviderAdapter): SideCallKey {
  const pool = ctx.deps.keys.pool(provider.spec.name);
  const key = pool?.take();
  if (pool !== undefined && key === undefined) throw restingError(provider.spec.name, pool.wakeInMs());
  ctx.attempts++;
  if (pool === undefined || key === undefined) return { secret: provider.spec.apiKey ?? ctx.identity!.clientKey, done: () => undefined };
  return {
    secret: key.secret,
    done: (status, headers) => pool.report(key, status, headers === undefined ? undefined : retryAfterMs(headers, ctx.deps.clock.now())),
  };
}

/** A side call sent once with the key `sideCallKey` picks, the pool told how it went. */
export async function sendSideCall(
  ctx: RequestContext,
  provider: ProviderAdapter,
  request: Omit<UpstreamRequest, 'clientHeaders' | 'key' | 'trace' | 'signal'>,
): Promise<UpstreamResponse> {
  const key = sideCallKey(ctx, provider);
  const span = ctx.trace.attempt(ctx.attempts, provider);
  const upstream = await provider.send({ ...request, clientHeaders: ctx.req.headers, key: key.secret, trace: span.headers, signal: ctx.abort.signal }).catch((err: unknown) => {
    key.done(undefined);
    span.end(err);
    throw err;
  });
  key.done(upstream.status, upstream.headers);
  span.answered(upstream.status);
  span.end();
  return upstream;
}
