/**
 * Relays a whole (non-streamed) upstream response. Same format: the provider's bytes as they are, read
 * for usage. Other format: decoded to canonical and re-encoded for the client.
 */
import { GatewayError } from '../../core/errors.js';
import type { UpstreamResponse } from '../../providers/provider.js';
import type { CanonicalResponse } from '../../wire/canonical.js';
import type { WireFormat } from '../../wire/codec.js';
import { codecFor, responseOutput, responsesId, restoreToolNamesInResponse, type ClientToolName } from '../../wire/index.js';
import { transportError } from '../../providers/http-upstream.js';
import { costOf } from '../../metering/index.js';
import type { RequestContext } from '../context.js';
import { meterUsage } from './meter.js';
import { saveState } from './responses-state.js';
import { restorerFor, sentRequest } from './translate.js';

export interface JsonRelayResult {
  bodyText: string;
  /** The upstream's answer (metered). */
  response: CanonicalResponse;
  /** The answer as the client got it, tool names restored. */
  clientResponse: CanonicalResponse;
}

export async function readUpstreamText(upstream: UpstreamResponse, maxBytes: number, provider: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        upstream.body.destroy();
        throw new GatewayError('upstream_error', `provider ${provider} sent a response larger than ${maxBytes} bytes`, { status: 502, code: 'response_too_large' });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    const mapped = transportError(err, provider);
    throw mapped;
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

export function translateJson(
  text: string,
  providerFormat: WireFormat,
  clientFormat: WireFormat,
  clientModel: string,
  provider: string,
  options: { created: number; restore?: ((name: string) => ClientToolName) | undefined },
): JsonRelayResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new GatewayError('upstream_error', `provider ${provider} returned a body that is not JSON`, { status: 502, code: 'invalid_upstream_response' });
  }
  let response: CanonicalResponse;
  try {
    response = codecFor(providerFormat).decodeResponse(json);
  } catch (err) {
    throw new GatewayError('upstream_error', `provider ${provider} returned a response the gateway cannot read`, {
      status: 502,
      code: 'invalid_upstream_response',
      cause: err,
    });
  }
  if (providerFormat === clientFormat) return { bodyText: text, response, clientResponse: response };
  response.created ??= options.created;
  const restored = options.restore ? restoreToolNamesInResponse(response, options.restore) : response;
  const encoded = codecFor(clientFormat).encodeResponse(restored, { model: clientModel });
  return { bodyText: JSON.stringify(encoded), response, clientResponse: restored };
}

/** The step for a whole answer: read, translated for the client, metered, and sent with its cost in a header. */
export async function relayJson(ctx: RequestContext): Promise<void> {
  const { target, response } = ctx.attempt!;
  const request = ctx.request!;
  const name = target.provider.spec.name;
  const upstreamFormat = ctx.upstreamFormat as WireFormat;
  const clientFormat = ctx.endpoint.wire;
  const text = await readUpstreamText(response, ctx.settings.maxResponseBytes, name);
  const out = translateJson(text, upstreamFormat, clientFormat, request.model, name, {
    created: Math.floor(ctx.deps.clock.now() / 1000),
    restore: restorerFor(request, upstreamFormat, clientFormat),
  });
  ctx.meter.observeResponse(out.response);
  ctx.trace.answered(out.response);
  // A Responses client may refer to a translated answer later: its items are kept as they are sent.
  if (clientFormat === 'openai-responses' && upstreamFormat !== clientFormat) {
    const id = responsesId(out.clientResponse.id);
    const items = responseOutput(out.clientResponse.content, id).map((o) => ({ id: String(o.item['id']), parts: o.parts }));
    saveState(ctx.deps.responses, ctx.agent, sentRequest(ctx), id, items);
  }
  ctx.attempt!.breaker.success();
  // An answer without usable usage is estimated before it goes out, so its header states what is billed.
  ctx.metered = await meterUsage(ctx);
  const headers = ctx.headers;
  const cost = ctx.price ? costOf(ctx.metered.usage, ctx.price) : undefined;
  if (cost) headers['x-ai-gateway-cost-usd'] = cost.totalUsd.toFixed(6);
  ctx.status = 200;
  ctx.bytesOut = Buffer.byteLength(out.bodyText);
  ctx.res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': ctx.bytesOut });
  ctx.res.end(out.bodyText);
}
