/**
 * Relays an upstream SSE stream to the client chunk by chunk. Same format: the provider's bytes go out
 * unchanged while a tee parser reads usage (only OpenAI's usage chunk that the gateway itself asked for is
 * removed). Other format: each upstream event is decoded to canonical parts and re-encoded for the client.
 * Back-pressure: when the client socket is full, the upstream is not read until it drains.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { UpstreamResponse } from '../../providers/provider.js';
import type { StreamEncoderOptions, WireFormat } from '../../wire/codec.js';
import { codecFor } from '../../wire/index.js';
import { createSseReader, formatSse } from '../../wire/sse.js';
import { transportError } from '../../providers/http-upstream.js';
import type { UsageMeter } from './meter.js';

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
  /** Called after each upstream chunk; an error returned ends the stream (budget cut-off). */
  check: () => GatewayError | undefined;
}

export interface StreamRelayResult {
  /** Why the stream did not finish cleanly, if it did not. */
  error: GatewayError | undefined;
  /** The client went away before the end. */
  clientClosed: boolean;
}

export async function relayStream(o: StreamRelayOptions): Promise<StreamRelayResult> {
  const translating = o.providerFormat !== o.clientFormat;
  const passRaw = !translating && !o.stripUsageChunk;
  const decoder = codecFor(o.providerFormat).createStreamDecoder();
  const clientCodec = codecFor(o.clientFormat);
  const encoder = translating ? clientCodec.createStreamEncoder(o.encoder) : undefined;
  let pending = '';
  let upstreamError: GatewayError | undefined;
  let terminal = false;

  const reader = createSseReader((ev) => {
    for (const part of decoder.push(ev)) {
      o.meter.observe(part);
      if (part.type === 'finish') terminal = true;
      if (part.type === 'error') {
        terminal = true;
        upstreamError = part.error;
      }
      if (encoder) pending += encoder.push(part);
    }
    if (!translating && !passRaw && !isUsageOnlyChunk(ev.data)) pending += formatSse(ev);
  });

  let failure: GatewayError | undefined;
  try {
    for await (const chunk of o.upstream.body as AsyncIterable<Uint8Array>) {
      reader.feed(chunk);
      let writable = true;
      if (passRaw) writable = o.res.write(chunk);
      else if (pending.length > 0) {
        writable = o.res.write(pending);
        pending = '';
      }
      const cut = o.check();
      if (cut) {
        failure = cut;
        break;
      }
      if (!writable) await once(o.res, 'drain', { signal: o.signal });
    }
    if (!failure) {
      reader.end();
      for (const part of decoder.end()) {
        o.meter.observe(part);
        if (part.type === 'finish') terminal = true;
        if (encoder) pending += encoder.push(part);
      }
      if (!terminal) failure = new GatewayError('upstream_unreachable', `provider ${o.providerName} closed the stream before it finished`, { code: 'stream_incomplete' });
    }
  } catch (err) {
    if (o.signal.aborted) return { error: undefined, clientClosed: true };
    const mapped = transportError(err, o.providerName);
    failure = mapped instanceof GatewayError ? mapped : new GatewayError('upstream_unreachable', `provider ${o.providerName} stream failed`, { cause: err });
  }

  if (failure) {
    const failer = encoder ?? clientCodec.createStreamEncoder(o.encoder);
    pending += failer.fail(failure);
  }
  if (pending.length > 0 && !o.res.destroyed) o.res.write(pending);
  o.res.end();
  return { error: failure ?? upstreamError, clientClosed: false };
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
