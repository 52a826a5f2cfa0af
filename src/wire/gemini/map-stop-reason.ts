/** Gemini `finishReason` ⇄ canonical stop reason. */
import { assertNever } from '../../core/assert-never.js';
import type { StopReason } from '../canonical.js';

export type GeminiFinishReason =
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'UNEXPECTED_TOOL_CALL'
  | 'TOO_MANY_TOOL_CALLS';

/**
 * Everything a content filter decided (SAFETY, RECITATION, BLOCKLIST, …) is `content-filter`; a function call the
 * model could not form, or one it should not have made, is `other` (the client sees no usable call either way).
 * Gemini says STOP after function calls too: the caller corrects it by the content it saw.
 */
const FROM: Record<string, StopReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content-filter',
  RECITATION: 'content-filter',
  BLOCKLIST: 'content-filter',
  PROHIBITED_CONTENT: 'content-filter',
  SPII: 'content-filter',
  IMAGE_SAFETY: 'content-filter',
  IMAGE_PROHIBITED_CONTENT: 'content-filter',
  IMAGE_RECITATION: 'content-filter',
  MODEL_ARMOR: 'content-filter',
  LANGUAGE: 'other',
  OTHER: 'other',
  MALFORMED_FUNCTION_CALL: 'other',
  UNEXPECTED_TOOL_CALL: 'other',
  TOO_MANY_TOOL_CALLS: 'other',
  MISSING_THOUGHT_SIGNATURE: 'other',
  MALFORMED_RESPONSE: 'other',
  FINISH_REASON_UNSPECIFIED: 'other',
};

export function fromGeminiFinishReason(value: unknown, hasToolCalls: boolean): StopReason {
  const reason = typeof value === 'string' && Object.hasOwn(FROM, value) ? FROM[value]! : 'other';
  return reason === 'stop' && hasToolCalls ? 'tool-calls' : reason;
}

/** Gemini has no reason of its own for tool calls or stop sequences: both are STOP, as Gemini itself says. */
export function toGeminiFinishReason(reason: StopReason): GeminiFinishReason {
  switch (reason) {
    case 'stop':
    case 'stop-sequence':
    case 'tool-calls':
    case 'pause':
      return 'STOP';
    case 'length':
    case 'context-length':
      return 'MAX_TOKENS';
    case 'content-filter':
      return 'SAFETY';
    case 'other':
      return 'OTHER';
    default:
      return assertNever(reason);
  }
}
