/**
 * The provider-neutral content of a reply, derived from a scenario and the request. Each provider's renderer
 * turns it into that provider's bytes, so both fakes say the same thing for the same scenario.
 */
import {
  DEFAULT_AFTER_FRAMES,
  DEFAULT_CHUNKS,
  DEFAULT_OVERSIZED_BYTES,
  DEFAULT_SEARCH_QUERY,
  DEFAULT_SEARCH_RESULTS,
  DEFAULT_SLOW_DELAY_MS,
  DEFAULT_TEXT,
  DEFAULT_THINKING,
  DEFAULT_TOOL_CALLS,
  fillerText,
  splitText,
  stripDirectives,
  toolArgumentsText,
  type Scenario,
} from './scenario.js';
import { resolveUsage, type ResolvedUsage } from './usage.js';
import type { BodyFault } from './plan.js';

export interface RenderEnv {
  /** Seeds every id in the response; the server derives it from its seed and the request's index. */
  seed: number;
  /** Unix seconds for `created`. */
  created: number;
}

/** What the renderers need to know about the request. */
export interface RequestFacts {
  model: string;
  stream: boolean;
  /** Text of the last user message, directives removed. */
  lastUserText: string;
  /** Stop sequences the request asked for. */
  stopSequences: readonly string[];
  /** Text of the last tool result in the conversation ('' when there is none). */
  lastToolOutput: string;
}

export type StopKind = 'end' | 'length' | 'stop_sequence' | 'tool_use';

export interface ReplyToolCall {
  id: string;
  name: string;
  namespace?: string;
  /** The arguments JSON text, split into the fragments a stream sends. */
  fragments: string[];
}

export interface Reply {
  model: string;
  thinking: { chunks: string[]; signature: string } | null;
  /** A search the provider runs before it answers. */
  webSearch: { query: string; results: readonly { url: string; title: string }[] } | null;
  /** Text deltas; empty when the reply has no text. */
  textChunks: string[];
  toolCalls: ReplyToolCall[];
  stop: StopKind;
  stopSequence: string | null;
  usage: ResolvedUsage;
  delayMs: number;
  extraHeaders: Record<string, string>;
  fullDeltaUsage: boolean;
  usageWire?: 'omit' | Record<string, unknown>;
}

export interface IdFactory {
  toolCallId(): string;
  signature(): string;
}

/** Content scenarios; error, fault-before-headers and benchmark kinds are rendered elsewhere. */
export type ContentScenario = Exclude<Scenario, { kind: 'error' | 'timeout_before_headers' | 'reset_before' }>;

function nonEmpty(chunks: string[]): string[] {
  return chunks.filter((c) => c.length > 0);
}

export function buildReply(scenario: ContentScenario, req: RequestFacts, ids: IdFactory): Reply {
  const model = scenario.model ?? req.model;
  const usage = resolveUsage(scenario.usage);
  const base: Reply = {
    model,
    thinking: null,
    webSearch: null,
    textChunks: [],
    toolCalls: [],
    stop: 'end',
    stopSequence: null,
    usage,
    delayMs: scenario.delayMs ?? 0,
    extraHeaders: {},
    fullDeltaUsage: false,
  };
  if (scenario.kind === 'bench') {
    const chunks: string[] = [];
    for (let i = 0; i < scenario.chunks; i++) chunks.push(fillerText(scenario.chunkSize, i % 7));
    return { ...base, textChunks: chunks };
  }
  const n = scenario.chunks ?? DEFAULT_CHUNKS;
  const textOf = (fallback: string): string[] => nonEmpty(splitText(scenario.text ?? fallback, n));
  const common: Reply = {
    ...base,
    extraHeaders: scenario.headers ?? {},
    fullDeltaUsage: scenario.fullDeltaUsage ?? false,
    ...(scenario.usageWire === undefined ? {} : { usageWire: scenario.usageWire }),
  };
  switch (scenario.kind) {
    case 'text':
    case 'midstream_error':
    case 'stall_body':
    case 'reset_mid_stream':
    case 'malformed_sse':
    case 'malformed_json':
    case 'garbage_frame':
      return { ...common, textChunks: textOf(DEFAULT_TEXT) };
    case 'slow_chunks':
      return { ...common, textChunks: textOf(DEFAULT_TEXT), delayMs: scenario.delayMs ?? DEFAULT_SLOW_DELAY_MS };
    case 'echo':
      return { ...common, textChunks: textOf(req.lastUserText) };
    case 'tool_output':
      return { ...common, textChunks: nonEmpty(splitText(`${scenario.text ?? ''}${req.lastToolOutput}`, n)) };
    case 'web_search':
      return {
        ...common,
        webSearch: { query: scenario.query ?? DEFAULT_SEARCH_QUERY, results: scenario.results ?? DEFAULT_SEARCH_RESULTS },
        textChunks: textOf(DEFAULT_TEXT),
      };
    case 'length':
      return { ...common, textChunks: textOf(DEFAULT_TEXT), stop: 'length' };
    case 'stop_sequence':
      return {
        ...common,
        textChunks: textOf(DEFAULT_TEXT),
        stop: 'stop_sequence',
        stopSequence: scenario.sequence ?? req.stopSequences[0] ?? '###',
      };
    case 'oversized': {
      const bytes = scenario.bytes ?? DEFAULT_OVERSIZED_BYTES;
      const text = scenario.text ?? fillerText(bytes);
      return { ...common, textChunks: nonEmpty(splitText(text, scenario.chunks ?? Math.ceil(bytes / 16384))) };
    }
    case 'thinking':
      return {
        ...common,
        thinking: {
          chunks: scenario.omitThinking ? [] : nonEmpty(splitText(scenario.thinking ?? DEFAULT_THINKING, n)),
          signature: scenario.signature ?? ids.signature(),
        },
        textChunks: textOf(DEFAULT_TEXT),
      };
    case 'tools': {
      const calls = scenario.calls ?? DEFAULT_TOOL_CALLS;
      const fragments = scenario.fragments ?? 3;
      return {
        ...common,
        thinking: scenario.thinking === undefined ? null : { chunks: nonEmpty(splitText(scenario.thinking, n)), signature: ids.signature() },
        textChunks: scenario.text === undefined ? [] : nonEmpty(splitText(scenario.text, n)),
        toolCalls: calls.map((call) => ({
          id: call.id ?? ids.toolCallId(),
          name: call.name,
          ...(call.namespace === undefined ? {} : { namespace: call.namespace }),
          fragments: nonEmpty(splitText(toolArgumentsText(call), fragments)),
        })),
        stop: 'tool_use',
      };
    }
  }
}

