/**
 * Azure OpenAI's URL layout: classic deployment paths with the api-version on every call, Responses at the
 * resource level with the deployment in the body, the v1 form with OpenAI's own paths; and the adapter putting
 * the key in `api-key` (checked against a real socket).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { azureCall, deploymentFor, isV1BaseUrl } from '../../../src/providers/azure/azure-url.js';
import type { AzureSpec, ProviderSpec } from '../../../src/providers/provider.js';
import { createProvider } from '../../../src/providers/registry.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';
import { FakeClock } from '../../helpers/clock.js';

const classic: AzureSpec = { form: 'classic', apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'prod-4o', 'gpt-4o-mini': 'gpt-4o-mini' } };
const v1: AzureSpec = { form: 'v1', apiVersion: undefined, deployments: { 'gpt-4o': 'prod-4o' } };

describe('Azure URLs', () => {
  it('puts classic chat and embeddings under the deployment, with the api-version', () => {
    expect(azureCall(classic, 'az', '/chat/completions', 'gpt-4o')).toEqual({
      path: '/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21',
      bodyModel: undefined,
    });
    expect(azureCall(classic, 'az', '/embeddings', 'gpt-4o-mini').path).toBe('/openai/deployments/gpt-4o-mini/embeddings?api-version=2024-10-21');
  });

  it('sends classic Responses to the resource, naming the deployment in the body', () => {
    expect(azureCall({ ...classic, apiVersion: '2025-04-01-preview' }, 'az', '/responses', 'gpt-4o')).toEqual({
      path: '/openai/responses?api-version=2025-04-01-preview',
      bodyModel: 'prod-4o',
    });
    // A deployment named after its model needs no body change.
    expect(azureCall(classic, 'az', '/responses', 'gpt-4o-mini').bodyModel).toBeUndefined();
  });

  it('leaves the api-version to the base URL when the config put it there, and escapes deployment names', () => {
    const inUrl: AzureSpec = { form: 'classic', apiVersion: undefined, deployments: { m: 'a b/c' } };
    expect(azureCall(inUrl, 'az', '/chat/completions', 'm').path).toBe('/openai/deployments/a%20b%2Fc/chat/completions');
  });

  it('keeps OpenAI paths in the v1 form and names the deployment in the body only when it differs', () => {
    expect(azureCall(v1, 'az', '/chat/completions', 'gpt-4o')).toEqual({ path: '/chat/completions', bodyModel: 'prod-4o' });
    expect(azureCall(v1, 'az', '/responses', 'gpt-4.1-nano')).toEqual({ path: '/responses', bodyModel: undefined });
    expect(deploymentFor(v1, 'gpt-4.1-nano')).toBe('gpt-4.1-nano');
  });

  it('refuses a classic model without a deployment with a 404 that says where to add it', () => {
    let caught: unknown;
    try {
      azureCall(classic, 'az', '/chat/completions', 'o3');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect((caught as GatewayError).status).toBe(404);
    expect((caught as GatewayError).message).toBe('model "o3" has no deployment on Azure provider "az": add it under providers.az.deployments');
    // A deployments entry inherited from Object.prototype is no deployment.
    expect(deploymentFor(classic, 'constructor')).toBeUndefined();
  });

  it('tells the v1 form by its path', () => {
    expect(isV1BaseUrl('https://res.openai.azure.com/openai/v1')).toBe(true);
    expect(isV1BaseUrl('https://res.openai.azure.com/openai/v1/')).toBe(true);
    expect(isV1BaseUrl('https://res.openai.azure.com')).toBe(false);
    expect(isV1BaseUrl('https://res.openai.azure.com/openai')).toBe(false);
  });
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function recordingUpstream(): Promise<{ baseUrl: string; seen: { path: string; headers: IncomingHttpHeaders; body: string }[] }> {
  const seen: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function spec(baseUrl: string, azure: AzureSpec): ProviderSpec {
  return {
    name: 'az',
    type: 'azure',
    baseUrl,
    apiKey: 'azure-key-1',
    headers: {},
    connectTimeoutMs: 1000,
    headersTimeoutMs: 1000,
    totalTimeoutMs: 2000,
    idleTimeoutMs: 1000,
    maxConnections: 2,
    wire: 'openai',
    apis: ['chat', 'responses'],
    azure,
  };
}

describe('Azure adapter', () => {
  it('sends the key as api-key, never as a bearer token, and the deployment in the path or body', async () => {
    const up = await recordingUpstream();
    const provider = createProvider(spec(up.baseUrl, { ...classic, apiVersion: '2025-04-01-preview' }), { clock: new FakeClock() });
    for (const endpoint of ['/chat/completions', '/responses']) {
      const res = await provider.send({ endpoint, method: 'POST', model: 'gpt-4o', body: '{"model":"gpt-4o","input":"hi"}', clientHeaders: {}, key: 'azure-key-1', signal: new AbortController().signal });
      res.body.resume();
      await new Promise((resolve) => res.body.once('close', resolve));
    }
    await provider.close();
    expect(up.seen.map((s) => s.path)).toEqual([
      '/openai/deployments/prod-4o/chat/completions?api-version=2025-04-01-preview',
      '/openai/responses?api-version=2025-04-01-preview',
    ]);
    expect(up.seen[0]?.headers['api-key']).toBe('azure-key-1');
    expect(up.seen[0]?.headers.authorization).toBeUndefined();
    expect(up.seen[0]?.body).toBe('{"model":"gpt-4o","input":"hi"}');
    expect(JSON.parse(up.seen[1]!.body)).toEqual({ model: 'prod-4o', input: 'hi' });
  });

  it('keeps an api-version written into the classic base URL', async () => {
    const up = await recordingUpstream();
    const provider = createProvider(spec(`${up.baseUrl}?api-version=2024-10-21`, { ...classic, apiVersion: undefined }), { clock: new FakeClock() });
    const res = await provider.send({ endpoint: '/chat/completions', method: 'POST', model: 'gpt-4o', body: '{}', clientHeaders: {}, signal: new AbortController().signal });
    res.body.resume();
    await new Promise((resolve) => res.body.once('close', resolve));
    await provider.close();
    expect(up.seen[0]?.path).toBe('/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21');
  });
});

describe('Azure chat streams', () => {
  it('skip the opening chunk of prompt filter results: the answer takes its id and model from the first real chunk', () => {
    const dec = openAIChatCodec.createStreamDecoder();
    const chunk = (o: Record<string, unknown>) => ({ data: JSON.stringify(o) });
    const filters = [{ prompt_index: 0, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }];
    expect(dec.push(chunk({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: filters }))).toEqual([]);
    const first = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-11-20' };
    expect(dec.push(chunk({ ...first, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null, content_filter_results: {} }] }))).toEqual([
      { type: 'start', id: 'chatcmpl-1', model: 'gpt-4o-2024-11-20' },
      { type: 'text-delta', text: 'Hi' },
    ]);
  });
});
