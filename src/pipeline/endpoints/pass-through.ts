/**
 * Any other /v1 path goes as it is to the agent's provider (its forced one, else the first OpenAI-style provider)
 * with the provider's key in place of the client's, under the agent's controls and with an audit row. Legacy
 * completions are billed from their usage; every other path is recorded unpriced (cost NULL).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import type httpProxy from 'http-proxy-3';
import { GatewayError } from '../../core/errors.js';
import { transportDetail } from '../../providers/http-upstream.js';
import { flattenHeaders, type ProviderAdapter } from '../../providers/provider.js';
import { readOpenAIUsage } from '../../wire/openai-chat/index.js';
import type { RequestContext } from '../context.js';
import { sendError } from '../respond.js';
import type { Step } from '../step.js';
import { admitSideCall, BYTES_PER_TOKEN_ESTIMATE, sideCallHoldUsd } from '../steps/admit.js';
import { sideCallKey } from '../steps/forward.js';
import { identifyCaller } from '../steps/identify.js';
import { parseJsonBody, readBody } from '../steps/read-body.js';
import { ByteTail } from '../steps/usage-tail.js';

type PassthroughProxy = ReturnType<typeof httpProxy.createProxyServer<typeof IncomingMessage, typeof ServerResponse, unknown>>;

/** What a pass-through response tells its request (the proxy reports responses on one event). */
const taps = new WeakMap<IncomingMessage, (response: IncomingMessage) => void>();
// Loaded on the first pass-through request: most gateways never see one, and it costs memory.
let proxyServer: Promise<PassthroughProxy> | undefined;
function passthroughProxy(): Promise<PassthroughProxy> {
  return (proxyServer ??= import('http-proxy-3').then((m) => {
    const proxy = m.default.createProxyServer<typeof IncomingMessage, typeof ServerResponse, unknown>({ changeOrigin: true, xfwd: false });
    proxy.on('proxyRes', (response, req) => taps.get(req)?.(response));
    return proxy;
  }));
}

/** Pass-through paths whose answer carries OpenAI usage the price table can bill (the model is in the request). */
const USAGE_PRICED = new Set(['/completions']);

