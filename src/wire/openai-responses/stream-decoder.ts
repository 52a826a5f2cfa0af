/**
 * Responses stream events → canonical stream events (spec §3.3, §6.3 reverse). Usage and the stop state
 * come from the terminal `response.completed` / `response.incomplete`; there is no `[DONE]`.
 */
import { assertNever } from '../../core/assert-never.js';
import { GatewayError } from '../../core/errors.js';
import type { SseEvent, StreamDecoder } from '../codec.js';
import type { CanonicalStreamEvent } from '../canonical.js';
import { isObject, str, tryParseJson, type JsonObject } from '../shared/json.js';
import { malformedStreamError } from '../shared/malformed.js';
import { statusOfOpenAIStreamError } from '../openai-chat/errors.js';
import { fromResponsesStatus } from './map-stop-reason.js';
import { readCarried } from './reasoning-carrier.js';
import { readResponsesUsage } from './usage.js';
import { responsesEventType, type ReceivedEvent, type ReceivedItem, type ReceivedResponse } from './shapes.js';
import { failureEvents } from './stream-encoder.js';

export function createResponsesStreamDecoder(): StreamDecoder {
  let done = false;
  /** What a passthrough failure continues: the response the upstream opened, and its last sequence number. */
  let opened: JsonObject | undefined;
  let sequence = -1;
  let nextTool = 0;
  /** output_index → canonical tool index. */
  const tools = new Map<number, number>();
  const reasoningText = new Set<number>();

  function failed(message: string, code: string | undefined, status: number, body: unknown): CanonicalStreamEvent[] {
    done = true;
    return [{ type: 'error', error: new GatewayError('upstream_error', message, { status, ...(code === undefined ? {} : { code }), upstreamBody: body }) }];
  }

  function onEvent(data: ReceivedEvent): CanonicalStreamEvent[] {
    const outputIndex = typeof data.output_index === 'number' ? data.output_index : -1;
    const type = responsesEventType(data.type);
    // Events the translation needs nothing from (content_part, *.done text, in_progress, …) and newer ones.
    if (type === undefined) return [];
    switch (type) {
      case 'response.created': {
        const response = isObject(data.response) ? data.response : {};
        opened = response;
        const id = str(response['id']);
        const model = str(response['model']);
        return [{ type: 'start', ...(id === undefined ? {} : { id }), ...(model === undefined ? {} : { model }) }];
      }
      case 'response.output_item.added': {
        const item: ReceivedItem = isObject(data.item) ? data.item : {};
        if (item.type !== 'function_call') return [];
        const index = nextTool++;
        tools.set(outputIndex, index);
        const out: CanonicalStreamEvent[] = [{ type: 'tool-call-start', index, id: str(item.call_id) ?? str(item.id) ?? '', name: str(item.name) ?? '' }];
        const args = str(item.arguments) ?? '';
        if (args !== '') out.push({ type: 'tool-call-delta', index, argsJson: args });
        return out;
      }
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const delta = str(data.delta) ?? '';
        return delta === '' ? [] : [{ type: 'text-delta', text: delta }];
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const delta = str(data.delta) ?? '';
        if (delta === '') return [];
        reasoningText.add(outputIndex);
        return [{ type: 'thinking-delta', text: delta }];
      }
      case 'response.function_call_arguments.delta': {
        const index = tools.get(outputIndex);
        const delta = str(data.delta) ?? '';
        return index === undefined || delta === '' ? [] : [{ type: 'tool-call-delta', index, argsJson: delta }];
      }
      case 'response.output_item.done': {
        const item: ReceivedItem = isObject(data.item) ? data.item : {};
        if (item.type === 'reasoning') {
          const carried = readCarried(item.encrypted_content);
          if (carried?.kind === 'redacted') return [{ type: 'redacted-thinking', data: carried.value }];
          const out: CanonicalStreamEvent[] = [];
          // Summaries that arrived whole (no deltas) still become thinking text.
          if (!reasoningText.has(outputIndex) && Array.isArray(item.summary)) {
            const text = item.summary.map((s) => (isObject(s) ? (str(s['text']) ?? '') : '')).join('\n\n');
            if (text !== '') out.push({ type: 'thinking-delta', text });
          }
          if (carried?.kind === 'signature') out.push({ type: 'signature', signature: carried.value });
          if (out.length > 0 || reasoningText.has(outputIndex)) out.push({ type: 'block-stop' });
          return out;
        }
        return item.type === 'message' || item.type === 'function_call' ? [{ type: 'block-stop' }] : [];
      }
      case 'response.completed':
      case 'response.incomplete': {
        done = true;
        const response: ReceivedResponse = isObject(data.response) ? data.response : {};
        const incomplete = isObject(response.incomplete_details) ? response.incomplete_details['reason'] : undefined;
        const status = type === 'response.incomplete' ? 'incomplete' : 'completed';
        const reading = readResponsesUsage(response.usage);
        return [
          {
            type: 'finish',
            stopReason: fromResponsesStatus(status, incomplete, nextTool > 0),
            usage: reading.usage,
            ...(reading.gaps === undefined ? {} : { usageGaps: reading.gaps }),
          },
        ];
      }
      case 'response.failed': {
        const response: ReceivedResponse = isObject(data.response) ? data.response : {};
        const error = isObject(response.error) ? response.error : {};
        return failed(str(error['message']) ?? 'The upstream response failed.', str(error['code']), 500, data);
      }
      case 'error':
        return failed(str(data.message) ?? 'Upstream stream failed.', str(data.code), statusOfOpenAIStreamError(data), data);
      default:
        return assertNever(type);
    }
  }

  return {
    push(event: SseEvent): CanonicalStreamEvent[] {
      if (done) return [];
      const data = tryParseJson(event.data);
      if (!isObject(data)) {
        done = true;
        return [{ type: 'error', error: malformedStreamError(event.data) }];
      }
      if (typeof data['sequence_number'] === 'number') sequence = data['sequence_number'];
      return onEvent(data);
    },
    failPassthrough(error: GatewayError): string | undefined {
      const response = opened;
      return response === undefined ? undefined : failureEvents(error, (failure) => ({ ...response, status: 'failed', error: failure }), () => ++sequence);
    },
    end(): CanonicalStreamEvent[] {
      return [];
    },
  };
}
