/**
 * Dispatches proxy endpoints: chat-style requests go through the pipeline; count_tokens, models,
 * embeddings and any other /v1 path are handled here with the same identity, admission, routing, error and
 * audit rules (src/pipeline/side-call.ts).
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type httpProxy from 'http-proxy-3';
import { GatewayError } from '../core/errors.js';
import { ZERO_USAGE } from '../core/usage.js';
import type { Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/types.js';
import { handleChat, type PipelineDeps } from '../pipeline/chat-pipeline.js';
import { runSideCall, type SideCall } from '../pipeline/side-call.js';
import { parseJsonBody, readBody } from '../pipeline/steps/read-body.js';
import { readUpstreamText } from '../pipeline/steps/relay-json.js';
import { isFree } from '../pipeline/steps/stream-guard.js';
import { ByteTail } from '../pipeline/steps/usage-tail.js';
import { usageWarnings } from '../pipeline/usage-warnings.js';
import { clientFormatFor } from '../server/gateway-server.js';
import { sendError, sendJson, toGatewayError } from '../server/render-error.js';
import type { ProxyEndpoint } from '../server/route-match.js';
import { freePrice, maxCostOf, type ModelPrice } from '../metering/index.js';
import { readOpenAIUsage } from '../wire/openai-chat/index.js';
import type { UpstreamResponse } from '../providers/provider.js';
import { transportError } from '../providers/http-upstream.js';
import type { ProviderSet } from './providers.js';
import type { ConfigRouter } from './adapters/router.js';
import { countTokensLocally } from './count-tokens.js';

type PassthroughProxy = ReturnType<typeof httpProxy.createProxyServer<typeof IncomingMessage, typeof ServerResponse, unknown>>;

export interface ProxyHandlerDeps extends PipelineDeps {
  config: () => GatewayConfig;
  providers: ProviderSet;
  router: ConfigRouter;
  clock: Clock;
}

/** What a pass-through response tells its side call, by request (the proxy reports responses on one event). */
type ResponseTap = (response: IncomingMessage) => void;

export function createProxyHandler(handlerDeps: ProxyHandlerDeps) {
  const deps: ProxyHandlerDeps = { ...handlerDeps, warnUsage: handlerDeps.warnUsage ?? usageWarnings(handlerDeps.logger) };
  const taps = new WeakMap<IncomingMessage, ResponseTap>();
  // Loaded on the first pass-through request: most gateways never see one, and it costs memory.
  let passthrough: Promise<PassthroughProxy> | undefined;
  const passthroughProxy = (): Promise<PassthroughProxy> =>
    (passthrough ??= import('http-proxy-3').then((m) => {
      const proxy = m.default.createProxyServer<typeof IncomingMessage, typeof ServerResponse, unknown>({ changeOrigin: true, xfwd: false });
      proxy.on('proxyRes', (response, req) => taps.get(req)?.(response));
      return proxy;
    }));

  return async function proxy(req: IncomingMessage, res: ServerResponse, endpoint: ProxyEndpoint, agent: string | undefined, v1Path: string, search: string, requestId: string): Promise<void> {
    const format = clientFormatFor(endpoint, req.headers);
    const path = `/v1${v1Path}`;
    const meta = (clientFormat: string) => ({ requestId, path, errorFormat: format, clientFormat });
    try {
      switch (endpoint) {
        case 'chat':
          return await guardMethod(req, 'POST', () => handleChat(req, res, 'openai-chat', agent, requestId, deps, path));
        case 'messages':
          return await guardMethod(req, 'POST', () => handleChat(req, res, 'anthropic-messages', agent, requestId, deps, path));
        case 'count_tokens':
          return await guardMethod(req, 'POST', () => runSideCall(deps, res, meta('anthropic-count-tokens'), (call) => countTokens(req, res, agent, call, deps)));
        case 'models':
          return await guardMethod(req, 'GET', async () => listModels(req, res, deps));
        case 'embeddings':
          return await guardMethod(req, 'POST', () => runSideCall(deps, res, meta('openai-embeddings'), (call) => embeddings(req, res, agent, call, deps)));
        case 'responses':
          return await guardMethod(req, 'POST', () => handleChat(req, res, 'openai-responses', agent, requestId, deps, path));
        case 'other':
          return await runSideCall(deps, res, meta('passthrough'), async (call) => other(req, res, agent, v1Path, search, call, deps, await passthroughProxy(), taps));
      }
    } catch (err) {
      sendError(res, toGatewayError(err), format, requestId);
    }
  };
}

