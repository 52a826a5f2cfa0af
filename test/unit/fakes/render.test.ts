// The pure side of the fakes: rendered bytes, stream invariants, fault placement, scenario parsing.
import { describe, expect, it } from 'vitest';
import {
  anthropicUsage,
  openAIUsage,
  parseScenarioText,
  planBodyText,
  renderAnthropicMessages,
  renderOpenAIChat,
  resolveUsage,
  type JsonObject,
  type RenderEnv,
  type Scenario,
} from '../../fakes/index.js';
import { fillerText, splitText } from '../../fakes/scenario.js';

const env: RenderEnv = { seed: 42, created: 1_700_000_000 };
const oaBody = (extra: JsonObject = {}): JsonObject => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'hi' }],
  stream: true,
  ...extra,
});
const anBody = (extra: JsonObject = {}): JsonObject => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hi' }],
  stream: true,
  ...extra,
});

function frames(text: string): string[] {
  return text.split('\n\n').filter((f) => f.length > 0);
}

/** Parses Anthropic frames and checks what the SDK accumulator relies on. */
function checkAnthropicStream(text: string): Array<{ event: string; data: Record<string, unknown> }> {
  const parsed = frames(text).map((f) => {
    const m = /^event: (\S+)\ndata: (.*)$/s.exec(f);
    if (!m) throw new Error(`not an Anthropic frame: ${f}`);
    return { event: m[1] ?? '', data: JSON.parse(m[2] ?? '') as Record<string, unknown> };
  });
  let open: number | null = null;
  let next = 0;
  parsed.forEach(({ event, data }, i) => {
    expect(data['type']).toBe(event);
    if (i === 0) expect(event).toBe('message_start');
    if (event === 'content_block_start') {
      expect(open).toBeNull();
      expect(data['index']).toBe(next);
      open = next++;
    } else if (event === 'content_block_delta') {
      expect(data['index']).toBe(open);
    } else if (event === 'content_block_stop') {
      expect(data['index']).toBe(open);
      open = null;
    }
  });
  expect(open).toBeNull();
  return parsed;
}

