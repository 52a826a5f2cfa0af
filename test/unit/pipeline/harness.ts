/**
 * The pipeline with fake ports and no sockets: an in-memory request/response pair over a Duplex that keeps what
 * was written, in-memory controls that count how each budget hold ended, a router over scripted providers that
 * answer with recorded bytes, and a recorder that keeps the rows.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { GatewayError } from '../../../src/core/errors.js';
import { RequestContext } from '../../../src/pipeline/context.js';
import { NO_TRACING } from '../../../src/pipeline/no-tracing.js';
import { chat, countTokens, embeddings } from '../../../src/pipeline/endpoints/index.js';
import type { Admission, AdmissionRequest, BreakerGate, Controls, PipelineDeps, RequestRecord, RouteTarget, StoredItem, StoredResponse } from '../../../src/pipeline/ports.js';
import type { ProviderAdapter, UpstreamRequest, UpstreamResponse } from '../../../src/providers/provider.js';
import { priceFromOverride } from '../../../src/metering/index.js';
import type { WireFormat } from '../../../src/wire/codec.js';
import { KeyPools } from '../../../src/providers/key-pool.js';
import type { RetryPolicy } from '../../../src/providers/retry.js';
import { FakeClock, ManualTimers } from '../../helpers/clock.js';

export const PRICE = priceFromOverride('m', { input: 1, output: 2 });

class MemorySocket extends Duplex {
  readonly written: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.written.push(Buffer.from(chunk));
    done();
  }
  override _read(): void {}
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

/** A budget hold that counts how it ended: exactly one finish or abandon may count. */
export class FakeAdmission implements Admission {
  readonly ends: string[] = [];
  counted: 'finish' | 'abandon' | undefined;
  finished: { ok: boolean; costUsd: number } | undefined;
  stop: GatewayError | undefined;
  constructor(
    readonly limited: boolean,
    private readonly room: number,
  ) {}
  extended = 0;
  extend(additionalUsd: number): boolean {
    if (this.extended + additionalUsd > this.room) return false;
    this.extended += additionalUsd;
    return true;
  }
  finish(outcome: { ok: boolean; tokensIn: number; tokensOut: number; costUsd: number }): void {
    this.ends.push('finish');
    if (this.counted) return;
    this.counted = 'finish';
    this.finished = { ok: outcome.ok, costUsd: outcome.costUsd };
  }
  abandon(): void {
    this.ends.push('abandon');
    this.counted ??= 'abandon';
  }
  interruption(): GatewayError | undefined {
    return this.stop;
  }
}

export class FakeControls implements Controls {
  refuse: GatewayError | undefined;
  /** Extra dollars a stream may grow its hold by. */
  room = 1_000;
  limited = false;
  open = new Set<string>();
  readonly admissions: FakeAdmission[] = [];
  readonly requests: AdmissionRequest[] = [];
  readonly breakerEvents: string[] = [];
  admit(request: AdmissionRequest): Admission {
    this.requests.push(request);
    if (this.refuse) throw this.refuse;
    const admission = new FakeAdmission(this.limited, this.room);
    this.admissions.push(admission);
    return admission;
  }
  breaker(_agent: string, provider: string): BreakerGate {
    const events = this.breakerEvents;
    const open = this.open.has(provider);
    return {
      check: () => {
        if (open) throw new GatewayError('circuit_open', `provider ${provider} is failing and its circuit breaker is open`, { code: 'circuit_open', retryAfter: 30 });
      },
      success: () => events.push(`${provider}:success`),
      failure: () => events.push(`${provider}:failure`),
      abandon: () => events.push(`${provider}:abandon`),
    };
  }
  providerFailed(outcome: number | GatewayError): boolean {
    if (typeof outcome === 'number') return outcome >= 500;
    return outcome.kind === 'upstream_timeout' || outcome.kind === 'upstream_unreachable' || (outcome.kind === 'upstream_error' && outcome.status >= 500);
  }
}

/** One scripted upstream answer: a status, headers and body chunks, or a thrown error. */
export type Script = { status: number; headers?: Record<string, string>; chunks: (string | Buffer)[]; hold?: boolean } | GatewayError;

