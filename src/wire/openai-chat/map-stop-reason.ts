/** OpenAI `finish_reason` ⇄ canonical stop reason (spec §7). */
import { assertNever } from '../../core/assert-never.js';
import type { StopReason } from '../canonical.js';
import { tagGuard } from '../shared/json.js';

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** What upstreams send: OpenAI's reasons and the legacy `function_call`; anything else is `other`. */
const receivedFinishReason = tagGuard(['stop', 'length', 'tool_calls', 'function_call', 'content_filter']);

export function fromOpenAIFinishReason(value: unknown): StopReason {
  const reason = receivedFinishReason(value);
  if (reason === undefined) return 'other';
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return assertNever(reason);
  }
}

/**
 * `hasToolCalls` corrects upstreams whose reason disagrees with the content: tool calls under `stop`
 * become `tool_calls`, and `tool_calls` without any call becomes `stop` (spec §6.2 step 6).
 */
export function toOpenAIFinishReason(reason: StopReason, hasToolCalls: boolean): OpenAIFinishReason {
  switch (reason) {
    case 'length':
    case 'context-length':
      return 'length';
    case 'content-filter':
      return 'content_filter';
    case 'tool-calls':
      return hasToolCalls ? 'tool_calls' : 'stop';
    case 'stop':
    case 'stop-sequence':
    case 'pause':
    case 'other':
      return hasToolCalls ? 'tool_calls' : 'stop';
    default:
      return assertNever(reason);
  }
}
