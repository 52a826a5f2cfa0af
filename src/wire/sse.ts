/**
 * Server-sent events: the one place that writes `event:`/`data:` framing, and the chunk-safe reader
 * built on eventsource-parser. Readers accept any chunking of the bytes, including splits inside a
 * multi-byte UTF-8 character.
 */
import { createParser } from 'eventsource-parser';
import type { SseEvent } from './codec.js';

/** Serialises one event. Multi-line data is split over several `data:` lines, as the SSE spec requires. */
export function formatSse(event: SseEvent): string {
  const head = event.event === undefined ? '' : `event: ${event.event}\n`;
  const lines = event.data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`);
  return `${head}${lines.join('')}\n`;
}

/** A `data:`-only event with a JSON payload (OpenAI style). */
export function formatSseJson(data: unknown, event?: string): string {
  return formatSseJsonText(JSON.stringify(data), event);
}

/** An event whose data is serialised JSON: one `data:` line, since JSON text escapes every CR and LF. */
export function formatSseJsonText(json: string, event?: string): string {
  return event === undefined ? `data: ${json}\n\n` : `event: ${event}\ndata: ${json}\n\n`;
}

/** A comment line, ignored by clients; useful as a keep-alive. */
export function formatSseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

export interface SseReader {
  /** Feed raw bytes or already-decoded text, in any chunking. */
  feed(chunk: Uint8Array | string): void;
  /** The byte stream ended: flushes a trailing partial UTF-8 sequence. An unterminated event is discarded. */
  end(): void;
}

/** Turns a chunk-fed byte stream into SseEvent callbacks. */
export function createSseReader(onEvent: (event: SseEvent) => void): SseReader {
  const decoder = new TextDecoder('utf-8');
  // The parser's own message is the event (its `id` rides along unread): no copy per event.
  const parser = createParser({ onEvent });
  return {
    feed(chunk) {
      const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text.length > 0) parser.feed(text);
    },
    end() {
      const rest = decoder.decode();
      if (rest.length > 0) parser.feed(rest);
    },
  };
}

/** Convenience for tests and buffered bodies: every event in a complete SSE text. */
export function parseSseText(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const reader = createSseReader((e) => events.push(e));
  reader.feed(text);
  reader.end();
  return events;
}

export interface SseFramer {
  /** Bytes in, in any chunking; out come the frames this chunk completed, each with its blank line, byte for byte. */
  push(chunk: Uint8Array): Buffer[];
  /** The bytes of a last frame that never got its blank line. */
  rest(): Buffer;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits an SSE byte stream into whole frames without re-encoding anything, so a relay that passes a provider's
 * bytes through untouched can still look at each event before it forwards it. A frame ends at an empty line;
 * lines end with LF, CR or CRLF (the SSE grammar), and a CRLF split over two chunks is one line end.
 */
export function createSseFramer(): SseFramer {
  let pending: Buffer = Buffer.alloc(0);
  /** Bytes of `pending` already looked at. */
  let scanned = 0;
  let lineLength = 0;
  let afterCR = false;
  /** A frame ended at a CR: it takes the next byte too when that is the LF of a CRLF. */
  let endsAtCR = false;

  return {
    push(chunk) {
      pending = pending.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([pending, chunk]);
      const frames: Buffer[] = [];
      let start = 0;
      const cut = (end: number): void => {
        frames.push(pending.subarray(start, end));
        start = end;
      };
      let i = scanned;
      // Most providers end lines with LF alone: then only LFs matter, and the native search finds them.
      if (!afterCR && !endsAtCR && pending.indexOf(CR, i) === -1) {
        for (let lf = pending.indexOf(LF, i); lf !== -1; lf = pending.indexOf(LF, i)) {
          if (lineLength === 0 && lf === i) cut(lf + 1);
          lineLength = 0;
          i = lf + 1;
        }
        lineLength += pending.length - i;
        i = pending.length;
      }
      for (; i < pending.length; i++) {
        const b = pending[i]!;
        if (afterCR && b === LF) {
          afterCR = false;
          if (endsAtCR) {
            endsAtCR = false;
            cut(i + 1);
          }
          continue;
        }
        afterCR = false;
        if (endsAtCR) {
          endsAtCR = false;
          cut(i);
        }
        if (b === LF || b === CR) {
          if (lineLength === 0) {
            if (b === CR) endsAtCR = true;
            else cut(i + 1);
          }
          lineLength = 0;
          afterCR = b === CR;
        } else lineLength++;
      }
      // Frames handed out may still be read by the caller, so the remainder is copied, never overwritten.
      pending = start === 0 ? pending : Buffer.from(pending.subarray(start));
      scanned = pending.length;
      return frames;
    },
    rest() {
      const out = pending;
      pending = Buffer.alloc(0);
      scanned = 0;
      return out;
    },
  };
}

/** One `data:` event ended by CRLF CRLF, as Google's servers frame `streamGenerateContent?alt=sse`. */
export function formatSseJsonCrlf(data: unknown): string {
  return `data: ${JSON.stringify(data)}\r\n\r\n`;
}
