/**
 * The HTTP side shared by both fakes: records every request, resolves its scenario and executes the response
 * plan a provider renders for it, including faults and the client going away mid-response.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate } from 'node:timers/promises';
import { parseJsonObject, type JsonObject } from './json.js';
import type { ResponsePlan } from './plan.js';
import type { RenderEnv } from './reply.js';
import {
  findDirective,
  parseScenarioText,
  SCENARIO_HEADER,
  toScenario,
  type Scenario,
  type ScenarioInput,
} from './scenario.js';

/** One request as the fake received it, and what became of its response. Fields update while it runs. */
export interface RecordedRequest {
  /** Position in `requests`, from 0. */
  readonly index: number;
  readonly method: string;
  /** Path and query string as sent, e.g. `/v1/messages?beta=true`. */
  readonly path: string;
  /** Path without the query string. */
  readonly pathname: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  /** The body parsed as a JSON object, or null when it is not one. */
  readonly body: JsonObject | null;
  /** The scenario used, or null when the request failed validation before one was chosen. */
  readonly scenario: Scenario | null;
  /** From the fake's clock, in milliseconds. */
  readonly receivedAt: number;
  /** Status sent; null while no headers have been sent (or never will be). */
  readonly status: number | null;
  /** Response headers sent, lower-cased; null while none have been sent. */
  readonly responseHeaders: Readonly<Record<string, string>> | null;
  /** Every body byte written so far (empty when the fake was started with recordResponses: false). */
  readonly responseBytes: Buffer;
  /** The client closed the connection before the response ended. */
  readonly aborted: boolean;
  /** The response ended normally. */
  readonly completed: boolean;
  /** The fake destroyed the socket itself (reset scenarios). */
  readonly resetByServer: boolean;
  /** Nothing more will happen to this request: completed, aborted, reset, or the fake closed. */
  readonly settled: boolean;
}

class RequestRecord implements RecordedRequest {
  scenario: Scenario | null = null;
  status: number | null = null;
  responseHeaders: Record<string, string> | null = null;
  aborted = false;
  completed = false;
  resetByServer = false;
  settled = false;
  readonly #parts: Buffer[] = [];
  #joined: Buffer | null = null;
  readonly settledPromise: Promise<void>;
  markSettled: () => void = () => undefined;

  constructor(
    readonly index: number,
    readonly method: string,
    readonly path: string,
    readonly pathname: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly rawBody: string,
    readonly body: JsonObject | null,
    readonly receivedAt: number,
  ) {
    this.settledPromise = new Promise<void>((resolve) => {
      this.markSettled = () => {
        this.settled = true;
        resolve();
      };
    });
  }

  get responseBytes(): Buffer {
    this.#joined ??= Buffer.concat(this.#parts);
    return this.#joined;
  }

  appendResponse(bytes: Buffer): void {
    this.#parts.push(bytes);
    this.#joined = null;
  }
}

export interface FakeServerOptions {
  /** Scenario for requests that do not pick their own (default `text`). */
  scenario?: ScenarioInput;
  /** Seeds generated ids, so bytes are reproducible (default 1). */
  seed?: number;
  /** Clock for `created` and `receivedAt`, in milliseconds (default Date.now). */
  now?: () => number;
  /** Waits between stream frames (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
  /** Keep every response body in `requests[i].responseBytes` (default true; turn off for long benchmarks). */
  recordResponses?: boolean;
  /** When set, requests must authenticate with this key, or get the provider's 401. */
  apiKey?: string;
  /** Reject requests missing what the real API requires (default true). */
  validate?: boolean;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
}

