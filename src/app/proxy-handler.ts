/**
 * Dispatches proxy endpoints: chat-style requests go through the pipeline; count_tokens, models,
 * embeddings and any other /v1 path are handled here with the same identity, routing and error rules.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import type httpProxy from 'http-proxy-3';
import { GatewayError } from '../core/errors.js';
import { ZERO_USAGE } from '../core/usage.js';
import type { Clock } from '../core/clock.js';
import type { GatewayConfig } from '../config/types.js';
import { handleChat, type PipelineDeps } from '../pipeline/chat-pipeline.js';
import { identify } from '../pipeline/steps/identify.js';
import { parseJsonBody, readBody } from '../pipeline/steps/read-body.js';
import { readUpstreamText } from '../pipeline/steps/relay-json.js';
import { clientFormatFor } from '../server/gateway-server.js';
import { sendError, sendJson, toGatewayError } from '../server/render-error.js';
import type { ProxyEndpoint } from '../server/route-match.js';
import { costOf } from '../metering/index.js';
import { meteredColumns } from '../store/rows.js';
import type { ProviderSet } from './providers.js';
import type { ConfigRouter } from './router.js';
import { countTokensLocally } from './count-tokens.js';

type PassthroughProxy = ReturnType<typeof httpProxy.createProxyServer<typeof IncomingMessage, typeof ServerResponse, unknown>>;

export interface ProxyHandlerDeps extends PipelineDeps {
  config: () => GatewayConfig;
  providers: ProviderSet;
  router: ConfigRouter;
  clock: Clock;
}

export function createProxyHandler(deps: ProxyHandlerDeps) {
  // Loaded on the first pass-through request: most gateways never see one, and it costs memory.
  let passthrough: Promise<PassthroughProxy> | undefined;
  const passthroughProxy = (): Promise<PassthroughProxy> =>
    (passthrough ??= import('http-proxy-3').then((m) => m.default.createProxyServer<typeof IncomingMessage, typeof ServerResponse, unknown>({ changeOrigin: true, xfwd: false })));

  return async function proxy(req: IncomingMessage, res: ServerResponse, endpoint: ProxyEndpoint, agent: string | undefined, v1Path: string, search: string, requestId: string): Promise<void> {
    const format = clientFormatFor(endpoint, req.headers);
    try {
      switch (endpoint) {
        case 'chat':
          return await guardMethod(req, 'POST', () => handleChat(req, res, 'openai-chat', agent, requestId, deps));
        case 'messages':
          return await guardMethod(req, 'POST', () => handleChat(req, res, 'anthropic-messages', agent, requestId, deps));
        case 'count_tokens':
          return await guardMethod(req, 'POST', () => countTokens(req, res, agent, deps));
        case 'models':
          return await guardMethod(req, 'GET', async () => listModels(req, res, deps));
        case 'embeddings':
          return await guardMethod(req, 'POST', () => embeddings(req, res, agent, requestId, deps));
        case 'responses':
          return await guardMethod(req, 'POST', () => handleChat(req, res, 'openai-responses', agent, requestId, deps));
        case 'other':
          return await other(req, res, agent, v1Path + search, deps, await passthroughProxy());
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

function settingsFor(deps: ProxyHandlerDeps) {
  return deps.settings();
}

/** Anthropic providers count for real; others get a local estimate that includes system and tools. */
async function countTokens(req: IncomingMessage, res: ServerResponse, pathAgent: string | undefined, deps: ProxyHandlerDeps): Promise<void> {
  const settings = settingsFor(deps);
  const identity = identify(pathAgent, req.headers, settings);
  const body = await readBody(req, settings.maxBodyBytes);
  const json = parseJsonBody(body);
  if (typeof json !== 'object' || json === null || typeof (json as { model?: unknown }).model !== 'string') {
    throw new GatewayError('invalid_request', 'model: required string', { param: 'model' });
  }
  const model = (json as { model: string }).model;
  const target = deps.router.resolve(model, identity.agent)[0]!;
  if (target.provider.format === 'anthropic-messages') {
    const upstream = await target.provider.send({
      endpoint: '/messages/count_tokens',
      method: 'POST',
      body: JSON.stringify({ ...(json as object), model: target.upstreamModel }),
      clientHeaders: req.headers,
      clientKey: identity.clientKey,
      signal: abortOnClose(res),
    });
    const raw = await readUpstreamText(upstream, settings.maxResponseBytes, target.provider.spec.name);
    // An upstream error body may echo the provider key; the client never sees it.
    const text = upstream.status >= 400 && deps.redact ? deps.redact(raw) : raw;
    res.writeHead(upstream.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  sendJson(res, 200, { input_tokens: await countTokensLocally(json as Record<string, unknown>) });
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

/** Embeddings: routed by model to an OpenAI-compatible provider, metered from the reported usage. */
async function embeddings(req: IncomingMessage, res: ServerResponse, pathAgent: string | undefined, requestId: string, deps: ProxyHandlerDeps): Promise<void> {
  const settings = settingsFor(deps);
  const started = deps.clock.monotonic();
  const ts = deps.clock.now();
  const identity = identify(pathAgent, req.headers, settings);
  const body = await readBody(req, settings.maxBodyBytes);
  const parsed = parseJsonBody(body);
  // `null`, a number or an array parse fine but are no request; reading `.model` of null would be a 500.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new GatewayError('invalid_request', 'request body must be a JSON object');
  const json = parsed as { model?: unknown };
  if (typeof json.model !== 'string' || json.model === '') throw new GatewayError('invalid_request', 'model: required string', { param: 'model' });
  const target = deps.router.resolve(json.model, identity.agent)[0]!;
  if (target.provider.format !== 'openai-chat') throw new GatewayError('invalid_request', `model ${json.model} routes to provider ${target.provider.spec.name}, which has no embeddings endpoint`, { param: 'model' });
  const upstream = await target.provider.send({
    endpoint: '/embeddings',
    method: 'POST',
    body: target.upstreamModel === json.model ? body.toString('utf8') : JSON.stringify({ ...json, model: target.upstreamModel }),
    clientHeaders: req.headers,
    clientKey: identity.clientKey,
    signal: abortOnClose(res),
  });
  const raw = await readUpstreamText(upstream, settings.maxResponseBytes, target.provider.spec.name);
  const text = upstream.status >= 400 && deps.redact ? deps.redact(raw) : raw;
  let inputTokens = 0;
  try {
    inputTokens = Number((JSON.parse(text) as { usage?: { prompt_tokens?: number } }).usage?.prompt_tokens ?? 0) || 0;
  } catch {
    /* an unreadable body is passed on as it is; its usage is unknown */
  }
  res.writeHead(upstream.status, { 'content-type': upstream.headers['content-type'] ?? 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': requestId, 'x-ai-gateway-agent': identity.agent });
  res.end(text);
  const usage = { ...ZERO_USAGE, inputUncached: inputTokens };
  const price = deps.meter.priceFor({ name: target.provider.spec.name, type: target.provider.spec.type }, target.upstreamModel);
  const cost = price && upstream.status < 400 ? costOf(usage, price) : undefined;
  deps.recorder.record({
    row: {
      id: requestId,
      ts,
      agent: identity.agent,
      provider: target.provider.spec.name,
      model: json.model,
      upstreamModel: target.upstreamModel,
      clientFormat: 'openai-embeddings',
      upstreamFormat: 'openai-embeddings',
      stream: false,
      status: upstream.status,
      errorCode: upstream.status >= 400 ? 'upstream_error' : null,
      ...meteredColumns(usage, cost, price),
      estimated: false,
      latencyMs: Math.round(deps.clock.monotonic() - started),
      ttfbMs: null,
      dropped: null,
    },
    usage,
    streamEvents: 0,
  });
}

/**
 * Any other /v1 path goes as it is to the agent's provider (its forced one, else the first OpenAI-style
 * provider) with the provider's key in place of the client's. Not metered: the gateway cannot read its usage.
 */
async function other(req: IncomingMessage, res: ServerResponse, pathAgent: string | undefined, pathAndQuery: string, deps: ProxyHandlerDeps, proxy: PassthroughProxy): Promise<void> {
  const settings = settingsFor(deps);
  const identity = identify(pathAgent, req.headers, settings);
  const config = deps.config();
  const forced = config.agents.get(identity.agent)?.provider;
  const providerName = forced ?? [...config.providers.values()].find((p) => p.type === 'openai')?.name;
  const provider = providerName ? deps.providers.get(providerName) : undefined;
  if (!provider || provider.spec.type === 'mock') throw new GatewayError('not_found', `no provider to pass ${pathAndQuery} through to`);
  const base = provider.spec.type === 'anthropic' ? `${provider.spec.baseUrl}/v1` : provider.spec.baseUrl;
  const key = provider.spec.apiKey ?? identity.clientKey;
  delete req.headers['x-api-key'];
  delete req.headers.authorization;
  delete req.headers['x-agent-id'];
  if (key) {
    if (provider.spec.type === 'anthropic') req.headers['x-api-key'] = key;
    else req.headers.authorization = `Bearer ${key}`;
  }
  req.url = pathAndQuery;
  await new Promise<void>((resolve) => {
    res.on('close', () => resolve());
    proxy.web(req, res, { target: base }, (err: unknown) => {
      const detail = (err as NodeJS.ErrnoException | null)?.code ?? (err instanceof Error ? err.message : 'connection failed');
      const mapped = new GatewayError('upstream_unreachable', `provider ${provider.spec.name} is unreachable (${detail})`);
      sendError(res, mapped, clientFormatFor('other', req.headers), String(res.getHeader('x-request-id') ?? ''));
      resolve();
    });
  });
}

/** Aborts the upstream call when the client goes away first. */
function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
