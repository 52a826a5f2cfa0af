/** CanonicalResponse → Anthropic `Message` (spec §5 A→B). */
import { assertNever } from '../../core/assert-never.js';
import type { CanonicalResponse } from '../canonical.js';
import { isObject } from '../shared/json.js';
import { sanitizeToolId } from '../shared/tool-names.js';
import { toAnthropicStopReason } from './map-stop-reason.js';
import type { AnthropicContentBlock, AnthropicMessage } from './shapes.js';
import { writeAnthropicUsage } from './usage.js';

/** Anthropic clients expect `msg_` ids; other upstream ids are kept behind the prefix so they stay traceable. */
export function anthropicMessageId(id: string): string {
  return id.startsWith('msg_') ? id : `msg_${id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
}

export function encodeAnthropicResponse(response: CanonicalResponse, options: { model: string }): AnthropicMessage {
  const content: AnthropicContentBlock[] = [];
  let hasToolCalls = false;
  for (const part of response.content) {
    switch (part.type) {
      case 'text':
        if (part.text !== '') content.push({ type: 'text', text: part.text });
        break;
      case 'thinking':
        // Unsigned thinking (from OpenAI-compatible upstreams) has no verifiable origin, so it is not shown (spec §5).
        if (part.signature !== undefined && part.signature !== '') {
          content.push({ type: 'thinking', thinking: part.text, signature: part.signature });
        }
        break;
      case 'redacted-thinking':
        content.push({ type: 'redacted_thinking', data: part.data });
        break;
      case 'tool-call':
        hasToolCalls = true;
        content.push({ type: 'tool_use', id: sanitizeToolId(part.id), name: part.name, input: part.input });
        break;
      case 'web-search':
        if (part.format === 'anthropic-messages') content.push(...part.raw.filter(isObject));
        break;
      case 'foreign':
        if (part.format === 'anthropic-messages' && isObject(part.raw)) content.push(part.raw);
        break;
      default:
        assertNever(part);
    }
  }
  const stopReason = toAnthropicStopReason(response.stopReason, hasToolCalls);
  return {
    id: anthropicMessageId(response.id),
    type: 'message',
    role: 'assistant',
    model: options.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopReason === 'stop_sequence' ? (response.stopSequence ?? null) : null,
    usage: writeAnthropicUsage(response.usage),
  };
}
