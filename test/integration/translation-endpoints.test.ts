/**
 * The endpoints around chat translation, through the official SDKs: count_tokens (passed through to an
 * Anthropic provider, estimated locally for an OpenAI one), GET /v1/models in whichever shape the client
 * speaks, and the stateless OpenAI Responses API served by a Claude model.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { DEFAULT_TEXT } from '../fakes/index.js';
import { estimateAnthropicInputTokens } from '../fakes/anthropic-render.js';
import type { JsonObject } from '../fakes/index.js';
import { ANTHROPIC_PROVIDER_KEY, rawRequest } from './fakes-gateway.js';
import { bodyOf, messagesOf, rejectionOf, shareTranslationRig, WEATHER_TOOL_PARAMS, type TranslationRig } from './translation-helpers.js';

let rig: TranslationRig;
let seq = 0;

shareTranslationRig((started) => (rig = started), { models: ['fast: { provider: fa, model: claude-haiku-4-5 }', 'gpt-4o: fo', 'claude-opus-4-1: fa'] });

const question = [{ role: 'user' as const, content: 'How many tokens is this question, roughly?' }];
const system = 'You are a careful assistant who answers in one short sentence.';
const tool = { name: 'get_weather', description: 'Current weather for a place', input_schema: { ...WEATHER_TOOL_PARAMS } };

describe('POST /v1/messages/count_tokens', () => {
  it('to an Anthropic provider: passed through with the provider key, the provider count returned', async () => {
    const client = rig.anthropicClient(`ct-${++seq}`);
    const counted = await client.messages.countTokens({ model: 'claude-haiku-4-5', system, tools: [tool], messages: question });
    const received = rig.anthropic.lastRequest;
    expect(received?.pathname).toBe('/v1/messages/count_tokens');
    expect(received?.headers['x-api-key']).toBe(ANTHROPIC_PROVIDER_KEY);
    const body = bodyOf(received);
    expect(body['system']).toBe(system);
    expect(body['tools']).toEqual([tool]);
    expect(counted.input_tokens).toBe(estimateAnthropicInputTokens(body as JsonObject));
    expect(rig.openai.requests).toHaveLength(0);
  });

  it('an alias is resolved to the upstream model before passing through', async () => {
    await rig.anthropicClient(`ct-${++seq}`).messages.countTokens({ model: 'fast', messages: question });
    expect(bodyOf(rig.anthropic.lastRequest)['model']).toBe('claude-haiku-4-5');
  });

  it('to an OpenAI provider: estimated locally, and system and tools both count (pitfall 18)', async () => {
    const client = rig.anthropicClient(`ct-${++seq}`);
    const bare = (await client.messages.countTokens({ model: 'gpt-4o-mini', messages: question })).input_tokens;
    const withSystem = (await client.messages.countTokens({ model: 'gpt-4o-mini', system, messages: question })).input_tokens;
    const withTool = (await client.messages.countTokens({ model: 'gpt-4o-mini', system, tools: [tool], messages: question })).input_tokens;
    const twoTools = (
      await client.messages.countTokens({ model: 'gpt-4o-mini', system, tools: [tool, { ...tool, name: 'get_forecast', description: 'Forecast for the next days' }], messages: question })
    ).input_tokens;
    expect(bare).toBeGreaterThan(0);
    expect(withSystem).toBeGreaterThan(bare);
    expect(withTool).toBeGreaterThan(withSystem);
    expect(twoTools).toBeGreaterThan(withTool);
    // The estimate is deterministic, and nothing was sent to the OpenAI provider.
    expect((await client.messages.countTokens({ model: 'gpt-4o-mini', system, tools: [tool], messages: question })).input_tokens).toBe(withTool);
    expect(rig.openai.requests).toHaveLength(0);
    expect(rig.anthropic.requests).toHaveLength(0);
  });
});

describe('GET /v1/models', () => {
  const routed = ['claude-opus-4-1', 'fast', 'gpt-4o'];

  it('OpenAI shape for the openai client: the exact names and aliases the gateway routes', async () => {
    const page = await rig.openaiClient(`md-${++seq}`).models.list();
    expect(page.data.map((m) => m.id)).toEqual(routed);
    for (const m of page.data) {
      expect(m.object).toBe('model');
      expect(typeof m.created).toBe('number');
      expect(typeof m.owned_by).toBe('string');
    }
  });

  it('Anthropic shape when anthropic-version is sent (the Anthropic client)', async () => {
    const ids: string[] = [];
    for await (const m of rig.anthropicClient(`md-${++seq}`).models.list()) {
      expect(m.type).toBe('model');
      expect(m.display_name).toBe(m.id);
      expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);
      ids.push(m.id);
    }
    expect(ids).toEqual(routed);
    const raw = await rawRequest(`${rig.gw.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'k' } });
    const body = JSON.parse(raw.text) as Record<string, unknown>;
    expect(body).toMatchObject({ has_more: false, first_id: 'claude-opus-4-1', last_id: 'gpt-4o' });
    expect(body).not.toHaveProperty('object');
  });
});

describe('POST /v1/responses → Claude', () => {
  it('create(): text reply, instructions became system, output_text and usage', async () => {
    const agent = `rs-${++seq}`;
    const response = await rig.openaiClient(agent).responses.create({ model: 'claude-haiku-4-5', instructions: 'Be brief.', input: 'hello', max_output_tokens: 300 });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(DEFAULT_TEXT);
    expect(response.model).toBe('claude-haiku-4-5');
    expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 8, total_tokens: 20 });

    const body = bodyOf(rig.anthropic.lastRequest);
    expect(body['system']).toBe('Be brief.');
    expect(body['max_tokens']).toBe(300);
    expect(messagesOf(rig.anthropic.lastRequest)).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hello' }] }]);
    expect(await rig.rowOf(agent)).toMatchObject({ client_format: 'openai-responses', upstream_format: 'anthropic-messages', status: 200, input_tokens: 12, output_tokens: 8 });
  });

  it('stream: the SDK helper assembles the final response from the translated events', async () => {
    const agent = `rs-${++seq}`;
    const stream = rig.openaiClient(agent).responses.stream({ model: 'claude-haiku-4-5', input: [{ role: 'user', content: 'hello' }] });
    const types: string[] = [];
    let deltas = '';
    stream.on('event', (ev) => {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') deltas += ev.delta;
    });
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe(DEFAULT_TEXT);
    expect(deltas).toBe(DEFAULT_TEXT);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.output_text.done');
    expect(final.usage).toMatchObject({ input_tokens: 12, output_tokens: 8 });
    expect(bodyOf(rig.anthropic.lastRequest)['stream']).toBe(true);
    expect((await rig.rowOf(agent))['stream']).toBe(1);
  });

  it('an unknown previous_response_id is refused with a 400 naming it and saying how long responses are kept', async () => {
    for (const stream of [false, true]) {
      const err = await rejectionOf(
        rig.openaiClient(`rs-${++seq}`).responses.create({ model: 'claude-haiku-4-5', input: 'and then?', previous_response_id: 'resp_123', stream }),
      );
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.param).toBe('previous_response_id');
      expect(e.code).toBe('previous_response_not_found');
      expect(e.message).toContain("Previous response with id 'resp_123' not found.");
      expect(e.message).toContain('in memory for 1h00m');
    }
    expect(rig.anthropic.requests).toHaveLength(0);
  });
});
