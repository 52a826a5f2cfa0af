/**
 * The fake OpenAI upstream: POST /v1/chat/completions, POST /v1/responses, POST /v1/embeddings, GET /v1/models, and
 * the endpoints a gateway passes through: POST /v1/completions, /v1/images/generations, /v1/audio/speech, /v1/batches.
 */
import { applyEndpointScenario } from './endpoint.js';
import { openAILimits, quotedList } from './model-limits.js';
import { stringField, type JsonObject } from './json.js';
import {
  openAIRequestFacts,
  renderOpenAIChat,
  renderOpenAIEmbeddings,
  renderOpenAIError,
  renderOpenAIModels,
} from './openai-render.js';
import type { ResponsePlan } from './plan.js';
import { renderOpenAIBatch, renderOpenAICompletions, renderOpenAIImages, renderOpenAISpeech } from './openai-side-render.js';
import { rawLastUserText, type RenderEnv } from './reply.js';
import { lastUserInput } from './responses-render.js';
import { ResponsesMemory, serveResponses } from './responses.js';
import type { Scenario } from './scenario.js';
import { startFakeServer, type FakeServerOptions, type FakeUpstream, type RouteContext } from './server.js';

export interface FakeOpenAIOptions extends FakeServerOptions {
  /** Ids listed by GET /v1/models. */
  models?: readonly string[];
  /** Vector length when a request does not set `dimensions` (default 8). */
  embeddingDimensions?: number;
}

export const DEFAULT_OPENAI_MODELS: readonly string[] = ['gpt-4o-mini', 'gpt-4o', 'o3-mini', 'text-embedding-3-small'];

const CHAT = '/v1/chat/completions';
const RESPONSES = '/v1/responses';
const EMBEDDINGS = '/v1/embeddings';
const MODELS = '/v1/models';
const COMPLETIONS = '/v1/completions';
/** Endpoints a gateway passes through untouched, each with its renderer. */
const SIDE: Record<string, (body: JsonObject, env: RenderEnv) => ResponsePlan> = {
  '/v1/images/generations': renderOpenAIImages,
  '/v1/audio/speech': renderOpenAISpeech,
  '/v1/batches': renderOpenAIBatch,
};

function error400(message: string, env: RenderEnv, model: string, param: string | null = null, code: string | null = null): ResponsePlan {
  return renderOpenAIError({ kind: 'error', status: 400, message, param, code }, model, env);
}

/** Mirrors the API's own checks that a gateway could trip over when it builds requests (Azure makes the same ones). */
export function validateChat(body: JsonObject, env: RenderEnv): ResponsePlan | null {
  const model = stringField(body, 'model');
  if (model === undefined) return error400('you must provide a model parameter', env, '');
  if (!Array.isArray(body['messages'])) {
    return error400("Missing required parameter: 'messages'.", env, model, 'messages', 'missing_required_parameter');
  }
  if (body['stream_options'] !== undefined && body['stream_options'] !== null && body['stream'] !== true) {
    return error400("The 'stream_options' parameter is only allowed when 'stream' is enabled.", env, model, 'stream_options');
  }
  return validateIds(body, env, model) ?? validateModelLimits(body, env, model);
}

/** Identifier fields are capped at 64 characters for every model. */
const ID_MAX = 64;

function validateIds(body: JsonObject, env: RenderEnv, model: string): ResponsePlan | null {
  for (const key of ['user', 'safety_identifier', 'prompt_cache_key']) {
    const value = body[key];
    if (typeof value === 'string' && value.length > ID_MAX) {
      const message = `Invalid '${key}': string too long. Expected a string with maximum length ${ID_MAX}, but got a string with length ${value.length} instead.`;
      return error400(message, env, model, key, 'string_above_max_length');
    }
  }
  return null;
}

function validateModelLimits(body: JsonObject, env: RenderEnv, model: string): ResponsePlan | null {
  const limits = openAILimits(model);
  if (limits === undefined) return null;
  const effort = body['reasoning_effort'];
  if (effort !== undefined && effort !== null) {
    if (limits.efforts === undefined) {
      return error400("Unsupported parameter: 'reasoning_effort' is not supported with this model.", env, model, 'reasoning_effort', 'unsupported_parameter');
    }
    if (typeof effort !== 'string' || !limits.efforts.includes(effort)) {
      const message = `Unsupported value: '${String(effort)}' is not supported with this model. Supported values are: ${quotedList(limits.efforts)}.`;
      return error400(message, env, model, 'reasoning_effort', 'unsupported_value');
    }
  }
  for (const key of ['max_completion_tokens', 'max_tokens']) {
    const n = body[key];
    if (typeof n === 'number' && n > limits.maxOutput) {
      const message = `max_tokens is too large: ${n}. This model supports at most ${limits.maxOutput} completion tokens, whereas you provided ${n}.`;
      return error400(message, env, model, 'max_tokens');
    }
  }
  return null;
}

