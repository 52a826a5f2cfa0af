/** CanonicalResponse → OpenAI `Response` (spec §5, A/B → C). Item ids derive from the response id. */
import { assertNever } from '../../core/assert-never.js';
import type { AssistantPart, CanonicalResponse, ToolCallPart, WebSearchPart } from '../canonical.js';
import { freeformText } from '../shared/freeform.js';
import type { JsonObject } from '../shared/json.js';
import { toResponsesStatus } from './map-stop-reason.js';
import { carryRedacted, carrySignature } from './reasoning-carrier.js';
import type {
  ResponsesFailure,
  ResponsesObject,
  ResponsesOutputItem,
  ResponsesReasoningItem,
  ResponsesStatusName,
  ResponsesToolCallItem,
  ResponsesUsage,
  ResponsesWebSearchItem,
} from './shapes.js';
import { writeResponsesUsage } from './usage.js';

export function responsesId(id: string): string {
  return id.startsWith('resp_') ? id : `resp_${id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

export function itemId(prefix: 'msg' | 'fc' | 'ctc' | 'rs' | 'ws', responseId: string, n: number): string {
  return `${prefix}_${responseId.replace(/^resp_/, '')}_${n}`;
}

export function reasoningItem(id: string, text: string, signature: string | undefined): ResponsesReasoningItem {
  return {
    type: 'reasoning',
    id,
    summary: text === '' ? [] : [{ type: 'summary_text', text }],
    ...(signature === undefined || signature === '' ? {} : { encrypted_content: carrySignature(signature) }),
  };
}

/**
 * A tool call as the Responses API returns it: a function's with its argument JSON, a custom (free-form) tool's with
 * its text as `input`. A namespaced tool's call names the namespace apart.
 */
export function toolCallItem(id: string, part: Pick<ToolCallPart, 'id' | 'name' | 'namespace' | 'freeform'>, payload: string, status: 'in_progress' | 'completed'): ResponsesToolCallItem {
  const freeform = part.freeform === true;
  return {
    type: freeform ? 'custom_tool_call' : 'function_call',
    id,
    call_id: part.id,
    name: part.name,
    ...(part.namespace === undefined ? {} : { namespace: part.namespace }),
    ...(freeform ? { input: payload } : { arguments: payload }),
    status,
  };
}

/** A search the provider ran, as OpenAI reports its own hosted searches. */
export function webSearchItem(id: string, part: WebSearchPart, status: 'in_progress' | 'completed'): ResponsesWebSearchItem {
  const sources = part.sources.map((s) => ({ type: 'url' as const, url: s.url }));
  return { type: 'web_search_call', id, status, action: { type: 'search', query: part.query, ...(sources.length > 0 ? { sources } : {}) } };
}

/** One output item and the canonical parts it was made of (what the response store keeps for later references). */
export interface OutputItem {
  item: ResponsesOutputItem;
  parts: AssistantPart[];
}

/** Output items in order: reasoning, message (consecutive text merged), function and custom tool calls, searches. */
export function responseOutput(content: AssistantPart[], responseId: string): OutputItem[] {
  const items: OutputItem[] = [];
  let text: string[] = [];
  const push = (item: ResponsesOutputItem, parts: AssistantPart[]): void => {
    items.push({ item, parts });
  };
  const flush = (): void => {
    if (text.length === 0) return;
    const joined = text.join('');
    push(
      {
        type: 'message',
        id: itemId('msg', responseId, items.length),
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: joined, annotations: [] }],
      },
      [{ type: 'text', text: joined }],
    );
    text = [];
  };
  for (const part of content) {
    switch (part.type) {
      case 'text':
        if (part.text !== '') text.push(part.text);
        break;
      case 'thinking':
        flush();
        push(reasoningItem(itemId('rs', responseId, items.length), part.text, part.signature), [part]);
        break;
      case 'redacted-thinking':
        flush();
        push({ type: 'reasoning', id: itemId('rs', responseId, items.length), summary: [], encrypted_content: carryRedacted(part.data) }, [part]);
        break;
      case 'tool-call':
        flush();
        push(
          part.freeform === true
            ? toolCallItem(itemId('ctc', responseId, items.length), part, freeformText(part), 'completed')
            : toolCallItem(itemId('fc', responseId, items.length), part, part.invalidArguments ?? JSON.stringify(part.input), 'completed'),
          [part],
        );
        break;
      case 'web-search':
        flush();
        push(webSearchItem(itemId('ws', responseId, items.length), part, 'completed'), [part]);
        break;
      case 'foreign':
        if (part.format === 'openai-responses') {
          flush();
          push(part.raw as JsonObject, [part]);
        }
        break;
      default:
        assertNever(part);
    }
  }
  flush();
  return items;
}

export function responseObject(fields: {
  id: string;
  model: string;
  created: number;
  status: ResponsesStatusName;
  output: ResponsesOutputItem[];
  usage: ResponsesUsage | null;
  incompleteReason?: string | undefined;
  error?: ResponsesFailure | undefined;
}): ResponsesObject {
  return {
    id: fields.id,
    object: 'response',
    created_at: fields.created,
    status: fields.status,
    error: fields.error ?? null,
    incomplete_details: fields.incompleteReason === undefined ? null : { reason: fields.incompleteReason },
    instructions: null,
    model: fields.model,
    output: fields.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    store: false,
    temperature: null,
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    usage: fields.usage,
    metadata: {},
  };
}

export function encodeResponsesResponse(response: CanonicalResponse, options: { model: string }): ResponsesObject {
  const id = responsesId(response.id);
  const status = toResponsesStatus(response.stopReason);
  return responseObject({
    id,
    model: options.model,
    // Upstreams other than Responses carry no timestamp; the caller sets `created` from its clock.
    created: response.created ?? 0,
    status: status.status,
    output: responseOutput(response.content, id).map((o) => o.item),
    usage: writeResponsesUsage(response.usage),
    incompleteReason: status.incompleteReason,
  });
}