async function guardMethod(req: IncomingMessage, method: 'GET' | 'POST', run: () => Promise<void>): Promise<void> {
  if (req.method !== method) throw new GatewayError('invalid_request', `use ${method} for this endpoint`, { status: 405, code: 'method_not_allowed' });
  await run();
}

/**
 * Anthropic providers count for real (a call Anthropic documents as free: billed $0, recorded as such);
 * others get a local estimate that includes system and tools, and reach no provider.
 */
async function countTokens(req: IncomingMessage, res: ServerResponse, pathAgent: string | undefined, call: SideCall, deps: ProxyHandlerDeps): Promise<void> {
  const settings = deps.settings();
  const identity = call.identify(pathAgent, req.headers);
  const body = await readBody(req, settings.maxBodyBytes);
  call.bytesIn = body.length;
  const json = parseJsonBody(body);
  if (typeof json !== 'object' || json === null || typeof (json as { model?: unknown }).model !== 'string') {
    throw new GatewayError('invalid_request', 'model: required string', { param: 'model' });
  }
  const model = (json as { model: string }).model;
  call.model = model;
  const target = deps.router.resolve(model, identity.agent)[0]!;
  // Free, but still under the agent's controls: a paused or spent agent is refused here too.
  call.admit({ provider: target.provider.spec.name, model: target.upstreamModel, maxCostUsd: null, tokens: 0 });
  if (target.provider.format === 'anthropic-messages') {
    call.provider = target.provider.spec.name;
    call.upstreamModel = target.upstreamModel;
    call.upstreamFormat = target.provider.format;
    const upstream = await target.provider.send({
      endpoint: '/messages/count_tokens',
      method: 'POST',
      body: JSON.stringify({ ...(json as object), model: target.upstreamModel }),
      clientHeaders: req.headers,
      clientKey: identity.clientKey,
      signal: abortOnClose(res),
    });
    call.upstreamCalled = true;
    call.ttfbMs = call.elapsed();
    const raw = await readUpstreamText(upstream, settings.maxResponseBytes, target.provider.spec.name);
    // An upstream error body may echo the provider key; the client never sees it.
    const text = upstream.status >= 400 && deps.redact ? deps.redact(raw) : raw;
    if (upstream.status < 400) {
      call.price = freePrice('count_tokens');
      call.metered = { usage: { ...ZERO_USAGE }, estimated: false };
    }
    call.bytesOut = Buffer.byteLength(text);
    res.writeHead(upstream.status, { 'content-type': 'application/json', 'content-length': call.bytesOut });
    res.end(text);
    return;
  }
  const answer = JSON.stringify({ input_tokens: await countTokensLocally(json as Record<string, unknown>) });
  call.bytesOut = Buffer.byteLength(answer);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': call.bytesOut });
  res.end(answer);
}

/** The models this gateway routes: exact names and aliases from the config, in the client's list shape. */
function listModels(req: IncomingMessage, res: ServerResponse, deps: ProxyHandlerDeps): void {
  const config = deps.config();
  const ids = new Set<string>();
  for (const r of config.models) if (r.kind === 'exact') ids.add(r.pattern);
  for (const a of config.agents.values()) if (a.model) ids.add(a.model);
  const created = Math.floor(deps.clock.now() / 1000);
  const list = [...ids].sort();
  if (req.headers['anthropic-version'] !== undefined) {
    const data = list.map((id) => ({ type: 'model', id, display_name: id, created_at: new Date(created * 1000).toISOString() }));
    sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  } else {
    sendJson(res, 200, { object: 'list', data: list.map((id) => ({ id, object: 'model', created, owned_by: 'ai-gateway' })) });
  }
}

/**
 * Embeddings: routed by model to an OpenAI-compatible provider. The answer (easily many MB of vectors) is
 * streamed through untouched and metered from the usage at its end.
 */
