/**
 * The one HTTP port: health, metrics, the management API and the proxy. node:http directly — the proxy
 * path is the hot path and needs no framework between the socket and the pipeline.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../core/errors.js';
import type { WireFormat } from '../wire/codec.js';
import { matchRoute, type ProxyEndpoint } from './route-match.js';
import { sendError, sendJson, toGatewayError } from './render-error.js';

export interface ServerHandlers {
  newId(): string;
  health(): Record<string, unknown>;
  /** Why the gateway cannot take new requests now (/health/ready answers 503 with it); undefined when it can. */
  notReady(): string | undefined;
  metrics(): Promise<{ contentType: string; body: string }>;
  admin(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void>;
  proxy(req: IncomingMessage, res: ServerResponse, endpoint: ProxyEndpoint, agent: string | undefined, v1Path: string, search: string, requestId: string): Promise<void>;
  onError(err: unknown, requestId: string): void;
}

export interface ServerLimits {
  maxHeaderBytes: number;
  /** Time allowed for a client to send its request headers. */
  headersTimeoutMs: number;
  /** Time allowed for a client to send its whole request. */
  requestTimeoutMs: number;
}

/** The client's wire format, guessed from the endpoint and headers, for rendering errors. */
export function clientFormatFor(endpoint: ProxyEndpoint | undefined, headers: IncomingMessage['headers']): WireFormat {
  if (endpoint === 'messages' || endpoint === 'count_tokens') return 'anthropic-messages';
  if (endpoint === 'responses') return 'openai-responses';
  if (endpoint === 'models' && headers['anthropic-version'] !== undefined) return 'anthropic-messages';
  return 'openai-chat';
}

export function createGatewayServer(handlers: ServerHandlers, limits: ServerLimits): Server {
  // Node checks the two request timeouts only every connectionsCheckingInterval (30 s by default), which would let
  // a slow client hold a socket up to twice as long as configured.
  const checkEveryMs = Math.max(50, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes, requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: checkEveryMs, keepAliveTimeout: 65_000 }, (req, res) => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && incoming.length > 0 && incoming.length <= 128 ? incoming : handlers.newId();
    void route(req, res, requestId, handlers).catch((err: unknown) => {
      handlers.onError(err, requestId);
      if (!res.headersSent) sendError(res, toGatewayError(err), 'openai-chat', requestId);
      else if (!res.writableEnded) res.destroy();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ error: { message: status === 431 ? 'request headers are too large' : 'malformed HTTP request', type: 'invalid_request_error', param: null, code: status === 431 ? 'headers_too_large' : 'bad_request' } });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  return server;
}

async function route(req: IncomingMessage, res: ServerResponse, requestId: string, h: ServerHandlers): Promise<void> {
  const match = matchRoute(req.url ?? '/');
  res.setHeader('x-request-id', requestId);
  switch (match.kind) {
    case 'health':
      return sendJson(res, 200, h.health());
    case 'ready': {
      const reason = h.notReady();
      return reason === undefined ? sendJson(res, 200, { status: 'ready' }) : sendJson(res, 503, { status: 'unavailable', reason });
    }
    case 'metrics': {
      const m = await h.metrics();
      res.writeHead(200, { 'content-type': m.contentType });
      res.end(m.body);
      return;
    }
    case 'admin':
      return h.admin(req, res, match.path, match.query);
    case 'proxy':
      return h.proxy(req, res, match.endpoint, match.agent, match.v1Path, match.search, requestId);
    case 'not_found': {
      const err = new GatewayError('not_found', `no route for ${req.method ?? 'GET'} ${(req.url ?? '/').slice(0, 200)}; the proxy serves /v1/… and /agents/{id}/v1/…`);
      return sendError(res, err, clientFormatFor(undefined, req.headers), requestId);
    }
  }
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}
