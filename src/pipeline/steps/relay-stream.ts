/**
 * Relays an upstream SSE stream to the client chunk by chunk. Same format: the provider's bytes go out
 * unchanged, frame by frame, while a tee parser reads usage; only OpenAI's usage chunk that the gateway itself
 * asked for is removed, and the first event that does not parse ends the client's stream with its format's
 * error event (nothing after it can be trusted). Other format: each upstream event is decoded to canonical
 * parts and re-encoded for the client. Back-pressure: when the client socket is full, the upstream is not read
 * until it drains.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamResponse } from '../../providers/provider.js';
import type { StreamEncoderOptions, WireFormat } from '../../wire/codec.js';
import { codecFor, createStreamTranslator, responsesId, restoreToolNameInEvent } from '../../wire/index.js';
import type { CanonicalStreamEvent } from '../../wire/canonical.js';
import { createSseFramer, createSseReader } from '../../wire/sse.js';
import { isMalformedUpstream } from '../../wire/shared/malformed.js';
import { transportError } from '../../providers/http-upstream.js';
import type { RequestContext } from '../context.js';
import type { StoredItem } from '../ports.js';
import { BYTES_PER_TOKEN_ESTIMATE, inputBoundFor } from './admit.js';
import { countFailure } from './forward.js';
import type { UsageMeter } from './meter.js';
import { saveState } from './responses-state.js';
import { requestBytes } from './route.js';
import { StreamGuard } from './stream-guard.js';
import type { TokenCounter } from '../../metering/index.js';
import { restorerFor, sentRequest } from './translate.js';

export interface StreamRelayOptions {
  res: ServerResponse;
  upstream: UpstreamResponse;
  providerName: string;
  providerFormat: WireFormat;
  clientFormat: WireFormat;
  stripUsageChunk: boolean;
  encoder: StreamEncoderOptions;
  meter: UsageMeter;
  signal: AbortSignal;
  /** Called after each upstream chunk; an error returned ends the stream (budget cut-off, pause). */
  check: () => GatewayError | undefined;
  /** Applied to translated events (restores tool names the upstream format had to shorten). */
  map?: ((event: CanonicalStreamEvent) => CanonicalStreamEvent) | undefined;
  /** Input tokens to announce when the upstream reports none up front (OpenAI → Anthropic clients). */
  estimatedInputTokens?: number | undefined;
  /** Writes the response head; called just before the first byte goes to the client. */
  begin: () => void;
}

export interface StreamRelayResult {
  /** Why the stream did not finish cleanly, if it did not. */
  error: GatewayError | undefined;
  /** The client went away before the end. */
  clientClosed: boolean;
  /**
   * The upstream's very first event was an error (Anthropic sends overloads that way) and nothing was sent
   * yet: the caller answers with a real HTTP error status instead, so clients can retry (spec §9).
   */
  failedBeforeStart: boolean;
  /** Body bytes written to the client. */
  bytesOut: number;
}

const CR = 0x0d;
const LF = '\n';

