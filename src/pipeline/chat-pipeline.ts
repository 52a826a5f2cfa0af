/**
 * The proxy path for chat-style requests (OpenAI Chat Completions, Anthropic Messages):
 * identify → read → decode → route → admit → translate → forward → relay → meter → settle → record.
 * Each step lives in steps/; this file only composes them and owns the request's bookkeeping.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../observe/logger.js';
import { maskSecret } from '../observe/redact.js';
import type { CanonicalRequest } from '../wire/canonical.js';
import type { WireFormat } from '../wire/codec.js';
import {
  ANTHROPIC_TOOL_NAME_MAX,
  codecFor,
  OPENAI_TOOL_NAME_MAX,
  responseOutput,
  responsesId,
  restoreToolNameInEvent,
  toolNameRestorer,
  type ClientToolName,
} from '../wire/index.js';
import { upstreamFormatFor } from '../providers/provider.js';
import { sendError, toGatewayError } from '../server/render-error.js';
import type { Admission, AdmissionRequest, Controls, Meter, Recorder, ResponseStore, Router, RouteTarget, ProxySettings, StoredItem } from './ports.js';
import { costOf, inputTokenBound, loadTokenCounter, maxCostOf, usdFromPico, type ModelPrice, type TokenCounter } from '../metering/index.js';
import { isBreakerFailureError } from '../control/index.js';
import { identify, type IdentifyOptions, type Identity } from './steps/identify.js';
import { parseJsonBody, readBody } from './steps/read-body.js';
import { buildUpstreamBody, chatEndpoint, type UpstreamBody } from './steps/translate.js';
import { fittedMaxTokens } from './steps/fit-to-model.js';
import { forward, type Attempt } from './steps/forward.js';
import { UsageMeter, type MeteredUsage } from './steps/meter.js';
import { relayStream } from './steps/relay-stream.js';
import { readUpstreamText, translateJson } from './steps/relay-json.js';
import { isFree, StreamGuard } from './steps/stream-guard.js';
import { refersToState, resolveState, saveState } from './steps/responses-state.js';
import { settleRequest } from './settle.js';
import type { UsageWarning } from './usage-warnings.js';

export interface PipelineDeps {
  clock: Clock;
  logger: Logger;
  newId: () => string;
  settings: () => ProxySettings & IdentifyOptions & { maxResponseBytes: number };
  router: Router;
  controls: Controls;
  meter: Meter;
  recorder: Recorder;
  /** What /v1/responses clients may refer to of the answers the gateway translated for them. */
  responses: ResponseStore;
  /** Masks known secrets (provider keys) in upstream error bodies before they reach the client or the log. */
  redact?: (text: string) => string;
  /** Told when a provider's usage report held counts that are no token counts (it logs once per provider). */
  warnUsage?: UsageWarning;
}

/**
 * Rough token count from bytes, for tokens-per-minute limits and for the input announced to a client before the
 * provider reports it. Never for money: budget holds use a true upper bound (inputTokenBound).
 */
const BYTES_PER_TOKEN_ESTIMATE = 3;

