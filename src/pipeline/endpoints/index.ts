/** The proxy endpoints, each a composition of steps run by the one runner (src/pipeline/step.ts). */
import type { RequestContext } from '../context.js';
import { runSteps } from '../step.js';
import { CHAT_STEPS } from './chat.js';
import { COUNT_TOKENS_STEPS, GEMINI_COUNT_TOKENS_STEPS } from './count-tokens.js';
import { EMBEDDINGS_STEPS } from './embeddings.js';
import { PASSTHROUGH_STEPS } from './pass-through.js';

export { listModels } from './models.js';
export { passthroughAllowed } from './pass-through.js';

/** Chat Completions, Messages and Responses. A chat row counts body bytes from 0, even when none were read. */
export function chat(ctx: RequestContext): Promise<void> {
  ctx.bytesIn = 0;
  return runSteps(ctx, CHAT_STEPS);
}

export function countTokens(ctx: RequestContext): Promise<void> {
  return runSteps(ctx, COUNT_TOKENS_STEPS);
}

export function geminiCountTokens(ctx: RequestContext): Promise<void> {
  return runSteps(ctx, GEMINI_COUNT_TOKENS_STEPS);
}

export function embeddings(ctx: RequestContext): Promise<void> {
  return runSteps(ctx, EMBEDDINGS_STEPS);
}

export function passthrough(ctx: RequestContext): Promise<void> {
  return runSteps(ctx, PASSTHROUGH_STEPS);
}
