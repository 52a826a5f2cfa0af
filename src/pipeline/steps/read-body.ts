/** Reads a request body up to a byte limit; over the limit is a 413, never a buffered giant. */
import type { IncomingMessage } from 'node:http';
import { GatewayError, messageOf } from '../../core/errors.js';
import type { RequestContext } from '../context.js';

export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  // Plain listeners: an async iterator costs a promise per chunk, and most bodies are one chunk.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the response closes the connection so the rest is not drained.
        done();
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
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
  const body = await readBody(ctx.req, ctx.settings.maxBodyBytes);
  ctx.body = body;
  ctx.bytesIn = body.length;
  const parsed = parseJsonText(body);
  ctx.bodyText = parsed.text;
  ctx.json = parsed.json;
}

/**
 * JSON only: `application/json` or a `+json` type. A missing type is refused too: a web page's cross-site
 * `fetch(url, {mode: 'no-cors', body: blob})` sends none, and form and text types are what `curl -d` sends by
 * mistake and what a page may POST without a CORS preflight.
 */
export function checkContentType(raw: string | undefined): void {
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

const utf8 = new TextDecoder('utf-8', { fatal: true });

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

/** Whether JSON text nests deeper than `limit`: one pass over the bytes, skipping strings and their escapes. */
export function nestsDeeperThan(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** Parses JSON with a message that says where it broke; absurdly deep nesting is refused before parsing. */
export function parseJsonBody(body: Buffer): unknown {
  return parseJsonText(body).json;
}

/** parseJsonBody, also giving the decoded text (decoded once). */
export function parseJsonText(body: Buffer): { text: string; json: unknown } {
  if (body.length === 0) throw new GatewayError('invalid_request', 'request body is empty; expected a JSON object');
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new GatewayError('invalid_request', `request body nests objects and arrays more than ${MAX_JSON_DEPTH} deep; no API request needs that`, {
      code: 'json_too_deep',
    });
  }
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new GatewayError('invalid_request', 'request body is not valid UTF-8');
  }
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch (err) {
    throw new GatewayError('invalid_request', `request body is not valid JSON: ${messageOf(err)}`);
  }
}