/** A running fake upstream. */
export interface FakeUpstream {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** What an SDK's baseURL should be: `${url}/v1` for OpenAI, `url` for Anthropic. */
  readonly baseURL: string;
  readonly port: number;
  readonly requests: readonly RecordedRequest[];
  readonly lastRequest: RecordedRequest | undefined;
  /** Body bytes of the most recent response. */
  readonly lastResponseBytes: Buffer | undefined;
  /** The scenario for requests that do not pick their own. */
  setScenario(scenario: ScenarioInput): void;
  /** One-shot scenarios for the next generation requests, used in order before the default. */
  queueScenarios(...scenarios: ScenarioInput[]): void;
  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<readonly RecordedRequest[]>;
  /** Resolves once request `index` has arrived and settled. */
  whenSettled(index: number, timeoutMs?: number): Promise<RecordedRequest>;
  /** Forgets recorded requests and queued scenarios; the default scenario goes back to the start option. */
  reset(): void;
  /** Stops listening and drops every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** What a provider decides for one request. */
export interface RouteContext {
  readonly request: RecordedRequest;
  readonly env: RenderEnv;
  /** The scenario for this request. Call it only once the request is valid, so queued scenarios are not wasted. */
  takeScenario(): Scenario;
}

export interface ProviderSpec {
  /** Appended to the server URL to form `baseURL`. */
  readonly basePath: string;
  /** Paths whose requests consume queued scenarios (a test, for APIs that put the model in the path). */
  readonly generationPaths: ReadonlySet<string> | ((pathname: string) => boolean);
  /** Text where a `[[fake-scenario:...]]` directive may sit. */
  directiveText(body: JsonObject | null): string;
  /** The response when a per-request scenario cannot be parsed. */
  badScenario(message: string, env: RenderEnv): ResponsePlan;
  route(ctx: RouteContext): ResponsePlan;
  /** Forgets provider state (stored responses) along with the recorded requests. */
  reset?(): void;
}

const DEFAULT_WAIT_MS = 5000;

function normaliseHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Request bodies from this many characters on are handled over several turns of the event loop. */
const LARGE_BODY_CHARS = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let done = false;
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      done = true;
      const bytes = Buffer.concat(parts);
      // Joining and decoding a large body are two turns (see LARGE_BODY_CHARS).
      if (bytes.length < LARGE_BODY_CHARS) resolve(bytes.toString('utf8'));
      else setImmediate().then(() => resolve(bytes.toString('utf8')), reject);
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!done) reject(new Error('request closed before its body ended'));
    });
  });
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Mixes the fake's seed with a request index into a per-request seed. */
function requestSeed(seed: number, index: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

export async function startFakeServer(spec: ProviderSpec, opts: FakeServerOptions = {}): Promise<FakeUpstream> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? defaultSleep;
  const seed = opts.seed ?? 1;
  const record = opts.recordResponses ?? true;
  const initial = toScenario(opts.scenario ?? 'text');
  let current = initial;
  let queue: Scenario[] = [];
  let records: RequestRecord[] = [];
  let closing = false;
  const arrivalWaiters = new Set<() => void>();
  const paths = spec.generationPaths;
  const isGeneration = typeof paths === 'function' ? paths : (pathname: string): boolean => paths.has(pathname);

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Listen for the end of the exchange from the start, so a client leaving early is never missed.
    const seen: { rec?: RequestRecord } = {};
    const closed = new Promise<void>((resolve) => {
      res.once('close', () => {
        const rec = seen.rec;
        if (rec) {
          if (res.writableFinished) rec.completed = true;
          else if (!rec.resetByServer && !closing) rec.aborted = true;
          rec.markSettled();
        }
        resolve();
      });
    });
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch {
      return; // the client went away while sending; nothing to answer
    }
    // The fake shares its process with the tests' /health pollers: a large body is parsed and searched for a
    // directive in turns of its own, so the fake's work is not mistaken for a stall of the gateway.
    const large = rawBody.length >= LARGE_BODY_CHARS;
    if (large) await setImmediate();
    const rawPath = req.url ?? '/';
    const pathname = rawPath.split('?')[0] ?? '/';
    const headers = normaliseHeaders(req);
    const body = parseJsonObject(rawBody);
    if (large) await setImmediate();
    const r = new RequestRecord(records.length, req.method ?? 'GET', rawPath, pathname, headers, rawBody, body, now());
    seen.rec = r;
    records.push(r);
    for (const wake of arrivalWaiters) wake();

    const env: RenderEnv = { seed: requestSeed(seed, r.index), created: Math.floor(now() / 1000) };
    let plan: ResponsePlan;
    const perRequest = headers[SCENARIO_HEADER] ?? findDirective(spec.directiveText(body));
    const parsed = perRequest === undefined ? null : parseScenarioText(perRequest);
    if (parsed && !parsed.ok) {
      plan = spec.badScenario(parsed.message, env);
    } else {
      const takeScenario = (): Scenario => {
        const chosen = parsed?.scenario ?? (isGeneration(pathname) ? queue.shift() : undefined) ?? current;
        r.scenario = chosen;
        return chosen;
      };
      plan = spec.route({ request: r, env, takeScenario });
    }
    await execute(plan, res, r, closed);
  }

  async function execute(plan: ResponsePlan, res: ServerResponse, rec: RequestRecord, closed: Promise<void>): Promise<void> {
    let isClosed = res.closed;
    void closed.then(() => {
      isClosed = true;
    });

    if (plan.head) {
      res.writeHead(plan.head.status, plan.head.headers);
      // Headers go out now, so a stalled body still lets the client see the status.
      res.flushHeaders();
      rec.status = plan.head.status;
      rec.responseHeaders = Object.fromEntries(Object.entries(plan.head.headers).map(([k, v]) => [k.toLowerCase(), v]));
    }
    for (const step of plan.steps) {
      if (isClosed) return;
      switch (step.op) {
        case 'write':
          if (record) rec.appendResponse(step.bytes);
          if (!res.write(step.bytes)) {
            await Promise.race([new Promise<void>((resolve) => res.once('drain', () => resolve())), closed]);
          }
          break;
        case 'delay':
          await Promise.race([sleep(step.ms), closed]);
          break;
        case 'end':
          await Promise.race([new Promise<void>((resolve) => res.end(() => resolve())), closed]);
          if (res.writableFinished) rec.completed = true;
          return;
        case 'hang':
          await closed;
          return;
        case 'destroy': {
          rec.resetByServer = true;
          // Let the frames already written reach the wire first, so the client sees exactly what was recorded.
          const socket = res.socket;
          if (socket && socket.writableLength > 0) await new Promise<void>((resolve) => socket.write('', () => resolve()));
          socket?.destroy();
          return;
        }
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const url = `http://${address}:${port}`;

  function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`fake upstream: timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  function arrival(count: number): Promise<void> {
    if (records.length >= count) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const check = (): void => {
        if (records.length >= count) {
          arrivalWaiters.delete(check);
          resolve();
        }
      };
      arrivalWaiters.add(check);
    });
  }

  return {
    url,
    baseURL: `${url}${spec.basePath}`,
    port,
    get requests() {
      return records;
    },
    get lastRequest() {
      return records.at(-1);
    },
    get lastResponseBytes() {
      return records.at(-1)?.responseBytes;
    },
    setScenario(s) {
      current = toScenario(s);
    },
    queueScenarios(...s) {
      queue.push(...s.map(toScenario));
    },
    async waitForRequests(count, timeoutMs = DEFAULT_WAIT_MS) {
      await withTimeout(arrival(count), timeoutMs, `${count} request(s)`);
      return records;
    },
    async whenSettled(index, timeoutMs = DEFAULT_WAIT_MS) {
      const settle = arrival(index + 1).then(async () => {
        const rec = records[index];
        if (!rec) throw new Error(`fake upstream: no request ${index}`);
        await rec.settledPromise;
        return rec;
      });
      return withTimeout(settle, timeoutMs, `request ${index} to settle`);
    },
    reset() {
      spec.reset?.();
      records = [];
      queue = [];
      current = initial;
    },
    close() {
      closing = true;
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
