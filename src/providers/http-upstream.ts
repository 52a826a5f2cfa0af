/**
 * Sends requests to a real upstream through one undici keep-alive pool per provider, and turns transport
 * failures into GatewayErrors (timeout → 504, unreachable → 502) so every caller sees one error type.
 */
import { GatewayError } from '../core/errors.js';
import { flattenHeaders, type ProviderSpec, type UpstreamResponse } from './provider.js';
import { Pool, poolRequest, undiciErrors } from './undici-pool.js';

export class HttpUpstream {
  private readonly pool: Pool;
  private readonly basePath: string;
  /** The base URL's query (`api-version=…`), sent on every call; empty when it has none. */
  private readonly baseQuery: string;

  constructor(private readonly spec: ProviderSpec) {
    const url = new URL(spec.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.baseQuery = url.search.slice(1);
    // Sizing: `connections` (max_upstream_connections) bounds the sockets, and so the memory, one provider can hold
    // in a burst; requests past it wait in the pool. No pipelining: a request queued behind a long stream on the
    // same socket would wait for all of it. Idle sockets stay 30 s unless the provider's Keep-Alive hint says
    // otherwise: an agent's next turn usually comes within that, and an idle socket holds little memory while a new
    // one costs a TCP and TLS handshake on the request's latency.
    this.pool = new Pool(url.origin, {
      connections: spec.maxConnections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: spec.headersTimeoutMs,
      bodyTimeout: spec.idleTimeoutMs,
      connect: { timeout: spec.connectTimeoutMs },
    });
  }

  async request(
    path: string,
    method: 'GET' | 'POST',
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    const deadline = this.deadline(signal);
    try {
      const res = await poolRequest(this.pool, { path: this.fullPath(path), method, headers, body: body ?? null, signal: deadline.signal });
      res.body.once('close', deadline.clear);
      return { status: res.statusCode, headers: flattenHeaders(res.headers), body: res.body };
    } catch (err) {
      deadline.clear();
      throw transportError(err, this.spec.name);
    }
  }

  /** The base path and query around a call's own path, whose own query (if any) comes first. */
  private fullPath(path: string): string {
    if (this.baseQuery === '') return this.basePath + path;
    return `${this.basePath}${path}${path.includes('?') ? '&' : '?'}${this.baseQuery}`;
  }

  /**
   * upstream_timeout bounds the whole exchange, so a stream that trickles forever (or a client that stopped
   * reading) is cut too; undici's own timeouts only bound the wait for headers and the silence between chunks.
   * A plain timer, not AbortSignal.timeout: nothing would hold that signal, and a collected one never fires.
   */
  private deadline(signal: AbortSignal): { signal: AbortSignal; clear: () => void } {
    const total = this.spec.totalTimeoutMs;
    if (total <= 0) return { signal, clear: () => undefined };
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new DOMException(`no complete answer within ${total} ms`, 'TimeoutError')), total);
    timer.unref();
    return {
      signal: controller.signal,
      clear: () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      },
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Maps undici/socket failures to the gateway's timeout/unreachable errors; aborts stay aborts. */
export function transportError(err: unknown, provider: string): GatewayError | unknown {
  if (err instanceof GatewayError) return err;
  // The reason HttpUpstream aborts with when the total upstream deadline passes.
  if (err instanceof Error && err.name === 'TimeoutError') {
    return new GatewayError('upstream_timeout', `provider ${provider} did not finish in time`, { cause: err, code: 'upstream_timeout' });
  }
  if (err instanceof undiciErrors.RequestAbortedError || (err instanceof Error && err.name === 'AbortError')) return err;
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new GatewayError('upstream_timeout', `provider ${provider} did not answer in time`, { cause: err, code: 'upstream_timeout' });
  }
  return new GatewayError('upstream_unreachable', `provider ${provider} is unreachable (${transportDetail(err)})`, {
    cause: err,
    code: 'upstream_unreachable',
  });
}

/** What a failed connection says in an error message: its system code (ECONNREFUSED…) or its message. */
export function transportDetail(err: unknown): string {
  return (err as { code?: string } | null)?.code ?? (err instanceof Error ? err.message : 'connection failed');
}
