/**
 * Relays an upstream SSE stream to the client chunk by chunk. Same format: the provider's bytes go out
 * unchanged, frame by frame, while a tee parser reads usage; only OpenAI's usage chunk that the gateway itself
 * asked for is removed, and the first event that does not parse ends the client's stream with its format's
 * error event (nothing after it can be trusted). Other format: each upstream event is decoded to canonical
 * parts and re-encoded for the client. Either way, a chunk holding many events sends what leads up to its first
 * content at once, so the first token does not wait for the rest of a burst. Back-pressure: when the client socket
 * is full, the upstream is not read until it drains.
 */
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamResponse } from '../../providers/provider.js';
import type { SseEvent, StreamEncoderOptions, WireCodec, WireFormat } from '../../wire/codec.js';
import { codecFor, createStreamTranslator, isContentEvent, isUsageOnlyChunk, responsesId, restoreToolNameInEvent } from '../../wire/index.js';
import type { CanonicalStreamEvent } from '../../wire/canonical.js';
import { createSseFramer, createSseReader } from '../../wire/sse.js';
import { isMalformedUpstream } from '../../wire/shared/malformed.js';
import { transportError } from '../../providers/http-upstream.js';
import type { RequestContext } from '../context.js';
import type { StoredItem, StreamSpan } from '../ports.js';
import { BYTES_PER_TOKEN_ESTIMATE, inputBoundFor } from './admit.js';
import { countFailure } from './forward.js';
import type { UsageMeter } from './meter.js';
import { saveState } from './responses-state.js';
import { requestBytes } from './route.js';
import { StreamGuard } from './stream-guard.js';
import { eachChunk, readOnWhenDrained } from './upstream-body.js';
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
  /** Called after each upstream chunk; an error returned ends the stream (budget cut-off, pause). A promise is awaited. */
  check: () => GatewayError | undefined | Promise<GatewayError | undefined>;
  /** Applied to translated events (restores tool names the upstream format had to shorten). */
  map?: ((event: CanonicalStreamEvent) => CanonicalStreamEvent) | undefined;
  /** Input tokens to announce when the upstream reports none up front (OpenAI → Anthropic clients). */
  estimatedInputTokens?: number | undefined;
  /** Writes the response head; called just before the first byte goes to the client. */
  begin: () => void;
  /** Sees every canonical event of the answer (set only when a trace captures its content). */
  onEvent?: ((event: CanonicalStreamEvent) => void) | undefined;
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

export function relayStream(o: StreamRelayOptions): Promise<StreamRelayResult> {
  return new StreamRelay(o).run();
}

/** One stream's relay: its decoders and what it has seen so far, in one object rather than a closure per callback. */
class StreamRelay {
  private readonly clientCodec: WireCodec;
  private readonly translator: ReturnType<typeof createStreamTranslator> | undefined;
  private readonly decoder: ReturnType<WireCodec['createStreamDecoder']> | undefined;
  private readonly framer: ReturnType<typeof createSseFramer> | undefined;
  private readonly reader: ReturnType<typeof createSseReader> | undefined;
  private upstreamError: GatewayError | undefined;
  private malformed: GatewayError | undefined;
  private terminal = false;
  private sawContent = false;
  private usageOnly = false;
  private started = false;
  private failedBeforeStart = false;
  private bytesOut = 0;
  /** A write made before the end of its chunk (the first content) found the client's buffer full. */
  private full = false;
  private pending = '';
  /** The first frame went through the reader's TextDecoder (see relayable). */
  private firstFrameRead = false;
  /** Why the relay stopped reading before the upstream ended (a malformed event, a cut-off). */
  private stoppedBy: GatewayError | undefined;

  constructor(private readonly o: StreamRelayOptions) {
    const translating = o.providerFormat !== o.clientFormat;
    this.clientCodec = codecFor(o.clientFormat);
    // Translating: decode → canonical → encode. Same format: whole frames as they came, each read by a tee decoder.
    this.translator = translating
      ? createStreamTranslator(codecFor(o.providerFormat), this.clientCodec, {
          ...o.encoder,
          observe: this.observe,
          onFirstContent: this.sendFirst,
          ...(o.map ? { map: o.map } : {}),
          ...(o.estimatedInputTokens !== undefined ? { estimatedInputTokens: o.estimatedInputTokens } : {}),
        })
      : undefined;
    this.decoder = translating ? undefined : codecFor(o.providerFormat).createStreamDecoder();
    this.framer = translating ? undefined : createSseFramer();
    this.reader = translating ? undefined : createSseReader(this.onEvent);
  }

