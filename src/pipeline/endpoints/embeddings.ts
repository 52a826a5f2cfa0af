/**
 * `POST /v1/embeddings`: routed by model to an OpenAI-compatible provider. The answer (easily many MB of vectors)
 * is streamed through untouched and metered from the usage at its end.
 */
import type { ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GatewayError } from '../../core/errors.js';
import { ZERO_USAGE } from '../../core/usage.js';
import { countText } from '../../metering/index.js';
import { transportError } from '../../providers/http-upstream.js';
import type { UpstreamResponse } from '../../providers/provider.js';
import { readOpenAIUsage } from '../../wire/openai-chat/index.js';
import type { RequestContext } from '../context.js';
import type { Step } from '../step.js';
import { admitSideCall, BYTES_PER_TOKEN_ESTIMATE, priceOf, sideCallHoldUsd } from '../steps/admit.js';
import { sendSideCall } from '../steps/forward.js';
import { identifyCaller } from '../steps/identify.js';
import { readJson } from '../steps/read-body.js';
import { readUpstreamText } from '../steps/upstream-body.js';
import { primaryTarget } from '../steps/route.js';
import { ByteTail } from '../steps/usage-tail.js';

/** Route and admit: embeddings read input only, so their tokens are at most their bytes. */
async function routeEmbeddings(ctx: RequestContext): Promise<void> {
  const parsed = ctx.json;
  // `null`, a number or an array parse fine but are no request; reading `.model` of null would be a 500.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('invalid_request', 'request body must be a JSON object');
  const model = (parsed as { model?: unknown }).model;
  if (typeof model !== 'string' || model === '') throw new GatewayError('invalid_request', 'model: required string', { param: 'model' });
  ctx.model = model;
  const target = primaryTarget(ctx, model);
  if (target.provider.format !== 'openai-chat') throw new GatewayError('invalid_request', `model ${model} routes to provider ${target.provider.spec.name}, which has no embeddings endpoint`, { param: 'model' });
  const bytes = ctx.body!.length;
  const price = priceOf(ctx.deps.meter, target);
  await admitSideCall(ctx, { provider: target.provider.spec.name, model: target.upstreamModel, maxCostUsd: sideCallHoldUsd(price, bytes, 0), tokens: Math.ceil(bytes / BYTES_PER_TOKEN_ESTIMATE) });
  ctx.provider = target.provider.spec.name;
  ctx.upstreamModel = target.upstreamModel;
  ctx.upstreamFormat = 'openai-embeddings';
  ctx.targets = [target];
  // Billed only once the answer's usage is read (a price without metered usage leaves the row unpriced).
  ctx.price = price;
}

async function forwardEmbeddings(ctx: RequestContext): Promise<void> {
  const target = ctx.targets[0]!;
  const name = target.provider.spec.name;
  const upstream = await sendSideCall(ctx, target.provider, {
    endpoint: '/embeddings',
    method: 'POST',
    body: target.upstreamModel === ctx.model ? ctx.bodyText : JSON.stringify({ ...(ctx.json as object), model: target.upstreamModel }),
    model: target.upstreamModel,
  });
  ctx.upstreamCalled = true;
  ctx.ttfbMs = ctx.elapsed();
  const headers = { 'content-type': upstream.headers['content-type'] ?? 'application/json', 'x-request-id': ctx.endpoint.requestId };
  if (upstream.status >= 400) {
    const text = ctx.deps.redaction.known(await readUpstreamText(upstream, ctx.settings.maxResponseBytes, name));
    ctx.bytesOut = Buffer.byteLength(text);
    ctx.res.writeHead(upstream.status, { ...headers, 'content-length': ctx.bytesOut });
    ctx.res.end(text);
    return;
  }
  const tail = new ByteTail();
  ctx.bytesOut = 0;
  try {
    await relayWithTail(upstream, ctx.res, headers, tail);
  } catch (err) {
    // A client that left is settled as such (499); a provider that broke off mid-body is its failure.
    if (!ctx.res.writableEnded && ctx.res.destroyed) return;
    throw transportError(err, name);
  } finally {
    ctx.bytesOut = tail.bytes;
  }
  await meterEmbeddings(ctx, name, tail);
}

/** An embedding has no output; input the provider did not report is counted here from the request. */
async function meterEmbeddings(ctx: RequestContext, provider: string, tail: ByteTail): Promise<void> {
  const reading = readOpenAIUsage(tail.usage());
  if (reading.gaps?.rejected.length) ctx.warnUsage(provider, reading.gaps.rejected);
  const estimated = reading.gaps?.input === true;
  const input = estimated ? await countText(ctx.deps.meter, ctx.bodyText) : reading.usage.inputUncached + reading.usage.cacheRead;
  ctx.metered = { usage: { ...ZERO_USAGE, inputUncached: input }, estimated };
}

/** Streams a successful upstream body to the client as it is, keeping its tail for the usage at the end. */
async function relayWithTail(upstream: UpstreamResponse, res: ServerResponse, headers: Record<string, string>, tail: ByteTail): Promise<void> {
  const length = upstream.headers['content-length'];
  res.writeHead(upstream.status, { ...headers, ...(length !== undefined ? { 'content-length': length } : {}) });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      tail.push(chunk);
      done(null, chunk);
    },
  });
  await pipeline(upstream.body, tap, res);
}

export const EMBEDDINGS_STEPS: readonly Step[] = [identifyCaller, readJson, routeEmbeddings, forwardEmbeddings];