function authError(ctx: RouteContext, apiKey: string | undefined): ResponsePlan | null {
  if (apiKey === undefined) return null;
  const auth = ctx.request.headers['authorization'];
  if (auth === undefined) {
    return renderOpenAIError(
      {
        kind: 'error',
        status: 401,
        code: null,
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
      },
      '',
      ctx.env,
    );
  }
  return auth === `Bearer ${apiKey}` ? null : renderOpenAIError({ kind: 'error', status: 401 }, '', ctx.env);
}

const UNPARSEABLE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

export function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeUpstream> {
  const models = opts.models ?? DEFAULT_OPENAI_MODELS;
  const dims = opts.embeddingDimensions ?? 8;
  const validate = opts.validate ?? true;
  // Benchmark plans are rendered once per shape and replayed, so the fake costs little per request.
  const benchCache = new Map<string, ResponsePlan>();

  function chat(body: JsonObject, scenario: Scenario, env: RenderEnv): ResponsePlan {
    // Big replies (bench, oversized) are rendered once per shape: rendering 50 MB must not stall the tests' clock.
    if (scenario.kind !== 'bench' && scenario.kind !== 'oversized') return renderOpenAIChat(scenario, body, env);
    const facts = openAIRequestFacts(body);
    const key = JSON.stringify([scenario, facts.model, facts.stream, facts.includeUsage]);
    let plan = benchCache.get(key);
    if (!plan) {
      plan = renderOpenAIChat(scenario, body, env);
      benchCache.set(key, plan);
    }
    return plan;
  }

  const memory = new ResponsesMemory();

  return startFakeServer(
    {
      basePath: '/v1',
      generationPaths: new Set([CHAT, RESPONSES, COMPLETIONS]),
      directiveText: (body) => {
        const input = body?.['input'];
        if (typeof input === 'string') return input;
        return Array.isArray(input) ? lastUserInput(input) : rawLastUserText(body?.['messages']);
      },
      badScenario: (message, env) => error400(message, env, ''),
      // Stored responses are forgotten with the recorded requests.
      reset: () => memory.clear(),
      route(ctx) {
        const { request, env } = ctx;
        const denied = authError(ctx, opts.apiKey);
        if (denied) return denied;
        const route = `${request.method} ${request.pathname}`;
        if (route === `GET ${MODELS}`) {
          return applyEndpointScenario(
            ctx.takeScenario(),
            () => renderOpenAIModels(models, env),
            (s) => renderOpenAIError(s, '', env),
          );
        }
        const side = request.method === 'POST' ? SIDE[request.pathname] : undefined;
        if (side !== undefined) {
          if (request.body === null) return error400(UNPARSEABLE, env, '');
          const body = request.body;
          return applyEndpointScenario(ctx.takeScenario(), () => side(body, env), (s) => renderOpenAIError(s, '', env));
        }
        if (route === `POST ${COMPLETIONS}`) {
          const body = request.body;
          if (body === null) return error400(UNPARSEABLE, env, '');
          const scenario = ctx.takeScenario();
          if (scenario.kind === 'bench' || scenario.kind === 'error' || scenario.kind === 'timeout_before_headers' || scenario.kind === 'reset_before') {
            return applyEndpointScenario(scenario, () => renderOpenAICompletions({ kind: 'text' }, body, env), (s) => renderOpenAIError(s, '', env));
          }
          return renderOpenAICompletions(scenario, body, env);
        }
        if (route === `POST ${RESPONSES}`) {
          if (request.body === null) return error400(UNPARSEABLE, env, '');
          return serveResponses(request.body, env, memory, () => ctx.takeScenario(), validate);
        }
        if (route !== `POST ${CHAT}` && route !== `POST ${EMBEDDINGS}`) {
          return renderOpenAIError(
            { kind: 'error', status: 404, code: null, message: `Invalid URL (${request.method} ${request.pathname})` },
            '',
            env,
          );
        }
        const body = request.body;
        if (body === null) return error400(UNPARSEABLE, env, '');
        const model = stringField(body, 'model') ?? '';
        if (request.pathname === EMBEDDINGS) {
          if (validate && body['input'] === undefined) {
            return error400("Missing required parameter: 'input'.", env, model, 'input', 'missing_required_parameter');
          }
          return applyEndpointScenario(
            ctx.takeScenario(),
            () => renderOpenAIEmbeddings(body, env, dims),
            (s) => renderOpenAIError(s, model, env),
          );
        }
        const invalid = validate ? validateChat(body, env) : null;
        if (invalid) return invalid;
        return chat(body, ctx.takeScenario(), env);
      },
    },
    opts,
  );
}
