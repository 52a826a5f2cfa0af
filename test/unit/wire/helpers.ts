/** Shared test helpers: fixture loading and running a stream through the translator. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WireFormat } from '../../../src/wire/codec.js';
import type { CanonicalStreamEvent } from '../../../src/wire/canonical.js';
import { codecFor } from '../../../src/wire/index.js';
import { createStreamTranslator } from '../../../src/wire/stream-translator.js';
import { parseSseText } from '../../../src/wire/sse.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/wire/', import.meta.url));

/** The recorded provider streams (`<name>.chunks.txt`) that every client format is checked against. */
export const STREAM_FIXTURE_NAMES: readonly string[] = [
  'anthropic-text',
  'anthropic-thinking-text',
  'anthropic-tool-use-parallel',
  'anthropic-midstream-error',
  'openai-text-usage',
  'openai-tool-calls-parallel',
  'openai-tool-quirks',
  'openai-midstream-error',
  'openai-reasoning-then-text',
];

/** One SSE event per line; Anthropic lines are framed with their type as the event name, as the API does. */
export function fixtureBytes(name: string): { format: WireFormat; text: string } {
  const format: WireFormat = name.startsWith('anthropic') ? 'anthropic-messages' : name.startsWith('responses') ? 'openai-responses' : 'openai-chat';
  const lines = readFileSync(`${FIXTURES}${name}.chunks.txt`, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const text = lines
    .map((line) => {
      if (format === 'openai-chat') return `data: ${line}\n\n`;
      const type = (JSON.parse(line) as { type: string }).type;
      return `event: ${type}\ndata: ${line}\n\n`;
    })
    .join('');
  return { format, text };
}

export const ENCODER_OPTIONS = { id: 'gw_req_0001', created: 1_700_000_000, model: 'client-model' };

export function translate(
  from: WireFormat,
  to: WireFormat,
  chunks: Array<string | Uint8Array>,
  includeUsage = true,
): { output: string; events: CanonicalStreamEvent[] } {
  const events: CanonicalStreamEvent[] = [];
  const translator = createStreamTranslator(codecFor(from), codecFor(to), {
    ...ENCODER_OPTIONS,
    includeUsage,
    observe: (e) => events.push(e),
  });
  let output = '';
  for (const chunk of chunks) output += translator.feed(chunk);
  output += translator.end();
  return { output, events };
}

export interface AnthropicEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

export function parseAnthropicOutput(text: string): AnthropicEvent[] {
  return parseSseText(text).map((e) => ({ event: e.event, data: JSON.parse(e.data) as Record<string, unknown> }));
}

/** The Anthropic ordering rules of spec §2.4/§6.2; returns the violations found. */
export function anthropicViolations(events: AnthropicEvent[]): string[] {
  const problems: string[] = [];
  let started = false;
  let stopped = false;
  let errored = false;
  let nextIndex = 0;
  let open: number | undefined;
  events.forEach(({ event, data }, i) => {
    const type = data['type'];
    if (event !== type) problems.push(`#${i}: event name ${String(event)} ≠ data.type ${String(type)}`);
    if (stopped || errored) problems.push(`#${i}: ${String(type)} after the terminal event`);
    if (type === 'error') {
      errored = true;
      return;
    }
    if (!started && type !== 'message_start') problems.push(`#${i}: ${String(type)} before message_start`);
    switch (type) {
      case 'message_start':
        if (started) problems.push(`#${i}: second message_start`);
        started = true;
        break;
      case 'content_block_start':
        if (open !== undefined) problems.push(`#${i}: block ${String(data['index'])} opened while ${open} is open`);
        if (data['index'] !== nextIndex) problems.push(`#${i}: index ${String(data['index'])}, expected ${nextIndex}`);
        open = data['index'] as number;
        nextIndex++;
        break;
      case 'content_block_delta':
        if (data['index'] !== open) problems.push(`#${i}: delta for ${String(data['index'])} while ${String(open)} is open`);
        break;
      case 'content_block_stop':
        if (data['index'] !== open) problems.push(`#${i}: stop for ${String(data['index'])} while ${String(open)} is open`);
        open = undefined;
        break;
      case 'message_delta':
        if (open !== undefined) problems.push(`#${i}: message_delta with block ${open} open`);
        break;
      case 'message_stop':
        stopped = true;
        break;
      default:
        problems.push(`#${i}: unexpected ${String(type)}`);
    }
  });
  if (!stopped && !errored) problems.push('no terminal event');
  return problems;
}

/** The OpenAI chunk rules of spec §1.4; returns the violations found. */
export function openAIViolations(text: string, includeUsage: boolean): string[] {
  const problems: string[] = [];
  const events = parseSseText(text);
  const last = events[events.length - 1];
  const failed = last !== undefined && last.data !== '[DONE]' && 'error' in (JSON.parse(last.data) as object);
  if (!failed && last?.data !== '[DONE]') problems.push('does not end with [DONE]');
  if (events.filter((e) => e.data === '[DONE]').length > (failed ? 0 : 1)) problems.push('[DONE] count');
  let sawRole = false;
  let finish = 0;
  let usageChunks = 0;
  const toolSeen = new Set<number>();
  events.forEach((e, i) => {
    if (e.event !== undefined) problems.push(`#${i}: has an event name`);
    if (e.data === '[DONE]') return;
    const chunk = JSON.parse(e.data) as Record<string, unknown>;
    if ('error' in chunk) return;
    const choices = chunk['choices'] as Array<Record<string, unknown>>;
    if (choices.length === 0) {
      usageChunks++;
      if (finish !== 1) problems.push(`#${i}: usage chunk before the finish chunk`);
      return;
    }
    if (includeUsage && chunk['usage'] !== null) problems.push(`#${i}: usage must be null before the last chunk`);
    const choice = choices[0] ?? {};
    const delta = choice['delta'] as Record<string, unknown>;
    if (!sawRole) {
      if (delta['role'] !== 'assistant') problems.push(`#${i}: first delta lacks role`);
      sawRole = true;
    }
    if (finish > 0) problems.push(`#${i}: chunk after finish_reason`);
    if (choice['finish_reason'] !== null) finish++;
    const calls = (delta['tool_calls'] ?? []) as Array<Record<string, unknown>>;
    for (const call of calls) {
      const index = call['index'] as number;
      const fn = call['function'] as Record<string, unknown>;
      if (!toolSeen.has(index)) {
        if (index !== toolSeen.size) problems.push(`#${i}: tool index ${index} not contiguous`);
        if (typeof call['id'] !== 'string' || call['type'] !== 'function' || typeof fn['name'] !== 'string' || fn['name'] === '') {
          problems.push(`#${i}: first fragment of tool ${index} lacks id/type/name`);
        }
        toolSeen.add(index);
      }
    }
  });
  if (!failed && finish !== 1) problems.push(`finish_reason count ${finish}`);
  if (!failed && usageChunks !== (includeUsage ? 1 : 0)) problems.push(`usage chunk count ${usageChunks}`);
  return problems;
}

/** The Responses stream rules of spec §3.3/§6.3; returns the violations found. */
export function responsesViolations(text: string): string[] {
  const problems: string[] = [];
  const events = parseSseText(text);
  const added = new Set<number>();
  const done = new Set<number>();
  let terminal = 0;
  events.forEach((e, i) => {
    if (e.data === '[DONE]') {
      problems.push(`#${i}: [DONE] in a Responses stream`);
      return;
    }
    const data = JSON.parse(e.data) as Record<string, unknown>;
    const type = data['type'] as string;
    if (e.event !== type) problems.push(`#${i}: event name ${String(e.event)} ≠ type ${type}`);
    if (data['sequence_number'] !== i) problems.push(`#${i}: sequence_number ${String(data['sequence_number'])}`);
    if (terminal > 0 && type !== 'response.failed') problems.push(`#${i}: ${type} after the terminal event`);
    if (i === 0 && type !== 'response.created') problems.push('first event is not response.created');
    const index = data['output_index'];
    if (type === 'response.output_item.added') {
      if (typeof index !== 'number' || added.has(index) || index !== added.size) problems.push(`#${i}: output_index ${String(index)} not next`);
      added.add(index as number);
    } else if (typeof index === 'number') {
      if (!added.has(index)) problems.push(`#${i}: ${type} for output ${index} before it was added`);
      if (done.has(index)) problems.push(`#${i}: ${type} for output ${index} after it was done`);
      if (type === 'response.output_item.done') done.add(index);
    }
    if (['response.completed', 'response.incomplete', 'error'].includes(type)) terminal++;
    if (type === 'response.completed' || type === 'response.incomplete') {
      for (const a of added) if (!done.has(a)) problems.push(`output ${a} never done`);
    }
  });
  if (terminal !== 1) problems.push(`terminal event count ${terminal}`);
  return problems;
}
