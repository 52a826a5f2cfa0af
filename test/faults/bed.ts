/**
 * A test bed for fault tests: both fakes behind one in-process gateway with short upstream timeouts, and agents
 * whose breakers never trip (threshold 10 000) so each case can read exactly how many failures its breaker counted.
 * Requests pick their fault with a `[[fake-scenario:…]]` directive, so cases can run side by side.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { startFakeAnthropic, startFakeOpenAI, scenarioDirective, type FakeServerOptions, type FakeUpstream, type Scenario } from '../fakes/index.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';
import { InProcessTokenCounter } from '../../src/app/token-counter.js';

export type ClientFormat = 'openai' | 'anthropic';

/** Upstream timeouts of the bed's providers: long enough for a loaded CI box, short enough to wait for. */
export const FIRST_BYTE_TIMEOUT_MS = 800;
export const IDLE_TIMEOUT_MS = 500;

export interface FaultBed {
  gw: TestGateway;
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  close(): Promise<void>;
}

export interface BedOptions {
  /** Agents `a0`…`a{n-1}`, each with its own never-tripping breaker. */
  agents?: number;
  /** Extra YAML under `gateway:`. */
  gateway?: string;
  extra?: TestGatewayOptions['extra'];
  /** Provider timeouts (YAML flow map); default: first byte/total FIRST_BYTE_TIMEOUT_MS, idle IDLE_TIMEOUT_MS, connect 1s. */
  timeouts?: string;
  /** Options for both fakes (long runs turn off response recording). */
  fakes?: FakeServerOptions;
}

export async function startFaultBed(options: BedOptions = {}): Promise<FaultBed> {
  // The tokenizer tables load on first use and hold the event loop for about a second; load them before the
  // clock starts, so that pause does not land inside a case with sub-second timeouts.
  await new InProcessTokenCounter().countTokens(['warm up']);
  const openai = await startFakeOpenAI(options.fakes);
  const anthropic = await startFakeAnthropic(options.fakes);
  const timeouts = `timeouts: ${options.timeouts ?? `{ upstream: ${FIRST_BYTE_TIMEOUT_MS}ms, idle: ${IDLE_TIMEOUT_MS}ms, connect: 1s }`}`;
  const agents = Array.from(
    { length: options.agents ?? 1 },
    (_, i) => `  a${i}: { circuit_breaker: { error_threshold: 10000, window: 600s, reset_timeout: 600s } }`,
  ).join('\n');
  const yaml = [
    'gateway:',
    '  embedded_defaults: false',
    ...(options.gateway ? [options.gateway.replace(/^/gm, '  ')] : []),
    'providers:',
    `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-fault-openai-0001, ${timeouts} }`,
    `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-fault-0001, ${timeouts} }`,
    'models:',
    '  "gpt-*": fo',
    '  "claude-*": fa',
    '  "text-embedding-*": fo',
    'agents:',
    agents,
  ].join('\n');
  const gw = await startTestGateway({ yaml, ...(options.extra ? { extra: options.extra } : {}) });
  return {
    gw,
    openai,
    anthropic,
    async close() {
      await gw.stop();
      await Promise.all([openai.close(), anthropic.close()]);
    },
  };
}

/** A chat request body in the client's format whose last user text carries the fault directive. */
export function chatBody(format: ClientFormat, model: string, stream: boolean, scenario?: Scenario | Parameters<typeof scenarioDirective>[0]): string {
  const text = `say hello ${scenario === undefined ? '' : scenarioDirective(scenario)}`;
  if (format === 'openai') {
    return JSON.stringify({
      model,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [{ role: 'user', content: text }],
    });
  }
  return JSON.stringify({ model, stream, max_tokens: 64, messages: [{ role: 'user', content: text }] });
}

export function chatPath(format: ClientFormat, agent: string): string {
  return `/agents/${agent}/v1/${format === 'openai' ? 'chat/completions' : 'messages'}`;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The connection failed before a full response arrived. */
  transportError?: string;
}

/** One HTTP exchange without any client library between the test and the bytes. */
export function send(url: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve) => {
    const target = new URL(path, url);
    const req = httpRequest(
      target,
      {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        // content-length always: without it Node sends a DELETE's body unframed.
        headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(init.body)) }), ...init.headers },
        agent: false,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', (err) =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8'), transportError: err.message }),
        );
      },
    );
    req.on('error', (err) => resolve({ status: 0, headers: {}, body: '', transportError: err.message }));
    req.end(init.body);
  });
}

export function sendChat(bed: FaultBed, format: ClientFormat, agent: string, model: string, stream: boolean, scenario?: Scenario | Parameters<typeof scenarioDirective>[0]): Promise<RawResponse> {
  const headers: Record<string, string> = format === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {};
  return send(bed.gw.url, chatPath(format, agent), { headers, body: chatBody(format, model, stream, scenario) });
}

/** SSE frames as `{event, data}`; data parsed as JSON when it is JSON. */
export function sseFrames(body: string): { event: string | undefined; data: unknown }[] {
  const frames: { event: string | undefined; data: unknown }[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    if (block.trim() === '') continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) continue;
    const text = data.join('\n');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* `[DONE]` and other plain data stay text */
    }
    frames.push({ event, data: parsed });
  }
  return frames;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An OpenAI error body `{"error":{message,type,param,code}}`, as the SDK reads it. */
export function isOpenAIError(v: unknown): boolean {
  if (!isObject(v) || !isObject(v.error)) return false;
  const e = v.error;
  return typeof e.message === 'string' && typeof e.type === 'string' && 'param' in e && 'code' in e;
}

/** An Anthropic error body `{"type":"error","error":{type,message}}`. */
export function isAnthropicError(v: unknown): boolean {
  return isObject(v) && v.type === 'error' && isObject(v.error) && typeof v.error.type === 'string' && typeof v.error.message === 'string';
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Failures the breaker of `agent`'s calls to `provider` holds in its window. */
export function breakerFailures(bed: FaultBed, agent: string, provider: string): number {
  const snap = bed.gw.gateway.controls.breakers.snapshot().find((b) => b.key === `${agent}:${provider}`);
  return snap?.failuresInWindow ?? 0;
}

/** The audit row of one request, read after a flush. */
export function rowOf(bed: FaultBed, requestId: string): Record<string, unknown> | undefined {
  return bed.gw.rows().find((r) => r.id === requestId);
}
