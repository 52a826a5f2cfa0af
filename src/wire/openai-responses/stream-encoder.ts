/**
 * Canonical stream events → Responses stream events (spec §6.3). A state machine over output items:
 * `response.created` + `response.in_progress` open the stream; each text run, reasoning run and tool call
 * is one output item (added → deltas → done); a change of kind closes the open message/reasoning item.
 * Tool-call items are addressed by output_index, so several may stay open and receive interleaved
 * argument fragments. A call of a free-form tool is a `custom_tool_call` item whose text is read out of the
 * argument JSON as it arrives (shared/freeform.ts). The stream ends with exactly one of `response.completed`, `response.incomplete`,
 * or `error` + `response.failed`; every event carries an increasing `sequence_number`; no `[DONE]`.
 */
import { assertNever } from '../../core/assert-never.js';
import type { GatewayError } from '../../core/errors.js';
import type { JsonObject } from '../shared/json.js';
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import type { StreamEncoder, StreamEncoderOptions } from '../codec.js';
import type { AssistantPart, CanonicalStreamEvent, StopReason } from '../canonical.js';
import { toolCallFromArgumentText } from '../shared/tool-call.js';
import { createFreeformReader, freeformText, type FreeformReader } from '../shared/freeform.js';
import { formatSseJson } from '../sse.js';
import { mergeUsage } from '../shared/usage.js';
import { openAIErrorObject } from '../openai-chat/errors.js';
import { itemId, toolCallItem, reasoningItem, responseObject, responsesId, webSearchItem } from './encode-response.js';
import { carryRedacted } from './reasoning-carrier.js';
import { toResponsesStatus } from './map-stop-reason.js';
import type {
  ResponsesEventData,
  ResponsesFailure,
  ResponsesObject,
  ResponsesOutputItem,
  ResponsesOutputText,
  ResponsesStatusName,
  ResponsesSummaryText,
  ResponsesUsage,
} from './shapes.js';
import { writeResponsesUsage } from './usage.js';


type OpenItem =
  | { kind: 'message'; outputIndex: number; id: string; text: string }
  | { kind: 'reasoning'; outputIndex: number; id: string; text: string; signature: string | undefined; partOpen: boolean }
  | {
      kind: 'tool';
      outputIndex: number;
      id: string;
      callId: string;
      name: string;
      namespace: string | undefined;
      args: string;
      /** A free-form call: reads its text out of `args`; `streamed` is the text sent so far. */
      freeform: { read: FreeformReader; streamed: string } | undefined;
    };

/**
 * The end of a Responses stream that failed: an `error` event, then `response.failed` with the response made
 * by `failed` from the error. `sequence` numbers both events.
 */
export function failureEvents(
  error: GatewayError,
  failed: (error: ResponsesFailure) => ResponsesObject | JsonObject,
  sequence: () => number,
): string {
  const body = openAIErrorObject(error);
  const code = typeof body.code === 'string' ? body.code : String(body.type);
  const failure: ResponsesFailure = { code, message: error.message };
  return (
    formatSseJson({ type: 'error', sequence_number: sequence(), code, message: error.message, param: error.param ?? null }, 'error') +
    formatSseJson({ type: 'response.failed', sequence_number: sequence(), response: failed(failure) }, 'response.failed')
  );
}