async function embeddings(req: IncomingMessage, res: ServerResponse, pathAgent: string | undefined, call: SideCall, deps: ProxyHandlerDeps): Promise<void> {
  const settings = deps.settings();
  const identity = call.identify(pathAgent, req.headers);
  const body = await readBody(req, settings.maxBodyBytes);
  call.bytesIn = body.length;
  const parsed = parseJsonBody(body);
  // `null`, a number or an array parse fine but are no request; reading `.model` of null would be a 500.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('invalid_request', 'request body must be a JSON object');
  const json = parsed as { model?: unknown };
  if (typeof json.model !== 'string' || json.model === '') throw new GatewayError('invalid_request', 'model: required string', { param: 'model' });
  call.model = json.model;
  const target = deps.router.resolve(json.model, identity.agent)[0]!;
  if (target.provider.format !== 'openai-chat') throw new GatewayError('invalid_request', `model ${json.model} routes to provider ${target.provider.spec.name}, which has no embeddings endpoint`, { param: 'model' });
  const price = deps.meter.priceFor({ name: target.provider.spec.name, type: target.provider.spec.type }, target.upstreamModel);
  // Embeddings read input only: its tokens are at most its bytes.
  call.admit({ provider: target.provider.spec.name, model: target.upstreamModel, maxCostUsd: holdUsd(price, body.length, 0), tokens: Math.ceil(body.length / 3) });
  call.provider = target.provider.spec.name;
  call.upstreamModel = target.upstreamModel;
  call.upstreamFormat = 'openai-embeddings';
  const upstream = await target.provider.send({
    endpoint: '/embeddings',
    method: 'POST',
    body: target.upstreamModel === json.model ? body.toString('utf8') : JSON.stringify({ ...json, model: target.upstreamModel }),
    clientHeaders: req.headers,
    clientKey: identity.clientKey,
    signal: abortOnClose(res),
  });
  call.upstreamCalled = true;
  call.ttfbMs = call.elapsed();
  const headers = { 'content-type': upstream.headers['content-type'] ?? 'application/json', 'x-request-id': call.meta.requestId };
  if (upstream.status >= 400) {
    const raw = await readUpstreamText(upstream, settings.maxResponseBytes, target.provider.spec.name);
    const text = deps.redact ? deps.redact(raw) : raw;
    call.bytesOut = Buffer.byteLength(text);
    res.writeHead(upstream.status, { ...headers, 'content-length': call.bytesOut });
    res.end(text);
    return;
  }
  const tail = new ByteTail();
  call.bytesOut = 0;
  try {
    await relayWithTail(upstream, res, headers, tail);
  } catch (err) {
    // A client that left is settled as such (499); a provider that broke off mid-body is its failure.
    if (!res.writableEnded && res.destroyed) return;
    throw transportError(err, target.provider.spec.name);
  } finally {
    call.bytesOut = tail.bytes;
  }
  call.price = price;
  const reading = readOpenAIUsage(tail.usage());
  if (reading.gaps?.rejected.length) deps.warnUsage?.(target.provider.spec.name, reading.gaps.rejected);
  // An embedding has no output; input the provider did not report is counted here from the request.
  const estimated = reading.gaps?.input === true;
  const input = estimated ? await deps.meter.estimateTokens(body.toString('utf8')) : reading.usage.inputUncached + reading.usage.cacheRead;
  call.metered = { usage: { ...ZERO_USAGE, inputUncached: input }, estimated };
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

/** Pass-through paths whose answer carries OpenAI usage the price table can bill (the model is in the request). */
const USAGE_PRICED = new Set(['/completions']);

/**
 * Any other /v1 path goes as it is to the agent's provider (its forced one, else the first OpenAI-style
 * provider) with the provider's key in place of the client's, under the agent's controls and with an audit
 * row. Legacy completions are billed from their usage; every other path is recorded unpriced (cost NULL).
 */
async function other(
  req: IncomingMessage,
  res: ServerResponse,
  pathAgent: string | undefined,
  v1Path: string,
  search: string,
  call: SideCall,
  deps: ProxyHandlerDeps,
  proxy: PassthroughProxy,
  taps: WeakMap<IncomingMessage, ResponseTap>,
): Promise<void> {
  const settings = deps.settings();
  const config = deps.config();
  if (!passthroughAllowed(config.gateway.passthrough, call.meta.path)) {
    throw new GatewayError('not_found', `pass-through of ${call.meta.path} is switched off in this gateway's config (gateway.passthrough)`, { code: 'passthrough_disabled' });
  }
  const identity = call.identify(pathAgent, req.headers);
  const forced = config.agents.get(identity.agent)?.provider;
  const providerName = forced ?? [...config.providers.values()].find((p) => p.type === 'openai')?.name;
  const provider = providerName ? deps.providers.get(providerName) : undefined;
  if (!provider || provider.spec.type === 'mock') throw new GatewayError('not_found', `no provider to pass ${call.meta.path} through to`);
  call.provider = provider.spec.name;
  call.upstreamFormat = provider.spec.type;

  // A priced path's JSON body is read first, for its model and output cap; everything else streams through.
  let body: Buffer | undefined;
  let price: ModelPrice | undefined;
  let outputCap = 0;
  if (USAGE_PRICED.has(v1Path) && req.method === 'POST') {
    body = await readBody(req, settings.maxBodyBytes);
    const json = parseJsonBody(body) as { model?: unknown; max_tokens?: unknown; stream?: unknown } | null;
    if (typeof json === 'object' && json !== null && typeof json.model === 'string') {
      call.model = json.model;
      call.upstreamModel = json.model;
      call.stream = json.stream === true;
      price = deps.meter.priceFor({ name: provider.spec.name, type: provider.spec.type }, json.model);
      outputCap = typeof json.max_tokens === 'number' && Number.isSafeInteger(json.max_tokens) && json.max_tokens > 0 ? json.max_tokens : settings.defaultOutputCap;
    }
  }
  call.admit({
    provider: provider.spec.name,
    model: call.model,
    maxCostUsd: body === undefined ? null : holdUsd(price, body.length, outputCap),
    tokens: body === undefined ? 0 : Math.ceil(body.length / 3) + outputCap,
  });

  const base = provider.spec.type === 'anthropic' ? `${provider.spec.baseUrl}/v1` : provider.spec.baseUrl;
  const key = provider.spec.apiKey ?? identity.clientKey;
  delete req.headers['x-api-key'];
  delete req.headers.authorization;
  delete req.headers['x-agent-id'];
  // The usage at the end of a priced answer must be readable, so it comes uncompressed.
  if (price !== undefined) delete req.headers['accept-encoding'];
  if (key) {
    if (provider.spec.type === 'anthropic') req.headers['x-api-key'] = key;
    else req.headers.authorization = `Bearer ${key}`;
  }
  req.url = v1Path + search;

  const tail = new ByteTail();
  let bytesIn = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytesIn += chunk.length;
      done(null, chunk);
    },
  });
  const input = body !== undefined ? Readable.from([body]) : req.pipe(counted);
  taps.set(req, (response) => {
    // The answer goes out under the gateway's request id (the one in the audit), not the provider's.
    response.headers['x-request-id'] = call.meta.requestId;
    call.upstreamCalled = true;
    call.ttfbMs = call.elapsed();
    response.on('data', (chunk: Buffer) => tail.push(chunk));
  });
  await new Promise<void>((resolve) => {
    res.on('close', () => resolve());
    proxy.web(req, res, { target: base, buffer: input }, (err: unknown) => {
      const detail = (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : 'connection failed');
      const mapped = new GatewayError('upstream_unreachable', `provider ${provider.spec.name} is unreachable (${detail})`);
      call.fail(mapped);
      sendError(res, mapped, call.meta.errorFormat, call.meta.requestId);
      resolve();
    });
  });
  call.bytesIn = body?.length ?? bytesIn;
  call.bytesOut = tail.bytes;
  if (price !== undefined && res.statusCode < 400) {
    const reading = readOpenAIUsage(tail.usage());
    if (reading.gaps?.rejected.length) deps.warnUsage?.(provider.spec.name, reading.gaps.rejected);
    // Only a complete report bills: without one the call stays unpriced, recorded with a NULL cost.
    if (reading.gaps === undefined) {
      call.price = price;
      call.metered = { usage: reading.usage, estimated: false };
    }
  }
}

export function passthroughAllowed(rule: 'all' | readonly string[], path: string): boolean {
  if (rule === 'all') return true;
  return rule.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** The budget hold of a side call: its dearest cost from a true bound of its input, or null when unpriced. */
function holdUsd(price: ModelPrice | undefined, bodyBytes: number, outputTokens: number): number | null {
  if (price === undefined) return null;
  return isFree(price) ? 0 : maxCostOf(price, bodyBytes, outputTokens).totalUsd;
}

/** Aborts the upstream call when the client goes away first. */
function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
