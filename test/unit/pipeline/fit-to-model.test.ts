import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CapabilityTable, type ModelCapabilities } from '../../../src/metering/index.js';
import { fitToModel, fittedMaxTokens } from '../../../src/pipeline/steps/fit-to-model.js';
import type { WireFormat } from '../../../src/wire/codec.js';

const table = new CapabilityTable();
const caps = (model: string, provider: string): ModelCapabilities | undefined => table.lookup(model, [provider]);
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Claude Code's metadata.user_id: 150 characters, well over OpenAI's 64. */
const CLAUDE_CODE_USER =
  '{"device_id":"51a92744961b5b86d3356a5ea05ec32f1295fca87d1df2fed98cee938ed3ddbe","account_uuid":"","session_id":"3098102e-5975-40d2-91f2-8b38887eac70"}';
const LONG_300 = 'u'.repeat(300);

interface Case {
  name: string;
  format: WireFormat;
  caps: ModelCapabilities | undefined;
  body: Record<string, unknown>;
  expected: Record<string, unknown>;
  adjusted: string[];
}

const cases: Case[] = [
  {
    name: 'Claude Code routed to gpt-4o-mini: reasoning removed, cap lowered, user hashed',
    format: 'openai-chat',
    caps: caps('gpt-4o-mini', 'openai'),
    body: { model: 'gpt-4o-mini', messages: [], max_completion_tokens: 32000, reasoning_effort: 'high', user: CLAUDE_CODE_USER },
    expected: { model: 'gpt-4o-mini', messages: [], max_completion_tokens: 16384, user: sha256(CLAUDE_CODE_USER) },
    adjusted: ['max_completion_tokens:32000->16384', 'reasoning_effort:removed', 'user:hashed'],
  },
  {
    name: 'a dated snapshot is fitted like its family',
    format: 'openai-chat',
    caps: caps('gpt-4o-mini-2024-07-18', 'openai'),
    body: { model: 'gpt-4o-mini-2024-07-18', messages: [], max_tokens: 20000 },
    expected: { model: 'gpt-4o-mini-2024-07-18', messages: [], max_tokens: 16384 },
    adjusted: ['max_tokens:20000->16384'],
  },
  {
    name: 'a reasoning model keeps its reasoning_effort; a cap within the limit stays',
    format: 'openai-chat',
    caps: caps('o4-mini', 'openai'),
    body: { model: 'o4-mini', messages: [], max_completion_tokens: 100000, reasoning_effort: 'high', user: 'alice' },
    expected: { model: 'o4-mini', messages: [], max_completion_tokens: 100000, reasoning_effort: 'high', user: 'alice' },
    adjusted: [],
  },
  {
    name: 'safety_identifier and prompt_cache_key over 64 characters are hashed; 64 exactly is kept',
    format: 'openai-chat',
    caps: caps('gpt-5', 'openai'),
    body: { model: 'gpt-5', messages: [], safety_identifier: 's'.repeat(65), prompt_cache_key: 'k'.repeat(64) },
    expected: { model: 'gpt-5', messages: [], safety_identifier: sha256('s'.repeat(65)), prompt_cache_key: 'k'.repeat(64) },
    adjusted: ['safety_identifier:hashed'],
  },
  {
    name: 'an effort the model does not list becomes the nearest it does',
    format: 'openai-chat',
    caps: { reasoning: true, reasoningEfforts: ['low', 'medium', 'high'] },
    body: { model: 'm', messages: [], reasoning_effort: 'xhigh' },
    expected: { model: 'm', messages: [], reasoning_effort: 'high' },
    adjusted: ['reasoning_effort:xhigh->high'],
  },
  {
    name: 'an effort below every listed one becomes the lowest listed',
    format: 'openai-chat',
    caps: { reasoning: true, reasoningEfforts: ['low', 'medium', 'high'] },
    body: { model: 'm', messages: [], reasoning_effort: 'minimal' },
    expected: { model: 'm', messages: [], reasoning_effort: 'low' },
    adjusted: ['reasoning_effort:minimal->low'],
  },
  {
    name: 'an empty effort list removes the effort',
    format: 'openai-chat',
    caps: { reasoning: true, reasoningEfforts: [] },
    body: { model: 'm', messages: [], reasoning_effort: 'low' },
    expected: { model: 'm', messages: [] },
    adjusted: ['reasoning_effort:removed'],
  },
  {
    name: 'a null reasoning_effort is the default, not a parameter to remove',
    format: 'openai-chat',
    caps: caps('gpt-4o-mini', 'openai'),
    body: { model: 'gpt-4o-mini', messages: [], reasoning_effort: null },
    expected: { model: 'gpt-4o-mini', messages: [], reasoning_effort: null },
    adjusted: [],
  },
  {
    name: 'an unknown model passes through untouched, however far over any limit',
    format: 'openai-chat',
    caps: caps('my-finetune', 'openai'),
    body: { model: 'my-finetune', messages: [], max_completion_tokens: 10_000_000, reasoning_effort: 'high', user: LONG_300 },
    expected: { model: 'my-finetune', messages: [], max_completion_tokens: 10_000_000, reasoning_effort: 'high', user: LONG_300 },
    adjusted: [],
  },
  {
    name: 'Responses: reasoning removed and max_output_tokens lowered for a model without reasoning',
    format: 'openai-responses',
    caps: caps('gpt-4.1', 'openai'),
    body: { model: 'gpt-4.1', input: 'hi', max_output_tokens: 50000, reasoning: { effort: 'high', summary: 'auto' }, user: LONG_300 },
    expected: { model: 'gpt-4.1', input: 'hi', max_output_tokens: 32768, user: sha256(LONG_300) },
    adjusted: ['max_output_tokens:50000->32768', 'reasoning:removed', 'user:hashed'],
  },
  {
    name: 'Responses: reasoning.effort mapped inside the object, the rest of it kept',
    format: 'openai-responses',
    caps: { reasoning: true, reasoningEfforts: ['low', 'medium', 'high'] },
    body: { model: 'm', input: 'hi', reasoning: { effort: 'max', summary: 'auto' } },
    expected: { model: 'm', input: 'hi', reasoning: { effort: 'high', summary: 'auto' } },
    adjusted: ['reasoning.effort:max->high'],
  },
  {
    name: 'Anthropic: max_tokens lowered, the thinking budget kept below it',
    format: 'anthropic-messages',
    caps: caps('claude-opus-4-1-20250805', 'anthropic'),
    body: { model: 'claude-opus-4-1-20250805', messages: [], max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: 40000 } },
    expected: { model: 'claude-opus-4-1-20250805', messages: [], max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 31999 } },
    adjusted: ['max_tokens:64000->32000', 'thinking.budget_tokens:40000->31999'],
  },
  {
    name: 'Anthropic: a budget already below the lowered cap stays',
    format: 'anthropic-messages',
    caps: caps('claude-sonnet-4-5', 'anthropic'),
    body: { model: 'claude-sonnet-4-5', messages: [], max_tokens: 128000, thinking: { type: 'enabled', budget_tokens: 31999 } },
    expected: { model: 'claude-sonnet-4-5', messages: [], max_tokens: 64000, thinking: { type: 'enabled', budget_tokens: 31999 } },
    adjusted: ['max_tokens:128000->64000'],
  },
  {
    name: 'Anthropic: thinking and effort removed for a model without reasoning; metadata.user_id over 256 hashed',
    format: 'anthropic-messages',
    caps: caps('claude-3-5-haiku-20241022', 'anthropic'),
    body: {
      model: 'claude-3-5-haiku-20241022',
      messages: [],
      max_tokens: 4096,
      thinking: { type: 'adaptive' },
      output_config: { effort: 'medium', format: { type: 'json_schema', schema: {} } },
      metadata: { user_id: LONG_300 },
    },
    expected: {
      model: 'claude-3-5-haiku-20241022',
      messages: [],
      max_tokens: 4096,
      output_config: { format: { type: 'json_schema', schema: {} } },
      metadata: { user_id: sha256(LONG_300) },
    },
    adjusted: ['thinking:removed', 'output_config.effort:removed', 'metadata.user_id:hashed'],
  },
  {
    name: 'Anthropic: thinking disabled is no reasoning parameter and stays; a 256-character user_id stays',
    format: 'anthropic-messages',
    caps: caps('claude-3-5-haiku', 'anthropic'),
    body: { model: 'claude-3-5-haiku', messages: [], max_tokens: 100, thinking: { type: 'disabled' }, metadata: { user_id: 'u'.repeat(256) } },
    expected: { model: 'claude-3-5-haiku', messages: [], max_tokens: 100, thinking: { type: 'disabled' }, metadata: { user_id: 'u'.repeat(256) } },
    adjusted: [],
  },
  {
    name: 'Anthropic: output_config.effort mapped to one the model lists',
    format: 'anthropic-messages',
    caps: caps('claude-opus-4-5', 'anthropic'),
    body: { model: 'claude-opus-4-5', messages: [], max_tokens: 1000, thinking: { type: 'adaptive' }, output_config: { effort: 'max' } },
    expected: { model: 'claude-opus-4-5', messages: [], max_tokens: 1000, thinking: { type: 'adaptive' }, output_config: { effort: 'high' } },
    adjusted: ['output_config.effort:max->high'],
  },
  {
    name: 'Anthropic: a 150-character user_id fits Anthropic and stays',
    format: 'anthropic-messages',
    caps: caps('claude-sonnet-4-5-20250929', 'anthropic'),
    body: { model: 'claude-sonnet-4-5-20250929', messages: [], max_tokens: 32000, metadata: { user_id: CLAUDE_CODE_USER } },
    expected: { model: 'claude-sonnet-4-5-20250929', messages: [], max_tokens: 32000, metadata: { user_id: CLAUDE_CODE_USER } },
    adjusted: [],
  },
  {
    name: 'Gemini: the output cap in generationConfig comes down to the model’s limit, thinking stays on a thinking model',
    format: 'gemini',
    caps: caps('gemini-2.5-flash', 'gemini'),
    body: { contents: [], generationConfig: { maxOutputTokens: 100000, thinkingConfig: { thinkingBudget: 1024 } } },
    expected: { contents: [], generationConfig: { maxOutputTokens: 65536, thinkingConfig: { thinkingBudget: 1024 } } },
    adjusted: ['generationConfig.maxOutputTokens:100000->65536'],
  },
  {
    name: 'Gemini: thinkingConfig removed for a model without reasoning',
    format: 'gemini',
    caps: { reasoning: false, maxOutputTokens: 8192 },
    body: { contents: [], generationConfig: { temperature: 0.2, thinkingConfig: { thinkingBudget: 1024 } } },
    expected: { contents: [], generationConfig: { temperature: 0.2 } },
    adjusted: ['generationConfig.thinkingConfig:removed'],
  },
  {
    name: 'Gemini: a body within the limits is the same object',
    format: 'gemini',
    caps: caps('gemini-2.5-flash', 'gemini'),
    body: { contents: [], generationConfig: { maxOutputTokens: 1000 } },
    expected: { contents: [], generationConfig: { maxOutputTokens: 1000 } },
    adjusted: [],
  },
];

