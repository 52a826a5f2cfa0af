/**
 * OpenAI chat chunks → canonical stream events (spec §1.4, §6.2 input side). Handles the known
 * tool-delta quirks (pitfall 10): id only on the first fragment, a name arriving late, `""` instead of
 * absent, missing ids. The finish is held back until `[DONE]` (or EOF after a finish_reason) because the
 * usage chunk comes after the finish_reason.
 */
import { GatewayError } from '../../core/errors.js';
import type { UsageReading } from '../../core/usage.js';
import { noUsage } from '../../core/usage.js';
import type { SseEvent, StreamDecoder } from '../codec.js';
import type { CanonicalStreamEvent, StopReason } from '../canonical.js';
import { createFrameParser, type FramePath } from '../shared/frame-parser.js';
import { isObject, str, type Unchecked } from '../shared/json.js';
import { malformedStreamError } from '../shared/malformed.js';
import { sanitizeToolId } from '../shared/tool-names.js';
import { reportedPart } from '../shared/usage.js';
import { statusOfOpenAIStreamError } from './errors.js';
import { fromOpenAIFinishReason } from './map-stop-reason.js';
import type { OpenAIErrorObject, ReceivedChoice, ReceivedChunk, ReceivedFunction, ReceivedMessage, ReceivedToolCall } from './shapes.js';
import { readOpenAIUsage } from './usage.js';

interface ToolState {
  /** Canonical index once started; undefined while waiting for the name. */
  index: number | undefined;
  id: string;
  name: string;
  pendingArgs: string;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const NO_CALLS: readonly unknown[] = [];

/** Choice 0 of a chunk (n>1 is refused before any request is translated); a loop, not a closure per chunk. */
function firstChoice(choices: unknown): ReceivedChoice | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const c of choices as unknown[]) if (isObject(c) && (c['index'] === 0 || c['index'] === undefined)) return c;
  return undefined;
}

/** Where chunks carry the string that varies: content, a tool's arguments, reasoning. */
const DELTA_PATHS: readonly FramePath[] = [
  ['choices', 0, 'delta', 'content'],
  ['choices', 0, 'delta', 'tool_calls', 0, 'function', 'arguments'],
  ['choices', 0, 'delta', 'reasoning_content'],
  ['choices', 0, 'delta', 'reasoning'],
];

