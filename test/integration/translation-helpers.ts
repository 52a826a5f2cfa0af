/**
 * Shared set-up for the end-to-end translation tests: both fakes behind one gateway, the official SDK
 * clients pointed at it (each test its own agent, so its audit row is found by agent id), and small
 * readers for what the fakes received.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream, type RecordedRequest } from '../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ANTHROPIC_PROVIDER_KEY, OPENAI_PROVIDER_KEY } from './fakes-gateway.js';

export interface TranslationRig {
  openai: FakeUpstream;
  anthropic: FakeUpstream;
  gw: TestGateway;
  /** OpenAI SDK client speaking to the gateway as `agent`; never retries. */
  openaiClient(agent: string): OpenAI;
  /** Anthropic SDK client speaking to the gateway as `agent`; never retries. */
  anthropicClient(agent: string): Anthropic;
  /** The one audit row of `agent`, once the batched writer has stored it. */
  rowOf(agent: string): Promise<Record<string, unknown>>;
  /** Every audit row of `agent` once there are `count` of them. */
  rowsOf(agent: string, count: number): Promise<Record<string, unknown>[]>;
  reset(): void;
  stop(): Promise<void>;
}

export interface RigOptions {
  /** Top-level YAML appended to the config (agents:, prices:, …). */
  extraYaml?: string;
  /** Extra `models:` entries, one per line, without indentation; checked after the two globs. */
  models?: string[];
  /** gateway.strict_translation. */
  strict?: boolean;
  /** Extra `gateway:` settings, one per line, without indentation. */
  gateway?: string[];
  /** Extra `providers:` entries, one per line, without indentation. */
  providers?: string[];
}

/** Both fakes, `gpt-*` → OpenAI fake, `claude-*` → Anthropic fake, no embedded defaults. */
export function rigYaml(openai: FakeUpstream, anthropic: FakeUpstream, options: RigOptions = {}): string {
  return [
    'gateway:',
    '  embedded_defaults: false',
    `  strict_translation: ${options.strict === true}`,
    ...(options.gateway ?? []).map((g) => `  ${g}`),
    'providers:',
    `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: ${OPENAI_PROVIDER_KEY} }`,
    `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: ${ANTHROPIC_PROVIDER_KEY} }`,
    ...(options.providers ?? []).map((p) => `  ${p}`),
    'models:',
    '  "gpt-*": fo',
    '  "claude-*": fa',
    ...(options.models ?? []).map((m) => `  ${m}`),
    options.extraYaml ?? '',
  ].join('\n');
}

export async function startTranslationRig(options: RigOptions = {}): Promise<TranslationRig> {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  const gw = await startTestGateway({ yaml: rigYaml(openai, anthropic, options) });
  const rowsOf = (agent: string, count: number): Promise<Record<string, unknown>[]> => agentRows(gw, agent, count);
  return {
    openai,
    anthropic,
    gw,
    openaiClient: (agent) => new OpenAI({ baseURL: `${gw.url}/agents/${agent}/v1`, apiKey: 'sk-client-key', maxRetries: 0 }),
    anthropicClient: (agent) => new Anthropic({ baseURL: `${gw.url}/agents/${agent}`, apiKey: 'sk-ant-client-key', maxRetries: 0 }),
    rowsOf,
    async rowOf(agent) {
      const rows = await rowsOf(agent, 1);
      if (rows.length !== 1) throw new Error(`expected one row for agent ${agent}, found ${rows.length}`);
      return rows[0]!;
    },
    reset() {
      openai.reset();
      anthropic.reset();
    },
    async stop() {
      await gw.stop();
      await openai.close();
      await anthropic.close();
    },
  };
}

/**
 * Registers the hooks that start one rig before a file's (or a describe block's) tests, reset its fakes
 * before each test and stop it after; `use` receives the rig once started.
 */
export function shareTranslationRig(use: (rig: TranslationRig) => void, options: RigOptions = {}): void {
  let rig: TranslationRig | undefined;
  beforeAll(async () => {
    rig = await startTranslationRig(options);
    use(rig);
  });
  afterAll(async () => {
    await rig?.stop();
  });
  beforeEach(() => {
    rig?.reset();
  });
}

/** The JSON body a fake received, failing loudly when there is none. */
export function bodyOf(request: RecordedRequest | undefined): Record<string, unknown> {
  if (!request?.body) throw new Error('the fake received no JSON request');
  return request.body as Record<string, unknown>;
}

/** `messages` of a received body. */
export function messagesOf(request: RecordedRequest | undefined): Record<string, unknown>[] {
  const messages = bodyOf(request)['messages'];
  if (!Array.isArray(messages)) throw new Error('the received body has no messages array');
  return messages as Record<string, unknown>[];
}

/** A 1×1 transparent PNG, base64. */
export const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

/** The weather tool both SDKs declare in the tool tests. */
export const WEATHER_TOOL_PARAMS: { type: 'object'; properties: Record<string, unknown>; required: string[] } = {
  type: 'object',
  properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['location'],
};

/** Throws unless `promise` rejects; returns what it rejected with. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/**
 * An OpenAI-compatible chat server that streams exactly the chunks a test scripts, whatever was asked
 * (as servers that ignore `stream_options` or send quirky tool deltas do). Records each request body.
 */
export interface ScriptedOpenAI {
  /** Base URL for a provider entry (`…/v1`). */
  baseURL: string;
  /** Request bodies received, in order. */
  bodies: Record<string, unknown>[];
  /** The `data:` payloads of the next streamed response (objects are JSON-encoded; `[DONE]` is not added). */
  script(payloads: (Record<string, unknown> | string)[]): void;
  close(): Promise<void>;
}

export async function startScriptedOpenAI(): Promise<ScriptedOpenAI> {
  const bodies: Record<string, unknown>[] = [];
  let payloads: (Record<string, unknown> | string)[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const p of payloads) res.write(`data: ${typeof p === 'string' ? p : JSON.stringify(p)}\n\n`);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    bodies,
    script(next) {
      payloads = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One chat.completion.chunk with a single choice. */
export function chunk(delta: Record<string, unknown>, finishReason: string | null = null, model = 'bare-model'): Record<string, unknown> {
  return { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1700000000, model, choices: [{ index: 0, delta, finish_reason: finishReason }] };
}
