/**
 * Canonical stream events → Anthropic SSE events (spec §6.2). An explicit state machine:
 *
 *   idle ──(any event)──▶ open: message_start written
 *   open ──content──▶ a block is open (text | thinking | tool); a change of kind closes it first
 *   open ──finish──▶ done: blocks closed, message_delta(stop_reason, usage), message_stop
 *   any  ──error / fail()──▶ done: `event: error`, no message_stop
 *
 * Invariants (tested): indices are contiguous from 0, every delta and stop follows its start, exactly one
 * stop per start, at most one block open, nothing after the terminal event. Parallel tool calls whose
 * fragments interleave (legal in OpenAI streams) cannot be written as interleaved blocks, so only one tool
 * streams live; the others are buffered and written whole when the live one closes (spec §6.2 step 4).
 */
import { assertNever } from '../../core/assert-never.js';
import type { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import type { StreamEncoder, StreamEncoderOptions } from '../codec.js';
import type { CanonicalStreamEvent, StopReason } from '../canonical.js';
import { formatSseJson } from '../sse.js';
import { sanitizeToolId } from '../shared/tool-names.js';
import { mergeUsage, reportedPart } from '../shared/usage.js';
import { anthropicErrorPayload } from './errors.js';
import { anthropicMessageId } from './encode-response.js';
import { toAnthropicStopReason } from './map-stop-reason.js';
import type { AnthropicContentBlock, AnthropicDelta, AnthropicStreamEvent } from './shapes.js';

type OpenBlock =
  | { kind: 'text'; index: number }
  | { kind: 'thinking'; index: number }
  | { kind: 'tool'; index: number; tool: number };

interface ToolState {
  id: string;
  name: string;
  /** live: streaming in the open block; buffered: waiting its turn; closed: written and stopped. */
  state: 'live' | 'buffered' | 'closed';
  args: string;
}

export function createAnthropicStreamEncoder(options: StreamEncoderOptions): StreamEncoder {
  let started = false;
  let nextIndex = 0;
  let open: OpenBlock | undefined;
  let usage: Usage = { ...ZERO_USAGE };
  let toolsWritten = 0;
  /** Characters of text, thinking and tool arguments received, for a usage the upstream never sent. */
  let producedChars = 0;
  const tools = new Map<number, ToolState>();
  const queue: number[] = [];

  const emit = (event: AnthropicStreamEvent): string => formatSseJson(event, event.type);

  function messageStart(): string {
    if (started) return '';
    started = true;
    return emit({
      type: 'message_start',
      message: {
        id: anthropicMessageId(options.id),
        type: 'message',
        role: 'assistant',
        model: options.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: usage.inputUncached,
          cache_creation_input_tokens: usage.cacheWrite5m + usage.cacheWrite1h,
          cache_read_input_tokens: usage.cacheRead,
          output_tokens: usage.output,
        },
      },
    });
  }

  function closeOpen(): string {
    if (open === undefined) return '';
    const index = open.index;
    if (open.kind === 'tool') {
      const tool = tools.get(open.tool);
      if (tool !== undefined) tool.state = 'closed';
    }
    open = undefined;
    return emit({ type: 'content_block_stop', index });
  }

  function openBlock(kind: 'text' | 'thinking'): string {
    if (open?.kind === kind) return '';
    let out = closeOpen() + flushQueue();
    const index = nextIndex++;
    open = { kind, index };
    const block: AnthropicContentBlock = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    out += emit({ type: 'content_block_start', index, content_block: block });
    return out;
  }

  function startTool(toolIndex: number, tool: ToolState): string {
    const index = nextIndex++;
    open = { kind: 'tool', index, tool: toolIndex };
    tool.state = 'live';
    toolsWritten++;
    // Anthropic clients replay these ids to Anthropic upstreams, which accept only [a-zA-Z0-9_-] (pitfall 4).
    let out = emit({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: sanitizeToolId(tool.id), name: tool.name, input: {} } });
    if (tool.args !== '') out += emit({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: tool.args } });
    tool.args = '';
    return out;
  }

  /** Writes every buffered tool whole, in order. Called when no tool is live. */
  function flushQueue(): string {
    let out = '';
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const tool = tools.get(next);
      if (tool === undefined) continue;
      out += startTool(next, tool) + closeOpen();
    }
    return out;
  }

  function text(kind: 'text' | 'thinking', value: string): string {
    if (value === '') return '';
    producedChars += value.length;
    let out = openBlock(kind);
    if (open === undefined) return out;
    const delta: AnthropicDelta = kind === 'text' ? { type: 'text_delta', text: value } : { type: 'thinking_delta', thinking: value };
    out += emit({ type: 'content_block_delta', index: open.index, delta });
    return out;
  }

  function onEvent(event: CanonicalStreamEvent): string {
    switch (event.type) {
      case 'start':
        // Usage known up front was merged before message_start was written; a repeated start is ignored.
        return '';
      case 'text-delta':
        return text('text', event.text);
      case 'thinking-delta':
        return text('thinking', event.text);
      case 'signature': {
        // A signature-only block (display "omitted") still needs its own thinking block (pitfall 5).
        let out = openBlock('thinking');
        if (open === undefined) return out;
        out += emit({ type: 'content_block_delta', index: open.index, delta: { type: 'signature_delta', signature: event.signature } });
        return out;
      }
      case 'web-search':
        // Only an Anthropic upstream runs these, and an Anthropic client gets such a stream as it is.
        return '';
      case 'redacted-thinking': {
        let out = closeOpen() + flushQueue();
        const index = nextIndex++;
        out += emit({ type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: event.data } });
        return out + emit({ type: 'content_block_stop', index });
      }
      case 'tool-call-start': {
        if (tools.has(event.index)) return '';
        const tool: ToolState = { id: event.id, name: event.name, state: 'buffered', args: '' };
        tools.set(event.index, tool);
        if (open?.kind === 'tool') {
          queue.push(event.index);
          return '';
        }
        return closeOpen() + flushQueue() + startTool(event.index, tool);
      }
      case 'tool-call-delta': {
        const tool = tools.get(event.index);
        if (tool === undefined || event.argsJson === '') return '';
        producedChars += event.argsJson.length;
        if (tool.state === 'buffered') {
          tool.args += event.argsJson;
          return '';
        }
        if (tool.state === 'closed' || open === undefined) return '';
        return emit({ type: 'content_block_delta', index: open.index, delta: { type: 'input_json_delta', partial_json: event.argsJson } });
      }
      case 'block-stop': {
        const out = closeOpen();
        // The next buffered tool becomes the live one, so it can keep streaming.
        const next = queue.shift();
        const tool = next === undefined ? undefined : tools.get(next);
        return next === undefined || tool === undefined ? out : out + startTool(next, tool);
      }
      case 'usage':
        usage = mergeUsage(usage, event.usage);
        return '';
      case 'finish':
        return finish(event.stopReason, event.stopSequence, reportedPart(event.usage, event.usageGaps), event.usageGaps?.output === true);
      case 'error':
        return fail(event.error);
      default:
        return assertNever(event);
    }
  }

  function finish(reason: StopReason, sequence: string | undefined, final: Partial<Usage>, outputMissing: boolean): string {
    // No usage from upstream (pitfall 7): keep the input announced in message_start rather than
    // overwrite it with 0, and estimate output at four characters a token (no tokenizer in this layer).
    usage = mergeUsage(usage, final);
    if (outputMissing) usage = { ...usage, output: Math.max(usage.output, Math.ceil(producedChars / 4)) };
    const out = closeOpen() + flushQueue();
    const stopReason = toAnthropicStopReason(reason, toolsWritten > 0);
    encoder.finished = true;
    return (
      out +
      emit({
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: stopReason === 'stop_sequence' ? (sequence ?? null) : null },
        usage: {
          input_tokens: usage.inputUncached,
          cache_creation_input_tokens: usage.cacheWrite5m + usage.cacheWrite1h,
          cache_read_input_tokens: usage.cacheRead,
          output_tokens: usage.output,
        },
      }) +
      emit({ type: 'message_stop' })
    );
  }

  function fail(error: GatewayError): string {
    if (encoder.finished) return '';
    encoder.finished = true;
    // Don't fabricate a stop: the client must see the failure (pitfall 13).
    return formatSseJson(anthropicErrorPayload(error), 'error');
  }

  const encoder = {
    push(event: CanonicalStreamEvent): string {
      if (encoder.finished) return '';
      // A failure before anything was written stays a bare error event, as Anthropic itself sends overloads.
      if (event.type === 'error') return fail(event.error);
      if (event.type === 'start' && !started && event.usage !== undefined) usage = mergeUsage(usage, event.usage);
      return messageStart() + onEvent(event);
    },
    fail,
    finished: false,
  };
  return encoder;
}
