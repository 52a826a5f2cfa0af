/**
 * Client for the gateway's management API (`/api/*`), used by the CLI subcommands and by the TUI's
 * remote DashboardSource. One method per endpoint; responses are the shared dashboard types.
 */
import { createParser } from 'eventsource-parser';
import { Agent, type Dispatcher, request } from 'undici';
import type {
  AgentStatus,
  BreakerStatus,
  BudgetPatch,
  LiveControlEvent,
  DashboardSnapshot,
  LogEntry,
  RequestDetail,
  UsageReport,
} from '../live/snapshot.js';
import { GatewayNotRunningError, isConnectionRefused, ManagementApiError } from './errors.js';
import { messageOf } from '../core/errors.js';

/** `GET /api/agents/{id}`: the agent's status row plus what the gateway has recently seen of it. */
export interface AgentDetail extends AgentStatus {
  recent?: LogEntry[];
  controlEvents?: LiveControlEvent[];
}

export interface LogQuery {
  agent?: string;
  /** A duration such as `1h` or a date (core/since.ts); the gateway reads it against its own clock. */
  since?: string;
  limit?: number;
  /** A log filter (core/log-search.ts), matched over the whole stored history, e.g. `coder 5xx`. */
  q?: string;
}

export interface LogStreamQuery {
  agent?: string;
  /** Status filter passed to the server, e.g. `429` or `5xx`. */
  status?: string;
}

export interface ManagementClientOptions {
  /** e.g. `http://127.0.0.1:8080` */
  baseUrl: string;
  /** Admin token, sent as `authorization: Bearer <token>`. */
  token?: string;
  /** Per-request timeout for everything but the log stream. Default 5000 ms. */
  timeoutMs?: number;
  /** Defaults to a private keep-alive agent, closed by `close()`. */
  dispatcher?: Dispatcher;
  /** Who is acting (`cli`, `tui`), recorded as the actor of control events. */
  actor?: 'cli' | 'tui';
}

type Method = 'GET' | 'POST' | 'PUT';

export interface ResumeResult {
  agent: string;
  /** A manual or policy pause was lifted. */
  resumed: boolean;
  /** True when the agent is still paused by its spent budget; `message` says why and when room frees up. */
  paused?: boolean;
  message?: string;
}

