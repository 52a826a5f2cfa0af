/**
 * What the HTTP server (src/server/gateway-server.ts) asks of the running gateway: health and readiness, the
 * Host and Origin rules, /metrics, the management API, the proxy (counted in flight, refused while the audit
 * cannot take rows) and the audit row of a proxy call refused at the edge.
 */
import type { Clock } from '../../core/clock.js';
import { GatewayError, messageOf } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import type { Logger } from '../../observe/logger.js';
import type { GatewayMetrics } from '../../observe/metrics.js';
import type { Recorder } from '../../pipeline/ports.js';
import { handleAdmin, metricsAuthorized, type AdminDeps } from '../../server/admin-routes.js';
import { clientFormatFor, type ServerHandlers } from '../../server/gateway-server.js';
import { sendError } from '../../server/render-error.js';
import type { WritableStore } from '../../store/index.js';
import type { InFlightRequests } from '../in-flight.js';
import { refusalRecord } from '../../server/proxy-routes.js';
import type { RunningConfig } from '../running-config.js';
import type { SharedControls } from '../../state/shared/shared-controls.js';

export interface ServerHandlerDeps {
  clock: Clock;
  logger: Logger;
  startedAt: number;
  newId: () => string;
  running: RunningConfig;
  store: Pick<WritableStore, 'sink'>;
  metrics: GatewayMetrics;
  recorder: Recorder;
  admin: AdminDeps;
  proxy: ServerHandlers['proxy'];
  inFlight: InFlightRequests;
  /** Limits shared through Redis, when configured: readiness reports whether Redis answers. */
  shared: SharedControls | undefined;
  /** Aborted when shutdown begins. */
  closing: AbortSignal;
}

export function serverHandlers(d: ServerHandlerDeps): ServerHandlers {
  const { clock, logger, running, store, metrics } = d;
  return {
    newId: d.newId,
    health: () => ({ status: 'ok', version: VERSION, uptime_seconds: Math.round((clock.now() - d.startedAt) / 1000) }),
    edge: () => running.edge(),
    metricsAllowed: (req) => metricsAuthorized(req, running.config().gateway.adminToken),
    notReady: () => {
      if (d.closing.aborted) return 'shutting down';
      if (!store.sink.admitting()) return store.sink.trouble() ?? FULL_BACKLOG;
      const shared = d.shared?.view();
      if (shared !== undefined && shared.status !== 'up' && shared.onOutage === 'closed') return 'shared state (Redis) does not answer and shared_state.on_outage is closed';
      return undefined;
    },
    readyDetail: () => {
      const shared = d.shared?.view();
      if (shared === undefined) return undefined;
      return { shared_state: { status: shared.status, on_outage: shared.onOutage, since: new Date(shared.since).toISOString(), ...(shared.reason ? { reason: shared.reason } : {}), pending: shared.pending } };
    },
    metrics: async () => ({ contentType: metrics.contentType, body: await metrics.render() }),
    admin: (req, res, path, query) => handleAdmin(req, res, path, query, d.admin),
    proxy: async (req, res, endpoint, agent, v1Path, search, requestId) => {
      // A request that could not be recorded is not served; those already admitted still get their rows.
      if (!store.sink.admitting()) return sendError(res, auditUnavailable(store.sink.trouble()), clientFormatFor(endpoint, req.headers), requestId);
      metrics.requestStarted();
      // While shutting down, keep-alive clients are told to reconnect elsewhere rather than reuse this socket.
      if (d.closing.aborted) res.setHeader('connection', 'close');
      d.inFlight.enter();
      try {
        await d.proxy(req, res, endpoint, agent, v1Path, search, requestId);
      } finally {
        metrics.requestEnded();
        d.inFlight.leave();
      }
    },
    onError: (err, requestId) => logger.error('unhandled error', { request_id: requestId, error: messageOf(err) }),
    refused: (req, error, requestId, proxied) => {
      // A refused proxy call is audited like any other; a refused management or metrics call is only logged.
      if (proxied) d.recorder.record(refusalRecord(req, error, requestId, proxied, clock.now(), running.settings()));
      else logger.warn('request refused', { request_id: requestId, code: error.code, path: (req.url ?? '').slice(0, 200), host: req.headers.host, origin: req.headers.origin });
    },
  };
}

/** What a refusal says when the audit writer names no trouble (it names one whenever it refuses). */
const FULL_BACKLOG = 'the audit backlog is full';

/** The 503 for a request that arrives while the audit store cannot take its row. */
function auditUnavailable(trouble: string | undefined): GatewayError {
  return new GatewayError('audit_unavailable', `the gateway cannot record new requests right now, so it does not serve them: ${trouble ?? FULL_BACKLOG}. Retry shortly.`, {
    retryAfter: 5,
  });
}
