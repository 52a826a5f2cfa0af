/**
 * Where a request may go: the router's targets, primary first, then fallbacks, for the model the request named
 * or the one a task rule picked for it (task-routing.ts). A Responses request that refers to earlier responses
 * has them expanded here from the gateway's store, for the targets it is translated for.
 */
import { GatewayError } from '../../core/errors.js';
import { countText } from '../../metering/index.js';
import type { RequestContext } from '../context.js';
import type { RouteTarget } from '../ports.js';
import { chooseTaskModel } from '../task-routing.js';
import { refersToState, resolveState } from './responses-state.js';
import { translates } from './translate.js';

export async function route(ctx: RequestContext): Promise<void> {
  const request = ctx.request!;
  const { deps } = ctx;
  const task = await chooseTaskModel(request, deps.router.taskRules(ctx.agent), {
    bodyBytes: ctx.body?.length ?? 0,
    countTokens: (text) => countText(deps.meter, text),
  });
  ctx.routeRule = task?.rule ?? null;
  ctx.targets = deps.router.resolve(task?.model ?? request.model, ctx.agent);
  const wire = ctx.endpoint.wire;
  if (wire !== 'openai-responses' || !refersToState(request) || !ctx.targets.some((t) => translates(t, wire))) return;
  // A provider that speaks Responses resolves references itself, so an unknown id only matters once a
  // translating target is tried.
  try {
    ctx.state = resolveState(request, ctx.agent, ctx.deps.responses);
  } catch (err) {
    if (!(err instanceof GatewayError) || translates(ctx.targets[0]!, wire)) throw err;
    ctx.state = err;
  }
}

/** The first-choice target of a side call, which has no fallbacks. */
export function primaryTarget(ctx: RequestContext, model: string): RouteTarget {
  return ctx.deps.router.resolve(model, ctx.agent)[0]!;
}

/** The bytes of the request as sent, stored content it refers to included: what its budget hold is sized on. */
export function requestBytes(ctx: RequestContext): number {
  const added = ctx.state === undefined || ctx.state instanceof GatewayError ? 0 : ctx.state.addedBytes;
  return (ctx.body?.length ?? 0) + added;
}