export function passthroughAllowed(rule: 'all' | readonly string[], path: string): boolean {
  if (rule === 'all') return true;
  return rule.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function gate(ctx: RequestContext): void {
  const path = ctx.endpoint.path;
  if (!passthroughAllowed(ctx.deps.directory.passthroughRule(), path)) {
    throw new GatewayError('not_found', `pass-through of ${path} is switched off in this gateway's config (gateway.passthrough)`, { code: 'passthrough_disabled' });
  }
}

/** The provider, and for a priced path its model and output cap (its JSON body is read first); then admission. */
async function admitPassthrough(ctx: RequestContext): Promise<void> {
  const provider = ctx.deps.directory.passthroughProvider(ctx.agent);
  if (!provider || provider.spec.type === 'mock') throw new GatewayError('not_found', `no provider to pass ${ctx.endpoint.path} through to`);
  ctx.provider = provider.spec.name;
  ctx.upstreamFormat = provider.spec.type;
  let outputCap = 0;
  if (USAGE_PRICED.has(v1Path(ctx)) && ctx.req.method === 'POST') {
    const body = await readBody(ctx.req, ctx.settings.maxBodyBytes);
    ctx.body = body;
    const json = parseJsonBody(body) as { model?: unknown; max_tokens?: unknown; stream?: unknown } | null;
    if (typeof json === 'object' && json !== null && typeof json.model === 'string') {
      ctx.model = json.model;
      ctx.upstreamModel = json.model;
      ctx.stream = json.stream === true;
      ctx.price = ctx.deps.meter.priceFor({ name: provider.spec.name, type: provider.spec.type }, json.model);
      outputCap = typeof json.max_tokens === 'number' && Number.isSafeInteger(json.max_tokens) && json.max_tokens > 0 ? json.max_tokens : ctx.settings.defaultOutputCap;
    }
  }
  const body = ctx.body;
  await admitSideCall(ctx, {
    provider: provider.spec.name,
    model: ctx.model,
    maxCostUsd: body === undefined ? null : sideCallHoldUsd(ctx.price, body.length, outputCap),
    tokens: body === undefined ? 0 : Math.ceil(body.length / BYTES_PER_TOKEN_ESTIMATE) + outputCap,
  });
  ctx.passthrough = provider;
}

function v1Path(ctx: RequestContext): string {
  return ctx.endpoint.path.slice('/v1'.length);
}

/** The client's credentials out, the provider's in; a priced answer comes uncompressed so its usage can be read. */
function rewriteHeaders(ctx: RequestContext, provider: ProviderAdapter, key: string | undefined, trace: Readonly<Record<string, string>> | undefined): void {
  const headers = ctx.req.headers;
  // The upstream call is a child of the gateway's attempt span (tracing off: the client's own context, unchanged).
  if (trace !== undefined) {
    delete headers.tracestate;
    Object.assign(headers, trace);
  }
  delete headers['x-api-key'];
  delete headers['x-goog-api-key'];
  delete headers.authorization;
  delete headers['x-agent-id'];
  if (ctx.price !== undefined) delete headers['accept-encoding'];
  if (key) {
    if (provider.spec.type === 'anthropic') headers['x-api-key'] = key;
    else if (provider.spec.type === 'gemini') headers['x-goog-api-key'] = key;
    else headers.authorization = `Bearer ${key}`;
  }
  ctx.req.url = v1Path(ctx) + ctx.endpoint.search;
}

async function relayPassthrough(ctx: RequestContext): Promise<void> {
  const provider = ctx.passthrough!;
  const key = sideCallKey(ctx, provider);
  const span = ctx.trace.attempt(ctx.attempts, provider);
  rewriteHeaders(ctx, provider, key.secret, span.headers);
  const base = provider.spec.type === 'anthropic' ? `${provider.spec.baseUrl}/v1` : provider.spec.baseUrl;
  const tail = new ByteTail();
  let bytesIn = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytesIn += chunk.length;
      done(null, chunk);
    },
  });
  const input = ctx.body !== undefined ? Readable.from([ctx.body]) : ctx.req.pipe(counted);
  taps.set(ctx.req, (response) => {
    // The answer goes out under the gateway's request id (the one in the audit), not the provider's.
    response.headers['x-request-id'] = ctx.endpoint.requestId;
    // A pass-through path may be one the key has no scope for (an admin or organization endpoint): its 403 says
    // nothing about the key's use for model calls, so it must not take the key out of the pool.
    const status = response.statusCode === 403 ? undefined : response.statusCode;
    key.done(status, flattenHeaders(response.headers));
    span.answered(response.statusCode ?? 0);
    ctx.upstreamCalled = true;
    ctx.ttfbMs = ctx.elapsed();
    response.on('data', (chunk: Buffer) => tail.push(chunk));
  });
  const proxy = await passthroughProxy();
  await new Promise<void>((resolve) => {
    ctx.res.on('close', () => resolve());
    proxy.web(ctx.req, ctx.res, { target: base, buffer: input }, (err: unknown) => {
      key.done(undefined);
      const mapped = new GatewayError('upstream_unreachable', `provider ${provider.spec.name} is unreachable (${transportDetail(err)})`);
      ctx.error = mapped;
      ctx.status = mapped.status;
      sendError(ctx.res, mapped, ctx.endpoint.wire, ctx.endpoint.requestId);
      resolve();
    });
  });
  span.end(ctx.error);
  ctx.bytesIn = ctx.body?.length ?? bytesIn;
  ctx.bytesOut = tail.bytes;
  meterPassthrough(ctx, provider, tail);
}

/** Only a complete usage report bills: without one the call stays unpriced, recorded with a NULL cost. */
function meterPassthrough(ctx: RequestContext, provider: ProviderAdapter, tail: ByteTail): void {
  if (ctx.price === undefined || ctx.res.statusCode >= 400) return;
  const reading = readOpenAIUsage(tail.usage());
  if (reading.gaps?.rejected.length) ctx.warnUsage(provider.spec.name, reading.gaps.rejected);
  if (reading.gaps === undefined) ctx.metered = { usage: reading.usage, estimated: false };
}

export const PASSTHROUGH_STEPS: readonly Step[] = [gate, identifyCaller, admitPassthrough, relayPassthrough];
