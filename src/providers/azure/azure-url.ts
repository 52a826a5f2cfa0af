/**
 * Where an Azure OpenAI call goes, pure so it can be tested without sockets. Two URL layouts exist:
 * - classic: `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=2024-10-21`; the endpoints the
 *   official SDK sends to a deployment are under it, the rest (Responses: `/openai/responses?api-version=…`) are
 *   not and name the deployment in the body's `model`;
 * - v1 (base URL `…/openai/v1`): OpenAI's own paths, no api-version, the deployment in the body's `model`.
 */
import { GatewayError } from '../../core/errors.js';
import type { AzureSpec } from '../provider.js';

/** The endpoints that live under `/deployments/{deployment}` in the classic form (as in the `openai` SDK's AzureOpenAI). */
const DEPLOYMENT_ENDPOINTS: ReadonlySet<string> = new Set([
  '/completions',
  '/chat/completions',
  '/embeddings',
  '/audio/transcriptions',
  '/audio/translations',
  '/audio/speech',
  '/images/generations',
  '/images/edits',
]);

export interface AzureCall {
  /** Below the base URL, query included. */
  path: string;
  /** The name the body's `model` must carry; undefined leaves the body as it is. */
  bodyModel: string | undefined;
}

/** Whether a base URL is the v1 form (its path ends in `/openai/v1`). */
export function isV1BaseUrl(baseUrl: string): boolean {
  return /\/openai\/v1\/?$/.test(new URL(baseUrl).pathname);
}

/** The deployment serving `model`: its entry in `deployments`, or (v1 form only) the model's own name. */
export function deploymentFor(azure: AzureSpec, model: string): string | undefined {
  return Object.hasOwn(azure.deployments, model) ? azure.deployments[model] : azure.form === 'v1' ? model : undefined;
}

/** The path and body model of one call to `endpoint` (e.g. `/chat/completions`) for `model`. */
export function azureCall(azure: AzureSpec, provider: string, endpoint: string, model: string | undefined): AzureCall {
  const deployment = model === undefined ? undefined : deploymentFor(azure, model);
  if (model !== undefined && deployment === undefined) {
    throw new GatewayError('model_not_found', `model "${model}" has no deployment on Azure provider "${provider}": add it under providers.${provider}.deployments`, {
      param: 'model',
      code: 'model_not_found',
    });
  }
  if (azure.form === 'v1') return { path: endpoint, bodyModel: deployment === model ? undefined : deployment };
  const query = azure.apiVersion === undefined ? '' : `${endpoint.includes('?') ? '&' : '?'}api-version=${encodeURIComponent(azure.apiVersion)}`;
  const bare = endpoint.split('?', 1)[0]!;
  if (deployment !== undefined && DEPLOYMENT_ENDPOINTS.has(bare)) {
    return { path: `/openai/deployments/${encodeURIComponent(deployment)}${endpoint}${query}`, bodyModel: undefined };
  }
  return { path: `/openai${endpoint}${query}`, bodyModel: deployment === model ? undefined : deployment };
}