export async function relayStream(o: StreamRelayOptions): Promise<StreamRelayResult> {
  const translating = o.providerFormat !== o.clientFormat;
  const clientCodec = codecFor(o.clientFormat);
  let upstreamError: GatewayError | undefined;
  let malformed: GatewayError | undefined;
  let terminal = false;
  let sawContent = false;
  let bytesOut = 0;
  const observe = (part: CanonicalStreamEvent): void => {
    if (part.type !== 'error' && part.type !== 'start') sawContent = true;
    o.meter.observe(part);
    if (part.type === 'finish') terminal = true;
    if (part.type === 'error') {
      terminal = true;
      upstreamError = part.error;
      if (isMalformedUpstream(part.error)) malformed = part.error;
    }
  };

  // Translating: decode → canonical → encode. Same format: whole frames as they came, each read by a tee decoder.
  const translator = translating
    ? createStreamTranslator(codecFor(o.providerFormat), clientCodec, {
        ...o.encoder,
        observe,
        ...(o.map ? { map: o.map } : {}),
        ...(o.estimatedInputTokens !== undefined ? { estimatedInputTokens: o.estimatedInputTokens } : {}),
      })
    : undefined;
  const decoder = translating ? undefined : codecFor(o.providerFormat).createStreamDecoder();
  const framer = translating ? undefined : createSseFramer();
  let usageOnly = false;
  const reader = translating
    ? undefined
    : createSseReader((ev) => {
        for (const part of decoder!.push(ev)) observe(part);
        if (o.stripUsageChunk) usageOnly = isUsageOnlyChunk(ev.data);
      });
  /** The frames of one chunk that may go out: everything before a frame that does not parse, minus a stripped usage chunk. */
  const relayable = (frames: Buffer[]): Buffer[] => {
    const out: Buffer[] = [];
    for (const frame of frames) {
      usageOnly = false;
      reader!.feed(frame);
      // A frame ended by a lone CR is whole (the framer saw what followed); the reader would wait for an LF.
      if (frame[frame.length - 1] === CR) reader!.feed(LF);
      if (malformed) break;
      if (!usageOnly) out.push(frame);
    }
    return out;
  };
  const send = (out: string | Uint8Array): boolean => {
    bytesOut += typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength;
    return o.res.write(out);
  };

  let pending = '';
  let failure: GatewayError | undefined;
  let started = false;
  try {
    for await (const chunk of o.upstream.body as AsyncIterable<Uint8Array>) {
      let out: string | Uint8Array;
      if (translator) out = translator.feed(chunk);
      else {
        const frames = relayable(framer!.push(chunk));
        out = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
      }
      if (!started && upstreamError !== undefined && !sawContent) {
        o.upstream.body.destroy();
        return { error: upstreamError, clientClosed: false, failedBeforeStart: true, bytesOut: 0 };
      }
      if (!started && out.length > 0) {
        o.begin();
        started = true;
      }
      const writable = out.length > 0 ? send(out) : true;
      if (malformed) {
        failure = malformed;
        break;
      }
      const cut = o.check();
      if (cut) {
        failure = cut;
        break;
      }
      if (!writable) await waitForDrain(o.res, o.upstream.body, o.signal);
    }
    if (!failure) {
      if (translator) pending += translator.end();
      else {
        // A last frame without its blank line: the provider's bytes all the same.
        const rest = relayable([framer!.rest()].filter((b) => b.length > 0));
        reader!.end();
        for (const part of decoder!.end()) observe(part);
        if (malformed) failure = malformed;
        else {
          for (const frame of rest) {
            if (!started) {
              o.begin();
              started = true;
            }
            send(frame);
          }
          if (!terminal) failure = new GatewayError('upstream_unreachable', `provider ${o.providerName} closed the stream before it finished`, { code: 'stream_incomplete' });
        }
      }
    }
  } catch (err) {
    if (o.signal.aborted) return { error: undefined, clientClosed: true, failedBeforeStart: false, bytesOut };
    const mapped = transportError(err, o.providerName);
    failure = mapped instanceof GatewayError ? mapped : new GatewayError('upstream_unreachable', `provider ${o.providerName} stream failed`, { cause: err });
  }

  // Leaving the loop early has closed the upstream: a cut stream stops costing now.
  if (failure) pending += translator ? translator.fail(failure) : (decoder!.failPassthrough?.(failure) ?? clientCodec.createStreamEncoder(o.encoder).fail(failure));
  if (!started) o.begin();
  if (pending.length > 0 && !o.res.destroyed) send(pending);
  o.res.end();
  return { error: failure ?? upstreamError, clientClosed: false, failedBeforeStart: false, bytesOut };
}

