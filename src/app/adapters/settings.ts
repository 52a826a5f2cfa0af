/**
 * The pipeline's settings read from a config: body limits, translation strictness, the virtual keys and how
 * unknown agents are treated. Built once per config (at start and on each reload), never per request.
 */
import type { GatewayConfig } from '../../config/types.js';
import type { ProxySettings } from '../../pipeline/ports.js';
import type { RetryPolicy } from '../../providers/retry.js';
import type { IdentifyOptions } from '../../pipeline/steps/identify.js';

export type PipelineSettings = ProxySettings & IdentifyOptions & { maxResponseBytes: number };

/** `maxResponseBytes` overrides the config's bound of a response body read whole (tests set a small one). */
export function pipelineSettings(config: GatewayConfig, maxResponseBytes?: number): PipelineSettings {
  const g = config.gateway;
  return {
    maxBodyBytes: g.maxBodyBytes,
    strictTranslation: (agent: string) => config.agents.get(agent)?.strictTranslation ?? g.strictTranslation,
    defaultOutputCap: g.defaultOutputCap,
    maxResponseBytes: maxResponseBytes ?? g.maxResponseBodyBytes,
    virtualKeys: virtualKeysOf(config),
    unknownAgents: g.unknownAgents,
    isKnownAgent: (id: string) => config.agents.has(id),
    retry: retryPolicies(config),
  };
}

/** Each provider's retry policy, built once per config: the gateway's, with the provider's own max_attempts. */
function retryPolicies(config: GatewayConfig): (provider: string) => RetryPolicy {
  const r = config.gateway.retries;
  const gateway: RetryPolicy = { maxAttempts: r.maxAttempts, baseDelayMs: r.backoffMs, maxDelayMs: r.maxBackoffMs, maxRetryAfterMs: r.maxRetryAfterMs };
  const own = new Map<string, RetryPolicy>();
  for (const p of config.providers.values()) if (p.maxAttempts !== undefined) own.set(p.name, { ...gateway, maxAttempts: p.maxAttempts });
  return (provider) => own.get(provider) ?? gateway;
}

function virtualKeysOf(config: GatewayConfig): Map<string, string> {
  const keys = new Map<string, string>();
  for (const a of config.agents.values()) for (const k of a.keys) keys.set(k, a.id);
  return keys;
}
