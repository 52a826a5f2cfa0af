/**
 * Metering of translated traffic: one upstream exchange is billed the same whichever client format asked
 * for it, streamed or not. Token columns and cost_usd in SQLite are compared across clients and checked
 * against costs computed here by hand.
 *
 * Rates (genai-prices table, USD per 1M tokens):
 *   claude-haiku-4-5   input 1, cache read 0.1, 5m cache write 1.25, 1h cache write 2, output 5
 *   gpt-4o-mini        input 0.15, cache read 0.075, output 0.6
 */
import { describe, expect, it } from 'vitest';
import { shareTranslationRig, type TranslationRig } from './translation-helpers.js';

let rig: TranslationRig;
let seq = 0;

shareTranslationRig((started) => (rig = started));

const METERED = ['input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens', 'reasoning_tokens', 'cost_usd', 'cost_input', 'cost_cache_read', 'cost_cache_write', 'cost_output', 'estimated'] as const;

function metered(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(METERED.map((k) => [k, row[k]]));
}

describe('an Anthropic upstream with cache reads and both cache-write lifetimes', () => {
  const usage = { input: 100, output: 50, cacheRead: 2000, cacheWrite: 300, cacheWrite1h: 400 };
  // 100·1 + 2000·0.1 + 300·1.25 + 400·2 + 50·5 = 1725 USD per 1M tokens.
  const COST = 1725 / 1e6;
  const MODEL = 'claude-haiku-4-5';
  const messages = [{ role: 'user' as const, content: 'cached question' }];

  it('pitfall 8: cache tokens neither dropped nor double-counted — the same cost from an OpenAI client (stream with and without include_usage, create) and an Anthropic client (stream, create)', async () => {
    rig.anthropic.setScenario({ kind: 'text', usage });
    const agents: string[] = [];
    const next = (): string => {
      const a = `mc-${++seq}`;
      agents.push(a);
      return a;
    };

    const streamed = await rig.openaiClient(next()).chat.completions.stream({ model: MODEL, messages, stream_options: { include_usage: true } }).finalChatCompletion();
    // OpenAI counts cache reads and writes inside prompt_tokens; cached_tokens is the read part (spec §10).
    expect(streamed.usage).toMatchObject({ prompt_tokens: 2800, completion_tokens: 50, total_tokens: 2850, prompt_tokens_details: { cached_tokens: 2000 } });
    await rig.openaiClient(next()).chat.completions.stream({ model: MODEL, messages }).finalChatCompletion();
    const created = await rig.openaiClient(next()).chat.completions.create({ model: MODEL, messages });
    expect(created.usage).toMatchObject({ prompt_tokens: 2800, completion_tokens: 50, total_tokens: 2850, prompt_tokens_details: { cached_tokens: 2000 } });

    const anthropicStreamed = await rig.anthropicClient(next()).messages.stream({ model: MODEL, max_tokens: 512, messages }).finalMessage();
    expect(anthropicStreamed.usage).toMatchObject({ input_tokens: 100, cache_read_input_tokens: 2000, cache_creation_input_tokens: 700, output_tokens: 50 });
    await rig.anthropicClient(next()).messages.create({ model: MODEL, max_tokens: 512, messages });

    const rows = await Promise.all(agents.map((a) => rig.rowOf(a)));
    expect(rows.map((r) => r['client_format'])).toEqual(['openai-chat', 'openai-chat', 'openai-chat', 'anthropic-messages', 'anthropic-messages']);
    const expected = {
      input_tokens: 100,
      cache_read_tokens: 2000,
      cache_write_tokens: 700,
      output_tokens: 50,
      reasoning_tokens: 0,
      estimated: 0,
    };
    for (const row of rows) {
      expect(row).toMatchObject(expected);
      expect(row['cost_usd']).toBeCloseTo(COST, 12);
      expect(row['cost_cache_write']).toBeCloseTo((300 * 1.25 + 400 * 2) / 1e6, 12);
      expect(row['cost_cache_read']).toBeCloseTo((2000 * 0.1) / 1e6, 12);
    }
    // Identical, not merely close: the same exchange gives the same numbers.
    const first = metered(rows[0]!);
    for (const row of rows.slice(1)) expect(metered(row)).toEqual(first);
  });
});

describe('an OpenAI upstream with cached prompt tokens and reasoning', () => {
  const usage = { input: 1000, cacheRead: 500, output: 40, reasoning: 10 };
  // 1000·0.15 + 500·0.075 + 40·0.6 = 211.5 USD per 1M tokens; reasoning is inside output, not added again.
  const COST = 211.5 / 1e6;
  const MODEL = 'gpt-4o-mini';
  const messages = [{ role: 'user' as const, content: 'cached question' }];

  it('pitfall 8: cached_tokens inside prompt_tokens split out once — the same cost from an Anthropic client (stream, create) and an OpenAI client (stream, create)', async () => {
    rig.openai.setScenario({ kind: 'text', usage });
    const agents: string[] = [];
    const next = (): string => {
      const a = `mo-${++seq}`;
      agents.push(a);
      return a;
    };

    const streamed = await rig.anthropicClient(next()).messages.stream({ model: MODEL, max_tokens: 512, messages }).finalMessage();
    // message_start carried an estimate; message_delta corrects input and cache to what OpenAI reported.
    expect(streamed.usage).toMatchObject({ input_tokens: 1000, cache_read_input_tokens: 500, output_tokens: 40 });
    const created = await rig.anthropicClient(next()).messages.create({ model: MODEL, max_tokens: 512, messages });
    expect(created.usage).toMatchObject({ input_tokens: 1000, cache_read_input_tokens: 500, cache_creation_input_tokens: 0, output_tokens: 40 });
    await rig.openaiClient(next()).chat.completions.stream({ model: MODEL, messages }).finalChatCompletion();
    await rig.openaiClient(next()).chat.completions.create({ model: MODEL, messages });

    const rows = await Promise.all(agents.map((a) => rig.rowOf(a)));
    for (const row of rows) {
      expect(row).toMatchObject({ input_tokens: 1000, cache_read_tokens: 500, cache_write_tokens: 0, output_tokens: 40, reasoning_tokens: 10, estimated: 0 });
      expect(row['cost_usd']).toBeCloseTo(COST, 12);
    }
    const first = metered(rows[0]!);
    for (const row of rows.slice(1)) expect(metered(row)).toEqual(first);
  });
});