export class ScriptedProvider implements ProviderAdapter {
  readonly sent: UpstreamRequest[] = [];
  readonly scripts: Script[] = [];
  /** The body of the last streamed answer, when it is held open for the test to feed. */
  live: PassThrough | undefined;
  readonly formats: readonly WireFormat[];
  constructor(
    name: string,
    readonly format: WireFormat,
  ) {
    this.formats = [format];
    this.spec = {
      name,
      type: format === 'anthropic-messages' ? 'anthropic' : 'openai',
      baseUrl: 'http://upstream.invalid',
      headers: {},
      connectTimeoutMs: 1000,
      headersTimeoutMs: 1000,
      totalTimeoutMs: 0,
      idleTimeoutMs: 1000,
      maxConnections: 1,
      wire: format === 'anthropic-messages' ? 'anthropic' : 'openai',
      apis: [format === 'anthropic-messages' ? 'messages' : 'chat'],
    };
  }
  readonly spec: ProviderAdapter['spec'];
  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    this.sent.push(request);
    const script = this.scripts.shift();
    if (script === undefined) throw new Error(`provider ${this.spec.name} got a request it has no answer for`);
    if (script instanceof GatewayError) return Promise.reject(script);
    let body: Readable;
    if (script.hold) {
      const live = new PassThrough();
      for (const chunk of script.chunks) live.write(chunk);
      this.live = live;
      body = live;
    } else body = Readable.from(script.chunks.map((c) => Buffer.from(c)));
    // As the real adapters do: the client leaving aborts the upstream body.
    request.signal.addEventListener('abort', () => body.destroy(new Error('aborted')), { once: true });
    return Promise.resolve({ status: script.status, headers: { 'content-type': 'application/json', ...script.headers }, body });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class MemoryResponses {
  readonly ttlMs = 60_000;
  private readonly responses = new Map<string, StoredResponse>();
  save(agent: string, response: StoredResponse): void {
    this.responses.set(`${agent}/${response.id}`, response);
  }
  response(agent: string, id: string): StoredResponse | undefined {
    return this.responses.get(`${agent}/${id}`);
  }
  item(agent: string, id: string): StoredItem | undefined {
    for (const [key, r] of this.responses) if (key.startsWith(`${agent}/`)) for (const item of r.output) if (item.id === id) return item;
    return undefined;
  }
}

export interface Harness {
  clock: FakeClock;
  timers: ManualTimers;
  /** Key pools by provider name: `keys.apply([{ name, apiKeys }])` gives a provider keys of its own. */
  keys: KeyPools;
  /** The retry policy every provider gets (tests change it in place). */
  retry: RetryPolicy;
  controls: FakeControls;
  records: RequestRecord[];
  logged: string[];
  providers: Record<string, ScriptedProvider>;
  /** model → provider names, primary first. */
  routes: Record<string, string[]>;
  deps: PipelineDeps;
}

export function harness(): Harness {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const keys = new KeyPools(clock);
  // One attempt unless a test asks for retries; the jitter source returns 0.5: each backoff wait is half its ceiling.
  const retry: RetryPolicy = { maxAttempts: 1, baseDelayMs: 400, maxDelayMs: 5_000, maxRetryAfterMs: 30_000 };
  const controls = new FakeControls();
  const records: RequestRecord[] = [];
  const logged: string[] = [];
  const providers: Record<string, ScriptedProvider> = {
    openai: new ScriptedProvider('openai', 'openai-chat'),
    anthropic: new ScriptedProvider('anthropic', 'anthropic-messages'),
    backup: new ScriptedProvider('backup', 'openai-chat'),
  };
  const routes: Record<string, string[]> = { 'gpt-test': ['openai'], 'claude-test': ['anthropic'], 'gpt-fallback': ['openai', 'backup'] };
  const deps: PipelineDeps = {
    clock,
    timers,
    random: () => 0.5,
    keys,
    log: { info: (m) => logged.push(m), warn: (m) => logged.push(m), error: (m) => logged.push(m) },
    settings: () => ({
      maxBodyBytes: 10_000,
      maxResponseBytes: 100_000,
      strictTranslation: () => false,
      defaultOutputCap: 100,
      virtualKeys: new Map(),
      unknownAgents: 'allow',
      isKnownAgent: () => true,
      retry: () => retry,
    }),
    router: {
      taskRules: () => undefined,
      resolve(model: string): RouteTarget[] {
        const names = routes[model];
        if (!names) throw new GatewayError('model_not_found', `no route for model "${model}"`, { param: 'model', code: 'model_not_found' });
        return names.map((name) => ({ provider: providers[name]!, upstreamModel: `${model}-upstream`, defaultMaxTokens: 1024 }));
      },
    },
    controls,
    meter: { priceFor: () => PRICE, countTokens: (texts) => Promise.resolve({ counts: texts.map((t) => Math.ceil(t.length / 4)), estimated: false }), prepareTokens: () => {} },
    recorder: { record: (r) => records.push(r) },
    directory: { passthroughRule: () => 'all', passthroughProvider: () => providers.openai, modelIds: () => Object.keys(routes).sort() },
    redaction: { known: (t) => t.split('sk-provider-secret').join('sk-…[redacted]'), withKey: (t) => t },
    responses: new MemoryResponses(),
    tracing: NO_TRACING,
  };
  return { clock, timers, keys, retry, controls, records, logged, providers, routes, deps };
}

export interface Exchange {
  ctx: RequestContext;
  socket: MemorySocket;
  done: Promise<void>;
  /** The client leaves: its connection closes. */
  leave(): void;
  answer(): { status: number; headers: Record<string, string>; body: string };
}

const ENDPOINTS = { chat, countTokens, embeddings } as const;

/** One request through an endpoint, over an in-memory connection. */
export function call(
  h: Harness,
  body: unknown,
  options: { wire?: WireFormat; endpoint?: keyof typeof ENDPOINTS; auditFormat?: string; path?: string; headers?: Record<string, string> } = {},
): Exchange {
  const socket = new MemorySocket();
  const req = new IncomingMessage(socket as never);
  req.method = 'POST';
  req.headers = { 'content-type': 'application/json', ...options.headers };
  // A parsed request is complete: reading it to its end must not close the connection.
  req.complete = true;
  req.push(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  req.push(null);
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  // As node:http's server does: a response that finished closes on the next tick.
  res.once('finish', () => process.nextTick(() => res.emit('close')));
  const wire = options.wire ?? 'openai-chat';
  const ctx = new RequestContext(
    h.deps,
    req,
    res,
    { requestId: 'req_1', path: options.path ?? '/v1/chat/completions', search: '', pathAgent: 'tester', wire, auditFormat: options.auditFormat ?? wire },
    () => undefined,
  );
  const done = ENDPOINTS[options.endpoint ?? 'chat'](ctx);
  return {
    ctx,
    socket,
    done,
    leave: () => socket.destroy(),
    answer: () => parseHttp(Buffer.concat(socket.written).toString('utf8')),
  };
}

function parseHttp(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    headers[line.slice(0, at).toLowerCase()] = line.slice(at + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1]), headers, body: raw.slice(split + 4) };
}

/** An OpenAI Chat Completions answer with usage. */
export function openAIAnswer(text: string, usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'gpt-test-upstream',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage,
  });
}
