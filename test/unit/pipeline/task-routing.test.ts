/**
 * Routing by task: each trait read from real requests of every client format (decoded by the gateway's codecs),
 * the order in which traits win, and the token count asked only for a body that could be long.
 */
import { describe, expect, it } from 'vitest';
import type { TaskRules } from '../../../src/pipeline/ports.js';
import { chooseTaskModel, hasImages, offersWebSearch, requestText, wantsThinking } from '../../../src/pipeline/task-routing.js';
import type { CanonicalRequest } from '../../../src/wire/canonical.js';
import { codecFor } from '../../../src/wire/index.js';

const chat = (body: Record<string, unknown>): CanonicalRequest =>
  codecFor('openai-chat').decodeRequest({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...body });
const messages = (body: Record<string, unknown>): CanonicalRequest =>
  codecFor('anthropic-messages').decodeRequest({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body });
const responses = (body: Record<string, unknown>): CanonicalRequest => codecFor('openai-responses').decodeRequest({ model: 'gpt-5', input: 'hi', ...body });

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const anthropicImage = { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }, { type: 'text', text: 'what is this' }] };

describe('traits', () => {
  it('thinking: reasoning asked for in any format, not when switched off', () => {
    expect(wantsThinking(messages({ max_tokens: 5000, thinking: { type: 'enabled', budget_tokens: 2048 } }))).toBe(true);
    expect(wantsThinking(messages({ thinking: { type: 'adaptive' } }))).toBe(true);
    expect(wantsThinking(messages({ thinking: { type: 'disabled' } }))).toBe(false);
    expect(wantsThinking(chat({ reasoning_effort: 'high' }))).toBe(true);
    expect(wantsThinking(chat({ reasoning_effort: 'none' }))).toBe(false);
    expect(wantsThinking(responses({ reasoning: { effort: 'low' } }))).toBe(true);
    expect(wantsThinking(chat({}))).toBe(false);
  });

  it('web_search: hosted search tools of Responses and Anthropic, and Chat search options; a function named search is none', () => {
    expect(offersWebSearch(responses({ tools: [{ type: 'web_search' }] }))).toBe(true);
    expect(offersWebSearch(responses({ tools: [{ type: 'web_search_preview' }] }))).toBe(true);
    expect(offersWebSearch(messages({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }] }))).toBe(true);
    expect(offersWebSearch(chat({ web_search_options: {} }))).toBe(true);
    expect(offersWebSearch(chat({ tools: [{ type: 'function', function: { name: 'web_search', parameters: { type: 'object' } } }] }))).toBe(false);
    expect(offersWebSearch(messages({}))).toBe(false);
  });

  it('vision: an image in a user turn or a tool result, in every format', () => {
    expect(hasImages(messages({ messages: [anthropicImage] }))).toBe(true);
    expect(hasImages(chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] }] }))).toBe(true);
    expect(hasImages(responses({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://example.com/a.png' }] }] }))).toBe(true);
    const toolImage = messages({
      messages: [
        { role: 'user', content: 'look' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'screenshot', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }] }] },
      ],
    });
    expect(hasImages(toolImage)).toBe(true);
    expect(hasImages(messages({}))).toBe(false);
  });

  it('counts the text a model reads: system, turns, tool calls and results, tool definitions; not image bytes', () => {
    const text = requestText(
      messages({
        system: 'be brief',
        tools: [{ name: 'grep', description: 'search files', input_schema: { type: 'object' } }],
        messages: [
          { role: 'user', content: 'find it' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'grep', input: { q: 'needle' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'found the needle' }, anthropicImage.content[0]] },
        ],
      }),
    );
    for (const piece of ['be brief', 'find it', 'grep', '{"q":"needle"}', 'found the needle', 'search files']) expect(text).toContain(piece);
    expect(text).not.toContain(PNG);
  });
});

const RULES: TaskRules = {
  background: { model: 'small', matches: (m) => m.includes('haiku') },
  thinking: 'thinker',
  longContext: { model: 'long', thresholdTokens: 1000 },
  webSearch: 'searcher',
  vision: 'seer',
};
const noCount = { bodyBytes: 10, countTokens: (): Promise<number> => Promise.reject(new Error('counted a short request')) };
const everything = (model: string, text: string): CanonicalRequest =>
  messages({
    model,
    max_tokens: 5000,
    thinking: { type: 'enabled', budget_tokens: 2048 },
    tools: [{ type: 'web_search_20250305', name: 'web_search' }],
    messages: [{ role: 'user', content: [anthropicImage.content[0], { type: 'text', text }] }],
  });

describe('chooseTaskModel', () => {
  it('picks long_context > web_search > vision > thinking > background, among the rules configured', async () => {
    const long = 'word '.repeat(3000);
    const counted = { bodyBytes: 20_000, countTokens: (t: string) => Promise.resolve(t.split(' ').length) };
    expect(await chooseTaskModel(everything('claude-haiku-4-5', long), RULES, counted)).toEqual({ rule: 'long_context', model: 'long' });
    expect(await chooseTaskModel(everything('claude-haiku-4-5', 'short'), RULES, noCount)).toEqual({ rule: 'web_search', model: 'searcher' });
    const { webSearch: _w, ...noSearch } = RULES;
    expect(await chooseTaskModel(everything('claude-haiku-4-5', 'short'), noSearch, noCount)).toEqual({ rule: 'vision', model: 'seer' });
    const { vision: _v, ...noVision } = noSearch;
    expect(await chooseTaskModel(everything('claude-haiku-4-5', 'short'), noVision, noCount)).toEqual({ rule: 'thinking', model: 'thinker' });
    const { thinking: _t, ...onlyBackground } = noVision;
    expect(await chooseTaskModel(everything('claude-haiku-4-5', 'short'), onlyBackground, noCount)).toEqual({ rule: 'background', model: 'small' });
    expect(await chooseTaskModel(everything('claude-sonnet-4-5', 'short'), onlyBackground, noCount)).toBeUndefined();
    expect(await chooseTaskModel(everything('claude-haiku-4-5', 'short'), undefined, noCount)).toBeUndefined();
  });

  it('counts tokens only for a body with more bytes than the threshold has tokens, and compares the count', async () => {
    const asked: number[] = [];
    const count = (n: number) => ({ bodyBytes: 5000, countTokens: (t: string) => (asked.push(t.length), Promise.resolve(n)) });
    const request = messages({ messages: [{ role: 'user', content: 'x'.repeat(4000) }] });
    const rules: TaskRules = { longContext: { model: 'long', thresholdTokens: 1000 } };
    expect(await chooseTaskModel(request, rules, count(1000))).toBeUndefined();
    expect(await chooseTaskModel(request, rules, count(1001))).toEqual({ rule: 'long_context', model: 'long' });
    expect(asked).toEqual([4000, 4000]);
    // 1000 bytes of body cannot hold more than 1000 tokens: no count.
    expect(await chooseTaskModel(request, rules, { ...noCount, bodyBytes: 1000 })).toBeUndefined();
  });
});
