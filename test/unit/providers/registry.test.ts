/**
 * The provider registry: one factory per config type, a clear refusal for a type it cannot build, and adapters
 * that put the key and the path where their upstream expects them (checked against a real socket).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PROVIDER_TYPES } from '../../../src/config/index.js';
import { OpenAICompatibleProvider } from '../../../src/providers/openai-compatible/openai-compatible-provider.js';
import type { ProviderSpec, ProviderType, UpstreamRequest } from '../../../src/providers/provider.js';
import { createProvider, REGISTERED_PROVIDER_TYPES } from '../../../src/providers/registry.js';
import { FakeClock } from '../../helpers/clock.js';

function spec(type: ProviderType, over: Partial<ProviderSpec> = {}): ProviderSpec {
  return {
    name: `${type}-1`,
    type,
    baseUrl: 'http://127.0.0.1:9/v1',
    headers: {},
    connectTimeoutMs: 1000,
    headersTimeoutMs: 1000,
    totalTimeoutMs: 2000,
    idleTimeoutMs: 1000,
    maxConnections: 2,
    wire: 'openai',
    apis: ['chat'],
    ...over,
  };
}

const context = { clock: new FakeClock() };

/** A socket that answers `{}` and remembers what each request said. */
async function recordingUpstream(): Promise<{ baseUrl: string; seen: { path: string; headers: IncomingHttpHeaders }[]; server: Server }> {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function send(provider: { send: OpenAICompatibleProvider['send']; close(): Promise<void> }, endpoint: string): Promise<void> {
  // The caller picks the key of each attempt (a pooled provider key or the client's own).
  const res = await provider.send({ endpoint, method: 'POST', body: '{}', clientHeaders: {}, key: 'sk-test', signal: new AbortController().signal });
  res.body.resume();
  await new Promise((resolve) => res.body.once('close', resolve));
  await provider.close();
}

describe('provider registry', () => {
  it('has a factory for exactly the types the config accepts', () => {
    expect([...REGISTERED_PROVIDER_TYPES].sort()).toEqual([...PROVIDER_TYPES].sort());
  });

  it('refuses a type it has no factory for, naming the provider and the known types', () => {
    const unknown = spec('openai', { name: 'br', type: 'bedrock' as ProviderType });
    expect(() => createProvider(unknown, context)).toThrow('provider "br" has type "bedrock", which this gateway cannot build; known types: openai, anthropic, mock, azure, gemini');
    // A name on Object.prototype is not a type either.
    expect(() => createProvider(spec('openai', { type: 'constructor' as ProviderType }), context)).toThrow('known types');
  });

  it('builds each type speaking its own wire formats', async () => {
    const openai = createProvider(spec('openai', { apis: ['responses', 'chat'] }), context);
    expect(openai.formats).toEqual(['openai-responses', 'openai-chat']);
    expect(openai.format).toBe('openai-responses');
    const anthropic = createProvider(spec('anthropic', { apis: ['messages'] }), context);
    expect(anthropic.formats).toEqual(['anthropic-messages']);
    const mock = createProvider(spec('mock', { wire: 'anthropic' }), context);
    expect(mock.format).toBe('anthropic-messages');
    expect(createProvider(spec('mock'), context).format).toBe('openai-chat');
    await Promise.all([openai.close(), anthropic.close(), mock.close()]);
  });

  it('sends an openai provider key as a bearer token below the base URL', async () => {
    const up = await recordingUpstream();
    servers.push(up.server);
    await send(createProvider(spec('openai', { baseUrl: `${up.baseUrl}/v1` }), context), '/chat/completions');
    expect(up.seen[0]?.path).toBe('/v1/chat/completions');
    expect(up.seen[0]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('sends an anthropic provider key as x-api-key, with /v1 and a pinned version', async () => {
    const up = await recordingUpstream();
    servers.push(up.server);
    await send(createProvider(spec('anthropic', { baseUrl: up.baseUrl, apis: ['messages'] }), context), '/messages');
    expect(up.seen[0]?.path).toBe('/v1/messages');
    expect(up.seen[0]?.headers['x-api-key']).toBe('sk-test');
    expect(up.seen[0]?.headers.authorization).toBeUndefined();
    expect(up.seen[0]?.headers['anthropic-version']).toBe('2023-06-01');
  });

  it('sends a gemini provider key as x-goog-api-key below the versioned base URL, the model and action in the path', async () => {
    const up = await recordingUpstream();
    servers.push(up.server);
    const gemini = createProvider(spec('gemini', { baseUrl: `${up.baseUrl}/v1beta` }), context);
    expect(gemini.formats).toEqual(['gemini']);
    await send(gemini, '/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(up.seen[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(up.seen[0]?.headers['x-goog-api-key']).toBe('sk-test');
    expect(up.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('lets an OpenAI-compatible provider move the key and the path by overriding the base', async () => {
    class HeaderKeyProvider extends OpenAICompatibleProvider {
      protected override authHeaders(key: string): Record<string, string> {
        return { 'api-key': key };
      }
      protected override upstreamCall(req: UpstreamRequest): { path: string; body: string | undefined } {
        return { path: `/deployments/d1${req.endpoint}?api-version=2024-10-21`, body: req.body };
      }
    }
    const up = await recordingUpstream();
    servers.push(up.server);
    await send(new HeaderKeyProvider(spec('openai', { baseUrl: `${up.baseUrl}/openai` })), '/chat/completions');
    expect(up.seen[0]?.path).toBe('/openai/deployments/d1/chat/completions?api-version=2024-10-21');
    expect(up.seen[0]?.headers['api-key']).toBe('sk-test');
    expect(up.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('keeps a query on the base URL on every call, after the call\'s own', async () => {
    const up = await recordingUpstream();
    servers.push(up.server);
    await send(createProvider(spec('openai', { baseUrl: `${up.baseUrl}/v1?api-version=2024-10-21` }), context), '/chat/completions');
    await send(createProvider(spec('openai', { baseUrl: `${up.baseUrl}/v1?api-version=2024-10-21` }), context), '/batches?limit=2');
    expect(up.seen.map((s) => s.path)).toEqual(['/v1/chat/completions?api-version=2024-10-21', '/v1/batches?limit=2&api-version=2024-10-21']);
  });
});
