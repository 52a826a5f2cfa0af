import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAPABILITY_TABLE_VERSION, CapabilityTable, type ModelCapabilities } from '../../../src/metering/index.js';

describe('capability table version', () => {
  it('names the installed llm-zoo version', () => {
    let dir = dirname(createRequire(import.meta.url).resolve('llm-zoo'));
    while (!dir.endsWith('llm-zoo')) dir = dirname(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    expect(CAPABILITY_TABLE_VERSION).toBe(`llm-zoo@${pkg.version}`);
  });
});

describe('the bundled table', () => {
  const table = new CapabilityTable();
  const efforts = (model: string) => (model === 'claude-opus-4-5' ? { reasoningEfforts: ['low', 'medium', 'high'] } : {});

  // The providers' own model pages; a data update that changes one of these fails here before it reaches users.
  it.each<[string, string, number, boolean, boolean]>([
    ['gpt-4o-mini', 'openai', 16384, false, true],
    ['gpt-4o', 'openai', 16384, false, true],
    ['gpt-4.1', 'openai', 32768, false, true],
    ['gpt-4.1-mini', 'openai', 32768, false, true],
    ['o3', 'openai', 100000, true, true],
    ['o3-mini', 'openai', 100000, true, false],
    ['o4-mini', 'openai', 100000, true, true],
    ['gpt-5', 'openai', 128000, true, true],
    ['gpt-5-mini', 'openai', 128000, true, true],
    ['gpt-5-nano', 'openai', 128000, true, true],
    ['claude-sonnet-4-5', 'anthropic', 64000, true, true],
    ['claude-haiku-4-5', 'anthropic', 64000, true, true],
    ['claude-opus-4-1', 'anthropic', 32000, true, true],
    ['claude-opus-4-5', 'anthropic', 64000, true, true],
    ['claude-3-5-haiku', 'anthropic', 8192, false, true],
    ['gemini-2.5-pro', 'google', 65536, true, true],
    ['gemini-2.5-flash', 'google', 65536, true, true],
  ])('%s (%s): %i output tokens, reasoning %s, vision %s', (model, provider, maxOutput, reasoning, vision) => {
    expect(table.lookup(model, [provider])).toEqual({ maxOutputTokens: maxOutput, reasoning, tools: true, vision, ...efforts(model) });
  });

  it('lists the effort values a model documents', () => {
    expect(table.lookup('claude-opus-4-5', ['anthropic'])?.reasoningEfforts).toEqual(['low', 'medium', 'high']);
    // The registry does not list OpenAI's per-model efforts: unknown, so never narrowed.
    expect(table.lookup('gpt-5', ['openai'])?.reasoningEfforts).toBeUndefined();
  });

  it.each([
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['o4-mini-2025-04-16', 'o4-mini'],
    ['gpt-5-2025-08-07', 'gpt-5'],
    ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['claude-opus-4-0', 'claude-opus-4-20250514'],
    ['claude-3-5-haiku-latest', 'claude-3-5-haiku'],
    ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['GPT-4o-Mini', 'gpt-4o-mini'],
  ])('%s is found as %s', (alias, canonical) => {
    const found = table.lookup(alias);
    expect(found).toBeDefined();
    expect(found).toEqual(table.lookup(canonical));
  });

  it('merges the thinking and plain entries of a Claude model to what either accepts', () => {
    // The registry lists claude-sonnet-4-5 twice; only one of the two has reasoning.
    expect(table.lookup('claude-sonnet-4-5')?.reasoning).toBe(true);
  });

  it.each(['llama3.1:8b', 'my-finetune', 'gpt-5-chat-latest', 'anthropic/claude-sonnet-4.5'])('%s is unknown', (model) => {
    expect(table.lookup(model, ['openai'])).toBeUndefined();
  });
});

describe('config overrides', () => {
  const overrides: [string, ModelCapabilities][] = [
    ['gpt-4o-mini', { maxOutputTokens: 4096 }],
    ['gpt-5-chat-latest', { reasoning: false, maxOutputTokens: 16384 }],
    ['my-azure-*', { maxOutputTokens: 8192, reasoning: false }],
    ['my-azure-o3', { reasoning: true, reasoningEfforts: ['low', 'medium', 'high'] }],
  ];
  const table = new CapabilityTable({ overrides });

  it('lay their fields over the bundled entry and keep the rest', () => {
    expect(table.lookup('gpt-4o-mini', ['openai'])).toEqual({ maxOutputTokens: 4096, reasoning: false, tools: true, vision: true });
  });

  it('add models the table does not know', () => {
    expect(table.lookup('gpt-5-chat-latest')).toEqual({ reasoning: false, maxOutputTokens: 16384 });
  });

  it('match exact names before globs, case-insensitively', () => {
    expect(table.lookup('MY-AZURE-O3')).toEqual({ reasoning: true, reasoningEfforts: ['low', 'medium', 'high'] });
    expect(table.lookup('my-azure-gpt4o')).toEqual({ maxOutputTokens: 8192, reasoning: false });
  });

  it('apply to the name as sent, not to a snapshot of it', () => {
    expect(table.lookup('gpt-4o-mini-2024-07-18')?.maxOutputTokens).toBe(16384);
  });
});