export function createOpenAIChatStreamDecoder(): StreamDecoder {
  const frames = createFrameParser(DELTA_PATHS);
  let started = false;
  let done = false;
  let responseId = '';
  let finish: StopReason | undefined;
  let usage: UsageReading | undefined;
  let nextTool = 0;
  const tools = new Map<number, ToolState>();

  function startTool(j: number, tool: ToolState, out: CanonicalStreamEvent[]): void {
    tool.index = nextTool++;
    if (tool.id === '') tool.id = `call_${sanitizeToolId(responseId || 'stream')}_${j}`;
    out.push({ type: 'tool-call-start', index: tool.index, id: tool.id, name: tool.name });
    if (tool.pendingArgs !== '') out.push({ type: 'tool-call-delta', index: tool.index, argsJson: tool.pendingArgs });
    tool.pendingArgs = '';
  }

  function flushNameless(out: CanonicalStreamEvent[]): void {
    for (const [j, tool] of tools) if (tool.index === undefined) startTool(j, tool, out);
  }

  function finishEvents(): CanonicalStreamEvent[] {
    const out: CanonicalStreamEvent[] = [];
    flushNameless(out);
    const stopReason = finish ?? (nextTool > 0 ? 'tool-calls' : 'stop');
    const final = usage ?? noUsage();
    out.push({ type: 'finish', stopReason, usage: final.usage, ...(final.gaps === undefined ? {} : { usageGaps: final.gaps }) });
    done = true;
    return out;
  }

  function onChunk(chunk: ReceivedChunk): CanonicalStreamEvent[] {
    const out: CanonicalStreamEvent[] = [];
    // Azure OpenAI opens a stream with a chunk of the prompt's content-filter results only (no id, model or
    // choices): the answer starts with the chunk after it, which names the response and its model.
    if (!started && nonEmpty(chunk.id) === undefined && (!Array.isArray(chunk.choices) || chunk.choices.length === 0) && chunk.usage == null) return out;
    if (!started) {
      started = true;
      responseId = str(chunk.id) ?? '';
      const model = str(chunk.model);
      out.push({ type: 'start', ...(responseId === '' ? {} : { id: responseId }), ...(model === undefined ? {} : { model }) });
    }
    const choice = firstChoice(chunk.choices);
    if (choice !== undefined) {
      const delta: ReceivedMessage = isObject(choice.delta) ? choice.delta : {};
      const reasoning = nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning);
      if (reasoning !== undefined) out.push({ type: 'thinking-delta', text: reasoning });
      const content = nonEmpty(delta.content);
      if (content !== undefined) out.push({ type: 'text-delta', text: content });
      const refusal = nonEmpty(delta.refusal);
      if (refusal !== undefined) out.push({ type: 'text-delta', text: refusal });
      const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : NO_CALLS;
      for (let position = 0; position < calls.length; position++) {
        const value: unknown = calls[position];
        if (!isObject(value)) continue;
        const call: ReceivedToolCall = value;
        const j = typeof call.index === 'number' ? call.index : position;
        const fn: ReceivedFunction = isObject(call.function) ? call.function : {};
        const args = str(fn.arguments) ?? '';
        let tool = tools.get(j);
        if (tool === undefined) {
          tool = { index: undefined, id: nonEmpty(call.id) ?? '', name: nonEmpty(fn.name) ?? '', pendingArgs: '' };
          tools.set(j, tool);
        } else if (tool.index === undefined) {
          tool.id ||= nonEmpty(call.id) ?? '';
          tool.name ||= nonEmpty(fn.name) ?? '';
        }
        if (tool.index === undefined) {
          tool.pendingArgs += args;
          if (tool.name !== '') startTool(j, tool, out);
        } else if (args !== '') {
          out.push({ type: 'tool-call-delta', index: tool.index, argsJson: args });
        }
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) {
        finish = fromOpenAIFinishReason(choice.finish_reason);
      }
    }
    // Usage normally rides on the final `choices:[]` chunk; groq nests it in x_groq and Kimi inside the choice.
    const reported = isObject(chunk.usage)
      ? chunk.usage
      : isObject(chunk.x_groq) && isObject(chunk.x_groq['usage'])
        ? chunk.x_groq['usage']
        : choice !== undefined && isObject(choice.usage)
          ? choice.usage
          : undefined;
    if (reported !== undefined) {
      usage = readOpenAIUsage(reported);
      const part = reportedPart(usage.usage, usage.gaps);
      if (Object.keys(part).length > 0) out.push({ type: 'usage', usage: part });
    }
    return out;
  }

  return {
    push(event: SseEvent): CanonicalStreamEvent[] {
      if (done) return [];
      const data = event.data.trim();
      if (data === '[DONE]') return finishEvents();
      if (data === '') return [];
      const chunk = frames.parse(data);
      if (!isObject(chunk)) {
        done = true;
        return [{ type: 'error', error: malformedStreamError(data) }];
      }
      if (isObject(chunk['error'])) {
        done = true;
        const inner: Unchecked<OpenAIErrorObject> = chunk['error'];
        const type = str(inner.type);
        const code = str(inner.code);
        return [
          {
            type: 'error',
            error: new GatewayError('upstream_error', str(inner.message) ?? 'Upstream stream failed.', {
              status: statusOfOpenAIStreamError(inner),
              ...(type === undefined ? {} : { upstreamType: type }),
              ...(code === undefined ? {} : { code }),
              upstreamBody: chunk,
            }),
          },
        ];
      }
      return onChunk(chunk);
    },
    end(): CanonicalStreamEvent[] {
      // EOF after a finish_reason is a complete stream that merely lacked [DONE]; anything else is left to the caller.
      if (done || finish === undefined) return [];
      return finishEvents();
    },
  };
}
