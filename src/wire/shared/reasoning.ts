/** Reasoning settings as OpenAI's effort levels, shared by the Chat Completions and Responses encoders. */
import { assertNever } from '../../core/assert-never.js';
import type { ReasoningConfig } from '../canonical.js';

/**
 * Anthropic thinking budgets → the nearest OpenAI effort bucket (⚠ a judgment, spec §4.5). The bounds are
 * inclusive so that the Anthropic encoder's own budgets (low 4096, medium 8192, high 16384) map back to
 * the effort they came from.
 */
export function openAIEffort(reasoning: ReasoningConfig | undefined): string | undefined {
  if (reasoning === undefined) return undefined;
  switch (reasoning.type) {
    case 'disabled':
      return undefined;
    case 'effort':
      return reasoning.effort;
    case 'adaptive':
      return reasoning.effort;
    case 'budget':
      return reasoning.budgetTokens <= 4096 ? 'low' : reasoning.budgetTokens < 16384 ? 'medium' : 'high';
    default:
      return assertNever(reasoning);
  }
}
