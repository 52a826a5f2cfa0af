/**
 * The proxy's HTTP routes: each endpoint's method is checked, a request context is made, and the endpoint's steps
 * run (src/pipeline/endpoints). Also the audit record of a proxy call the server refused at its edge.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { RequestContext, type EndpointInfo } from '../pipeline/context.js';
import { chat, countTokens, embeddings, geminiCountTokens, listModels, passthrough } from '../pipeline/endpoints/index.js';
import type { PipelineDeps, RequestRecord } from '../pipeline/ports.js';
import { identify, type IdentifyOptions } from '../pipeline/steps/identify.js';
import { refusalRecord as buildRefusal } from '../pipeline/steps/record.js';
import { usageWarnings } from '../pipeline/usage-warnings.js';
import { clientFormatFor } from './gateway-server.js';
import { sendError, toGatewayError } from './render-error.js';
import { geminiModel, type ProxyEndpoint } from './route-match.js';
import type { GeminiTarget } from '../wire/index.js';

export { passthroughAllowed } from '../pipeline/endpoints/index.js';

export function createProxyRoutes(deps: PipelineDeps) {
  const warnUsage = usageWarnings(deps.log);

  return async function proxy(req: IncomingMessage, res: ServerResponse, endpoint: ProxyEndpoint, agent: string | undefined, v1Path: string, search: string, requestId: string): Promise<void> {
    const wire = clientFormatFor(endpoint, req.headers);
    const context = (auditFormat: string, gemini?: GeminiTarget): RequestContext => {
      // Gemini clients call /v1beta (their SDK's default) or /v1; the others always /v1.
      const version = gemini !== undefined && req.url?.includes('/v1beta/') === true ? '/v1beta' : '/v1';
      const info: EndpointInfo = { requestId, path: `${version}${v1Path}`, search, pathAgent: agent, wire, auditFormat, gemini };
      return new RequestContext(deps, req, res, info, warnUsage);
    };
    try {
      switch (endpoint) {
        case 'chat':
        case 'messages':
        case 'responses':
          guardMethod(req, 'POST');
          return await chat(context(wire));
        case 'gemini_generate':
        case 'gemini_stream':
          guardMethod(req, 'POST');
          return await chat(context(wire, { model: modelInPath(v1Path), stream: endpoint === 'gemini_stream' }));
        case 'gemini_count_tokens':
          guardMethod(req, 'POST');
          return await geminiCountTokens(context('gemini-count-tokens', { model: modelInPath(v1Path), stream: false }));
        case 'count_tokens':
          guardMethod(req, 'POST');
          return await countTokens(context('anthropic-count-tokens'));
        case 'models':
          guardMethod(req, 'GET');
          return listModels(req, res, deps);
        case 'embeddings':
          guardMethod(req, 'POST');
          return await embeddings(context('openai-embeddings'));
        case 'other':
          return await passthrough(context('passthrough'));
      }
    } catch (err) {
      sendError(res, toGatewayError(err), wire, requestId);
    }
  };
}

function modelInPath(v1Path: string): string {
  const model = geminiModel(v1Path);
  if (model === undefined || model.trim() === '') throw new GatewayError('invalid_request', 'the model in the URL is not valid', { param: 'model' });
  return model;
}

function guardMethod(req: IncomingMessage, method: 'GET' | 'POST'): void {
  if (req.method !== method) throw new GatewayError('invalid_request', `use ${method} for this endpoint`, { status: 405, code: 'method_not_allowed' });
}

/**
 * The audit record of a proxy call refused at the edge (a foreign Host or Origin, a body that is not JSON),
 * under the agent it named; an unidentifiable caller is recorded as the default agent, as the pipeline does.
 */
export function refusalRecord(
  req: IncomingMessage,
  error: GatewayError,
  requestId: string,
  proxied: { endpoint: ProxyEndpoint; agent: string | undefined },
  ts: number,
  settings: IdentifyOptions,
): RequestRecord {
  let agent = 'default';
  try {
    agent = identify(proxied.agent, req.headers, settings).agent;
  } catch {
    /* recorded as the default agent */
  }
  return buildRefusal({ id: requestId, ts, agent, clientFormat: clientFormatFor(proxied.endpoint, req.headers), error });
}
