/** Reads a request body up to a byte limit; over the limit is a 413, never a buffered giant. */
import { isAscii, isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { setImmediate } from 'node:timers/promises';
import { GatewayError, messageOf } from '../../core/errors.js';
import type { RequestContext } from '../context.js';

/**
 * Reads a body up to `maxBytes`. With a `scanner` (JSON bodies) each chunk's nesting is checked as it arrives, so
 * that work is spread over the reads; a body found too deep is kept reading (a body over the limit is still a 413,
 * a client that leaves is still `client_closed`) but no longer kept, and ends in a `json_too_deep` 400.
 */
export function readBody(req: IncomingMessage, maxBytes: number, scanner?: NestingScanner): Promise<Buffer> {
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  // Plain listeners: an async iterator costs a promise per chunk, and most bodies are one chunk.
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    // A large body of declared length is copied into one buffer as it arrives, so its end is not one long join;
    // only once PREALLOCATE_FROM bytes have come, so a header alone never makes the gateway set max_body aside.
    let whole: Buffer | undefined;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the response closes the connection so the rest is not drained.
        done();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      if (scanner?.feed(chunk) === true) {
        chunks.length = 0;
        whole = undefined;
      } else if (whole !== undefined && size <= whole.length) {
        chunk.copy(whole, size - chunk.length);
      } else {
        // More than declared cannot come through Node's parser; were it to, the chunks carry on from the copy.
        if (whole !== undefined) chunks = [whole.subarray(0, size - chunk.length)];
        whole = undefined;
        chunks.push(chunk);
        if (size >= PREALLOCATE_FROM && declared > size && chunks.length > 1) {
          whole = Buffer.allocUnsafe(declared);
          let at = 0;
          for (const c of chunks) at += c.copy(whole, at);
          chunks = [];
        }
      }
    };
    const onEnd = (): void => {
      done();
      if (scanner?.exceeded === true) reject(jsonTooDeep());
      else if (whole !== undefined) resolve(whole.subarray(0, size));
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    // A client that goes away mid-body ends neither with 'end' nor always with 'error'.
    const onClose = (): void => {
      done();
      reject(new GatewayError('invalid_request', 'the client closed the connection before its request body was complete', { status: 400, code: 'client_closed' }));
    };
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** The step: the body, read within the gateway's limit and parsed as JSON. */
export async function readJson(ctx: RequestContext): Promise<void> {
  const scanner = new NestingScanner(MAX_JSON_DEPTH);
  const body = await readBody(ctx.req, ctx.settings.maxBodyBytes, scanner).catch((err: unknown) => {
    // A body refused for its nesting was read whole: the audit row says how large it was.
    if (err instanceof GatewayError && err.code === 'json_too_deep') ctx.bytesIn = scanner.bytes;
    throw err;
  });
  ctx.body = body;
  ctx.bytesIn = body.length;
  if (body.length === 0) throw emptyBody();
  // Joining, decoding and parsing a large body each take tens of milliseconds: between them, and before the
  // steps that follow, the event loop gets a turn, so no single piece holds up every other request.
  const large = body.length >= YIELD_ABOVE_BYTES;
  if (large) await setImmediate();
  const text = decodeUtf8(body);
  if (large) await setImmediate();
  ctx.json = parseText(text);
  ctx.bodyText = text;
  if (large) await setImmediate();
}

/** Bodies from this size on are decoded and parsed in separate turns of the event loop. */
const YIELD_ABOVE_BYTES = 1024 * 1024;
/** Bytes of a body that must have arrived before its declared length is allocated in one piece. */
const PREALLOCATE_FROM = 1024 * 1024;

/**
 * JSON only: `application/json` or a `+json` type. A missing type is refused too: a web page's cross-site
 * `fetch(url, {mode: 'no-cors', body: blob})` sends none, and form and text types are what `curl -d` sends by
 * mistake and what a page may POST without a CORS preflight.
 */
export function checkContentType(raw: string | undefined): void {
  // What SDKs send, checked before any string is cut up.
  if (raw === 'application/json') return;
  const type = raw === undefined ? '' : (raw.split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return;
  const what = type === '' ? 'a request without a content-type is' : `content-type "${type.slice(0, 100)}" is`;
  throw new GatewayError('invalid_request', `${what} not accepted; send the body as JSON with content-type: application/json`, {
    status: 415,
    code: 'unsupported_media_type',
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError('request_too_large', `request body is larger than the gateway's limit of ${maxBytes} bytes (gateway.max_body)`, {
    code: 'request_too_large',
  });
}

/**
 * Deepest nesting of objects and arrays a request body may have. Real requests stay far below it (a chat body
 * is about 5 deep, a tool's JSON schema rarely 20); a body past it is an attack on the parser and everything
 * that walks the parsed value, which can stall the whole gateway for seconds.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Nesting depth of JSON text fed in pieces (the chunks of a body as they arrive): one pass over the bytes,
 * skipping strings and their escapes, which may straddle two pieces.
 */
export class NestingScanner {
  /** Bytes fed so far, including those after the limit was passed. */
  bytes = 0;
  /** The text has nested deeper than the limit; nothing after that is scanned. */
  exceeded = false;
  private depth = 0;
  private inString = false;
  /** The previous piece ended in a backslash inside a string: the next byte is escaped. */
  private escaped = false;

  constructor(private readonly limit: number) {}

  /** Scans the next piece; true once the text has nested deeper than the limit. */
  feed(bytes: Buffer): boolean {
    const n = bytes.length;
    this.bytes += n;
    if (this.exceeded) return true;
    let i = 0;
    if (this.escaped && n > 0) {
      this.escaped = false;
      i = 1;
    }
    let { depth, inString } = this;
    for (; i < n; i++) {
      const b = bytes[i]!;
      if (inString) {
        if (b === BACKSLASH) {
          if (++i === n) this.escaped = true;
        } else if (b === QUOTE) inString = false;
      } else if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (++depth > this.limit) {
          this.exceeded = true;
          return true;
        }
      } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
    }
    this.depth = depth;
    this.inString = inString;
    return false;
  }
}

/** Whether JSON text nests deeper than `limit`. */
export function nestsDeeperThan(body: Buffer, limit: number): boolean {
  return new NestingScanner(limit).feed(body);
}

/** Parses JSON with a message that says where it broke; absurdly deep nesting is refused before parsing. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw emptyBody();
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) throw jsonTooDeep();
  return parseText(decodeUtf8(body));
}

/**
 * The body as text, refused when it is not UTF-8, a leading byte-order mark dropped. ASCII (most bodies) is
 * copied as Latin-1, several times faster than a decode; both checks are native.
 */
export function decodeUtf8(body: Buffer): string {
  if (isAscii(body)) return body.toString('latin1');
  const text = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body;
  if (!isUtf8(text)) throw new GatewayError('invalid_request', 'request body is not valid UTF-8');
  return text.toString('utf8');
}

function parseText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new GatewayError('invalid_request', `request body is not valid JSON: ${messageOf(err)}`);
  }
}

function emptyBody(): GatewayError {
  return new GatewayError('invalid_request', 'request body is empty; expected a JSON object');
}

function jsonTooDeep(): GatewayError {
  return new GatewayError('invalid_request', `request body nests objects and arrays more than ${MAX_JSON_DEPTH} deep; no API request needs that`, {
    code: 'json_too_deep',
  });
}
