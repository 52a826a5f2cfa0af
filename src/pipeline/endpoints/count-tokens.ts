/**
 * `POST /v1/messages/count_tokens`. Anthropic providers count for real (a call Anthropic documents as free:
 * billed $0, recorded as such); others get a local estimate that includes system and tools, and reach no provider.
 * Free, but still under the agent's controls: a paused or spent agent is refused here too.
 */
import { GatewayError } from '../../core/errors.js';
import { ZERO_USAGE } from '../../core/usage.js';
import { estimateRequestInputTokens, freePrice, type CountsTokens } from '../../metering/index.js';
import type { RequestContext } from '../context.js';
import type { RouteTarget } from '../ports.js';
import type { Step } from '../step.js';
import { admitSideCall } from '../steps/admit.js';
import { sendSideCall } from '../steps/forward.js';
import { identifyCaller } from '../steps/identify.js';
import { readJson } from '../steps/read-body.js';
import { readUpstreamText } from '../steps/upstream-body.js';
import { decodeGeminiRequest } from '../../wire/index.js';
import { primaryTarget } from '../steps/route.js';

async function countTokens(ctx: RequestContext): Promise<void> {
  const json = ctx.json;
  if (typeof json !== 'object' || json === null || typeof (json as { model?: unknown }).model !== 'string') {
    throw new GatewayError('invalid_request', 'model: required string', { param: 'model' });
  }
  const model = (json as { model: string }).model;
  ctx.model = model;
  const target = primaryTarget(ctx, model);
  await admitSideCall(ctx, { provider: target.provider.spec.name, model: target.upstreamModel, maxCostUsd: null, tokens: 0 });
  if (target.provider.format === 'anthropic-messages') {
    return countUpstream(ctx, target, '/messages/count_tokens', JSON.stringify({ ...json, model: target.upstreamModel }));
  }
  answer(ctx, 200, JSON.stringify({ input_tokens: await countTokensLocally(ctx.deps.meter, json as Record<string, unknown>) }));
}

/**
 * Gemini's `models/{model}:countTokens` (`{contents}` or `{generateContentRequest}` → `{totalTokens}`): counted by a
 * Gemini provider for real (free), estimated locally for any other, like count_tokens above.
 */
async function geminiCount(ctx: RequestContext): Promise<void> {
  const model = ctx.endpoint.gemini!.model;
  ctx.model = model;
  const target = primaryTarget(ctx, model);
  await admitSideCall(ctx, { provider: target.provider.spec.name, model: target.upstreamModel, maxCostUsd: null, tokens: 0 });
  const json = ctx.json;
  if (target.provider.format === 'gemini') {
    return countUpstream(ctx, target, `/models/${encodeURIComponent(target.upstreamModel)}:countTokens`, JSON.stringify(json));
  }
  const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
  const inner = body['generateContentRequest'];
  const request = decodeGeminiRequest(typeof inner === 'object' && inner !== null ? inner : body, { model, stream: false });
  let images = 0;
  const texts = request.messages.map((m) =>
    m.content
      .map((part) => {
        if (part.type === 'text' || part.type === 'thinking') return part.text;
        if (part.type === 'image') images++;
        if (part.type === 'tool-call') return `${part.name} ${JSON.stringify(part.input)}`;
        if (part.type === 'tool-result') return part.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
        return '';
      })
      .join('\n'),
  );
  const total = await estimateRequestInputTokens(ctx.deps.meter, {
    system: request.system.map((p) => p.text),
    messages: texts,
    tools: request.tools.length === 0 ? undefined : request.tools,
    fixedTokens: images * IMAGE_TOKENS,
  });
  answer(ctx, 200, JSON.stringify({ totalTokens: total }));
}

async function countUpstream(ctx: RequestContext, target: RouteTarget, endpoint: string, body: string): Promise<void> {
  ctx.provider = target.provider.spec.name;
  ctx.upstreamModel = target.upstreamModel;
  ctx.upstreamFormat = target.provider.format;
  const upstream = await sendSideCall(ctx, target.provider, { endpoint, method: 'POST', body });
  ctx.upstreamCalled = true;
  ctx.ttfbMs = ctx.elapsed();
  const raw = await readUpstreamText(upstream, ctx.settings.maxResponseBytes, target.provider.spec.name);
  // An upstream error body may echo the provider key; the client never sees it.
  const text = upstream.status >= 400 ? ctx.deps.redaction.known(raw) : raw;
  if (upstream.status < 400) {
    ctx.price = freePrice('count_tokens');
    ctx.metered = { usage: { ...ZERO_USAGE }, estimated: false };
  }
  answer(ctx, upstream.status, text);
}

function answer(ctx: RequestContext, status: number, text: string): void {
  ctx.bytesOut = Buffer.byteLength(text);
  ctx.res.writeHead(status, { 'content-type': 'application/json', 'content-length': ctx.bytesOut });
  ctx.res.end(text);
}

export const COUNT_TOKENS_STEPS: readonly Step[] = [identifyCaller, readJson, countTokens];
export const GEMINI_COUNT_TOKENS_STEPS: readonly Step[] = [identifyCaller, readJson, geminiCount];

/** Images are priced by size upstream; without decoding them, count a typical 1024×1024 image. */
const IMAGE_TOKENS = 1600;

/** A local input-token estimate: system, every message's text (tool calls and results included) and the tool definitions. */
export function countTokensLocally(counter: CountsTokens, body: Record<string, unknown>): Promise<number> {
  let images = 0;
  const textOf = (content: unknown): string => {
    if (typeof content === 'string') return content;
    if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
    const parts: string[] = [];
    for (const block of content as unknown[]) {
      if (typeof block !== 'object' || block === null) continue;
      const b = block as Record<string, unknown>;
      if (b.type === 'text' && typeof b.text === 'string') parts.push(b.text);
      else if (b.type === 'image') images++;
      else if (b.type === 'tool_use') parts.push(`${String(b.name)} ${JSON.stringify(b.input ?? {})}`);
      else if (b.type === 'tool_result') parts.push(textOf(b.content));
      else if (b.type === 'thinking' && typeof b.thinking === 'string') parts.push(b.thinking);
      else parts.push(JSON.stringify(b));
    }
    return parts.join('\n');
  };
  const messages = Array.isArray(body.messages) ? (body.messages as unknown[]).map((m) => textOf((m as { content?: unknown } | null)?.content)) : [];
  return estimateRequestInputTokens(counter, { system: textOf(body.system), messages, tools: body.tools, fixedTokens: images * IMAGE_TOKENS });
}
