/**
 * Relays a whole (non-streamed) upstream response.
 *
 * Same format: the provider's bytes go out as they are and are never parsed to be metered; the usage is read off
 * the body's tail (providers put it at the end). An answer up to HELD_BODY_BYTES (or max_response_body, if lower)
 * is held so its cost can go out in a header; a larger one is relayed chunk by chunk as it arrives, under the
 * client's back-pressure, with only its tail kept, and has no cost header.
 *
 * Other format: decoded to canonical and re-encoded for the client, which needs the whole body: one over
 * max_response_body is refused with a 502.
 */
import { GatewayError } from '../../core/errors.js';
import type { UsageReading } from '../../core/usage.js';
import type { CanonicalResponse } from '../../wire/canonical.js';
import type { WireFormat } from '../../wire/codec.js';
import { codecFor, responseOutput, responsesId, restoreToolNamesInResponse, type ClientToolName } from '../../wire/index.js';
import { readAnthropicUsage } from '../../wire/anthropic-messages/index.js';
import { readOpenAIUsage } from '../../wire/openai-chat/index.js';
import { readResponsesUsage } from '../../wire/openai-responses/index.js';
import { transportError } from '../../providers/http-upstream.js';
import { costOf } from '../../metering/index.js';
import type { RequestContext } from '../context.js';
import { BYTES_PER_TOKEN_ESTIMATE } from './admit.js';
import { countFailure } from './forward.js';
import { meterUsage } from './meter.js';
import { saveState } from './responses-state.js';
import { restorerFor, sentRequest } from './translate.js';
import { eachChunk, readOnWhenDrained, readUpstreamText } from './upstream-body.js';
import { ByteTail } from './usage-tail.js';

/**
 * The largest same-format answer held whole. Above it an answer streams: holding (and sending) tens of MB at once
 * would pin memory and the client's socket, and a cost header is worth no stall.
 */
const HELD_BODY_BYTES = 1024 * 1024;

/** The usage readers of the formats whose answers carry one `usage` object at the end of their body. */
const TAIL_USAGE: Partial<Record<WireFormat, (value: unknown) => UsageReading>> = {
  'openai-chat': readOpenAIUsage,
  'openai-responses': readResponsesUsage,
  'anthropic-messages': readAnthropicUsage,
};

export interface JsonRelayResult {
  bodyText: string;
  /** The upstream's answer (metered). */
  response: CanonicalResponse;
  /** The answer as the client got it, tool names restored. */
  clientResponse: CanonicalResponse;
}

export function translateJson(
  text: string,
  providerFormat: WireFormat,
  clientFormat: WireFormat,
  clientModel: string,
  provider: string,
  options: { created: number; restore?: ((name: string) => ClientToolName) | undefined },
): JsonRelayResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayError('upstream_error', `provider ${provider} returned a body that is not JSON`, { status: 502, code: 'invalid_upstream_response' });
  }
  let response: CanonicalResponse;
  try {
    response = codecFor(providerFormat).decodeResponse(json);
  } catch (err) {
    throw new GatewayError('upstream_error', `provider ${provider} returned a response the gateway cannot read`, {
      status: 502,
      code: 'invalid_upstream_response',
      cause: err,
    });
  }
  if (providerFormat === clientFormat) return { bodyText: text, response, clientResponse: response };
  response.created ??= options.created;
  const restored = options.restore ? restoreToolNamesInResponse(response, options.restore) : response;
  const encoded = codecFor(clientFormat).encodeResponse(restored, { model: clientModel });
  return { bodyText: JSON.stringify(encoded), response, clientResponse: restored };
}

/** The step for a whole answer: relayed unparsed when the client speaks the provider's format, else translated. */
export function relayJson(ctx: RequestContext): Promise<void> {
  const upstreamFormat = ctx.upstreamFormat as WireFormat;
  const readUsage = upstreamFormat === ctx.endpoint.wire ? TAIL_USAGE[upstreamFormat] : undefined;
  return readUsage === undefined ? relayTranslated(ctx) : relayUnparsed(ctx, readUsage);
}

/** Read whole, translated for the client, metered, and sent with its cost in a header. */
async function relayTranslated(ctx: RequestContext): Promise<void> {
  const { target, response } = ctx.attempt!;
  const name = target.provider.spec.name;
  const upstreamFormat = ctx.upstreamFormat as WireFormat;
  const clientFormat = ctx.endpoint.wire;
  const text = await readUpstreamText(response, ctx.settings.maxResponseBytes, name);
  let out: JsonRelayResult;
  try {
    out = decoded(ctx, text);
  } catch (err) {
    // Refused with a 502, but the provider may bill what it sent: estimated from its size, never $0.
    ctx.meter.observeBody(undefined, Math.ceil(Buffer.byteLength(text) / BYTES_PER_TOKEN_ESTIMATE), false);
    throw err;
  }
  // A Responses client may refer to a translated answer later: its items are kept as they are sent.
  if (clientFormat === 'openai-responses' && upstreamFormat !== clientFormat) {
    const id = responsesId(out.clientResponse.id);
    const items = responseOutput(out.clientResponse.content, id).map((o) => ({ id: String(o.item['id']), parts: o.parts }));
    saveState(ctx.deps.responses, ctx.agent, sentRequest(ctx), id, items);
  }
  await sendWhole(ctx, out.bodyText);
}

