/**
 * Canonical stream events → OpenAI chat chunks (spec §6.1). A state machine: the role goes in the first
 * delta, each tool call gets its own OpenAI index with id/type/name on its first fragment, a tool without
 * argument bytes gets `"{}"`, the finish chunk carries finish_reason, the usage chunk (`choices:[]`) is
 * written only when the client asked for it, and `[DONE]` ends a successful stream exactly once.
 * A failure writes `data: {"error":…}` and no `[DONE]` (spec §9).
 */
import { assertNever } from '../../core/assert-never.js';
import type { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import type { StreamEncoder, StreamEncoderOptions } from '../codec.js';
import type { CanonicalStreamEvent } from '../canonical.js';
import { formatSse, formatSseJson, formatSseJsonText } from '../sse.js';
import { mergeUsage } from '../shared/usage.js';
import { openAIErrorObject } from './errors.js';
import { toOpenAIFinishReason, type OpenAIFinishReason } from './map-stop-reason.js';
import type { OpenAIChatChunk, OpenAIChunkDelta, OpenAIErrorBody } from './shapes.js';
import { writeOpenAIUsage } from './usage.js';

interface ToolSlot {
  openaiIndex: number;
  argsSent: boolean;
}

export function createOpenAIChatStreamEncoder(options: StreamEncoderOptions): StreamEncoder {
  let started = false;
  let usage: Usage = { ...ZERO_USAGE };
  const tools = new Map<number, ToolSlot>();
  let lastTool: number | undefined;

  // Every chunk shares its envelope: serialised once per stream, so a delta costs only its own JSON. The bytes are
  // what JSON.stringify of the whole chunk gives (same keys, same order).
  const envelope = JSON.stringify({ id: options.id, object: 'chat.completion.chunk', created: options.created, model: options.model });
  const head = `${envelope.slice(0, -1)},"choices":[{"index":0,"delta":`;
  const tail = `,"logprobs":null,"finish_reason":null}]${options.includeUsage ? ',"usage":null' : ''}}`;

  // The delta of most chunks, written around its text without building and serialising an object per delta.
  const contentHead = `${head}{"content":`;
  const contentTail = `}${tail}`;

  function chunk(delta: OpenAIChunkDelta, finishReason: OpenAIFinishReason | null = null): string {
    if (finishReason === null) return formatSseJsonText(head + JSON.stringify(delta) + tail);
    const data: OpenAIChatChunk = {
      id: options.id,
      object: 'chat.completion.chunk',
      created: options.created,
      model: options.model,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      // With include_usage every chunk but the last carries usage:null (spec §1.4 step 5).
      ...(options.includeUsage ? { usage: null } : {}),
    };
    return formatSseJson(data);
  }

  function ensureStarted(): string {
    if (started) return '';
    started = true;
    return chunk({ role: 'assistant', content: '' });
  }

  function closeEmptyArgs(index: number): string {
    const slot = tools.get(index);
    if (slot === undefined || slot.argsSent) return '';
    slot.argsSent = true;
    return chunk({ tool_calls: [{ index: slot.openaiIndex, function: { arguments: '{}' } }] });
  }

  function onEvent(event: CanonicalStreamEvent): string {
    switch (event.type) {
      case 'start':
        if (event.usage !== undefined) usage = mergeUsage(usage, event.usage);
        return ensureStarted();
      case 'text-delta':
        return event.text === '' ? ensureStarted() : ensureStarted() + formatSseJsonText(contentHead + JSON.stringify(event.text) + contentTail);
      case 'thinking-delta':
      case 'signature':
      case 'redacted-thinking':
        // OpenAI chat has no standard field for reasoning; dropped (spec §6.1).
        return ensureStarted();
      case 'web-search':
        // Nor for searches the provider ran; the answer's text says what they found.
        return ensureStarted();
      case 'tool-call-start': {
        if (tools.has(event.index)) return ensureStarted();
        const slot = { openaiIndex: tools.size, argsSent: false };
        tools.set(event.index, slot);
        lastTool = event.index;
        return (
          ensureStarted() +
          chunk({
            tool_calls: [{ index: slot.openaiIndex, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }],
          })
        );
      }
      case 'tool-call-delta': {
        const slot = tools.get(event.index);
        if (slot === undefined || event.argsJson === '') return ensureStarted();
        slot.argsSent = true;
        return ensureStarted() + chunk({ tool_calls: [{ index: slot.openaiIndex, function: { arguments: event.argsJson } }] });
      }
      case 'block-stop':
        return lastTool === undefined ? '' : closeEmptyArgs(lastTool);
      case 'usage':
        usage = mergeUsage(usage, event.usage);
        return '';
      case 'finish': {
        usage = mergeUsage(usage, event.usage);
        let out = ensureStarted();
        for (const index of tools.keys()) out += closeEmptyArgs(index);
        out += chunk({}, toOpenAIFinishReason(event.stopReason, tools.size > 0));
        if (options.includeUsage) {
          const usageChunk: OpenAIChatChunk = {
            id: options.id,
            object: 'chat.completion.chunk',
            created: options.created,
            model: options.model,
            choices: [],
            usage: writeOpenAIUsage(usage),
          };
          out += formatSseJson(usageChunk);
        }
        encoder.finished = true;
        return out + formatSse({ data: '[DONE]' });
      }
      case 'error':
        return fail(event.error);
      default:
        return assertNever(event);
    }
  }

  function fail(error: GatewayError): string {
    if (encoder.finished) return '';
    encoder.finished = true;
    const body: OpenAIErrorBody = { error: openAIErrorObject(error) };
    return formatSseJson(body);
  }

  const encoder = {
    push(event: CanonicalStreamEvent): string {
      if (encoder.finished) return '';
      return onEvent(event);
    },
    fail,
    finished: false,
  };
  return encoder;
}
