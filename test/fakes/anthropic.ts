/** The fake Anthropic upstream: POST /v1/messages, POST /v1/messages/count_tokens, GET /v1/models. */
import {
  anthropicRequestFacts,
  estimateAnthropicInputTokens,
  renderAnthropicCountTokens,
  renderAnthropicError,
  renderAnthropicMessages,
  renderAnthropicModels,
} from './anthropic-render.js';
import { applyEndpointScenario } from './endpoint.js';
import { anthropicLimits } from './model-limits.js';
import { isJsonObject, stringField, type JsonObject } from './json.js';
import type { ResponsePlan } from './plan.js';
import { rawLastUserText, type RenderEnv } from './reply.js';
import type { Scenario } from './scenario.js';
import { startFakeServer, type FakeServerOptions, type FakeUpstream, type RouteContext } from './server.js';

export interface FakeAnthropicOptions extends FakeServerOptions {
  /** Ids listed by GET /v1/models. */
  models?: readonly string[];
  /** Answer for count_tokens (default: about four characters per token). */
  countTokens?: (body: JsonObject) => number;
}

export const DEFAULT_ANTHROPIC_MODELS: readonly string[] = ['claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5'];

const MESSAGES = '/v1/messages';
const COUNT_TOKENS = '/v1/messages/count_tokens';
const MODELS = '/v1/models';

function error400(message: string, env: RenderEnv, model = ''): ResponsePlan {
  return renderAnthropicError({ kind: 'error', status: 400, message }, model, env);
}

function authError(ctx: RouteContext, apiKey: string | undefined): ResponsePlan | null {
  if (apiKey === undefined) return null;
  const { headers } = ctx.request;
  const key = headers['x-api-key'] ?? headers['authorization']?.replace(/^Bearer /, '');
  if (key === undefined) {
    return renderAnthropicError({ kind: 'error', status: 401, message: 'x-api-key header is required' }, '', ctx.env);
  }
  return key === apiKey ? null : renderAnthropicError({ kind: 'error', status: 401 }, '', ctx.env);
}

const USER_ID_MAX = 256;

/** Mirrors the API's own checks that a gateway could trip over when it builds requests. */
function validateMessages(body: JsonObject, env: RenderEnv, countOnly: boolean): ResponsePlan | null {
  const model = stringField(body, 'model');
  if (model === undefined) return error400('model: Field required', env);
  if (!Array.isArray(body['messages'])) return error400('messages: Field required', env, model);
  if (countOnly) return null;
  const maxTokens = body['max_tokens'];
  if (typeof maxTokens !== 'number') return error400('max_tokens: Field required', env, model);
  const limit = anthropicLimits(model)?.maxOutput;
  if (limit !== undefined && maxTokens > limit) {
    return error400(`max_tokens: ${maxTokens} > ${limit}, which is the maximum allowed number of output tokens for ${model}`, env, model);
  }
  const metadata = body['metadata'];
  const userId = isJsonObject(metadata) ? metadata['user_id'] : undefined;
  if (typeof userId === 'string' && userId.length > USER_ID_MAX) {
    return error400(`metadata.user_id: String should have at most ${USER_ID_MAX} characters`, env, model);
  }
  const thinking = body['thinking'];
  if (isJsonObject(thinking) && thinking['type'] === 'enabled') {
    const budget = thinking['budget_tokens'];
    if (typeof budget !== 'number' || budget < 1024) {
      return error400('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024', env, model);
    }
    if (budget >= maxTokens) {
      return error400('`max_tokens` must be greater than `thinking.budget_tokens`.', env, model);
    }
  }
  return null;
}

export function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeUpstream> {
  const models = opts.models ?? DEFAULT_ANTHROPIC_MODELS;
  const countTokens = opts.countTokens ?? estimateAnthropicInputTokens;
  const validate = opts.validate ?? true;
  // Benchmark plans are rendered once per shape and replayed, so the fake costs little per request.
  const benchCache = new Map<string, ResponsePlan>();

  function messages(body: JsonObject, scenario: Scenario, env: RenderEnv): ResponsePlan {
    if (scenario.kind !== 'bench') return renderAnthropicMessages(scenario, body, env);
    const facts = anthropicRequestFacts(body);
    const key = JSON.stringify([scenario, facts.model, facts.stream]);
    let plan = benchCache.get(key);
    if (!plan) {
      plan = renderAnthropicMessages(scenario, body, env);
      benchCache.set(key, plan);
    }
    return plan;
  }

  return startFakeServer(
    {
      basePath: '',
      generationPaths: new Set([MESSAGES]),
      directiveText: (body) => rawLastUserText(body?.['messages']),
      badScenario: (message, env) => error400(message, env),
      route(ctx) {
        const { request, env } = ctx;
        const denied = authError(ctx, opts.apiKey);
        if (denied) return denied;
        const route = `${request.method} ${request.pathname}`;
        if (route === `GET ${MODELS}`) {
          return applyEndpointScenario(
            ctx.takeScenario(),
            () => renderAnthropicModels(models, env),
            (s) => renderAnthropicError(s, '', env),
          );
        }
        if (route !== `POST ${MESSAGES}` && route !== `POST ${COUNT_TOKENS}`) {
          return renderAnthropicError({ kind: 'error', status: 404, message: 'Not Found' }, '', env);
        }
        if (validate && request.headers['anthropic-version'] === undefined) {
          return error400('anthropic-version: header is required', env);
        }
        const body = request.body;
        if (body === null) return error400('There was an issue with the format of your request body: invalid JSON', env);
        const model = stringField(body, 'model') ?? '';
        const countOnly = request.pathname === COUNT_TOKENS;
        const invalid = validate ? validateMessages(body, env, countOnly) : null;
        if (invalid) return invalid;
        if (countOnly) {
          return applyEndpointScenario(
            ctx.takeScenario(),
            () => renderAnthropicCountTokens(countTokens(body), env),
            (s) => renderAnthropicError(s, model, env),
          );
        }
        return messages(body, ctx.takeScenario(), env);
      },
    },
    opts,
  );
}