  async run(): Promise<StreamRelayResult> {
    let failure: GatewayError | undefined;
    try {
      failure = await this.pump();
      if (this.failedBeforeStart) return { error: this.upstreamError, clientClosed: false, failedBeforeStart: true, bytesOut: 0 };
      failure ??= this.finish();
    } catch (err) {
      if (this.o.signal.aborted) return { error: undefined, clientClosed: true, failedBeforeStart: false, bytesOut: this.bytesOut };
      const mapped = transportError(err, this.o.providerName);
      failure = mapped instanceof GatewayError ? mapped : new GatewayError('upstream_unreachable', `provider ${this.o.providerName} stream failed`, { cause: err });
    }
    return this.close(failure);
  }

  /** Upstream chunks out to the client as they come; returns why it stopped early, if it did. */
  private async pump(): Promise<GatewayError | undefined> {
    await eachChunk(this.o.upstream.body, this.relayChunk);
    return this.stoppedBy;
  }

  /** One upstream chunk out: whether to read on, or a promise of it when the guard counts or the client is full. */
  private readonly relayChunk = (chunk: Buffer): boolean | Promise<boolean> => {
    let out: string | Uint8Array;
    if (this.translator) out = this.translator.feed(chunk);
    else {
      const frames = this.relayable(this.framer!.push(chunk));
      out = joinFrames(frames);
    }
    if (!this.started && this.upstreamError !== undefined && !this.sawContent) {
      this.failedBeforeStart = true;
      return false;
    }
    if (!this.started && out.length > 0) this.start();
    const sent = out.length > 0 ? this.send(out) : true;
    const writable = sent && !this.full;
    this.full = false;
    if (this.malformed) return this.stop(this.malformed);
    const checked = this.o.check();
    // Synchronous unless the guard must count tokens: no extra turn per chunk otherwise.
    if (checked instanceof Promise) return this.afterCheck(checked, writable);
    if (checked) return this.stop(checked);
    return writable || readOnWhenDrained(this.o.res, this.o.upstream.body, this.o.signal);
  };

  private async afterCheck(checked: Promise<GatewayError | undefined>, writable: boolean): Promise<boolean> {
    const cut = await checked;
    if (cut) return this.stop(cut);
    return writable || readOnWhenDrained(this.o.res, this.o.upstream.body, this.o.signal);
  }

  private stop(reason: GatewayError): false {
    this.stoppedBy = reason;
    return false;
  }

  /** The upstream ended: what is left goes out, and a stream without its terminal event is incomplete. */
  private finish(): GatewayError | undefined {
    if (this.translator) {
      this.pending += this.translator.end();
      return undefined;
    }
    // A last frame without its blank line: the provider's bytes all the same.
    const rest = this.relayable([this.framer!.rest()].filter((b) => b.length > 0));
    this.reader!.end();
    for (const part of this.decoder!.end()) this.observe(part);
    if (this.malformed) return this.malformed;
    for (const frame of rest) {
      if (!this.started) this.start();
      this.send(frame);
    }
    if (this.terminal) return undefined;
    return new GatewayError('upstream_unreachable', `provider ${this.o.providerName} closed the stream before it finished`, { code: 'stream_incomplete' });
  }

  private close(failure: GatewayError | undefined): StreamRelayResult {
    const o = this.o;
    // Stopping early has closed the upstream: a cut stream stops costing now.
    if (failure) {
      this.pending += this.translator
        ? this.translator.fail(failure)
        : (this.decoder!.failPassthrough?.(failure) ?? this.clientCodec.createStreamEncoder(o.encoder).fail(failure));
    }
    if (!this.started) o.begin();
    if (this.pending.length > 0 && !o.res.destroyed) this.send(this.pending);
    o.res.end();
    return { error: failure ?? this.upstreamError, clientClosed: false, failedBeforeStart: false, bytesOut: this.bytesOut };
  }

  private readonly observe = (part: CanonicalStreamEvent): void => {
    if (isContentEvent(part)) this.sawContent = true;
    this.o.meter.observe(part);
    this.o.onEvent?.(part);
    if (part.type === 'finish') this.terminal = true;
    if (part.type === 'error') {
      this.terminal = true;
      this.upstreamError = part.error;
      if (isMalformedUpstream(part.error)) this.malformed = part.error;
    }
  };

  private readonly onEvent = (ev: SseEvent): void => {
    for (const part of this.decoder!.push(ev)) this.observe(part);
    if (this.o.stripUsageChunk) this.usageOnly = isUsageOnlyChunk(ev.data);
  };

