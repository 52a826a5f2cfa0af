/**
 * Writes a GatewayError as an HTTP response in the client's own wire format (translation.md §9), with the codec's
 * pure rendering from wire/. Anything that is not a GatewayError is a bug: the client gets a generic 500 and the
 * details go to the log only. The server's own refusals use the same functions.
 */
import type { ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { WireFormat } from '../wire/codec.js';
import { codecFor } from '../wire/index.js';

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('internal', 'the gateway failed to handle this request; see its log for details', { cause: err });
}

export function sendError(res: ServerResponse, err: GatewayError, format: WireFormat, requestId: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const rendered = codecFor(format).renderError(err, requestId);
  const body = JSON.stringify(rendered.body);
  res.writeHead(rendered.status, {
    ...extraHeaders,
    ...rendered.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  });
  res.end(body);
}

/** Same-format upstream errors go back as the provider wrote them, with their retry hints. */
export function sendUpstreamError(res: ServerResponse, status: number, body: string, error: GatewayError, headers: Record<string, string>): void {
  const extra: Record<string, string> = {};
  if (error.retryAfter !== undefined) extra['retry-after'] = String(error.retryAfter);
  if (error.shouldRetry !== undefined) extra['x-should-retry'] = String(error.shouldRetry);
  res.writeHead(status, { ...headers, ...extra, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Plain JSON for admin and health routes. */
export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
