/**
 * Property tests over the streaming path: chunking never changes the output, and every translated
 * stream obeys its format's ordering rules whatever canonical events or upstream chunks come in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { CanonicalStreamEvent } from '../../../src/wire/canonical.js';
import type { WireFormat } from '../../../src/wire/codec.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';
import { parseSseText } from '../../../src/wire/sse.js';
import {
  ENCODER_OPTIONS,
  anthropicViolations,
  fixtureBytes,
  openAIViolations,
  parseAnthropicOutput,
  STREAM_FIXTURE_NAMES,
  translate,
} from './helpers.js';

const TARGETS: WireFormat[] = ['openai-chat', 'anthropic-messages'];

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(bytes.subarray(from, p));
    from = p;
  }
  parts.push(bytes.subarray(from));
  return parts;
}

describe('any split of the upstream bytes gives the same translated output', () => {
  for (const name of STREAM_FIXTURE_NAMES) {
    for (const target of TARGETS) {
      it(`${name} → ${target}`, () => {
        const { format, text } = fixtureBytes(name);
        const bytes = new TextEncoder().encode(text);
        const whole = translate(format, target, [bytes]).output;
        fc.assert(
          fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
            expect(translate(format, target, splitAt(bytes, cuts)).output).toBe(whole);
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('byte-at-a-time feeding (splits inside multi-byte characters) is identical', () => {
    const { format, text } = fixtureBytes('openai-text-usage');
    const bytes = new TextEncoder().encode(text);
    const single = Array.from(bytes, (b) => Uint8Array.of(b));
    expect(translate(format, 'anthropic-messages', single).output).toBe(translate(format, 'anthropic-messages', [bytes]).output);
  });
});

/** Random canonical event sequences, including odd ones real decoders never produce. */
const canonicalEvent: fc.Arbitrary<CanonicalStreamEvent> = fc.oneof(
  fc.string({ maxLength: 6 }).map((text): CanonicalStreamEvent => ({ type: 'text-delta', text })),
  fc.string({ maxLength: 6 }).map((text): CanonicalStreamEvent => ({ type: 'thinking-delta', text })),
  fc.string({ minLength: 1, maxLength: 6 }).map((signature): CanonicalStreamEvent => ({ type: 'signature', signature })),
  fc.constant<CanonicalStreamEvent>({ type: 'redacted-thinking', data: 'opaque' }),
  fc.nat(3).map((index): CanonicalStreamEvent => ({ type: 'tool-call-start', index, id: `call.${index}`, name: `tool_${index}` })),
  fc.tuple(fc.nat(3), fc.string({ maxLength: 5 })).map(([index, argsJson]): CanonicalStreamEvent => ({ type: 'tool-call-delta', index, argsJson })),
  fc.constant<CanonicalStreamEvent>({ type: 'block-stop' }),
  fc.nat(50).map((output): CanonicalStreamEvent => ({ type: 'usage', usage: { output } })),
);
const terminal: fc.Arbitrary<CanonicalStreamEvent | undefined> = fc.oneof(
  fc.constantFrom('stop', 'length', 'tool-calls', 'content-filter', 'stop-sequence').map(
    (stopReason): CanonicalStreamEvent => ({
      type: 'finish',
      stopReason: stopReason as 'stop',
      usage: { inputUncached: 5, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 9, reasoning: 0 },
    }),
  ),
  fc.constant<CanonicalStreamEvent>({ type: 'error', error: new GatewayError('upstream_error', 'boom', { status: 529, upstreamType: 'overloaded_error' }) }),
  fc.constant(undefined),
);

function runEncoder(target: WireFormat, events: CanonicalStreamEvent[], end: CanonicalStreamEvent | undefined, includeUsage: boolean): string {
  const codec = target === 'openai-chat' ? openAIChatCodec : anthropicMessagesCodec;
  const encoder = codec.createStreamEncoder({ ...ENCODER_OPTIONS, includeUsage });
  let out = encoder.push({ type: 'start', id: 'up', model: 'm' });
  for (const e of events) out += encoder.push(e);
  if (end !== undefined) out += encoder.push(end);
  else out += encoder.fail(new GatewayError('upstream_error', 'ended early', { status: 502 }));
  // Nothing may follow the terminal event.
  expect(encoder.push({ type: 'text-delta', text: 'late' })).toBe('');
  expect(encoder.fail(new GatewayError('internal', 'again'))).toBe('');
  return out;
}

