/**
 * The fake Azure OpenAI resource, as strict as Azure about what a gateway could get wrong:
 * - the key only in the `api-key` header (the v1 form also takes it as a bearer token, as Azure documents for
 *   OpenAI clients); anything else is Azure's 401;
 * - classic paths (`/openai/deployments/{deployment}/chat/completions`, `/embeddings`, `/openai/responses`) need an
 *   `api-version` query: without one Azure answers 404 "Resource not found", with one it does not know 400;
 *   Responses exists from 2025-03-01-preview on;
 * - v1 paths (`/openai/v1/chat/completions`, `/responses`, `/embeddings`) take no dated api-version (only `preview`
 *   or `latest`) and name the deployment in the body's `model`;
 * - an unknown deployment is 404 DeploymentNotFound.
 * Answers are the fake OpenAI's, carrying the deployment's model name, with Azure's content-filter annotations on
 * chat: `prompt_filter_results` and per-choice `content_filter_results` in a whole answer, and a stream that opens
 * with a chunk of its own holding only the prompt's filter results (no choices, empty id and model).
 */
import { openAIHeaders, JSON_TYPE, renderOpenAIChat, renderOpenAIEmbeddings } from './openai-render.js';
import { applyEndpointScenario } from './endpoint.js';
import { IdSource } from './ids.js';
import { stringField, type JsonObject } from './json.js';
import { bodyPlan, type ResponsePlan, type Step } from './plan.js';
import { rawLastUserText, type RenderEnv } from './reply.js';
import { lastUserInput } from './responses-render.js';
import { validateChat } from './openai.js';
import { ResponsesMemory, serveResponses } from './responses.js';
import { startFakeServer, type FakeServerOptions, type FakeUpstream, type RouteContext } from './server.js';

export interface FakeAzureOptions extends FakeServerOptions {
  /** Required: Azure always authenticates. */
  apiKey: string;
  /** Deployment name → the model it serves. */
  deployments: Readonly<Record<string, string>>;
}

/** A dated api-version as Azure spells them: `2024-10-21`, `2025-04-01-preview`. */
const DATED_VERSION = /^(\d{4}-\d{2}-\d{2})(-preview)?$/;
/** The first api-version with the Responses API. */
const RESPONSES_SINCE = '2025-03-01';

const ACCESS_DENIED =
  'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.';
const DEPLOYMENT_NOT_FOUND =
  'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.';

/** Azure's own error body: `{"error":{"code","message"}}`, no `type` or `param`. */
function azureError(status: number, code: string, message: string, env: RenderEnv): ResponsePlan {
  const headers = { ...JSON_TYPE, 'apim-request-id': new IdSource(env.seed).openAIRequestId(), 'x-ms-region': 'Sweden Central' };
  return bodyPlan(status, headers, Buffer.from(JSON.stringify({ error: { code, message } })));
}

function openAIStyle400(message: string, param: string | null, env: RenderEnv): ResponsePlan {
  const body = { error: { message, type: 'invalid_request_error', param, code: null } };
  return bodyPlan(400, { ...JSON_TYPE, ...openAIHeaders(new IdSource(env.seed).openAIRequestId(), {}) }, Buffer.from(JSON.stringify(body)));
}

const SAFE = { filtered: false, severity: 'safe' };
const CONTENT_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER = [{ prompt_index: 0, content_filter_results: CONTENT_FILTER }];

/** A successful chat answer with Azure's content-filter annotations; anything else as it was rendered. */
function withContentFilters(plan: ResponsePlan): ResponsePlan {
  const head = plan.head;
  if (head === null || head.status !== 200) return plan;
  const writes = plan.steps.filter((s): s is Extract<Step, { op: 'write' }> => s.op === 'write');
  if (writes.length === 0) return plan;
  if (head.headers['content-type']?.startsWith('text/event-stream')) {
    const first = `data: ${JSON.stringify({ choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: PROMPT_FILTER })}\n\n`;
    let done = false;
    const steps = plan.steps.map((s): Step => {
      if (done || s.op !== 'write') return s;
      done = true;
      return { op: 'write', bytes: Buffer.concat([Buffer.from(first), s.bytes]) };
    });
    return { head, steps };
  }
  const body = JSON.parse(Buffer.concat(writes.map((w) => w.bytes)).toString('utf8')) as { choices?: Record<string, unknown>[] };
  const annotated = { ...body, choices: (body.choices ?? []).map((c) => ({ ...c, content_filter_results: CONTENT_FILTER })), prompt_filter_results: PROMPT_FILTER };
  const { 'content-length': _length, ...headers } = head.headers;
  return bodyPlan(200, headers, Buffer.from(JSON.stringify(annotated)));
}