/** The step for a streamed answer: relayed chunk by chunk under the stream guard, the breaker told how it went. */
export async function relayStreamed(ctx: RequestContext): Promise<void> {
  const attempt = ctx.attempt!;
  const keep = ctx.endpoint.wire === 'openai-responses' && ctx.upstreamFormat !== ctx.endpoint.wire;
  const items: StoredItem[] = [];
  const result = await relayStream(await streamOptions(ctx, keep ? items : undefined));
  if (result.failedBeforeStart && result.error) {
    // Nothing was sent: a real HTTP error lets the client's SDK retry (overloads arrive this way).
    countFailure(attempt, result.error);
    throw result.error;
  }
  const { clientClosed, error } = result;
  ctx.clientClosed = clientClosed;
  ctx.error = error;
  ctx.bytesOut = result.bytesOut;
  if (keep && !clientClosed && error === undefined) saveState(ctx.deps.responses, ctx.agent, sentRequest(ctx), responsesId(ctx.endpoint.requestId), items);
  ctx.status = clientClosed ? 499 : error ? error.status : 200;
  // The gateway's own cut-offs (budget, pause) say nothing about the provider's health.
  if (error && error.kind !== 'budget_exceeded' && error.kind !== 'agent_paused') countFailure(attempt, error);
  else if (!clientClosed) attempt.breaker.success();
  else attempt.breaker.abandon();
}

/** Never called: a guard whose request holds no limited dollars does not count tokens. */
const noCounter: TokenCounter = () => 0;

async function streamOptions(ctx: RequestContext, items: StoredItem[] | undefined): Promise<StreamRelayOptions> {
  const { target, response } = ctx.attempt!;
  const request = ctx.request!;
  const upstreamFormat = ctx.upstreamFormat as WireFormat;
  const clientFormat = ctx.endpoint.wire;
  const translating = upstreamFormat !== clientFormat;
  const restore = restorerFor(request, upstreamFormat, clientFormat);
  const guard = new StreamGuard({
    admission: ctx.admission!,
    price: ctx.price,
    inputTokens: inputBoundFor(request, requestBytes(ctx), target, upstreamFormat),
    outputTokens: ctx.hold!.outputTokens,
    count: ctx.counter ? await ctx.counter : noCounter,
    model: request.model,
  });
  const meter = ctx.meter;
  return {
    res: ctx.res,
    upstream: response,
    providerName: target.provider.spec.name,
    providerFormat: upstreamFormat,
    clientFormat,
    stripUsageChunk: ctx.upstreamBody?.stripUsageChunk ?? false,
    encoder: {
      model: request.model,
      id: ctx.endpoint.requestId,
      created: Math.floor(ctx.deps.clock.now() / 1000),
      includeUsage: request.includeUsage,
      ...(items ? { onOutputItem: (id: string, parts: StoredItem['parts']) => items.push({ id, parts }) } : {}),
    },
    meter,
    signal: ctx.abort.signal,
    check: () => guard.check(meter),
    map: restore ? (event) => restoreToolNameInEvent(event, restore) : undefined,
    // OpenAI upstreams report input only at the end; Anthropic clients expect it in message_start.
    estimatedInputTokens: translating ? Math.ceil(ctx.bodyText.length / BYTES_PER_TOKEN_ESTIMATE) : undefined,
    begin: () => ctx.res.writeHead(200, { ...ctx.headers, ...STREAM_HEADERS }),
  };
}

const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/**
 * Waits until the client can take more. Gives up when the client leaves (the signal) or when the upstream is cut
 * meanwhile (its total deadline passed): a client that stops reading must not hold the request forever.
 */
async function waitForDrain(res: ServerResponse, upstream: Readable, signal: AbortSignal): Promise<void> {
  const cut = new AbortController();
  const onClose = (): void => {
    // The iterator reads ahead, so a body that ended normally may close while its last chunk waits here.
    if (upstream.readableEnded && !upstream.errored) return;
    cut.abort(upstream.errored ?? new Error('the upstream closed while the client was not reading'));
  };
  if (upstream.destroyed) onClose();
  else upstream.once('close', onClose);
  try {
    await once(res, 'drain', { signal: AbortSignal.any([signal, cut.signal]) });
  } catch (err) {
    if (cut.signal.aborted && !signal.aborted) throw cut.signal.reason;
    throw err;
  } finally {
    upstream.off('close', onClose);
  }
}

/** OpenAI's usage-only chunk has an empty `choices` array and a `usage` object. */
function isUsageOnlyChunk(data: string): boolean {
  if (!data.includes('"usage"')) return false;
  try {
    const parsed = JSON.parse(data) as { choices?: unknown[]; usage?: unknown };
    return Array.isArray(parsed.choices) && parsed.choices.length === 0 && parsed.usage != null;
  } catch {
    return false;
  }
}
