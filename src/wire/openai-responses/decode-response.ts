/** OpenAI `Response` → CanonicalResponse (spec §5, C → A/B). */
import { assertNever } from '../../core/assert-never.js';
import { GatewayError } from '../../core/errors.js';
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { count, isObject, str } from '../shared/json.js';
import { toolCallFromArgumentText } from '../shared/tool-call.js';
import { fromResponsesStatus } from './map-stop-reason.js';
import { readCarried } from './reasoning-carrier.js';
import { responsesItemType, type ReceivedItem } from './shapes.js';
import { readResponsesUsage } from './usage.js';

export function outputItemToParts(item: unknown): AssistantPart[] {
  if (!isObject(item)) return [];
  const view: ReceivedItem = item;
  const type = responsesItemType(view.type);
  if (type === undefined) return [{ type: 'foreign', format: 'openai-responses', label: str(view.type) ?? 'unknown item', raw: item }];
  switch (type) {
    case 'message': {
      const content = Array.isArray(view.content) ? view.content : [];
      return content.flatMap((part): AssistantPart[] => {
        if (!isObject(part)) return [];
        const text = part['type'] === 'output_text' ? str(part['text']) : part['type'] === 'refusal' ? str(part['refusal']) : undefined;
        return text === undefined || text === '' ? [] : [{ type: 'text', text }];
      });
    }
    case 'function_call': {
      return [toolCallFromArgumentText(str(view.call_id) ?? str(view.id) ?? '', str(view.name) ?? '', view.arguments)];
    }
    case 'reasoning': {
      const carried = readCarried(view.encrypted_content);
      if (carried?.kind === 'redacted') return [{ type: 'redacted-thinking', data: carried.value }];
      const summary = Array.isArray(view.summary) ? view.summary : [];
      const text = summary.map((s) => (isObject(s) ? (str(s['text']) ?? '') : '')).join('\n\n');
      return [{ type: 'thinking', text, ...(carried?.kind === 'signature' ? { signature: carried.value } : {}) }];
    }
    default:
      return assertNever(type);
  }
}

export function decodeResponsesResponse(body: unknown): CanonicalResponse {
  if (!isObject(body) || !Array.isArray(body['output'])) {
    throw new GatewayError('upstream_error', 'Upstream returned a malformed response object.', { status: 502, upstreamBody: body });
  }
  if (body['status'] === 'failed') {
    const error = isObject(body['error']) ? body['error'] : {};
    throw new GatewayError('upstream_error', str(error['message']) ?? 'The upstream response failed.', { status: 502, ...(str(error['code']) === undefined ? {} : { code: str(error['code']) as string }), upstreamBody: body });
  }
  const content = body['output'].flatMap(outputItemToParts);
  const incomplete = isObject(body['incomplete_details']) ? body['incomplete_details']['reason'] : undefined;
  const created = count(body['created_at']);
  const reading = readResponsesUsage(body['usage']);
  return {
    id: str(body['id']) ?? '',
    model: str(body['model']) ?? '',
    ...(created === undefined ? {} : { created }),
    content,
    stopReason: fromResponsesStatus(body['status'], incomplete, content.some((p) => p.type === 'tool-call')),
    usage: reading.usage,
    ...(reading.gaps === undefined ? {} : { usageGaps: reading.gaps }),
  };
}
