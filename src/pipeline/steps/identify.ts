/**
 * Who is calling. First that applies: the `/agents/{id}` path prefix, the `x-agent-id` header, a virtual
 * key (Bearer, x-api-key or x-goog-api-key) listed under an agent, else the `default` agent (or 401 when unknown agents
 * are denied). A key that is not a virtual key is the client's own provider key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { RequestContext } from '../context.js';

export const DEFAULT_AGENT = 'default';
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export interface Identity {
  agent: string;
  /** How the agent was identified, for the audit and the docs. */
  via: 'path' | 'header' | 'key' | 'default';
  /** The client's own key, when it sent one that is not a virtual key. */
  clientKey: string | undefined;
}

export interface IdentifyOptions {
  /** Virtual key → agent id. */
  virtualKeys: ReadonlyMap<string, string>;
  unknownAgents: 'allow' | 'deny';
  /** Agents named in the config (an unknown id is auto-registered only when unknown agents are allowed). */
  isKnownAgent: (id: string) => boolean;
}

export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 7 && auth.slice(0, 7).toLowerCase() === 'bearer ') return auth.slice(7).trim();
  const xKey = headers['x-api-key'];
  if (typeof xKey === 'string' && xKey.length > 0) return xKey;
  // The Gemini SDK sends its key here.
  const googKey = headers['x-goog-api-key'];
  return typeof googKey === 'string' && googKey.length > 0 ? googKey : undefined;
}

export function identify(pathAgent: string | undefined, headers: IncomingHttpHeaders, options: IdentifyOptions): Identity {
  const key = presentedKey(headers);
  const keyAgent = key === undefined ? undefined : options.virtualKeys.get(key);
  const clientKey = keyAgent === undefined ? key : undefined;
  const headerAgent = typeof headers['x-agent-id'] === 'string' ? headers['x-agent-id'] : undefined;

  const named = pathAgent ?? headerAgent;
  if (named !== undefined) {
    if (!AGENT_ID.test(named)) {
      throw new GatewayError('invalid_request', `agent id "${named.slice(0, 80)}" is not valid: use letters, digits, . _ : - (at most 64)`, {
        param: pathAgent !== undefined ? 'path' : 'x-agent-id',
      });
    }
    if (options.unknownAgents === 'deny' && !options.isKnownAgent(named)) {
      throw new GatewayError('authentication', `agent "${named}" is not configured and gateway.unknown_agents is deny`, {
        code: 'unknown_agent',
      });
    }
    return { agent: named, via: pathAgent !== undefined ? 'path' : 'header', clientKey };
  }
  if (keyAgent !== undefined) return { agent: keyAgent, via: 'key', clientKey };
  if (options.unknownAgents === 'deny') {
    throw new GatewayError('authentication', 'no agent identity: send x-agent-id, use /agents/{id}/…, or a virtual key (gateway.unknown_agents is deny)', {
      code: 'unknown_agent',
    });
  }
  return { agent: DEFAULT_AGENT, via: 'default', clientKey };
}

/** The step: who is calling. Every answer names the agent it was counted under. */
export function identifyCaller(ctx: RequestContext): void {
  ctx.identity = identify(ctx.endpoint.pathAgent, ctx.req.headers, ctx.settings);
  ctx.res.setHeader('x-ai-gateway-agent', ctx.identity.agent);
}
