/**
 * The proxy path for chat-style requests (OpenAI Chat Completions, Anthropic Messages):
 * identify → read → decode → route → admit → translate → forward → relay → meter → settle → record.
 * Each step lives in steps/; this file only composes them and owns the request's bookkeeping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { totalInput, ZERO_USAGE } from '../core/usage.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observe/logger.js';
import type { CanonicalRequest } from '../wire/canonical.js';
import type { WireFormat } from '../wire/codec.js';
import { codecFor, OPENAI_TOOL_NAME_MAX, restoreToolNameInEvent, toolNameRestorer } from '../wire/index.js';
import { sendError, toGatewayError } from '../server/render-error.js';
import type { Admission, Controls, Meter, Recorder, Router, RouteTarget, ProxySettings } from './ports.js';
import { costOf, maxCostOf, type ModelPrice } from '../metering/index.js';
import { isBreakerFailureError } from '../control/index.js';
import { meteredColumns, type RequestRow } from '../store/rows.js';
import { identify, type IdentifyOptions, type Identity } from './steps/identify.js';
import { parseJsonBody, readBody } from './steps/read-body.js';
import { buildUpstreamBody, chatEndpoint, type UpstreamBody } from './steps/translate.js';
import { forward, type Attempt } from './steps/forward.js';
import { UsageMeter } from './steps/meter.js';
import { relayStream } from './steps/relay-stream.js';
import { readUpstreamText, translateJson } from './steps/relay-json.js';

export interface PipelineDeps {
  clock: Clock;
  logger: Logger;
  newId: () => string;
  settings: () => ProxySettings & IdentifyOptions & { maxResponseBytes: number };
  router: Router;
  controls: Controls;
  meter: Meter;
  recorder: Recorder;
  /** Masks known secrets (provider keys) in upstream error bodies before they reach the client or the log. */
  redact?: (text: string) => string;
}

/** Rough token count from bytes, for reservations only: cheap, and an over- rather than under-estimate. */
const BYTES_PER_TOKEN_ESTIMATE = 3;

