/**
 * The one HTTP port: health, metrics, the management API and the proxy. node:http directly — the proxy
 * path is the hot path and needs no framework between the socket and the pipeline.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError } from '../core/errors.js';
import type { WireFormat } from '../wire/codec.js';
import { checkContentType } from '../pipeline/steps/read-body.js';
import { corsHeaders, hostRefused, isPreflight, originRefused, preflightHeaders, type EdgePolicy } from './edge-policy.js';
import { matchRoute, type ProxyEndpoint } from './route-match.js';
import { sendError, sendJson, toGatewayError } from './render-error.js';

// Taken from the module object, not imported: an ES import of node:http reads every export, and its lazy
// WebSocket, MessageEvent and CloseEvent getters then load Node's own copy of undici (its 830 kB source kept in
// memory: 3.5 MB of an idle gateway's RSS) that nothing here uses.
const { createServer } = process.getBuiltinModule('node:http');

export interface ServerHandlers {
  newId(): string;
  health(): Record<string, unknown>;
  /** Host and Origin rules of the current config. */
  edge(): EdgePolicy;
  /** Loopback callers, or callers with the admin token. */
  metricsAllowed(req: IncomingMessage): boolean;
  /** More for /health/ready to say (whether shared state answers); undefined for nothing. */
  readyDetail?: () => Record<string, unknown> | undefined;
  /** Why the gateway cannot take new requests now (/health/ready answers 503 with it); undefined when it can. */
  notReady(): string | undefined;
  metrics(): Promise<{ contentType: string; body: string }>;
  admin(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void>;
  proxy(req: IncomingMessage, res: ServerResponse, endpoint: ProxyEndpoint, agent: string | undefined, v1Path: string, search: string, requestId: string): Promise<void>;
  onError(err: unknown, requestId: string): void;
  /** A request refused at the edge (host, origin, content type), already answered; `proxy` is set for proxy routes. */
  refused(req: IncomingMessage, error: GatewayError, requestId: string, proxy?: { endpoint: ProxyEndpoint; agent: string | undefined }): void;
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
  if (endpoint === 'gemini_generate' || endpoint === 'gemini_stream' || endpoint === 'gemini_count_tokens') return 'gemini';
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
  // Probes answer whatever name they use (orchestrators and load balancers pick their own); they reveal only liveness.
  if (match.kind === 'health') return sendJson(res, 200, h.health());
  if (match.kind === 'ready') {
    const reason = h.notReady();
    const detail = h.readyDetail?.();
    return reason === undefined ? sendJson(res, 200, { status: 'ready', ...detail }) : sendJson(res, 503, { status: 'unavailable', reason, ...detail });
  }

  const proxy = match.kind === 'proxy' ? { endpoint: match.endpoint, agent: match.agent } : undefined;
  const format = clientFormatFor(proxy?.endpoint, req.headers);
  const refuse = (err: GatewayError): void => {
    sendError(res, err, format, requestId);
    h.refused(req, err, requestId, proxy);
  };
  const edge = h.edge();
  if (!edge.hostAllowed(req.headers.host)) return refuse(hostRefused(req.headers.host));

  switch (match.kind) {
    case 'metrics': {
      if (!h.metricsAllowed(req)) {
        const err = new GatewayError('invalid_request', 'metrics answer loopback callers, or others that send the admin token as Authorization: Bearer <token> (gateway.admin_token)', {
          status: 403,
          code: 'metrics_unauthorized',
        });
        return refuse(err);
      }
      const m = await h.metrics();
      res.writeHead(200, { 'content-type': m.contentType });
      res.end(m.body);
      return;
    }
    case 'admin':
      // The management API has its own rule for browsers: no Origin unless the admin token is sent.
      return h.admin(req, res, match.path, match.query);
    case 'proxy': {
      const origin = req.headers.origin;
      if (origin !== undefined) {
        if (!edge.originAllowed(origin)) return refuse(originRefused(origin));
        if (isPreflight(req.method, req.headers)) {
          res.writeHead(204, preflightHeaders(origin, req.headers));
          res.end();
          return;
        }
        for (const [name, value] of Object.entries(corsHeaders(origin))) res.setHeader(name, value);
      } else if (edge.corsEnabled) res.setHeader('vary', 'Origin');
      if (req.method === 'POST' && match.endpoint === 'other') {
        try {
          checkPassThroughType(req.headers['content-type']);
        } catch (err) {
          return refuse(toGatewayError(err));
        }
      }
      return h.proxy(req, res, match.endpoint, match.agent, match.v1Path, match.search, requestId);
    }
    case 'not_found': {
      const err = new GatewayError('not_found', `no route for ${req.method ?? 'GET'} ${(req.url ?? '/').slice(0, 200)}; the proxy serves /v1/… and /agents/{id}/v1/…`);
      return sendError(res, err, format, requestId);
    }
  }
}

/**
 * Pass-through POSTs follow the metered endpoints' rule (JSON, never a missing type), with one exception: uploads
 * (`/v1/files`, `/v1/audio/transcriptions`) are multipart by the provider's API. A page could send multipart
 * cross-site without a preflight, but it cannot do so without an Origin header, which is checked first.
 */
function checkPassThroughType(raw: string | undefined): void {
  const type = raw === undefined ? '' : (raw.split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'multipart/form-data') return;
  checkContentType(raw);
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
