/**
 * Azure OpenAI: the fake Azure resource is first checked against the official SDK's AzureOpenAI client (and the
 * OpenAI client on the v1 form, as Azure documents), then reached through a real gateway by OpenAI and Anthropic
 * SDK clients, in the classic and the v1 form: the upstream call carries the api-version and the deployment where
 * Azure wants them, the key in `api-key`, and the audit row the model's name with its exact tokens and cost.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAzure, type FakeUpstream } from '../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const KEY = 'azure-secret-key-0123456789';
const DEPLOYMENTS = { 'prod-gpt4o': 'gpt-4o', 'prod-gpt41': 'gpt-4.1', 'gpt-4o-mini': 'gpt-4o-mini', embed: 'text-embedding-3-small' };

let fake: FakeUpstream;
beforeAll(async () => {
  fake = await startFakeAzure({ apiKey: KEY, deployments: DEPLOYMENTS });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

describe('the fake Azure resource, checked against the official SDK', () => {
  const azure = (apiVersion = '2025-04-01-preview', apiKey = KEY) => new AzureOpenAI({ endpoint: fake.url, apiKey, apiVersion, maxRetries: 0 });

  it('answers chat, streamed chat and Responses on classic deployment URLs', async () => {
    const client = azure();
    const chat = await client.chat.completions.create({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.model).toBe('gpt-4o');
    expect(chat.usage?.prompt_tokens).toBe(12);
    expect(fake.lastResponseBytes?.toString()).toContain('"prompt_filter_results"');
    expect(fake.lastRequest?.path).toBe('/openai/deployments/prod-gpt4o/chat/completions?api-version=2025-04-01-preview');
    expect(fake.lastRequest?.headers['api-key']).toBe(KEY);

    const stream = await client.chat.completions.create({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let completion = 0;
    const chunks: unknown[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
      completion = chunk.usage?.completion_tokens ?? completion;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(completion).toBe(8);
    // Azure opens a stream with the prompt's filter results: no choices, no id, no model.
    expect(chunks[0]).toMatchObject({ choices: [], id: '', model: '', prompt_filter_results: [{ prompt_index: 0 }] });

    const response = await client.responses.create({ model: 'prod-gpt4o', input: 'hi' });
    expect(response.model).toBe('gpt-4o');
    expect(response.output_text.length).toBeGreaterThan(0);
    expect(fake.lastRequest?.path).toBe('/openai/responses?api-version=2025-04-01-preview');
  });

  it('answers the OpenAI client on the v1 form, the deployment in the body', async () => {
    const client = new OpenAI({ baseURL: `${fake.url}/openai/v1`, apiKey: KEY, maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: 'prod-gpt41', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.model).toBe('gpt-4.1');
    const response = await client.responses.create({ model: 'prod-gpt41', input: 'hi' });
    expect(response.model).toBe('gpt-4.1');
    expect(fake.lastRequest?.path).toBe('/openai/v1/responses');
  });

  it('refuses a wrong key, a missing or dated-on-v1 api-version, an old one for Responses and an unknown deployment as Azure does', async () => {
    await expect(azure('2025-04-01-preview', 'wrong').chat.completions.create({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 401,
      error: { code: '401' },
    });
    await expect(azure().chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      error: { code: 'DeploymentNotFound' },
    });
    await expect(azure('2024-10-21').responses.create({ model: 'prod-gpt4o', input: 'hi' })).rejects.toMatchObject({ status: 400 });
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model: 'prod-gpt4o', messages: [{ role: 'user', content: 'hi' }] }) });
    const missing = await post('/openai/deployments/prod-gpt4o/chat/completions', { 'api-key': KEY });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
    const bearer = await post('/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21', { authorization: `Bearer ${KEY}` });
    expect(bearer.status).toBe(401);
    const dated = await post('/openai/v1/chat/completions?api-version=2024-10-21', { 'api-key': KEY });
    expect(dated.status).toBe(400);
  });
});

/** Azure in both forms (classic resource endpoint, v1), an api-version written into base_url, a deployment that is gone. */
const AZURE_CONFIG = (url: string) => `
providers:
  azure:
    type: azure
    base_url: ${url}
    api_version: 2025-04-01-preview
    api_key: \${AZURE_OPENAI_API_KEY}
    apis: [chat, responses]
    deployments:
      gpt-4o: prod-gpt4o
      gpt-4o-mini: gpt-4o-mini
      text-embedding-3-small: embed
  azure-v1:
    type: azure
    base_url: ${url}/openai/v1
    api_key: \${AZURE_OPENAI_API_KEY}
    apis: [responses, chat]
    deployments:
      gpt-4.1: prod-gpt41
  azure-dated:
    type: azure
    base_url: ${url}?api-version=2024-10-21
    api_key: \${AZURE_OPENAI_API_KEY}
    deployments:
      gpt-4o-mini: gpt-4o-mini
  azure-gone:
    type: azure
    base_url: ${url}
    api_version: 2024-10-21
    api_key: \${AZURE_OPENAI_API_KEY}
    deployments:
      gpt-4o: deleted-deployment
models:
  gpt-4o: azure
  gpt-4o-mini: azure
  gpt-4.1: azure-v1
  text-embedding-3-small: azure
  mini-dated: { provider: azure-dated, model: gpt-4o-mini }
  gone: { provider: azure-gone, model: gpt-4o }
`;

