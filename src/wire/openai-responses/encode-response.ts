/** CanonicalResponse → OpenAI `Response` (spec §5, A/B → C). Item ids derive from the response id. */
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { toResponsesStatus } from './map-stop-reason.js';
import { carryRedacted, carrySignature } from './reasoning-carrier.js';
import { writeResponsesUsage } from './usage.js';

type Json = Record<string, unknown>;

export function responsesId(id: string): string {
  return id.startsWith('resp_') ? id : `resp_${id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

export function itemId(prefix: 'msg' | 'fc' | 'rs', responseId: string, n: number): string {
  return `${prefix}_${responseId.replace(/^resp_/, '')}_${n}`;
}

export function reasoningItem(id: string, text: string, signature: string | undefined): Json {
  return {
    type: 'reasoning',
    id,
    summary: text === '' ? [] : [{ type: 'summary_text', text }],
    ...(signature === undefined || signature === '' ? {} : { encrypted_content: carrySignature(signature) }),
  };
}

/** Output items in order: reasoning, message (consecutive text merged), function calls. */
export function outputItems(content: AssistantPart[], responseId: string): Json[] {
  const items: Json[] = [];
  let text: string[] = [];
  const flush = (): void => {
    if (text.length === 0) return;
    items.push({
      type: 'message',
      id: itemId('msg', responseId, items.length),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: text.join(''), annotations: [] }],
    });
    text = [];
  };
  for (const part of content) {
    switch (part.type) {
      case 'text':
        if (part.text !== '') text.push(part.text);
        break;
      case 'thinking':
        flush();
        items.push(reasoningItem(itemId('rs', responseId, items.length), part.text, part.signature));
        break;
      case 'redacted-thinking':
        flush();
        items.push({ type: 'reasoning', id: itemId('rs', responseId, items.length), summary: [], encrypted_content: carryRedacted(part.data) });
        break;
      case 'tool-call':
        flush();
        items.push({
          type: 'function_call',
          id: itemId('fc', responseId, items.length),
          call_id: part.id,
          name: part.name,
          arguments: part.invalidArguments ?? JSON.stringify(part.input),
          status: 'completed',
        });
        break;
      case 'foreign':
        if (part.format === 'openai-responses') {
          flush();
          items.push(part.raw as Json);
        }
        break;
    }
  }
  flush();
  return items;
}

export function responseObject(fields: {
  id: string;
  model: string;
  created: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: Json[];
  usage: Json | null;
  incompleteReason?: string | undefined;
  error?: Json | undefined;
}): Json {
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

export function encodeResponsesResponse(response: CanonicalResponse, options: { model: string }): Json {
  const id = responsesId(response.id);
  const status = toResponsesStatus(response.stopReason);
  return responseObject({
    id,
    model: options.model,
    // Upstreams other than Responses carry no timestamp; the caller sets `created` from its clock.
    created: response.created ?? 0,
    status: status.status,
    output: outputItems(response.content, id),
    usage: writeResponsesUsage(response.usage),
    incompleteReason: status.incompleteReason,
  });
}
