/**
 * Small helpers shared by the foundation integration tests: both fakes behind a gateway for a whole file,
 * config snippets for the fakes, raw HTTP calls that keep the exact bytes, SSE frame splitting, and a port
 * nothing listens on.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from '../helpers/gateway.js';

export const OPENAI_PROVIDER_KEY = 'sk-provider-openai-Z9q8w7e6r5t4';
export const ANTHROPIC_PROVIDER_KEY = 'sk-ant-provider-Q1w2e3r4t5y6';

/**
 * Both fakes as providers, gpt-* and claude-* routed to them, no embedded defaults; `gateway` adds settings and
 * `routes` adds `models:` entries matched before the two globs.
 */
export function fakesYaml(openai: FakeUpstream, anthropic: FakeUpstream, extra = '', gateway: readonly string[] = [], routes: readonly string[] = []): string {
  return [
    'gateway:',
    '  embedded_defaults: false',
    ...gateway.map((line) => `  ${line}`),
    'providers:',
    `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: ${OPENAI_PROVIDER_KEY} }`,
    `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: ${ANTHROPIC_PROVIDER_KEY} }`,
    'models:',
    ...routes.map((line) => `  ${line}`),
    '  "gpt-*": fo',
    '  "claude-*": fa',
    extra,
  ].join('\n');
}

export interface FakesGateway {
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  gw: TestGateway;
}

/**
 * Registers the hooks that start both fakes and a gateway over them before a file's tests, reset the
 * fakes before each test and stop everything after. `use` receives them once started; `options` builds
 * the gateway's options from the fakes (by default `fakesYaml` alone).
 */
export function shareFakesGateway(
  use: (started: FakesGateway) => void,
  options: (openai: FakeUpstream, anthropic: FakeUpstream) => TestGatewayOptions | Promise<TestGatewayOptions> = (openai, anthropic) => ({
    yaml: fakesYaml(openai, anthropic),
  }),
): void {
  let started: FakesGateway | undefined;
  beforeAll(async () => {
    const openai = await startFakeOpenAI();
    const anthropic = await startFakeAnthropic();
    const gw = await startTestGateway(await options(openai, anthropic));
    started = { openai, anthropic, gw };
    use(started);
  });
  afterAll(async () => {
    await started?.gw.stop();
    await started?.openai.close();
    await started?.anthropic.close();
  });
  beforeEach(() => {
    started?.openai.reset();
    started?.anthropic.reset();
  });
}

/**
 * For tests that start their own gateways and fakes: registers an afterEach that undoes, newest first,
 * whatever the test handed to the returned `defer` (gateways to stop, fakes to close, dirs to remove).
 */
export function deferAfterEach(): (cleanup: () => Promise<void> | void) => void {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One HTTP exchange with node:http, so the body bytes are exactly what went over the wire. */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? (options.body === undefined ? 'GET' : 'POST'), headers: options.headers ?? {} }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs JSON, as an SDK would. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return rawRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
}

/** Complete SSE frames (each with its trailing blank line), in order. */
export function sseFrames(bytes: Buffer | string): string[] {
  const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  const frames: string[] = [];
  let rest = text;
  for (;;) {
    const end = rest.indexOf('\n\n');
    if (end < 0) break;
    frames.push(rest.slice(0, end + 2));
    rest = rest.slice(end + 2);
  }
  if (rest.length > 0) frames.push(rest);
  return frames;
}

/** The JSON payload of a `data:` frame, or undefined for [DONE] and non-JSON frames. */
export function frameData(frame: string): unknown {
  const line = frame.split('\n').find((l) => l.startsWith('data: '));
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line.slice(6)) as unknown;
  } catch {
    return undefined;
  }
}

/** An OpenAI chunk with no choices and a usage object: the chunk `stream_options.include_usage` adds. */
export function isUsageOnlyFrame(frame: string): boolean {
  const data = frameData(frame);
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { choices?: unknown; usage?: unknown };
  return Array.isArray(d.choices) && d.choices.length === 0 && typeof d.usage === 'object' && d.usage !== null;
}

/** A TCP port on 127.0.0.1 that was free a moment ago and has nothing listening now. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** USD from a count of pico-dollars (1e-12), the unit hand-computed costs are written in. */
export function usdFromPico(pico: number): number {
  return pico / 1e12;
}