describe('OpenAI rendering', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = planBodyText(renderOpenAIChat({ kind: 'text' }, oaBody(), env));
    const b = planBodyText(renderOpenAIChat({ kind: 'text' }, oaBody(), env));
    const c = planBodyText(renderOpenAIChat({ kind: 'text' }, oaBody(), { ...env, seed: 43 }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('frames are data-only JSON ending in [DONE]; tool fragments open with id, type, name and empty arguments', () => {
    const text = planBodyText(renderOpenAIChat({ kind: 'tools', fragments: 2 }, oaBody(), env));
    const fs = frames(text);
    expect(fs.at(-1)).toBe('data: [DONE]');
    const chunks = fs.slice(0, -1).map((f) => {
      expect(f.startsWith('data: ')).toBe(true);
      return JSON.parse(f.slice(6)) as { choices: Array<{ delta: { role?: string; tool_calls?: unknown[] }; finish_reason: string | null }> };
    });
    expect(chunks[0]?.choices[0]?.delta).toMatchObject({
      role: 'assistant',
      content: null,
      tool_calls: [{ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } }],
    });
    expect(chunks.map((c) => c.choices[0]?.delta.tool_calls)).toHaveLength(4); // opening, 2 fragments, finish
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('midstream_error keeps the role chunk plus `afterDeltas` deltas, then the error frame, no [DONE]', () => {
    const fs = frames(planBodyText(renderOpenAIChat({ kind: 'midstream_error', afterDeltas: 1 }, oaBody(), env)));
    expect(fs).toHaveLength(3);
    expect(JSON.parse(fs[2]?.slice(6) ?? '')).toEqual({
      error: { message: expect.any(String) as unknown as string, type: 'server_error', param: null, code: null },
    });
  });

  it('malformed_json replaces the frame at `afterFrames` and keeps the rest', () => {
    const good = frames(planBodyText(renderOpenAIChat({ kind: 'text' }, oaBody(), env)));
    const bad = frames(planBodyText(renderOpenAIChat({ kind: 'malformed_json', afterFrames: 2 }, oaBody(), env)));
    expect(bad).toHaveLength(good.length);
    expect(bad[2]).not.toBe(good[2]);
    expect(good[2]?.startsWith(bad[2] ?? 'x')).toBe(true);
    expect(() => JSON.parse(bad[2]?.slice(6) ?? '')).toThrow();
    expect(bad.slice(3)).toEqual(good.slice(3));
  });

  it('a delay splits the stream into one write per frame', () => {
    const slow = renderOpenAIChat({ kind: 'text', chunks: 2, delayMs: 5 }, oaBody(), env);
    expect(slow.steps.map((s) => s.op)).toEqual(['write', 'delay', 'write', 'delay', 'write', 'delay', 'write', 'delay', 'write', 'end']);
    const fast = renderOpenAIChat({ kind: 'text', chunks: 2 }, oaBody(), env);
    expect(fast.steps.map((s) => s.op)).toEqual(['write', 'end']);
    expect(planBodyText(fast)).toBe(planBodyText(slow));
  });

  it('faults end the plan with hang or destroy', () => {
    expect(renderOpenAIChat({ kind: 'stall_body' }, oaBody(), env).steps.at(-1)).toEqual({ op: 'hang' });
    expect(renderOpenAIChat({ kind: 'reset_mid_stream' }, oaBody(), env).steps.at(-1)).toEqual({ op: 'destroy' });
    expect(renderOpenAIChat({ kind: 'timeout_before_headers' }, oaBody(), env)).toEqual({ head: null, steps: [{ op: 'hang' }] });
    expect(renderOpenAIChat({ kind: 'reset_before' }, oaBody(), env)).toEqual({ head: null, steps: [{ op: 'destroy' }] });
  });
});

describe('Anthropic rendering', () => {
  const cases: Scenario[] = [
    { kind: 'text' },
    { kind: 'thinking' },
    { kind: 'thinking', omitThinking: true },
    { kind: 'tools', text: 'Let me look.', calls: [{ name: 'a', arguments: { x: 1 } }, { name: 'b' }] },
    { kind: 'stop_sequence' },
    { kind: 'length' },
    { kind: 'echo' },
    { kind: 'bench', chunks: 10, chunkSize: 3 },
  ];
  it.each(cases)('stream for %o keeps blocks contiguous, one open at a time, ending in message_stop', (scenario) => {
    const events = checkAnthropicStream(planBodyText(renderAnthropicMessages(scenario, anBody(), env)));
    expect(events.at(-1)?.event).toBe('message_stop');
    expect(events.filter((e) => e.event === 'ping')).toHaveLength(1);
  });

  it('midstream_error counts thinking, text and tool deltas alike', () => {
    const events = checkAnthropicStream(
      planBodyText(renderAnthropicMessages({ kind: 'midstream_error', afterDeltas: 0 }, anBody(), env)).replace(
        /event: error\n.*\n\n$/,
        '',
      ),
    );
    expect(events.map((e) => e.event)).toEqual(['message_start']);
    const text = planBodyText(renderAnthropicMessages({ kind: 'midstream_error', afterDeltas: 3, chunks: 5 }, anBody(), env));
    const fs = frames(text);
    expect(fs.filter((f) => f.includes('text_delta'))).toHaveLength(3);
    expect(fs.at(-1)).toBe('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');
  });

  it('a non-stream midstream_error becomes a 529 overloaded error', () => {
    const plan = renderAnthropicMessages({ kind: 'midstream_error' }, anBody({ stream: false }), env);
    expect(plan.head?.status).toBe(529);
    expect(JSON.parse(planBodyText(plan))).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('stop_sequence defaults to the request stop sequence', () => {
    const body = JSON.parse(
      planBodyText(renderAnthropicMessages({ kind: 'stop_sequence' }, anBody({ stream: false, stop_sequences: ['STOP'] }), env)),
    ) as { stop_reason: string; stop_sequence: string };
    expect([body.stop_reason, body.stop_sequence]).toEqual(['stop_sequence', 'STOP']);
  });
});

describe('usage mapping', () => {
  const u = resolveUsage({ input: 10, cacheRead: 20, cacheWrite: 3, cacheWrite1h: 4, output: 9, reasoning: 2 });
  it('OpenAI counts cache reads and writes inside prompt_tokens', () => {
    expect(openAIUsage(u)).toMatchObject({
      prompt_tokens: 37,
      total_tokens: 46,
      prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 7 },
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(openAIUsage(resolveUsage({})).prompt_tokens_details).toEqual({ cached_tokens: 0, audio_tokens: 0 });
  });
  it('Anthropic keeps them additive', () => {
    expect(anthropicUsage(u, 1)).toMatchObject({
      input_tokens: 10,
      cache_read_input_tokens: 20,
      cache_creation_input_tokens: 7,
      cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 4 },
      output_tokens: 1,
    });
  });
});

describe('scenario parsing and text helpers', () => {
  it('accepts a bare kind or JSON, rejects unknown kinds, extra fields and bad JSON', () => {
    expect(parseScenarioText(' echo ')).toEqual({ ok: true, scenario: { kind: 'echo' } });
    expect(parseScenarioText('{"kind":"error","status":429}')).toEqual({ ok: true, scenario: { kind: 'error', status: 429 } });
    expect(parseScenarioText('error').ok).toBe(false); // needs a status
    expect(parseScenarioText('{"kind":"text","colour":"red"}').ok).toBe(false);
    expect(parseScenarioText('{"kind":').ok).toBe(false);
  });

  it('splitText never splits a code point and rejoins to the original', () => {
    const text = 'a😀b😀c😀';
    const parts = splitText(text, 4);
    expect(parts.join('')).toBe(text);
    expect(parts.every((p) => !/[\uD800-\uDBFF]$/.test(p))).toBe(true);
    expect(splitText('ab', 10)).toEqual(['a', 'b']);
  });

  it('fillerText has the exact length', () => {
    expect(fillerText(0)).toBe('');
    expect(fillerText(1000)).toHaveLength(1000);
  });
});
