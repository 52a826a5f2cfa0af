/** Which APIs a provider speaks (`apis`), and the response store's limits. */
import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText } from '../../../src/config/index.js';

const parse = (text: string) => parseConfigText(text, { file: 'gateway.yaml', env: { OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' } });

describe('providers.<name>.apis', () => {
  it('OpenAI itself speaks Chat Completions and Responses; any other OpenAI-compatible URL Chat Completions only', () => {
    const r = parse(
      [
        'providers:',
        '  ollama: { type: openai, base_url: http://127.0.0.1:11434/v1 }',
        '  official: { type: openai, base_url: https://api.openai.com/v1/ }',
        '  vllm: { type: openai, base_url: http://127.0.0.1:8000/v1, apis: [responses, chat] }',
        '  responses-only: { type: openai, base_url: http://127.0.0.1:8001/v1, apis: [responses] }',
        '  sim: { type: mock, wire: anthropic }',
      ].join('\n'),
    );
    expect(r.errors.map(formatProblem)).toEqual([]);
    const apis = (name: string) => r.config?.providers.get(name)?.apis;
    expect(apis('openai')).toEqual(['chat', 'responses']);
    expect(apis('anthropic')).toEqual(['messages']);
    expect(apis('official')).toEqual(['chat', 'responses']);
    expect(apis('ollama')).toEqual(['chat']);
    expect(apis('vllm')).toEqual(['responses', 'chat']);
    expect(apis('responses-only')).toEqual(['responses']);
    expect(apis('sim')).toEqual(['messages']);
  });

  it('refuses an empty list, an unknown API, and apis on a provider that speaks one', () => {
    expect(parse('providers:\n  x: { type: openai, base_url: http://h/v1, apis: [] }\n').errors[0]).toMatchObject({ path: 'providers.x.apis', message: expect.stringMatching(/at least one API/) as unknown });
    expect(parse('providers:\n  x: { type: openai, base_url: http://h/v1, apis: [completions] }\n').errors[0]?.path).toBe('providers.x.apis[0]');
    const wrong = parse('providers:\n  a: { type: anthropic, base_url: http://h, apis: [chat] }\n');
    expect(wrong.errors[0]).toMatchObject({ path: 'providers.a.apis', message: expect.stringMatching(/speaks one/) as unknown, fix: 'remove apis' });
    expect(wrong.config).toBeUndefined();
  });
});

describe('gateway.response_store', () => {
  it('defaults to 64 MiB kept for an hour, and reads sizes and durations', () => {
    expect(parse('').config?.gateway.responseStore).toEqual({ maxBytes: 64 * 1024 * 1024, ttlMs: 3_600_000 });
    expect(parse('gateway:\n  response_store: { max_size: 1mb, ttl: 10m }\n').config?.gateway.responseStore).toEqual({ maxBytes: 1024 * 1024, ttlMs: 600_000 });
    expect(parse('gateway:\n  response_store: { max_size: 0 }\n').config?.gateway.responseStore.maxBytes).toBe(0);
  });
});