export async function handleChat(
  req: IncomingMessage,
  res: ServerResponse,
  clientFormat: WireFormat,
  pathAgent: string | undefined,
  requestId: string,
  deps: PipelineDeps,
  path: string,
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
  let bodyBytes = 0;
  let bytesOut: number | null = null;
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
  /** The first-choice target: when another one answers, the row names this one as the provider it stood in for. */
  let primary: RouteTarget | undefined;
  /** The price of the target that answered, looked up once. */
  let price: ModelPrice | undefined;
  /** What the call used, once metered (before the answer goes out when it is not streamed). */
  let metered: MeteredUsage | undefined;
  const baseHeaders: Record<string, string> = { 'x-request-id': requestId };

  try {
    try {
      identity = identify(pathAgent, req.headers, settings);
      baseHeaders['x-ai-gateway-agent'] = identity.agent;
      const body = await readBody(req, settings.maxBodyBytes);
      bodyBytes = body.length;
      bodyText = body.toString('utf8');
      request = codecFor(clientFormat).decodeRequest(parseJsonBody(body));
      const targets = deps.router.resolve(request.model, identity.agent);
      primary = targets[0];
      const translates = (target: RouteTarget): boolean => upstreamFormatFor(target.provider, clientFormat) !== clientFormat;
      // Earlier responses a translated request refers to are expanded from the gateway's store; a provider that
      // speaks Responses resolves them itself, so an unknown id only matters once a translating target is tried.
      let state: ReturnType<typeof resolveState> | GatewayError | undefined;
      if (clientFormat === 'openai-responses' && refersToState(request) && targets.some(translates)) {
        try {
          state = resolveState(request, identity.agent, deps.responses);
        } catch (err) {
          if (!(err instanceof GatewayError) || translates(targets[0]!)) throw err;
          state = err;
        }
      }
      const resolved = state instanceof GatewayError ? undefined : state;
      const hold = holdFor(identity.agent, targets, request, body.length + (resolved?.addedBytes ?? 0), settings, deps.meter);
      admission = deps.controls.admit(hold.request);
      // A budget guard counts a stream's tokens once its bytes no longer prove it fits: load the tokenizer while
      // the upstream answers, and only for requests whose dollars are limited.
      const counter = request.stream && hold.priced && admission.limited ? loadTokenCounter() : undefined;

      const req0 = request;
      const id0 = identity;
      attempt = await forward({
        agent: identity.agent,
        targets,
        controls: deps.controls,
        monotonic: () => clock.monotonic(),
        send: (target) => {
          tried = target;
          let translated = req0;
          if (translates(target) && state !== undefined) {
            if (state instanceof GatewayError) throw state;
            translated = state.request;
          }
          upstreamBody = buildUpstreamBody(translated, bodyText, clientFormat, target, settings.strictTranslation(id0.agent));
          return target.provider.send({
            endpoint: chatEndpoint(upstreamFormatFor(target.provider, clientFormat)),
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
          const format = upstreamFormatFor(target.provider, clientFormat);
          const decoded = codecFor(format).decodeError(response.status, json, response.headers);
          upstreamFailure = { format, status: response.status, text, error: decoded };
          return decoded;
        },
      });
      ttfbMs = attempt.ttfbMs;
      const target = attempt.target;
      const upstreamFormat = upstreamFormatFor(target.provider, clientFormat);
      const translating = upstreamFormat !== clientFormat;
      /** The request as translated, references resolved: what a stored answer follows on from. */
      const sent = translating && resolved !== undefined ? resolved.request : request;
      // A Responses client may refer to a translated answer later: its items are kept as they are sent.
      const keep = clientFormat === 'openai-responses' && translating;
      price = priceOf(deps.meter, target);
      const dropped = upstreamBody?.dropped ?? [];
      if (dropped.length > 0) baseHeaders['x-ai-gateway-dropped'] = dropped.join(',');
      const adjusted = upstreamBody?.adjusted ?? [];
      if (adjusted.length > 0) baseHeaders['x-ai-gateway-adjusted'] = adjusted.join(',');

      if (request.stream) {
        const restore = restorerFor(request, upstreamFormat, clientFormat);
        const items: StoredItem[] = [];
        const guard = new StreamGuard({
          admission,
          price,
          inputTokens: inputBoundFor(request, body.length + (resolved?.addedBytes ?? 0), target, upstreamFormat),
          outputTokens: hold.outputTokens,
          count: counter ? await counter : noCounter,
          model: request.model,
        });
        const result = await relayStream({
          res,
          upstream: attempt.response,
          providerName: target.provider.spec.name,
          providerFormat: upstreamFormat,
          clientFormat,
          stripUsageChunk: upstreamBody?.stripUsageChunk ?? false,
          encoder: {
            model: request.model,
            id: requestId,
            created: Math.floor(clock.now() / 1000),
            includeUsage: request.includeUsage,
            ...(keep ? { onOutputItem: (id: string, parts: StoredItem['parts']) => items.push({ id, parts }) } : {}),
          },
          meter,
          signal: abort.signal,
          check: () => guard.check(meter),
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
        bytesOut = result.bytesOut;
        if (keep && !clientClosed && error === undefined) saveState(deps.responses, identity.agent, sent, responsesId(requestId), items);
        status = clientClosed ? 499 : error ? error.status : 200;
        // The gateway's own cut-offs (budget, pause) say nothing about the provider's health.
        if (error && !cutByGateway(error)) countStreamFailure(attempt, error);
        else if (!clientClosed) attempt.breaker.success();
        else attempt.breaker.abandon();
      } else {
        const text = await readUpstreamText(attempt.response, settings.maxResponseBytes, target.provider.spec.name);
        const out = translateJson(text, upstreamFormat, clientFormat, request.model, target.provider.spec.name, {
          created: Math.floor(clock.now() / 1000),
          restore: restorerFor(request, upstreamFormat, clientFormat),
        });
        meter.observeResponse(out.response);
        if (keep) {
          const id = responsesId(out.clientResponse.id);
          saveState(deps.responses, identity.agent, sent, id, responseOutput(out.clientResponse.content, id).map((o) => ({ id: String(o.item['id']), parts: o.parts })));
        }
        attempt.breaker.success();
        // An answer without usable usage is estimated before it goes out, so its header states what is billed.
        metered = await meterResult(meter, deps, bodyText);
        const cost = price ? costOf(metered.usage, price) : undefined;
        if (cost) baseHeaders['x-ai-gateway-cost-usd'] = cost.totalUsd.toFixed(6);
        status = 200;
        bytesOut = Buffer.byteLength(out.bodyText);
        res.writeHead(200, { ...baseHeaders, 'content-type': 'application/json', 'content-length': bytesOut });
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
    }

    // Metering and settlement happen whatever went wrong: spend already incurred is never dropped.
    if (attempt) {
      metered ??= await meterResult(meter, deps, bodyText);
      if (meter.rejected.length > 0) deps.warnUsage?.(attempt.target.provider.spec.name, meter.rejected);
    }
    const dropped = upstreamBody?.dropped ?? [];
    const adjusted = upstreamBody?.adjusted ?? [];
    settleRequest(deps.recorder, {
      admission,
      upstreamCalled: attempt !== undefined || upstreamFailure !== undefined,
      ok: status < 400 || clientClosed,
      metered,
      price,
      streamEvents: meter.events,
      row: {
        id: requestId,
        ts: arrivedAt,
        agent: identity?.agent ?? 'default',
        provider: tried?.provider.spec.name ?? null,
        model: request?.model ?? '',
        upstreamModel: tried?.upstreamModel ?? null,
        clientFormat,
        upstreamFormat: tried === undefined ? null : upstreamFormatFor(tried.provider, clientFormat),
        stream: request?.stream ?? false,
        status,
        errorCode: clientClosed ? 'client_closed' : error ? error.code : null,
        latencyMs: Math.round(clock.monotonic() - started),
        ttfbMs: ttfbMs === null ? null : Math.round(ttfbMs),
        dropped: dropped.length > 0 ? dropped.join(',') : null,
        adjusted: adjusted.length > 0 ? adjusted.join(',') : null,
        path,
        bytesIn: bodyBytes,
        bytesOut,
        // An upstream may quote the client's own key back; the audit keeps it masked like the configured ones.
        errorMessage: clientClosed || !error ? null : maskSecret(error.message, identity?.clientKey),
        fallbackFrom: tried !== undefined && primary !== undefined && tried !== primary ? primary.provider.spec.name : null,
      },
    });
  } finally {
    res.off('close', onClose);
    // Whatever happened above, even a throw, the hold is released: after a settlement this does nothing.
    admission?.abandon();
  }
}

function meterResult(meter: UsageMeter, deps: PipelineDeps, bodyText: string): Promise<MeteredUsage> {
  return meter.result((t) => deps.meter.estimateTokens(t), () => bodyText);
}

/** Never called: a guard whose request holds no limited dollars does not count tokens. */
const noCounter: TokenCounter = () => 0;

function cutByGateway(error: GatewayError): boolean {
  return error.kind === 'budget_exceeded' || error.kind === 'agent_paused';
}

/** Tool names the upstream format had to flatten or shorten are given back to the client as it declared them. */
function restorerFor(request: CanonicalRequest, upstreamFormat: WireFormat, clientFormat: WireFormat): ((name: string) => ClientToolName) | undefined {
  if (upstreamFormat === clientFormat || request.tools.length === 0) return undefined;
  return toolNameRestorer(request, upstreamFormat === 'anthropic-messages' ? ANTHROPIC_TOOL_NAME_MAX : OPENAI_TOOL_NAME_MAX);
}

function priceOf(meter: Meter, target: RouteTarget): ModelPrice | undefined {
  return meter.priceFor({ name: target.provider.spec.name, type: target.provider.spec.type }, target.upstreamModel);
}

/** The format family that prices a target's images. */
function inputBoundFor(request: CanonicalRequest, bodyBytes: number, target: RouteTarget, upstreamFormat: WireFormat): number {
  const upstream = upstreamFormat === 'anthropic-messages' ? 'anthropic' : 'openai';
  return inputTokenBound(request, bodyBytes, { upstream, model: target.upstreamModel });
}

interface Hold {
  request: AdmissionRequest;
  /** Output tokens the hold pays for. */
  outputTokens: number;
  /** Some dollars are held (a priced, non-free model). */
  priced: boolean;
}

/**
 * The budget hold of a request: the dearest it can cost on any of its targets (a fallback may answer), from a
 * true upper bound of its input tokens and its output cap (or the gateway's assumed cap when it sets none). A cap
 * above a target's model limit is sent lowered to it (fit-to-model), so that target can produce no more than that.
 */
function holdFor(agent: string, targets: RouteTarget[], request: CanonicalRequest, bodyBytes: number, settings: ProxySettings, meter: Meter): Hold {
  const primary = targets[0]!;
  const outputOn = (target: RouteTarget): number =>
    request.maxTokens === undefined ? settings.defaultOutputCap : fittedMaxTokens(request.maxTokens, target.capabilities);
  const outputTokens = Math.max(...targets.map(outputOn));
  const primaryPrice = priceOf(meter, primary);
  let maxCostUsd: number | null = null;
  if (primaryPrice !== undefined) {
    let pico = 0;
    for (const target of targets) {
      const p = target === primary ? primaryPrice : priceOf(meter, target);
      if (p !== undefined && !isFree(p)) pico = Math.max(pico, maxCostOf(p, inputBoundFor(request, bodyBytes, target, target.provider.format), outputOn(target)).totalPico);
    }
    maxCostUsd = usdFromPico(pico);
  }
  return {
    request: {
      agent,
      provider: primary.provider.spec.name,
      model: primary.upstreamModel,
      maxCostUsd,
      tokens: Math.ceil(bodyBytes / BYTES_PER_TOKEN_ESTIMATE) + outputTokens,
    },
    outputTokens,
    priced: maxCostUsd !== null && maxCostUsd > 0,
  };
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