describe('fitToModel', () => {
  it.each(cases)('$name', ({ format, caps: c, body, expected, adjusted }) => {
    const before = structuredClone(body);
    const fitted = fitToModel(body, format, c);
    expect(fitted.body).toEqual(expected);
    expect(fitted.adjusted).toEqual(adjusted);
    // The caller's body is never modified; untouched bodies come back as the very same object.
    expect(body).toEqual(before);
    if (adjusted.length === 0) expect(fitted.body).toBe(body);
  });

  it('hashes the same id to the same value and different ids to different values', () => {
    const fit = (user: string) => fitToModel({ model: 'gpt-4o-mini', messages: [], user }, 'openai-chat', caps('gpt-4o-mini', 'openai')).body['user'];
    expect(fit(CLAUDE_CODE_USER)).toBe(fit(CLAUDE_CODE_USER));
    expect(fit(CLAUDE_CODE_USER)).not.toBe(fit(CLAUDE_CODE_USER.replace('3098102e', '3098102f')));
    expect(String(fit(CLAUDE_CODE_USER))).toHaveLength(64);
  });
});

describe('fittedMaxTokens', () => {
  it.each<[number, ModelCapabilities | undefined, number]>([
    [32000, { maxOutputTokens: 16384 }, 16384],
    [1000, { maxOutputTokens: 16384 }, 1000],
    [32000, { reasoning: true }, 32000],
    [32000, undefined, 32000],
  ])('%i with %o → %i', (asked, c, expected) => {
    expect(fittedMaxTokens(asked, c)).toBe(expected);
  });
});
