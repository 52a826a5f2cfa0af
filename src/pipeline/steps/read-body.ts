/** Reads a request body up to a byte limit; over the limit is a 413, never a buffered giant. */
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../../core/errors.js';

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  checkContentType(req.headers['content-type']);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBytes) {
      // Stop reading; the response closes the connection so the rest is not drained.
      req.pause();
      throw tooLarge(maxBytes);
    }
    chunks.push(buf);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
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

/** Parses JSON with a message that says where it broke. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new GatewayError('invalid_request', 'request body is empty; expected a JSON object');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new GatewayError('invalid_request', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new GatewayError('invalid_request', `request body is not valid JSON: ${detail}`);
  }
}
