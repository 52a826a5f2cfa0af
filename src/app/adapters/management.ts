/**
 * The management API's port (src/server/admin-routes.ts) over the running gateway: the dashboard snapshot, the
 * audit for an agent's history, the request events for the live log stream, and the one control-action path.
 */
import type { Clock } from '../../core/clock.js';
import type { EventBus } from '../../observe/event-bus.js';
import type { AdminDeps } from '../../server/admin-routes.js';
import type { WritableStore } from '../../store/index.js';
import type { ControlActions } from '../control-actions.js';
import { dashboardControlEvent, logEntryOf, type GatewayEvents } from '../../live/events.js';
import type { RequestQueries } from '../request-queries.js';
import type { GatewayControls } from './controls.js';

/** Recent requests and control events shown with one agent. */
const AGENT_RECENT_REQUESTS = 50;
const AGENT_CONTROL_EVENTS = 20;

export interface ManagementParts {
  clock: Clock;
  adminToken: () => string | undefined;
  snapshot: () => { agents: readonly { id: string }[] };
  store: Pick<WritableStore, 'sink' | 'queries'>;
  bus: EventBus<GatewayEvents>;
  actions: ControlActions;
  controls: GatewayControls;
  queries: RequestQueries;
  closing?: AbortSignal | undefined;
}

export function managementApi(p: ManagementParts): AdminDeps {
  return {
    clock: p.clock,
    adminToken: p.adminToken,
    snapshot: p.snapshot,
    agentDetail: (id) => {
      const agent = p.snapshot().agents.find((a) => a.id === id);
      if (!agent) return undefined;
      // Rows still queued for the disk are part of the history shown.
      p.store.sink.flush();
      return {
        ...agent,
        recent: p.store.queries.recentRequests({ agent: id, limit: AGENT_RECENT_REQUESTS }).map(logEntryOf),
        controlEvents: p.store.queries.controlEvents({ agent: id, limit: AGENT_CONTROL_EVENTS }).map(dashboardControlEvent),
      };
    },
    breakers: () => p.controls.breakers.snapshot(),
    queries: p.queries,
    followLogs: (listener) => p.bus.on('request', (record) => listener(logEntryOf(record.row))),
    actions: p.actions,
    ...(p.closing ? { closing: p.closing } : {}),
  };
}
