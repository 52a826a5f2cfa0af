/**
 * The audit row of a proxy call refused at the edge (a foreign Host or Origin, a body that is not JSON): nothing
 * was forwarded and nothing is billed, but the attempt is on record under the agent it named.
 */
import type { IncomingMessage } from 'node:http';
import type { GatewayError } from '../core/errors.js';
import { ZERO_USAGE } from '../core/usage.js';
import type { RequestRecord } from '../pipeline/ports.js';
import { identify } from '../pipeline/steps/identify.js';
import { clientFormatFor } from '../server/gateway-server.js';
import type { ProxyEndpoint } from '../server/route-match.js';
import { meteredColumns } from '../store/rows.js';

export function refusalRecord(
  req: IncomingMessage,
  error: GatewayError,
  requestId: string,
  proxied: { endpoint: ProxyEndpoint; agent: string | undefined },
  ts: number,
  settings: Parameters<typeof identify>[2],
): RequestRecord {
  let agent = 'default';
  try {
    agent = identify(proxied.agent, req.headers, settings).agent;
  } catch {
    /* an unidentifiable caller is recorded as the default agent, as the pipeline does */
  }
  const usage = { ...ZERO_USAGE };
  return {
    row: {
      id: requestId,
      ts,
      agent,
      provider: null,
      model: '',
      upstreamModel: null,
      clientFormat: clientFormatFor(proxied.endpoint, req.headers),
      upstreamFormat: null,
      stream: false,
      status: error.status,
      errorCode: error.code,
      ...meteredColumns(usage, undefined, undefined),
      estimated: false,
      latencyMs: 0,
      ttfbMs: null,
      dropped: null,
      isCall: false,
      errorMessage: error.message,
    },
    usage,
    streamEvents: 0,
  };
}