export async function handleChat(
  req: IncomingMessage,
  res: ServerResponse,
  clientFormat: WireFormat,
  pathAgent: string | undefined,
  requestId: string,
  deps: PipelineDeps,
): Promise<void> {
  const { clock } = deps;
  const started = clock.monotonic();
  const arrivedAt = clock.now();
  const settings = deps.settings();
  const abort = new AbortController();
  const onClose = (): void => {
    if (!res.writableFinished) abort.abort();
  };
  res.on('close', onClose);

  const meter = new UsageMeter();
  let identity: Identity | undefined;
  let request: CanonicalRequest | undefined;
  let bodyText = '';
  let attempt: Attempt | undefined;
  let upstreamBody: UpstreamBody | undefined;
  let admission: Admission | undefined;
  let status = 0;
  let error: GatewayError | undefined;
  let clientClosed = false;
  let ttfbMs: number | null = null;
  /** The last upstream error response, kept raw so a same-format client gets it as the provider wrote it. */
  let upstreamFailure: { format: WireFormat; status: number; text: string; error: GatewayError } | undefined;
  /** The last target a request was sent to, so a row of a failed call still names the provider that failed. */
  let tried: RouteTarget | undefined;
  /** The price of the target that answered, looked up once. */
  let price: ModelPrice | undefined;
  const baseHeaders: Record<string, string> = { 'x-request-id': requestId };

  try {
    identity = identify(pathAgent, req.headers, settings);
    baseHeaders['x-ai-gateway-agent'] = identity.agent;
    const body = await readBody(req, settings.maxBodyBytes);
    bodyText = body.toString('utf8');
    request = codecFor(clientFormat).decodeRequest(parseJsonBody(body));
    const targets = deps.router.resolve(request.model, identity.agent);
    const primary = targets[0]!;
    admission = deps.controls.admit(admissionFor(identity.agent, primary, request, body.length, settings, deps.meter));

    const req0 = request;
    const id0 = identity;
    attempt = await forward({
      agent: identity.agent,
      targets,
      controls: deps.controls,
      monotonic: () => clock.monotonic(),
      send: (target) => {
        tried = target;
        upstreamBody = buildUpstreamBody(req0, bodyText, clientFormat, target, settings.strictTranslation(id0.agent));
        return target.provider.send({
          endpoint: chatEndpoint(target.provider.format),
          method: 'POST',
          body: upstreamBody.text,
          clientHeaders: req.headers,
          clientKey: id0.clientKey,
          signal: abort.signal,
        });
      },
      readError: async (target, response) => {
        const raw = await readUpstreamText(response, settings.maxResponseBytes, target.provider.spec.name).catch(() => '');
        // Some upstreams echo the key they were sent; the client must not learn the provider's key that way.
        const text = deps.redact ? deps.redact(raw) : raw;
        let json: unknown = text;
        try {
          json = JSON.parse(text);
        } catch {
          /* a non-JSON error body is described by its status */
        }
        const decoded = codecFor(target.provider.format).decodeError(response.status, json, response.headers);
        upstreamFailure = { format: target.provider.format, status: response.status, text, error: decoded };
        return decoded;
      },
    });
    ttfbMs = attempt.ttfbMs;
    const target = attempt.target;
    price = priceOf(deps.meter, target);
    const dropped = upstreamBody?.dropped ?? [];
    if (dropped.length > 0) baseHeaders['x-ai-gateway-dropped'] = dropped.join(',');

    if (request.stream) {
      const held = admission;
      const translating = target.provider.format !== clientFormat;
      const restore = restorerFor(request, target, clientFormat);
      const result = await relayStream({
        res,
        upstream: attempt.response,
        providerName: target.provider.spec.name,
        providerFormat: target.provider.format,
        clientFormat,
        stripUsageChunk: upstreamBody?.stripUsageChunk ?? false,
        encoder: { model: request.model, id: requestId, created: Math.floor(clock.now() / 1000), includeUsage: request.includeUsage },
        meter,
        signal: abort.signal,
        check: () => budgetCheck(held, price, meter, request!, bodyText.length),
        map: restore ? (event) => restoreToolNameInEvent(event, restore) : undefined,
        // OpenAI upstreams report input only at the end; Anthropic clients expect it in message_start.
        estimatedInputTokens: translating ? Math.ceil(bodyText.length / BYTES_PER_TOKEN_ESTIMATE) : undefined,
        begin: () =>
          res.writeHead(200, {
            ...baseHeaders,
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
          }),
      });
      if (result.failedBeforeStart && result.error) {
        // Nothing was sent: a real HTTP error lets the client's SDK retry (overloads arrive this way).
        countStreamFailure(attempt, result.error);
        throw result.error;
      }
      clientClosed = result.clientClosed;
      error = result.error;
      status = clientClosed ? 499 : error ? error.status : 200;
      if (error && error.kind !== 'budget_exceeded') countStreamFailure(attempt, error);
      else if (!clientClosed) attempt.breaker.success();
      else attempt.breaker.abandon();
    } else {
      const text = await readUpstreamText(attempt.response, settings.maxResponseBytes, target.provider.spec.name);
      const out = translateJson(text, target.provider.format, clientFormat, request.model, target.provider.spec.name, {
        created: Math.floor(clock.now() / 1000),
        restore: restorerFor(request, target, clientFormat),
      });
      meter.observeResponse(out.response);
      attempt.breaker.success();
      const cost = price ? costOf(out.response.usage, price) : undefined;
      if (cost) baseHeaders['x-ai-gateway-cost-usd'] = cost.totalUsd.toFixed(6);
      status = 200;
      res.writeHead(200, { ...baseHeaders, 'content-type': 'application/json', 'content-length': Buffer.byteLength(out.bodyText) });
      res.end(out.bodyText);
    }
  } catch (err) {
    if (abort.signal.aborted && !(err instanceof GatewayError)) {
      clientClosed = true;
      status = 499;
    } else {
      error = toGatewayError(err);
      if (error.kind === 'internal') deps.logger.error('request failed', { request_id: requestId, error: describe(err) });
      status = error.status;
      const failure = upstreamFailure as typeof upstreamFailure;
      if (failure !== undefined && failure.error === err && failure.format === clientFormat && failure.text.length > 0) {
        sendUpstreamError(res, failure.status, failure.text, error, baseHeaders);
      } else sendError(res, error, clientFormat, requestId, baseHeaders);
      if (res.headersSent) status = res.statusCode;
    }
    // The upstream answered but its body failed (stall, reset, garbage) or the client left: the breaker hears
    // of it, so failures count and a half-open probe is never left hanging. Already-reported permits ignore this.
    if (attempt) settleBreakerAfterThrow(attempt, clientClosed ? undefined : error);
  } finally {
    res.off('close', onClose);
  }

  // Metering and settlement happen whatever went wrong: spend already incurred is never dropped.
  const upstreamCalled = attempt !== undefined;
  const { usage, estimated } = upstreamCalled
    ? await meter.result((t) => deps.meter.estimateTokens(t), () => bodyText)
    : { usage: { ...ZERO_USAGE }, estimated: false };
  const cost = upstreamCalled && price ? costOf(usage, price) : undefined;
  if (upstreamCalled || upstreamFailure) {
    admission?.finish({ ok: status < 400 || clientClosed, tokensIn: totalInput(usage), tokensOut: usage.output, costUsd: cost?.totalUsd ?? 0 });
  } else admission?.abandon();

  const dropped = upstreamBody?.dropped ?? [];
  const row: RequestRow = {
    id: requestId,
    ts: arrivedAt,
    agent: identity?.agent ?? 'default',
    provider: tried?.provider.spec.name ?? null,
    model: request?.model ?? '',
    upstreamModel: tried?.upstreamModel ?? null,
    clientFormat,
    upstreamFormat: tried?.provider.format ?? null,
    stream: request?.stream ?? false,
    status,
    errorCode: clientClosed ? 'client_closed' : error ? error.code : null,
    ...meteredColumns(usage, cost, price),
    estimated,
    latencyMs: Math.round(clock.monotonic() - started),
    ttfbMs: ttfbMs === null ? null : Math.round(ttfbMs),
    dropped: dropped.length > 0 ? dropped.join(',') : null,
  };
  deps.recorder.record({ row, usage, streamEvents: meter.events });
}