describe('clients through the gateway to Azure', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ yaml: AZURE_CONFIG(fake.url), env: { AZURE_OPENAI_API_KEY: KEY } });
  });
  afterAll(async () => {
    await gw.stop();
  });
  const openai = (agent: string) => new OpenAI({ baseURL: `${gw.url}/agents/${agent}/v1`, apiKey: 'client-key', maxRetries: 0 });
  const anthropic = (agent: string) => new Anthropic({ baseURL: `${gw.url}/agents/${agent}`, apiKey: 'client-key', maxRetries: 0 });

  it('OpenAI chat → classic deployment URL with the api-version intact; the row prices the model, not the deployment', async () => {
    const chat = await openai('oa-classic').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.model).toBe('gpt-4o');
    const sent = fake.lastRequest!;
    expect(sent.path).toBe('/openai/deployments/prod-gpt4o/chat/completions?api-version=2025-04-01-preview');
    expect(sent.headers['api-key']).toBe(KEY);
    expect(sent.headers.authorization).toBeUndefined();
    const [row] = await agentRows(gw, 'oa-classic');
    expect(row).toMatchObject({ status: 200, provider: 'azure', model: 'gpt-4o', upstream_model: 'gpt-4o', input_tokens: 12, output_tokens: 8 });
    // gpt-4o: $2.50 in, $10 out per million tokens.
    expect(row!.cost_usd).toBeCloseTo(12 * 2.5e-6 + 8 * 10e-6, 12);
    expect(row!.price_version).toMatch(/^genai-prices@/);
  });

  it('Anthropic Messages, streamed → translated to classic chat', async () => {
    const stream = anthropic('an-classic').messages.stream({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    const message = await stream.finalMessage();
    expect(message.content[0]?.type).toBe('text');
    // The model of Azure's opening filter-results chunk is empty: the answer names the model of the chunks after it.
    expect(message.model).toBe('gpt-4o-mini');
    expect(message.usage.output_tokens).toBe(8);
    expect(fake.lastRequest?.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-04-01-preview');
    const [row] = await agentRows(gw, 'an-classic');
    expect(row).toMatchObject({ status: 200, stream: 1, model: 'gpt-4o-mini', client_format: 'anthropic-messages', upstream_format: 'openai-chat', input_tokens: 12, output_tokens: 8 });
    // gpt-4o-mini: $0.15 in, $0.60 out per million tokens.
    expect(row!.cost_usd).toBeCloseTo(12 * 0.15e-6 + 8 * 0.6e-6, 12);
  });

  it('OpenAI Responses → classic /openai/responses, the deployment named in the body', async () => {
    const response = await openai('resp-classic').responses.create({ model: 'gpt-4o', input: 'hi' });
    expect(response.output_text.length).toBeGreaterThan(0);
    const sent = fake.lastRequest!;
    expect(sent.path).toBe('/openai/responses?api-version=2025-04-01-preview');
    expect(sent.body?.['model']).toBe('prod-gpt4o');
    const [row] = await agentRows(gw, 'resp-classic');
    expect(row).toMatchObject({ status: 200, model: 'gpt-4o', upstream_model: 'gpt-4o', upstream_format: 'openai-responses', input_tokens: 12, output_tokens: 8 });
    expect(row!.cost_usd).toBeCloseTo(12 * 2.5e-6 + 8 * 10e-6, 12);
  });

  it('OpenAI chat and Anthropic Messages → the v1 form: no api-version, the deployment in the body', async () => {
    const chat = await openai('oa-v1').chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.model).toBe('gpt-4.1');
    // A Chat client goes through unchanged to the v1 form's Chat Completions.
    expect(fake.lastRequest?.path).toBe('/openai/v1/chat/completions');
    expect(fake.lastRequest?.body?.['model']).toBe('prod-gpt41');
    const message = await anthropic('an-v1').messages.create({ model: 'gpt-4.1', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.usage).toMatchObject({ input_tokens: 12, output_tokens: 8 });
    // Translated for the provider's first API, Responses.
    expect(fake.lastRequest?.path).toBe('/openai/v1/responses');
    expect(fake.lastRequest?.body?.['model']).toBe('prod-gpt41');
    const [row] = await agentRows(gw, 'an-v1');
    expect(row).toMatchObject({ status: 200, provider: 'azure-v1', model: 'gpt-4.1', upstream_format: 'openai-responses', input_tokens: 12, output_tokens: 8 });
    // gpt-4.1: $2 in, $8 out per million tokens.
    expect(row!.cost_usd).toBeCloseTo(12 * 2e-6 + 8 * 8e-6, 12);
  });

  it('embeddings → the deployment\'s embeddings URL, priced by the model', async () => {
    const result = await openai('embed').embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(result.data[0]?.embedding.length).toBe(8);
    expect(fake.lastRequest?.path).toBe('/openai/deployments/embed/embeddings?api-version=2025-04-01-preview');
    const [row] = await agentRows(gw, 'embed');
    expect(row).toMatchObject({ status: 200, model: 'text-embedding-3-small', upstream_model: 'text-embedding-3-small' });
    expect(Number(row!.cost_usd)).toBeGreaterThan(0);
  });

  it('keeps an api-version written into base_url', async () => {
    await openai('dated').chat.completions.create({ model: 'mini-dated', messages: [{ role: 'user', content: 'hi' }] });
    expect(fake.lastRequest?.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21');
  });

  it('answers 404 naming the config key when a model has no deployment, without calling Azure', async () => {
    const before = fake.requests.length;
    await expect(openai('nodeploy').chat.completions.create({ model: 'azure/o3', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('model "o3" has no deployment on Azure provider "azure": add it under providers.azure.deployments'),
    });
    expect(fake.requests.length).toBe(before);
  });

  it('passes Azure\'s DeploymentNotFound on to OpenAI and Anthropic clients in their own error shapes', async () => {
    const message = 'The API deployment for this resource does not exist';
    await expect(openai('gone').chat.completions.create({ model: 'gone', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      code: 'DeploymentNotFound',
      message: expect.stringContaining(message),
    });
    await expect(anthropic('gone').messages.create({ model: 'gone', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
      error: { type: 'error', error: { type: 'not_found_error', message: expect.stringContaining(message) } },
    });
    const rows = await agentRows(gw, 'gone', 2);
    expect(rows.map((r) => [r.status, r.provider, r.upstream_model])).toEqual([
      [404, 'azure-gone', 'gpt-4o'],
      [404, 'azure-gone', 'gpt-4o'],
    ]);
  });

  it('never lets the Azure key reach the audit or the logs', () => {
    const everything = JSON.stringify(gw.rows()) + gw.logs.join('\n');
    expect(everything).not.toContain(KEY);
  });
});
