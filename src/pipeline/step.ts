/**
 * The one shape of a pipeline step, and the runner every endpoint goes through. A step reads what earlier steps
 * left in the request context and adds what it finds out; a refusal or failure is a thrown GatewayError. However
 * the steps end, the runner answers the client in its own format, meters what the call used, settles the budget
 * hold exactly once and records the audit row.
 */
import type { RequestContext } from './context.js';
import { fail } from './steps/fail.js';
import { meter } from './steps/meter.js';
import { settle } from './steps/settle.js';

export type Step = (ctx: RequestContext) => void | Promise<void>;

export async function runSteps(ctx: RequestContext, steps: readonly Step[]): Promise<void> {
  try {
    try {
      // Most steps are synchronous: only a promise is awaited, so they cost no turn of the microtask queue.
      for (const step of steps) {
        const pending = step(ctx);
        if (pending !== undefined) await pending;
      }
    } catch (err) {
      fail(ctx, err);
    }
    // Metering and settlement happen whatever went wrong: spend already incurred is never dropped.
    await meter(ctx);
    settle(ctx);
  } finally {
    try {
      ctx.trace.end(ctx);
    } finally {
      ctx.close();
    }
  }
}