export class ManagementClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly actor: string | undefined;

  constructor(options: ManagementClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token === '' ? undefined : options.token;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.actor = options.actor;
    this.dispatcher = options.dispatcher ?? new Agent({ keepAliveTimeout: 10_000 });
  }

  getStatus(): Promise<DashboardSnapshot> {
    return this.json<DashboardSnapshot>('GET', '/api/status');
  }

  getAgent(id: string): Promise<AgentDetail> {
    return this.json<AgentDetail>('GET', `/api/agents/${encodeURIComponent(id)}`);
  }

  async pause(id: string, reason?: string): Promise<void> {
    await this.json('POST', `/api/agents/${encodeURIComponent(id)}/pause`, reason === undefined ? {} : { reason });
  }

  /** `paused` and `message` are set when the agent stays paused afterwards: its budget is spent. */
  resume(id: string): Promise<ResumeResult> {
    return this.json<ResumeResult>('POST', `/api/agents/${encodeURIComponent(id)}/resume`, {});
  }

  /** Numbers set limits, null clears them; omitted windows stay as they are. */
  async setBudget(id: string, change: BudgetPatch): Promise<void> {
    await this.json('PUT', `/api/agents/${encodeURIComponent(id)}/budget`, change);
  }

  async getLogs(query: LogQuery = {}): Promise<LogEntry[]> {
    const body = await this.json<LogEntry[] | { entries: LogEntry[] }>('GET', `/api/logs${queryString(query)}`);
    return Array.isArray(body) ? body : body.entries;
  }

  /** One request in full; undefined when the gateway has no such request. */
  async getRequest(id: string): Promise<RequestDetail | undefined> {
    try {
      return await this.json<RequestDetail>('GET', `/api/logs/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ManagementApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Spend by provider and model: the last hour and today. */
  getUsage(): Promise<UsageReport> {
    return this.json<UsageReport>('GET', '/api/usage');
  }

  async getBreakers(): Promise<BreakerStatus[]> {
    const body = await this.json<BreakerStatus[] | { breakers: BreakerStatus[] }>('GET', '/api/breakers');
    return Array.isArray(body) ? body : body.breakers;
  }

  async resetBreaker(key: string): Promise<void> {
    await this.json('POST', `/api/breakers/${encodeURIComponent(key)}/reset`, {});
  }

  /**
   * Follows `GET /api/logs/stream` (server-sent events, one `data: <LogEntry JSON>` per request) and
   * calls `onEntry` for each entry. Resolves when the server ends the stream or `signal` aborts it.
   */
  async streamLogs(query: LogStreamQuery, onEntry: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.url(`/api/logs/stream${queryString(query)}`), {
        method: 'GET',
        dispatcher: this.dispatcher,
        headers: this.headers({ accept: 'text/event-stream' }),
        headersTimeout: this.timeoutMs,
        // A quiet gateway sends nothing for long stretches; the stream must not time out.
        bodyTimeout: 0,
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) return;
      throw this.transportError(err);
    }
    if (response.statusCode >= 400) throw await apiError(response);
    const parser = createParser({
      onEvent: (event) => {
        if (event.event !== undefined && event.event !== 'log') return;
        let entry: LogEntry;
        try {
          entry = JSON.parse(event.data) as LogEntry;
        } catch {
          return; // one malformed event must not end the stream
        }
        onEntry(entry);
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw this.transportError(err);
    }
  }

  /** Closes the client's own connection pool (not an injected dispatcher). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private url(path: string): string {
    return this.baseUrl + path;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const withActor = this.actor === undefined ? extra : { ...extra, 'x-ai-gateway-actor': this.actor };
    return this.token === undefined ? withActor : { ...withActor, authorization: `Bearer ${this.token}` };
  }

  private transportError(err: unknown): Error {
    if (isConnectionRefused(err)) return new GatewayNotRunningError(this.baseUrl, { cause: err });
    const reason = messageOf(err);
    return new Error(`cannot reach the gateway at ${this.baseUrl}: ${reason}`, { cause: err });
  }

  private async json<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(this.url(path), {
        method,
        dispatcher: this.dispatcher,
        headers: this.headers(body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw this.transportError(err);
    }
    if (response.statusCode >= 400) throw await apiError(response);
    const text = await response.body.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ManagementApiError(response.statusCode, `the gateway sent a response that is not JSON (${method} ${path})`);
    }
  }
}

function queryString(query: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/** Builds an error from an error response, reading the message wherever the server put it. */
async function apiError(response: Dispatcher.ResponseData): Promise<ManagementApiError> {
  const text = await response.body.text().catch(() => '');
  let message: string | undefined;
  let code: string | undefined;
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; code?: unknown };
    if (typeof body.error === 'string') message = body.error;
    else if (typeof body.error === 'object' && body.error !== null) {
      const e = body.error as { message?: unknown; code?: unknown; type?: unknown };
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.code === 'string') code = e.code;
      else if (typeof e.type === 'string') code = e.type;
    }
    if (message === undefined && typeof body.message === 'string') message = body.message;
    if (code === undefined && typeof body.code === 'string') code = body.code;
  } catch {
    if (text.trim() !== '' && text.length < 300) message = text.trim();
  }
  if (response.statusCode === 401) {
    message = `the gateway rejected the admin token; set AI_GATEWAY_ADMIN_TOKEN${message ? ` (${message})` : ''}`;
  }
  return new ManagementApiError(response.statusCode, message ?? `the gateway answered ${response.statusCode}`, code);
}