export function createResponsesStreamEncoder(options: StreamEncoderOptions): StreamEncoder {
  const id = responsesId(options.id);
  let seq = 0;
  let started = false;
  let usage: Usage = { ...ZERO_USAGE };
  /** Completed items, by output_index, for the final response object. */
  const output: (ResponsesOutputItem | Record<string, never>)[] = [];
  let current: Exclude<OpenItem, { kind: 'tool' }> | undefined;
  const openTools = new Map<number, Extract<OpenItem, { kind: 'tool' }>>();
  let toolsSeen = 0;

  const emit = <T extends keyof ResponsesEventData>(type: T, data: ResponsesEventData[T]): string =>
    formatSseJson({ type, sequence_number: seq++, ...data }, type);
  /** Records a finished item for the final response object and tells the caller what it carried. */
  const complete = (outputIndex: number, item: ResponsesOutputItem, parts: AssistantPart[]): void => {
    output[outputIndex] = item;
    options.onOutputItem?.(String(item['id']), parts);
  };

  function base(status: ResponsesStatusName, extra: { usage?: ResponsesUsage; incompleteReason?: string; error?: ResponsesFailure } = {}): ResponsesObject {
    return responseObject({
      id,
      model: options.model,
      created: options.created,
      status,
      output: status === 'in_progress' ? [] : output.filter((item): item is ResponsesOutputItem => 'type' in item),
      usage: extra.usage ?? null,
      incompleteReason: extra.incompleteReason,
      error: extra.error,
    });
  }

  function ensureStarted(): string {
    if (started) return '';
    started = true;
    return emit('response.created', { response: base('in_progress') }) + emit('response.in_progress', { response: base('in_progress') });
  }

  function closeCurrent(): string {
    const item = current;
    if (item === undefined) return '';
    current = undefined;
    if (item.kind === 'message') {
      const part: ResponsesOutputText = { type: 'output_text', text: item.text, annotations: [] };
      const done: ResponsesOutputItem = { type: 'message', id: item.id, role: 'assistant', status: 'completed', content: [part] };
      complete(item.outputIndex, done, [{ type: 'text', text: item.text }]);
      return (
        emit('response.output_text.done', { item_id: item.id, output_index: item.outputIndex, content_index: 0, text: item.text, logprobs: [] }) +
        emit('response.content_part.done', { item_id: item.id, output_index: item.outputIndex, content_index: 0, part }) +
        emit('response.output_item.done', { output_index: item.outputIndex, item: done })
      );
    }
    const done = reasoningItem(item.id, item.text, item.signature);
    complete(item.outputIndex, done, [{ type: 'thinking', text: item.text, ...(item.signature === undefined ? {} : { signature: item.signature }) }]);
    let out = '';
    if (item.partOpen) {
      const part: ResponsesSummaryText = { type: 'summary_text', text: item.text };
      out +=
        emit('response.reasoning_summary_text.done', { item_id: item.id, output_index: item.outputIndex, summary_index: 0, text: item.text }) +
        emit('response.reasoning_summary_part.done', { item_id: item.id, output_index: item.outputIndex, summary_index: 0, part });
    }
    return out + emit('response.output_item.done', { output_index: item.outputIndex, item: done });
  }

  function closeTool(index: number): string {
    const tool = openTools.get(index);
    if (tool === undefined) return '';
    openTools.delete(index);
    const part = { ...toolCallFromArgumentText(tool.callId, tool.name, tool.args), ...(tool.namespace === undefined ? {} : { namespace: tool.namespace }), ...(tool.freeform === undefined ? {} : { freeform: true }) };
    if (tool.freeform !== undefined) {
      const input = freeformText(part);
      const done = toolCallItem(tool.id, part, input, 'completed');
      complete(tool.outputIndex, done, [part]);
      // What the reader could not stream (arguments of another shape, a trailing half pair) goes out now.
      const { streamed } = tool.freeform;
      const rest = input.startsWith(streamed) ? input.slice(streamed.length) : '';
      const at = { item_id: tool.id, output_index: tool.outputIndex };
      return (
        (rest === '' ? '' : emit('response.custom_tool_call_input.delta', { ...at, delta: rest })) +
        emit('response.custom_tool_call_input.done', { ...at, input }) +
        emit('response.output_item.done', { output_index: tool.outputIndex, item: done })
      );
    }
    const done = toolCallItem(tool.id, part, tool.args, 'completed');
    complete(tool.outputIndex, done, [part]);
    return (
      emit('response.function_call_arguments.done', { item_id: tool.id, output_index: tool.outputIndex, arguments: tool.args, name: tool.name }) +
      emit('response.output_item.done', { output_index: tool.outputIndex, item: done })
    );
  }

  function closeTools(): string {
    let out = '';
    for (const index of [...openTools.keys()]) out += closeTool(index);
    return out;
  }

  function closeAll(): string {
    return closeCurrent() + closeTools();
  }

  function openMessage(): string {
    if (current?.kind === 'message') return '';
    const out = closeAll();
    const outputIndex = output.length;
    output.push({});
    const item = { kind: 'message' as const, outputIndex, id: itemId('msg', id, outputIndex), text: '' };
    current = item;
    return (
      out +
      emit('response.output_item.added', { output_index: outputIndex, item: { type: 'message', id: item.id, role: 'assistant', status: 'in_progress', content: [] } }) +
      emit('response.content_part.added', { item_id: item.id, output_index: outputIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } })
    );
  }

  function openReasoning(): string {
    if (current?.kind === 'reasoning') return '';
    const out = closeAll();
    const outputIndex = output.length;
    output.push({});
    current = { kind: 'reasoning', outputIndex, id: itemId('rs', id, outputIndex), text: '', signature: undefined, partOpen: false };
    return out + emit('response.output_item.added', { output_index: outputIndex, item: { type: 'reasoning', id: current.id, summary: [] } });
  }

  function onEvent(event: CanonicalStreamEvent): string {
    switch (event.type) {
      case 'start':
        return '';
      case 'text-delta': {
        if (event.text === '') return '';
        const out = openMessage();
        if (current?.kind !== 'message') return out;
        current.text += event.text;
        return out + emit('response.output_text.delta', { item_id: current.id, output_index: current.outputIndex, content_index: 0, delta: event.text, logprobs: [] });
      }
      case 'thinking-delta': {
        if (event.text === '') return '';
        let out = openReasoning();
        if (current?.kind !== 'reasoning') return out;
        if (!current.partOpen) {
          current.partOpen = true;
          out += emit('response.reasoning_summary_part.added', { item_id: current.id, output_index: current.outputIndex, summary_index: 0, part: { type: 'summary_text', text: '' } });
        }
        current.text += event.text;
        return out + emit('response.reasoning_summary_text.delta', { item_id: current.id, output_index: current.outputIndex, summary_index: 0, delta: event.text });
      }
      case 'signature': {
        const out = openReasoning();
        if (current?.kind === 'reasoning') current.signature = event.signature;
        return out;
      }
      case 'redacted-thinking': {
        const out = closeAll();
        const outputIndex = output.length;
        const item: ResponsesOutputItem = { type: 'reasoning', id: itemId('rs', id, outputIndex), summary: [], encrypted_content: carryRedacted(event.data) };
        output.push(item);
        complete(outputIndex, item, [{ type: 'redacted-thinking', data: event.data }]);
        return out + emit('response.output_item.added', { output_index: outputIndex, item }) + emit('response.output_item.done', { output_index: outputIndex, item });
      }
      case 'web-search': {
        // The provider reports a search once it is over: its whole life cycle goes out at once.
        const out = closeAll();
        const outputIndex = output.length;
        const itemIdent = itemId('ws', id, outputIndex);
        const at = { item_id: itemIdent, output_index: outputIndex };
        output.push({});
        const done = webSearchItem(itemIdent, event.part, 'completed');
        complete(outputIndex, done, [event.part]);
        return (
          out +
          emit('response.output_item.added', { output_index: outputIndex, item: webSearchItem(itemIdent, event.part, 'in_progress') }) +
          emit('response.web_search_call.in_progress', at) +
          emit('response.web_search_call.searching', at) +
          emit('response.web_search_call.completed', at) +
          emit('response.output_item.done', { output_index: outputIndex, item: done })
        );
      }
      case 'tool-call-start': {
        if (openTools.has(event.index)) return '';
        const out = closeCurrent();
        const outputIndex = output.length;
        output.push({});
        toolsSeen++;
        const freeform = event.freeform === true ? { read: createFreeformReader(), streamed: '' } : undefined;
        const tool = {
          kind: 'tool' as const,
          outputIndex,
          id: itemId(freeform === undefined ? 'fc' : 'ctc', id, outputIndex),
          callId: event.id,
          name: event.name,
          namespace: event.namespace,
          args: '',
          freeform,
        };
        openTools.set(event.index, tool);
        return out + emit('response.output_item.added', { output_index: outputIndex, item: toolCallItem(tool.id, event, '', 'in_progress') });
      }
      case 'tool-call-delta': {
        const tool = openTools.get(event.index);
        if (tool === undefined || event.argsJson === '') return '';
        tool.args += event.argsJson;
        const at = { item_id: tool.id, output_index: tool.outputIndex };
        if (tool.freeform === undefined) return emit('response.function_call_arguments.delta', { ...at, delta: event.argsJson });
        const text = tool.freeform.read(event.argsJson);
        if (text === '') return '';
        tool.freeform.streamed += text;
        return emit('response.custom_tool_call_input.delta', { ...at, delta: text });
      }
      case 'block-stop': {
        if (current !== undefined) return closeCurrent();
        // Anthropic upstreams close tool blocks one at a time: the latest open tool is the one that ended.
        const last = [...openTools.entries()].sort((a, b) => b[1].outputIndex - a[1].outputIndex)[0];
        return last === undefined ? '' : closeTool(last[0]);
      }
      case 'usage':
        usage = mergeUsage(usage, event.usage);
        return '';
      case 'finish':
        return finish(event.stopReason, event.usage);
      case 'error':
        return fail(event.error);
      default:
        return assertNever(event);
    }
  }

  function finish(reason: StopReason, final: Usage): string {
    usage = mergeUsage(usage, final);
    const out = closeAll();
    encoder.finished = true;
    const status = toResponsesStatus(reason === 'tool-calls' && toolsSeen === 0 ? 'stop' : reason);
    const response = base(status.status, { usage: writeResponsesUsage(usage), ...(status.incompleteReason === undefined ? {} : { incompleteReason: status.incompleteReason }) });
    return out + emit(status.status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
  }

  function fail(error: GatewayError): string {
    if (encoder.finished) return '';
    encoder.finished = true;
    return ensureStarted() + failureEvents(error, (failure) => base('failed', { error: failure }), () => seq++);
  }

  const encoder = {
    push(event: CanonicalStreamEvent): string {
      if (encoder.finished) return '';
      if (event.type === 'error') return fail(event.error);
      return ensureStarted() + onEvent(event);
    },
    fail,
    finished: false,
  };
  return encoder;
}
