/** Responses `status` + `incomplete_details` ⇄ canonical stop reason (spec §7). */
import { assertNever } from '../../core/assert-never.js';
import type { StopReason } from '../canonical.js';

export interface ResponsesStatus {
  status: 'completed' | 'incomplete';
  incompleteReason?: 'max_output_tokens' | 'content_filter';
}

export function toResponsesStatus(reason: StopReason): ResponsesStatus {
  switch (reason) {
    case 'length':
    case 'context-length':
      return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
    case 'content-filter':
      return { status: 'incomplete', incompleteReason: 'content_filter' };
    case 'stop':
    case 'stop-sequence':
    case 'tool-calls':
    case 'pause':
    case 'other':
      return { status: 'completed' };
    default:
      return assertNever(reason);
  }
}

export function fromResponsesStatus(status: unknown, incompleteReason: unknown, hasToolCalls: boolean): StopReason {
  if (status === 'incomplete') return incompleteReason === 'content_filter' ? 'content-filter' : 'length';
  return hasToolCalls ? 'tool-calls' : 'stop';
}