  /**
   * The frames of one chunk that may go out: everything before a frame that does not parse, minus a stripped usage
   * chunk. Those up to the first content go out at once, before the rest of their chunk is read.
   */
  private relayable(frames: Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    for (const frame of frames) {
      this.usageOnly = false;
      // A frame ends at a line break, which no UTF-8 sequence holds, so each frame decodes on its own, and Buffer's
      // decoder costs a third less per frame than the stream's TextDecoder; that one still reads the first frame,
      // whose byte-order mark it drops as the SSE grammar asks.
      this.reader!.feed(this.firstFrameRead ? frame.toString() : frame);
      this.firstFrameRead = true;
      // A frame ended by a lone CR is whole (the framer saw what followed); the reader would wait for an LF.
      if (frame[frame.length - 1] === CR) this.reader!.feed(LF);
      if (this.malformed) break;
      if (!this.usageOnly) out.push(frame);
      if (out.length > 0 && this.firstContentDue()) {
        this.sendFirst(joinFrames(out));
        out.length = 0;
      }
    }
    return out;
  }

  /** The output up to the first content, sent before the rest of its chunk is read or translated. */
  private readonly sendFirst = (out: string | Uint8Array): void => {
    if (!this.started) this.start();
    if (!this.send(out)) this.full = true;
    // A response corks on a write until the next tick, which would come only once the rest of this chunk has been
    // relayed or translated: the first content is flushed now. Node 24 and later hold the bytes in the response,
    // Node 22 in its socket.
    const { res } = this.o;
    if (res.writableCorked > 0) res.uncork();
    const socket = res.socket;
    if (socket && socket.writableCorked > 0) socket.uncork();
  };

  /** Content has been seen, nothing failed, and nothing is out yet. */
  private firstContentDue(): boolean {
    return !this.started && this.sawContent && this.upstreamError === undefined;
  }

  private start(): void {
    this.o.begin();
    this.started = true;
  }

  private send(out: string | Uint8Array): boolean {
    this.bytesOut += typeof out === 'string' ? Buffer.byteLength(out) : out.byteLength;
    return this.o.res.write(out);
  }
}

/** Frames as one buffer: a view across them when they lie side by side in one chunk (the usual case), else a copy. */
function joinFrames(frames: readonly Buffer[]): Buffer {
  if (frames.length === 0) return EMPTY;
  const first = frames[0]!;
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame.buffer !== first.buffer || frame.byteOffset !== end) return Buffer.concat(frames);
    end += frame.byteLength;
  }
  return frames.length === 1 ? first : Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

const EMPTY = Buffer.alloc(0);

/** The step for a streamed answer: relayed chunk by chunk under the stream guard, the breaker told how it went. */
export async function relayStreamed(ctx: RequestContext): Promise<void> {
  const span = ctx.trace.stream();
  try {
    await relayTraced(ctx, span);
    span.end(ctx.error);
  } catch (err) {
    span.end(err);
    throw err;
  }
}

async function relayTraced(ctx: RequestContext, span: StreamSpan): Promise<void> {
  const attempt = ctx.attempt!;
  const keep = ctx.endpoint.wire === 'openai-responses' && ctx.upstreamFormat !== ctx.endpoint.wire;
  const items: StoredItem[] = [];
  const result = await relayStream(streamOptions(ctx, keep ? items : undefined, span));
  if (result.failedBeforeStart && result.error) {
    // Nothing was sent: a real HTTP error lets the client's SDK retry (overloads arrive this way).
    countFailure(ctx, result.error);
    throw result.error;
  }
  const { clientClosed, error } = result;
  ctx.clientClosed = clientClosed;
  ctx.error = error;
  ctx.bytesOut = result.bytesOut;
  if (keep && !clientClosed && error === undefined) saveState(ctx.deps.responses, ctx.agent, sentRequest(ctx), responsesId(ctx.endpoint.requestId), items);
  ctx.status = clientClosed ? 499 : error ? error.status : 200;
  // The gateway's own cut-offs (budget, pause) say nothing about the provider's health.
  if (error && error.kind !== 'budget_exceeded' && error.kind !== 'agent_paused') countFailure(ctx, error);
  else if (!clientClosed) attempt.breaker.success();
  else attempt.breaker.abandon();
}

function streamOptions(ctx: RequestContext, items: StoredItem[] | undefined, span: StreamSpan): StreamRelayOptions {
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
    counter: ctx.deps.meter,
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
    begin: () => {
      span.firstEvent();
      ctx.res.writeHead(200, { ...ctx.headers, ...STREAM_HEADERS });
    },
    onEvent: ctx.trace.onStreamEvent,
  };
}

const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };
