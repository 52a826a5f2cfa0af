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
  return formatSse(event === undefined ? { data: JSON.stringify(data) } : { event, data: JSON.stringify(data) });
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
  const parser = createParser({
    onEvent: (message) => {
      onEvent(message.event === undefined ? { data: message.data } : { event: message.event, data: message.data });
    },
  });
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
