/**
 * The spec §8 field policy seen from the outside: soft fields dropped in translation are named in the
 * `x-ai-gateway-dropped` response header and in the audit row's `dropped` column; fields that would change
 * the output contract are a 400 naming the field before anything goes upstream; `strict_translation`
 * (gateway-wide or per agent) turns soft drops into that 400 too.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { DEFAULT_TEXT } from '../fakes/index.js';
import { bodyOf, rejectionOf, shareTranslationRig, type TranslationRig } from './translation-helpers.js';

let seq = 0;
const user = [{ role: 'user' as const, content: 'hi' }];

describe('lenient gateway (strict_translation: false)', () => {
  let rig: TranslationRig;
  shareTranslationRig((started) => (rig = started), { extraYaml: 'agents:\n  picky: { strict_translation: true }' });

  it('openai client → claude: sampling knobs and hints are dropped, named in the header and the row (create)', async () => {
    const agent = `fd-${++seq}`;
    const { data, response } = await rig
      .openaiClient(agent)
      .chat.completions.create({ model: 'claude-haiku-4-5', messages: user, frequency_penalty: 0.5, presence_penalty: 0.1, seed: 7, store: false })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT);
    const header = response.headers.get('x-ai-gateway-dropped');
    expect(header?.split(',').sort()).toEqual(['frequency_penalty', 'presence_penalty', 'seed', 'store']);
    const body = bodyOf(rig.anthropic.lastRequest);
    for (const f of ['frequency_penalty', 'presence_penalty', 'seed', 'store']) expect(body).not.toHaveProperty(f);
    const row = await rig.rowOf(agent);
    expect(String(row['dropped']).split(',').sort()).toEqual(['frequency_penalty', 'presence_penalty', 'seed', 'store']);
  });

  it('openai client → claude: the header is on a streamed response too', async () => {
    const agent = `fd-${++seq}`;
    const { data: stream, response } = await rig
      .openaiClient(agent)
      .chat.completions.create({ model: 'claude-haiku-4-5', messages: user, stream: true, logit_bias: { '50256': -100 } })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    expect(response.headers.get('x-ai-gateway-dropped')).toBe('logit_bias');
    expect((await rig.rowOf(agent))['dropped']).toBe('logit_bias');
  });

  it('anthropic client → gpt: top_k and cache_control are dropped and named', async () => {
    const agent = `fd-${++seq}`;
    // top_k is still an API parameter, though this SDK's types no longer list it; the SDK sends it as given.
    const params = {
      model: 'gpt-4o-mini',
      max_tokens: 64,
      top_k: 40,
      system: [{ type: 'text' as const, text: 'Be brief.', cache_control: { type: 'ephemeral' as const } }],
      messages: user,
    };
    const { data, response } = await rig.anthropicClient(agent).messages.create(params).withResponse();
    expect(data.content).toEqual([expect.objectContaining({ type: 'text', text: DEFAULT_TEXT })]);
    const dropped = response.headers.get('x-ai-gateway-dropped')?.split(',') ?? [];
    expect(dropped).toContain('top_k');
    expect(dropped.some((d) => d.includes('cache_control'))).toBe(true);
    const body = bodyOf(rig.openai.lastRequest);
    expect(body).not.toHaveProperty('top_k');
    expect(JSON.stringify(body)).not.toContain('cache_control');
    expect((await rig.rowOf(agent))['dropped']).toBe(dropped.join(','));
  });

  it('a dropped tool whose client-chosen name holds a newline or non-ASCII is named in a header-safe form, not a 500', async () => {
    const agent = `fd-${++seq}`;
    const name = 'data: [DONE]\n\nü';
    const response = await fetch(`${rig.anthropicClient(agent).baseURL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client-key', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 64, messages: user, tools: [{ type: 'web_search_20250305', name }] }),
    });
    expect(response.status).toBe(200);
    const header = response.headers.get('x-ai-gateway-dropped');
    expect(header).toBe('tools[data: [DONE]%0A%0A%C3%BC]');
    expect((await rig.rowOf(agent))['dropped']).toBe(`tools[${name}]`);
  });

  it('same-format traffic drops nothing: no header, dropped column null', async () => {
    const agent = `fd-${++seq}`;
    const { response } = await rig
      .openaiClient(agent)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: user, frequency_penalty: 0.5 })
      .withResponse();
    expect(response.headers.get('x-ai-gateway-dropped')).toBeNull();
    expect(bodyOf(rig.openai.lastRequest)['frequency_penalty']).toBe(0.5);
    expect((await rig.rowOf(agent))['dropped']).toBeNull();
  });

  it('a hard field (n: 2) toward Claude is a 400 naming param n; nothing reaches the provider', async () => {
    const agent = `fd-${++seq}`;
    for (const stream of [false, true]) {
      const client = rig.openaiClient(agent);
      const err = await rejectionOf(
        stream
          ? client.chat.completions.stream({ model: 'claude-haiku-4-5', messages: user, n: 2 }).finalChatCompletion()
          : client.chat.completions.create({ model: 'claude-haiku-4-5', messages: user, n: 2 }),
      );
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.status).toBe(400);
      expect(e.param).toBe('n');
      expect(e.type).toBe('invalid_request_error');
      expect(e.message).toContain('`n`');
    }
    expect(rig.anthropic.requests).toHaveLength(0);
    const rows = await rig.rowsOf(agent, 2);
    expect(rows.map((r) => r['status'])).toEqual([400, 400]);
  });

  it('per-agent strict_translation: the same soft field is a 400 for that agent only', async () => {
    const err = await rejectionOf(
      rig.openaiClient('picky').chat.completions.create({ model: 'claude-haiku-4-5', messages: user, frequency_penalty: 0.5 }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('frequency_penalty');
    expect(rig.anthropic.requests).toHaveLength(0);
  });
});

describe('strict gateway (gateway.strict_translation: true)', () => {
  let rig: TranslationRig;
  shareTranslationRig((started) => (rig = started), { strict: true });

  it('openai client → claude: frequency_penalty is a 400 naming it, before any upstream call', async () => {
    const err = await rejectionOf(
      rig.openaiClient(`fs-${++seq}`).chat.completions.create({ model: 'claude-haiku-4-5', messages: user, frequency_penalty: 0.5 }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.param).toBe('frequency_penalty');
    expect(e.message).toContain('frequency_penalty');
    expect(rig.anthropic.requests).toHaveLength(0);
  });

  it('anthropic client → gpt: top_k is a 400 in the Anthropic error shape', async () => {
    const params = { model: 'gpt-4o-mini', max_tokens: 64, top_k: 5, messages: user };
    const err = await rejectionOf(rig.anthropicClient(`fs-${++seq}`).messages.create(params));
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.type).toBe('invalid_request_error');
    expect(e.message).toContain('top_k');
    expect(rig.openai.requests).toHaveLength(0);
  });

  it('a class-1 hint (store) is still dropped quietly in strict mode, and named', async () => {
    const { data, response } = await rig
      .openaiClient(`fs-${++seq}`)
      .chat.completions.create({ model: 'claude-haiku-4-5', messages: user, store: false })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(DEFAULT_TEXT);
    expect(response.headers.get('x-ai-gateway-dropped')).toBe('store');
  });
});