/** Full text of a reply. */
export function replyText(reply: Reply): string {
  return reply.textChunks.join('');
}

/** How a stream or body is damaged, per scenario kind. */
export type FaultKind = 'none' | 'stall' | 'reset' | 'malformed_sse' | 'malformed_json' | 'garbage_frame' | 'midstream_error';

export function faultOf(scenario: ContentScenario): { kind: FaultKind; after: number } {
  switch (scenario.kind) {
    case 'stall_body':
      return { kind: 'stall', after: scenario.afterFrames ?? DEFAULT_AFTER_FRAMES };
    case 'reset_mid_stream':
      return { kind: 'reset', after: scenario.afterFrames ?? DEFAULT_AFTER_FRAMES };
    case 'malformed_sse':
      return { kind: 'malformed_sse', after: scenario.afterFrames ?? DEFAULT_AFTER_FRAMES };
    case 'malformed_json':
      return { kind: 'malformed_json', after: scenario.afterFrames ?? DEFAULT_AFTER_FRAMES };
    case 'garbage_frame':
      return { kind: 'garbage_frame', after: scenario.afterFrames ?? DEFAULT_AFTER_FRAMES };
    case 'midstream_error':
      return { kind: 'midstream_error', after: scenario.afterDeltas ?? 2 };
    default:
      return { kind: 'none', after: 0 };
  }
}

/** The same faults applied to a complete JSON body (non-stream requests). */
export function bodyFaultOf(kind: FaultKind): BodyFault {
  switch (kind) {
    case 'stall':
      return 'stall';
    case 'reset':
      return 'reset';
    case 'malformed_sse':
    case 'malformed_json':
    case 'garbage_frame':
      return 'truncate';
    default:
      return 'none';
  }
}

/**
 * What the tools printed, when the conversation ends with tool results: the trailing OpenAI `tool` messages or
 * Responses `function_call_output` items, or the `tool_result` blocks of a last Anthropic user message, joined
 * by newlines (so `input` works too).
 */
export function lastToolOutput(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  const outputs: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m: unknown = messages[i];
    if (typeof m !== 'object' || m === null) break;
    if ('type' in m && m.type === 'function_call_output' && 'output' in m) {
      outputs.unshift(outputText(m.output));
      continue;
    }
    if ('role' in m && m.role === 'tool' && 'content' in m) {
      outputs.unshift(outputText(m.content));
      continue;
    }
    if (outputs.length === 0 && 'role' in m && m.role === 'user' && 'content' in m && Array.isArray(m.content)) {
      for (const b of m.content as unknown[]) {
        if (typeof b === 'object' && b !== null && 'type' in b && b.type === 'tool_result' && 'content' in b) outputs.push(outputText(b.content));
      }
    }
    break;
  }
  return outputs.join('\n');
}

/** A tool result's text: a string, or the text of its parts (`text`, `input_text`, `output_text`). */
function outputText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as unknown[])
    .map((part) => (typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

/** Text of the last user message in a request body's messages (OpenAI parts or Anthropic blocks). */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m: unknown = messages[i];
    if (typeof m !== 'object' || m === null || !('role' in m) || m.role !== 'user') continue;
    return stripDirectives(contentText('content' in m ? m.content : undefined));
  }
  return '';
}

/** All text of the last user message including directives, for finding a per-request scenario. */
export function rawLastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m: unknown = messages[i];
    if (typeof m === 'object' && m !== null && 'role' in m && m.role === 'user') {
      return contentText('content' in m ? m.content : undefined);
    }
  }
  return '';
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const part of content as unknown[]) {
    if (typeof part === 'object' && part !== null && 'type' in part && part.type === 'text' && 'text' in part) {
      if (typeof part.text === 'string') parts.push(part.text);
    }
  }
  return parts.join('\n');
}