/** The answer decoded (and re-encoded when the formats differ), observed by the meter and the trace. */
function decoded(ctx: RequestContext, text: string): JsonRelayResult {
  const request = ctx.request!;
  const upstreamFormat = ctx.upstreamFormat as WireFormat;
  const clientFormat = ctx.endpoint.wire;
  const out = translateJson(text, upstreamFormat, clientFormat, request.model, ctx.attempt!.target.provider.spec.name, {
    created: Math.floor(ctx.deps.clock.now() / 1000),
    restore: restorerFor(request, upstreamFormat, clientFormat),
  });
  ctx.meter.observeResponse(out.response);
  ctx.trace.onAnswer?.(out.response);
  return out;
}

/** A whole answer out with its cost in a header: one without usable usage is estimated first, so the header states what is billed. */
async function sendWhole(ctx: RequestContext, body: string | Buffer): Promise<void> {
  ctx.attempt!.breaker.success();
  ctx.metered = await meterUsage(ctx);
  const headers = ctx.headers;
  const cost = ctx.price ? costOf(ctx.metered.usage, ctx.price) : undefined;
  if (cost) headers['x-ai-gateway-cost-usd'] = cost.totalUsd.toFixed(6);
  ctx.status = 200;
  ctx.bytesOut = Buffer.byteLength(body);
  ctx.res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': ctx.bytesOut });
  ctx.res.end(body);
}

/**
 * A same-format answer: held while it is small, then (past the hold) relayed as it comes. Nothing is parsed to
 * meter it: its usage comes from the tail. A failure before the first byte goes out is thrown (the client gets an
 * error in its format); after it, the client's connection is cut, as a stream's would be.
 */
async function relayUnparsed(ctx: RequestContext, readUsage: (value: unknown) => UsageReading): Promise<void> {
  const { target, response } = ctx.attempt!;
  const name = target.provider.spec.name;
  const hold = Math.min(HELD_BODY_BYTES, ctx.settings.maxResponseBytes);
  const res = ctx.res;
  const tail = new ByteTail();
  let held: Buffer[] | undefined = [];
  try {
    await eachChunk(response.body, (chunk) => {
      tail.push(chunk);
      let writable: boolean;
      if (held !== undefined) {
        held.push(chunk);
        if (tail.bytes <= hold) return true;
        res.writeHead(200, { ...ctx.headers, 'content-type': 'application/json' });
        ctx.status = 200;
        writable = true;
        for (const part of held) writable = res.write(part);
        held = undefined;
      } else writable = res.write(chunk);
      return writable || readOnWhenDrained(res, response.body, ctx.abort.signal);
    });
  } catch (err) {
    if (held === undefined) return brokenOff(ctx, err, tail);
    // Nothing went out: the client hears of the failure in its format, and what arrived is billed all the same.
    ctx.meter.observeBody(undefined, outputGuess(tail), false);
    throw transportError(err, name);
  }
  if (held !== undefined) {
    await sendHeld(ctx, held.length === 1 ? held[0]! : Buffer.concat(held, tail.bytes), tail, readUsage);
    return;
  }
  ctx.meter.observeBody(tailUsage(tail, readUsage), outputGuess(tail), true);
  ctx.bytesOut = tail.bytes;
  ctx.attempt!.breaker.success();
  res.end();
}

/**
 * A held answer goes out as the provider's exact bytes. Its tail's usage bills it; one whose tail holds no
 * complete report (or that a trace records) is decoded whole, as a translated one would be, so the missing side is
 * estimated from its text and a body that is not the format's JSON is refused with a 502.
 */
async function sendHeld(ctx: RequestContext, body: Buffer, tail: ByteTail, readUsage: (value: unknown) => UsageReading): Promise<void> {
  const reading = tailUsage(tail, readUsage);
  if (reading === undefined || reading.gaps !== undefined || ctx.trace.onAnswer !== undefined) {
    try {
      decoded(ctx, body.toString('utf8'));
    } catch (err) {
      // Refused with a 502, but what the provider sent is billed: its tail's counts, the rest estimated from its size.
      ctx.meter.observeBody(reading, outputGuess(tail), false);
      throw err;
    }
  } else ctx.meter.observeBody(reading, 0, true);
  await sendWhole(ctx, body);
}

/**
 * The relay stopped after the client had its 200 and part of the body. A client that left is a client close;
 * otherwise the provider broke off (reset, deadline): its failure, and the client's connection is cut so it
 * cannot take a short body for a whole one. Either way what the provider sent is billed, estimated: a body cut off
 * is not read for usage, since the last "usage" key before the cut may be inside a tool's arguments.
 */
function brokenOff(ctx: RequestContext, err: unknown, tail: ByteTail): void {
  const attempt = ctx.attempt!;
  ctx.bytesOut = tail.bytes;
  ctx.meter.observeBody(undefined, outputGuess(tail), false);
  if (ctx.abort.signal.aborted) {
    ctx.clientClosed = true;
    ctx.status = 499;
    attempt.breaker.abandon();
    return;
  }
  const name = attempt.target.provider.spec.name;
  const mapped = transportError(err, name);
  const error = mapped instanceof GatewayError ? mapped : new GatewayError('upstream_unreachable', `provider ${name} broke off its answer`, { cause: err, code: 'upstream_unreachable' });
  ctx.error = error;
  ctx.status = error.status;
  countFailure(ctx, error);
  ctx.res.destroy();
}

function tailUsage(tail: ByteTail, readUsage: (value: unknown) => UsageReading): UsageReading | undefined {
  const value = tail.usage();
  return value === undefined ? undefined : readUsage(value);
}

/** Output to bill when a body too large to decode reported none: its bytes, counted as text (an overestimate, never $0). */
function outputGuess(tail: ByteTail): number {
  return Math.ceil(tail.bytes / BYTES_PER_TOKEN_ESTIMATE);
}
