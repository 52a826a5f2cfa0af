/**
 * Usage of a body the gateway relays without parsing (a pass-through path, embeddings): providers put the
 * `usage` object at the end of a JSON body, and in the last event of a stream, so the last few KiB of the bytes
 * hold it however large the body is. A single byte loop finds the object; only that object is parsed.
 */
import { isJsonSpace } from '../../wire/shared/json.js';

const TAIL_BYTES = 16 * 1024;
const KEY = Buffer.from('"usage"');
/** Earlier `"usage"` keys tried when the last one holds no object (`"usage":null` on non-final chunks). */
const MAX_TRIES = 8;

/** Keeps the last TAIL_BYTES of a byte stream and counts all of it. */
export class ByteTail {
  bytes = 0;
  private chunks: Buffer[] = [];
  private kept = 0;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0]!.length >= TAIL_BYTES) this.kept -= this.chunks.shift()!.length;
  }

  /** The value of the last `"usage"` key that is a whole JSON object, parsed; undefined when there is none. */
  usage(): unknown {
    // Most answers are one chunk: read it where it is rather than copy it.
    const tail = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    let at = tail.lastIndexOf(KEY);
    for (let tries = 0; at >= 0 && tries < MAX_TRIES; tries++) {
      const value = objectAt(tail, at + KEY.length);
      if (value !== undefined) return value;
      at = at === 0 ? -1 : tail.lastIndexOf(KEY, at - 1);
    }
    return undefined;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COLON = 0x3a;

/** After a key: `: {…}` parsed, or undefined when the value is no object or does not end in the tail. */
function objectAt(buf: Buffer, from: number): unknown {
  let i = from;
  while (isJsonSpace(buf[i])) i++;
  if (buf[i] !== COLON) return undefined;
  i++;
  while (isJsonSpace(buf[i])) i++;
  if (buf[i] !== OPEN) return undefined;
  const start = i;
  let depth = 0;
  let inString = false;
  for (; i < buf.length; i++) {
    const b = buf[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN) depth++;
    else if (b === CLOSE && --depth === 0) {
      try {
        return JSON.parse(buf.toString('utf8', start, i + 1)) as unknown;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
