/**
 * The pipeline's settings read from a config: body limits, translation strictness, the virtual keys and how
 * unknown agents are treated. Built once per config (at start and on each reload), never per request.
 */
import type { GatewayConfig } from '../../config/types.js';
import type { ProxySettings } from '../../pipeline/ports.js';
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
  };
}

function virtualKeysOf(config: GatewayConfig): Map<string, string> {
  const keys = new Map<string, string>();
  for (const a of config.agents.values()) for (const k of a.keys) keys.set(k, a.id);
  return keys;
}
