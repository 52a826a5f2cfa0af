/** Anthropic `stop_reason` ⇄ canonical stop reason (spec §7). */
import { assertNever } from '../../core/assert-never.js';
import type { StopReason } from '../canonical.js';
import { tagGuard } from '../shared/json.js';

export type AnthropicStopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

const receivedStopReason = tagGuard<AnthropicStopReason>([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
  'pause_turn',
  'refusal',
  'model_context_window_exceeded',
]);

export function fromAnthropicStopReason(value: unknown): StopReason {
  const reason = receivedStopReason(value);
  if (reason === undefined) return 'other';
  switch (reason) {
    case 'end_turn':
      return 'stop';
    case 'stop_sequence':
      return 'stop-sequence';
    case 'max_tokens':
      return 'length';
    case 'model_context_window_exceeded':
      return 'context-length';
    case 'tool_use':
      return 'tool-calls';
    case 'refusal':
      return 'content-filter';
    case 'pause_turn':
      return 'pause';
    default:
      return assertNever(reason);
  }
}

/** `hasToolCalls` corrects a reason that disagrees with the emitted content (spec §6.2 step 6). */
export function toAnthropicStopReason(reason: StopReason, hasToolCalls: boolean): AnthropicStopReason {
  switch (reason) {
    case 'stop-sequence':
      return hasToolCalls ? 'tool_use' : 'stop_sequence';
    case 'length':
      return 'max_tokens';
    case 'context-length':
      return 'model_context_window_exceeded';
    case 'tool-calls':
      return hasToolCalls ? 'tool_use' : 'end_turn';
    case 'content-filter':
      return 'refusal';
    case 'pause':
      return 'pause_turn';
    case 'stop':
    case 'other':
      return hasToolCalls ? 'tool_use' : 'end_turn';
    default:
      return assertNever(reason);
  }
}
