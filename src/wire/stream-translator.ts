/**
 * The streaming glue the pipeline needs, kept pure: upstream bytes (any chunking) → SSE events →
 * upstream decoder → canonical events → client encoder → client SSE text. Canonical events are also
 * handed to an observer (usage metering, audit) as they pass.
 */
import { GatewayError } from '../core/errors.js';
import type { CanonicalStreamEvent } from './canonical.js';
import type { StreamEncoderOptions, WireCodec } from './codec.js';
import { createSseReader } from './sse.js';

export interface StreamTranslatorOptions extends StreamEncoderOptions {
  /** Applied to each canonical event before encoding (e.g. restoring sanitised tool names). */
  map?: (event: CanonicalStreamEvent) => CanonicalStreamEvent;
  /**
   * A local count of the request's input tokens. Used in the opening event when the upstream reports
   * none up front (OpenAI), so Anthropic clients never see input_tokens:0 in message_start (pitfall 7).
   */
  estimatedInputTokens?: number;
  /** Sees every canonical event, in order. */
  observe?: (event: CanonicalStreamEvent) => void;
  /**
   * Takes the output so far as soon as the first content is encoded, instead of the return value of the `feed`
   * call under way: a chunk holding a burst of events then gets its first token out before the rest is translated.
   */
  onFirstContent?: (text: string) => void;
}

/** An event that is part of the answer: anything but its opening and a failure. */
export function isContentEvent(event: CanonicalStreamEvent): boolean {
  return event.type !== 'start' && event.type !== 'error';
}

export interface StreamTranslator {
  /** Upstream bytes in; client SSE text out ('' when nothing is due). */
  feed(chunk: Uint8Array | string): string;
  /** Upstream EOF: flushes, and fails the client stream if the upstream never finished (spec §6.1, pitfall 13). */
  end(): string;
  /** Ends the client stream with an error (timeout, client-side abort of the upstream, …). */
  fail(error: GatewayError): string;
}

export function createStreamTranslator(upstream: WireCodec, client: WireCodec, options: StreamTranslatorOptions): StreamTranslator {
  const decoder = upstream.createStreamDecoder();
  const encoder = client.createStreamEncoder(options);
  let out = '';
  let contentSeen = false;
  const forward = (events: CanonicalStreamEvent[]): void => {
    for (const raw of events) {
      let event = options.map === undefined ? raw : options.map(raw);
      // The observer (metering) sees what the upstream said; only the client gets the announced estimate.
      options.observe?.(event);
      if (event.type === 'start' && options.estimatedInputTokens !== undefined && !(event.usage?.inputUncached)) {
        event = { ...event, usage: { ...event.usage, inputUncached: options.estimatedInputTokens } };
      }
      out += encoder.push(event);
      if (!contentSeen && isContentEvent(event)) {
        contentSeen = true;
        if (options.onFirstContent !== undefined && out !== '') options.onFirstContent(drain());
      }
    }
  };
  const reader = createSseReader((event) => forward(decoder.push(event)));
  const drain = (): string => {
    const text = out;
    out = '';
    return text;
  };
  return {
    feed(chunk) {
      reader.feed(chunk);
      return drain();
    },
    end() {
      reader.end();
      forward(decoder.end());
      if (!encoder.finished) {
        const error = new GatewayError('upstream_error', 'The upstream stream ended before it completed.', { status: 502 });
        options.observe?.({ type: 'error', error });
        out += encoder.fail(error);
      }
      return drain();
    },
    fail(error) {
      if (encoder.finished) return drain();
      options.observe?.({ type: 'error', error });
      return drain() + encoder.fail(error);
    },
  };
}
