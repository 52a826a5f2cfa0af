/**
 * Admission: the agent's controls (pause, deny policies, rate limits, budget) decide whether the request may go,
 * and the budget holds the dearest the request can cost until it is settled.
 */
import { inputTokenBound, maxCostOf, usdFromPico, type ModelPrice } from '../../metering/index.js';
import type { CanonicalRequest } from '../../wire/canonical.js';
import type { WireFormat } from '../../wire/codec.js';
import type { RequestContext } from '../context.js';
import type { AdmissionRequest, Meter, ProxySettings, RouteTarget } from '../ports.js';
import { fittedMaxTokens } from './fit-to-model.js';
import { requestBytes } from './route.js';
import { isFree } from './stream-guard.js';

/**
 * Rough token count from bytes, on the high side: for tokens-per-minute limits, the input announced to a client
 * before the provider reports it, and the output billed (marked estimated) for a whole body the gateway never read
 * for usage. Budget holds do not use it: they use a true upper bound (inputTokenBound).
 */
export const BYTES_PER_TOKEN_ESTIMATE = 3;

export interface Hold {
  request: AdmissionRequest;
  /** Output tokens the hold pays for. */
  outputTokens: number;
  /** Some dollars are held (a priced, non-free model). */
  priced: boolean;
}

/** The step for chat-style requests: admitted under the hold of their dearest target, or refused with a GatewayError. */
export async function admit(ctx: RequestContext): Promise<void> {
  const span = ctx.trace.admission();
  try {
    await admitRequest(ctx);
    span.end();
  } catch (err) {
    span.end(err);
    throw err;
  }
}

async function admitRequest(ctx: RequestContext): Promise<void> {
  const request = ctx.request!;
  const hold = holdFor(ctx.agent, ctx.targets, request, requestBytes(ctx), ctx.settings, ctx.deps.meter);
  ctx.hold = hold;
  const admission = await ctx.deps.controls.admit(hold.request);
  ctx.admission = admission;
  // A budget guard counts a stream's tokens once its bytes no longer prove it fits: load the tokenizer while
  // the upstream answers, and only for requests whose dollars are limited.
  if (request.stream && hold.priced && admission.limited) ctx.deps.meter.prepareTokens();
}

/** Side calls (count_tokens, embeddings, pass-through) are admitted under the same controls with their own hold. */
export async function admitSideCall(ctx: RequestContext, request: Omit<AdmissionRequest, 'agent'>): Promise<void> {
  const span = ctx.trace.admission();
  try {
    ctx.admission = await ctx.deps.controls.admit({ ...request, agent: ctx.agent });
    span.end();
  } catch (err) {
    span.end(err);
    throw err;
  }
}

/** The budget hold of a side call: its dearest cost from a true bound of its input, or null when unpriced. */
export function sideCallHoldUsd(price: ModelPrice | undefined, bodyBytes: number, outputTokens: number): number | null {
  if (price === undefined) return null;
  return isFree(price) ? 0 : maxCostOf(price, bodyBytes, outputTokens).totalUsd;
}

export function priceOf(meter: Meter, target: RouteTarget): ModelPrice | undefined {
  return meter.priceFor({ name: target.provider.spec.name, type: target.provider.spec.type }, target.upstreamModel);
}

/** A true upper bound of the request's input tokens, in the format family that prices a target's images. */
export function inputBoundFor(request: CanonicalRequest, bodyBytes: number, target: RouteTarget, upstreamFormat: WireFormat): number {
  const upstream = upstreamFormat === 'anthropic-messages' ? 'anthropic' : 'openai';
  return inputTokenBound(request, bodyBytes, { upstream, model: target.upstreamModel });
}

/**
 * The budget hold of a request: the dearest it can cost on any of its targets (a fallback may answer), from a
 * true upper bound of its input tokens and its output cap (or the gateway's assumed cap when it sets none). A cap
 * above a target's model limit is sent lowered to it (fit-to-model), so that target can produce no more than that.
 */
export function holdFor(agent: string, targets: RouteTarget[], request: CanonicalRequest, bodyBytes: number, settings: ProxySettings, meter: Meter): Hold {
  const primary = targets[0]!;
  const outputOn = (target: RouteTarget): number =>
    request.maxTokens === undefined ? settings.defaultOutputCap : fittedMaxTokens(request.maxTokens, target.capabilities);
  const outputTokens = Math.max(...targets.map(outputOn));
  const primaryPrice = priceOf(meter, primary);
  let maxCostUsd: number | null = null;
  if (primaryPrice !== undefined) {
    let pico = 0;
    for (const target of targets) {
      const p = target === primary ? primaryPrice : priceOf(meter, target);
      if (p !== undefined && !isFree(p)) pico = Math.max(pico, maxCostOf(p, inputBoundFor(request, bodyBytes, target, target.provider.format), outputOn(target)).totalPico);
    }
    maxCostUsd = usdFromPico(pico);
  }
  return {
    request: {
      agent,
      provider: primary.provider.spec.name,
      model: primary.upstreamModel,
      maxCostUsd,
      tokens: Math.ceil(bodyBytes / BYTES_PER_TOKEN_ESTIMATE) + outputTokens,
    },
    outputTokens,
    priced: maxCostUsd !== null && maxCostUsd > 0,
  };
}