type Parsed =
  | { form: 'classic'; deployment: string | undefined; endpoint: string }
  | { form: 'v1'; endpoint: string }
  | undefined;

function parsePath(pathname: string): Parsed {
  if (pathname.startsWith('/openai/v1/')) return { form: 'v1', endpoint: pathname.slice('/openai/v1'.length) };
  const m = /^\/openai\/deployments\/([^/]+)(\/.+)$/.exec(pathname);
  if (m) return { form: 'classic', deployment: decodeURIComponent(m[1]!), endpoint: m[2]! };
  if (pathname === '/openai/responses') return { form: 'classic', deployment: undefined, endpoint: '/responses' };
  return undefined;
}

export function startFakeAzure(opts: FakeAzureOptions): Promise<FakeUpstream> {
  const memory = new ResponsesMemory();
  const validate = opts.validate ?? true;
  const generation = new Set(['/openai/responses', '/openai/v1/chat/completions', '/openai/v1/responses']);
  for (const d of Object.keys(opts.deployments)) generation.add(`/openai/deployments/${d}/chat/completions`);

  function authorized(ctx: RouteContext, v1: boolean): boolean {
    const headers = ctx.request.headers;
    if (headers['api-key'] === opts.apiKey) return true;
    return v1 && headers['api-key'] === undefined && headers['authorization'] === `Bearer ${opts.apiKey}`;
  }

  function route(ctx: RouteContext): ResponsePlan {
    const { request, env } = ctx;
    const parsed = parsePath(request.pathname);
    if (!authorized(ctx, parsed?.form === 'v1')) return azureError(401, '401', ACCESS_DENIED, env);
    if (parsed === undefined || request.method !== 'POST') return azureError(404, '404', 'Resource not found', env);
    const version = new URL(request.path, 'http://fake').searchParams.get('api-version');
    if (parsed.form === 'classic') {
      if (version === null) return azureError(404, '404', 'Resource not found', env);
      const dated = DATED_VERSION.exec(version);
      if (dated === null) return azureError(400, 'BadRequest', 'API version not supported', env);
      if (parsed.endpoint === '/responses' && (dated[1]! < RESPONSES_SINCE || (dated[1] === RESPONSES_SINCE && dated[2] === undefined))) {
        return azureError(400, 'BadRequest', 'API version not supported', env);
      }
    } else if (version !== null && version !== 'preview' && version !== 'latest') {
      return azureError(400, 'BadRequest', `api-version query parameter is not allowed when using /v1 path`, env);
    }
    const body = request.body;
    if (body === null) return openAIStyle400('We could not parse the JSON body of your request.', null, env);
    // Classic chat and embeddings name the deployment in the path; Responses and the v1 form in the body.
    const deployment = parsed.form === 'classic' && parsed.deployment !== undefined ? parsed.deployment : stringField(body, 'model');
    if (deployment === undefined) return openAIStyle400("Missing required parameter: 'model'.", 'model', env);
    const model = Object.hasOwn(opts.deployments, deployment) ? opts.deployments[deployment] : undefined;
    if (model === undefined) return azureError(404, 'DeploymentNotFound', DEPLOYMENT_NOT_FOUND, env);
    const served: JsonObject = { ...body, model };
    switch (parsed.endpoint) {
      case '/chat/completions':
        if (validate) {
          const invalid = validateChat(served, env);
          if (invalid) return invalid;
        }
        return withContentFilters(renderOpenAIChat(ctx.takeScenario(), served, env));
      case '/responses':
        return serveResponses(served, env, memory, () => ctx.takeScenario(), validate);
      case '/embeddings':
        if (validate && body['input'] === undefined) return openAIStyle400("Missing required parameter: 'input'.", 'input', env);
        return applyEndpointScenario(ctx.takeScenario(), () => renderOpenAIEmbeddings(served, env, 8), (s) => azureError(s.status, String(s.status), s.message ?? 'error', env));
      default:
        return azureError(404, '404', 'Resource not found', env);
    }
  }

  return startFakeServer(
    {
      basePath: '',
      generationPaths: generation,
      directiveText: (body) => {
        const input = body?.['input'];
        if (typeof input === 'string') return input;
        return Array.isArray(input) ? lastUserInput(input) : rawLastUserText(body?.['messages']);
      },
      badScenario: (message, env) => openAIStyle400(message, null, env),
      reset: () => memory.clear(),
      route,
    },
    opts,
  );
}