describe('translated Anthropic streams satisfy the ordering rules', () => {
  it('for any canonical event sequence', () => {
    fc.assert(
      fc.property(fc.array(canonicalEvent, { maxLength: 30 }), terminal, (events, end) => {
        const out = runEncoder('anthropic-messages', events, end, false);
        expect(anthropicViolations(parseAnthropicOutput(out))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('tool arguments survive interleaved OpenAI fragments intact', () => {
    // Random interleavings of three tool calls' fragments, as an OpenAI-compatible upstream may send.
    const calls = [
      { name: 'a', args: '{"x": 1, "y": [1,2,3]}' },
      { name: 'b', args: '{"path": "/tmp/ü.txt"}' },
      { name: 'c', args: '' },
    ];
    const fragment = fc.tuple(fc.nat(2), fc.nat(4));
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 40 }), fc.boolean(), (order, textFirst) => {
        const offsets = [0, 0, 0];
        const started = [false, false, false];
        const appearance: number[] = [];
        const chunks: unknown[] = [{ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { role: 'assistant', content: textFirst ? 'hi' : '' }, finish_reason: null }] }];
        const emit = (j: number, size: number): void => {
          const call = calls[j];
          if (call === undefined) return;
          const piece = call.args.slice(offsets[j], (offsets[j] ?? 0) + size);
          offsets[j] = (offsets[j] ?? 0) + piece.length;
          const first = !started[j];
          if (first) appearance.push(j);
          started[j] = true;
          chunks.push({
            id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm',
            choices: [{ index: 0, delta: { tool_calls: [{ index: j, ...(first ? { id: `call_${j}`, type: 'function' } : {}), function: { ...(first ? { name: call.name } : {}), arguments: piece } }] }, finish_reason: null }],
          });
        };
        for (const [j, size] of order) emit(j, size + 1);
        for (let j = 0; j < 3; j++) emit(j, 1000);
        chunks.push({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
        const text = chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n';
        const out = parseAnthropicOutput(translate('openai-chat', 'anthropic-messages', [text]).output);
        expect(anthropicViolations(out)).toEqual([]);
        // Reassemble each tool_use block as the SDK would.
        const byIndex = new Map<number, { name: string; json: string }>();
        for (const { data } of out) {
          if (data['type'] === 'content_block_start') {
            const block = data['content_block'] as Record<string, unknown>;
            if (block['type'] === 'tool_use') byIndex.set(data['index'] as number, { name: block['name'] as string, json: '' });
          }
          if (data['type'] === 'content_block_delta') {
            const delta = data['delta'] as Record<string, unknown>;
            const tool = byIndex.get(data['index'] as number);
            if (tool !== undefined && delta['type'] === 'input_json_delta') tool.json += delta['partial_json'] as string;
          }
        }
        // Blocks come in order of each call's first fragment.
        const got = [...byIndex.values()].map((t) => [t.name, t.json]);
        expect(got).toEqual(appearance.map((j) => [calls[j]?.name, calls[j]?.args]));
      }),
      { numRuns: 300 },
    );
  });
});

describe('translated OpenAI streams have role first, complete first tool fragments, one finish_reason and [DONE]', () => {
  it('for any canonical event sequence', () => {
    fc.assert(
      fc.property(fc.array(canonicalEvent, { maxLength: 30 }), terminal, fc.boolean(), (events, end, includeUsage) => {
        const out = runEncoder('openai-chat', events, end, includeUsage);
        expect(openAIViolations(out, includeUsage)).toEqual([]);
        // Chunks are assembled from a pre-serialised envelope: each must still be exactly one valid JSON text.
        for (const { data } of parseSseText(out)) if (data !== '[DONE]') expect(JSON.stringify(JSON.parse(data))).toBe(data);
        const failed = end === undefined || end.type === 'error';
        expect(out.endsWith('data: [DONE]\n\n')).toBe(!failed);
      }),
      { numRuns: 400 },
    );
  });

  it('for any Anthropic upstream event sequence from the fixtures, truncated anywhere', () => {
    const { text } = fixtureBytes('anthropic-tool-use-parallel');
    const events = parseSseText(text);
    fc.assert(
      fc.property(fc.nat(events.length), fc.boolean(), (keep, includeUsage) => {
        const partial = events.slice(0, keep).map((e) => `event: ${e.event ?? ''}\ndata: ${e.data}\n\n`).join('');
        const out = translate('anthropic-messages', 'openai-chat', [partial], includeUsage).output;
        expect(openAIViolations(out, includeUsage)).toEqual([]);
        // A cut-off stream is an error, never a fabricated success (pitfall 13).
        expect(out.includes('[DONE]')).toBe(keep === events.length);
      }),
    );
  });
});

describe('the Anthropic decoder reads repeated event shapes as it reads any event', () => {
  /** An event: a block opening, a delta (possibly to a block of another kind, or to none), or a block's end. */
  const blockType = fc.constantFrom('text', 'thinking', 'tool_use', 'server_tool_use', 'citations_box');
  const deltaType = fc.constantFrom('text_delta', 'text_delta', 'text_delta', 'thinking_delta', 'input_json_delta', 'signature_delta', 'citations_delta');
  const text = fc.string({ maxLength: 6 });
  const event = fc.oneof(
    { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 3 }), blockType).map(([index, type]) => ({ type: 'content_block_start', index, content_block: { type, text: '', thinking: '', id: 'toolu_1', name: 'f', input: {} } })) },
    {
      weight: 8,
      arbitrary: fc.tuple(fc.nat({ max: 3 }), deltaType, text).map(([index, type, value]) => ({
        type: 'content_block_delta',
        index,
        delta: { type, ...(type === 'text_delta' ? { text: value } : type === 'thinking_delta' ? { thinking: value } : type === 'input_json_delta' ? { partial_json: value } : { signature: value }) },
      })),
    },
    { weight: 1, arbitrary: fc.nat({ max: 3 }).map((index) => ({ type: 'content_block_stop', index })) },
    { weight: 1, arbitrary: fc.constant({ type: 'ping' }) },
  );
  const decode = (datas: string[]): CanonicalStreamEvent[] => {
    const decoder = anthropicMessagesCodec.createStreamDecoder();
    const out: CanonicalStreamEvent[] = [];
    for (const data of datas) out.push(...decoder.push({ data, event: (JSON.parse(data) as { type: string }).type }));
    return out;
  };

  it('for any sequence of blocks and deltas, the same events as when no two events share a shape', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const start = { type: 'message_start', message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 3, output_tokens: 1 } } };
        const datas = [start, ...events, { type: 'message_stop' }].map((e) => JSON.stringify(e));
        // Leading spaces of a different length on every event: JSON all the same, but no event repeats another's text.
        const unshared = datas.map((data, i) => ' '.repeat(i) + data);
        expect(decode(datas)).toStrictEqual(decode(unshared));
      }),
      { numRuns: 500 },
    );
  });
});
