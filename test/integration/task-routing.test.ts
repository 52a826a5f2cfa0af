/**
 * Routing by task through a real gateway: Anthropic and OpenAI SDK clients send a coding agent's kinds of request
 * (a haiku side call, thinking, web search, an image, a long conversation) and each reaches the model its rule
 * names, on the fake upstream that serves it, with the rule in the audit row; an agent's own rules replace the
 * gateway's. The config is the README's "Routing by task" example.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { ROOT } from '../helpers/cli.js';
import { agentRows, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** The README's "Routing by task" example, read from the README itself so the two cannot drift apart. */
const README_ROUTING = ((): string => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### Routing by task\n'));
  const start = section.indexOf('```yaml\n') + '```yaml\n'.length;
  return section.slice(start, section.indexOf('```', start));
})();

const ROUTING_CONFIG = (openai: string, anthropic: string) => `
providers:
  openai: { type: openai, base_url: ${openai}, api_key: sk-openai-test }
  anthropic: { type: anthropic, base_url: ${anthropic}, api_key: sk-ant-test }
models:
  "gpt-*": openai
  "claude-*": anthropic
${README_ROUTING}`;

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let openaiFake: FakeUpstream;
let anthropicFake: FakeUpstream;
let gw: TestGateway;
beforeAll(async () => {
  openaiFake = await startFakeOpenAI();
  anthropicFake = await startFakeAnthropic();
  gw = await startTestGateway({ yaml: ROUTING_CONFIG(openaiFake.baseURL, anthropicFake.baseURL) });
});
afterAll(async () => {
  await gw.stop();
  await openaiFake.close();
  await anthropicFake.close();
});
beforeEach(() => {
  openaiFake.reset();
  anthropicFake.reset();
});

const anthropic = (agent: string) => new Anthropic({ baseURL: `${gw.url}/agents/${agent}`, apiKey: 'client', maxRetries: 0 });
const openai = (agent: string) => new OpenAI({ baseURL: `${gw.url}/agents/${agent}/v1`, apiKey: 'client', maxRetries: 0 });
const hi = [{ role: 'user' as const, content: 'hi' }];

describe('routing by task', () => {
  it('background: a haiku side call goes to the background model, translated to its provider', async () => {
    await anthropic('bg').messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 50, messages: [{ role: 'user', content: 'Write a 5-word title for this chat' }] });
    expect(openaiFake.lastRequest?.body?.['model']).toBe('gpt-4o-mini');
    expect(anthropicFake.requests).toHaveLength(0);
    const [row] = await agentRows(gw, 'bg');
    expect(row).toMatchObject({ status: 200, route_rule: 'background', model: 'claude-3-5-haiku-20241022', upstream_model: 'gpt-4o-mini', provider: 'openai' });
  });

  it('thinking: reasoning asked for (Anthropic thinking, OpenAI reasoning_effort) goes to the thinking model', async () => {
    await anthropic('think').messages.create({ model: 'claude-sonnet-4-6', max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2048 }, messages: hi });
    expect(anthropicFake.lastRequest?.body?.['model']).toBe('claude-opus-4-1');
    await openai('think').chat.completions.create({ model: 'gpt-4o', reasoning_effort: 'high', messages: hi });
    expect(anthropicFake.requests).toHaveLength(2);
    const rows = await agentRows(gw, 'think', 2);
    expect(rows.map((r) => [r.route_rule, r.model, r.upstream_model])).toEqual([
      ['thinking', 'claude-sonnet-4-6', 'claude-opus-4-1'],
      ['thinking', 'gpt-4o', 'claude-opus-4-1'],
    ]);
  });

  it('web_search beats thinking: a request offering Anthropic\'s web search goes to the web_search model', async () => {
    await anthropic('search').messages.create({
      model: 'claude-opus-4-1',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }],
      messages: [{ role: 'user', content: 'latest node release?' }],
    });
    expect(anthropicFake.lastRequest?.body?.['model']).toBe('claude-sonnet-4-6');
    const [row] = await agentRows(gw, 'search');
    expect(row).toMatchObject({ route_rule: 'web_search', upstream_model: 'claude-sonnet-4-6' });
  });

  it('vision: an image goes to the vision model, translated for OpenAI', async () => {
    await anthropic('see').messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 100,
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }, { type: 'text', text: 'what is this?' }] }],
    });
    expect(openaiFake.lastRequest?.body?.['model']).toBe('gpt-4o');
    const [row] = await agentRows(gw, 'see');
    expect(row).toMatchObject({ route_rule: 'vision', client_format: 'anthropic-messages', upstream_format: 'openai-chat', upstream_model: 'gpt-4o' });
  });

  it('an agent\'s rules replace the gateway\'s: its lower long_context threshold and its own background model', async () => {
    const long = 'The build failed in module resolution again. '.repeat(2500); // about 22,500 tokens
    await anthropic('coder').messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: long }] });
    expect(openaiFake.lastRequest?.body?.['model']).toBe('gpt-4.1');
    // The same request from another agent stays under the gateway's 60,000-token threshold.
    await anthropic('other').messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: long }] });
    expect(anthropicFake.lastRequest?.body?.['model']).toBe('claude-sonnet-4-6');
    await openai('coder').chat.completions.create({ model: 'gpt-4.1-nano', messages: hi });
    expect(anthropicFake.lastRequest?.body?.['model']).toBe('claude-haiku-4-5');
    const coder = await agentRows(gw, 'coder', 2);
    expect(coder.map((r) => [r.route_rule, r.upstream_model])).toEqual([
      ['long_context', 'gpt-4.1'],
      ['background', 'claude-haiku-4-5'],
    ]);
    const [other] = await agentRows(gw, 'other');
    expect(other).toMatchObject({ route_rule: null, upstream_model: 'claude-sonnet-4-6' });
  });

  it('shows the rule in the request detail the dashboard reads', async () => {
    await anthropic('detail').messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 20, messages: hi });
    const [row] = await agentRows(gw, 'detail');
    const res = await fetch(`${gw.url}/api/logs/${String(row!.id)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ model: 'claude-3-5-haiku-latest', upstreamModel: 'gpt-4o-mini', routeRule: 'background' });
  });
});