/** Tool names an OpenAI-format upstream had to shorten are given back to the client as it declared them. */
function restorerFor(request: CanonicalRequest, target: RouteTarget, clientFormat: WireFormat): ((name: string) => string) | undefined {
  if (target.provider.format === clientFormat || target.provider.format === 'anthropic-messages' || request.tools.length === 0) return undefined;
  return toolNameRestorer(request, OPENAI_TOOL_NAME_MAX);
}

function priceOf(meter: Meter, target: RouteTarget): ModelPrice | undefined {
  return meter.priceFor({ name: target.provider.spec.name, type: target.provider.spec.type }, target.upstreamModel);
}

function isFree(price: ModelPrice): boolean {
  const r = price.base;
  return r.input === 0 && r.output === 0 && r.cacheRead === 0 && r.cacheWrite5m === 0 && r.cacheWrite1h === 0;
}

function admissionFor(agent: string, target: RouteTarget, request: CanonicalRequest, bodyBytes: number, settings: ProxySettings, meter: Meter) {
  const price = priceOf(meter, target);
  const inputTokens = Math.ceil(bodyBytes / BYTES_PER_TOKEN_ESTIMATE);
  const maxOutput = request.maxTokens ?? settings.defaultOutputCap;
  return {
    agent,
    provider: target.provider.spec.name,
    model: target.upstreamModel,
    maxCostUsd: price ? (isFree(price) ? 0 : maxCostOf(price, inputTokens, maxOutput).totalUsd) : null,
    tokens: inputTokens + maxOutput,
  };
}

/**
 * A stream may outgrow its hold (the request set no cap, or the cap was generous). Once the running
 * estimate passes the hold, ask the ledger for more; when it has none left, end the stream.
 */
function budgetCheck(reservation: Admission, price: ModelPrice | undefined, meter: UsageMeter, request: CanonicalRequest, bodyChars: number): GatewayError | undefined {
  if (!reservation.limited || !price || isFree(price)) return undefined;
  const outputGuess = Math.ceil(meter.receivedChars / BYTES_PER_TOKEN_ESTIMATE);
  const inputGuess = Math.ceil(bodyChars / BYTES_PER_TOKEN_ESTIMATE);
  const running = maxCostOf(price, inputGuess, outputGuess).totalUsd;
  if (running <= reservation.heldUsd) return undefined;
  // Ask for headroom in steps, not per chunk.
  const step = Math.max(running - reservation.heldUsd, reservation.heldUsd * 0.25);
  if (reservation.extend(step)) return undefined;
  return new GatewayError('budget_exceeded', `budget exhausted while streaming ${request.model}; the response was cut off and the tokens produced were billed`, {
    code: 'budget_exceeded',
    shouldRetry: false,
  });
}

function settleBreakerAfterThrow(attempt: Attempt, error: GatewayError | undefined): void {
  // A reply over the gateway's own size cap says nothing about the provider's health.
  if (error === undefined || error.code === 'response_too_large') attempt.breaker.abandon();
  else countStreamFailure(attempt, error);
}

function countStreamFailure(attempt: Attempt, error: GatewayError): void {
  if (isBreakerFailureError(error)) attempt.breaker.failure();
  else attempt.breaker.success();
}

/** Same-format upstream errors go back as the provider wrote them, with their retry hints. */
function sendUpstreamError(res: ServerResponse, status: number, body: string, error: GatewayError, headers: Record<string, string>): void {
  const extra: Record<string, string> = {};
  if (error.retryAfter !== undefined) extra['retry-after'] = String(error.retryAfter);
  if (error.shouldRetry !== undefined) extra['x-should-retry'] = String(error.shouldRetry);
  res.writeHead(status, { ...headers, ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
