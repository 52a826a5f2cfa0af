/**
 * The composition root: a running gateway from a config. wiring.ts builds its parts, lifecycle.ts starts them,
 * reloads the config, prunes the audit and shuts it all down in order (stop accepting, drain, flush the store).
 */
import type { GatewayConfig } from '../config/types.js';
import type { LoadResult } from '../config/index.js';
import type { WritableStore } from '../store/index.js';
import type { EventBus } from '../observe/event-bus.js';
import type { GatewayMetrics } from '../observe/metrics.js';
import type { GatewayControls } from './adapters/controls.js';
import type { ControlActions } from './control-actions.js';
import type { InProcessDashboardSource } from '../live/dashboard.js';
import type { RequestQueries } from './request-queries.js';
import type { GatewayEvents } from '../live/events.js';
import { checkPolicyCondition } from './config-loader.js';
import { GatewayLifecycle } from './lifecycle.js';
import { wireGateway, type GatewayOptions } from './wiring.js';

export { checkPolicyCondition };
export type { GatewayOptions };

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly store: WritableStore;
  readonly bus: EventBus<GatewayEvents>;
  readonly metrics: GatewayMetrics;
  readonly controls: GatewayControls;
  readonly dashboard: InProcessDashboardSource;
  readonly actions: ControlActions;
  /** Log search, request detail and spend by model (what the dashboard and /api/logs, /api/usage ask). */
  readonly queries: RequestQueries;
  config(): GatewayConfig;
  /** Applies a new config; returns false (and keeps the old one) when the controls reject it. */
  reload(result: LoadResult, actor?: string): boolean;
  /** Reads the config file again and applies it, queued behind any load the file watch started (SIGHUP). */
  reloadFile(actor?: string): Promise<boolean>;
  /** Runs a retention pass now (it also runs shortly after start and then hourly); resolves to the rows removed. */
  pruneNow(): Promise<number>;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  // The Redis client is loaded only when instances share state.
  const sharedState = options.config.sharedState.redis === undefined ? undefined : await import('./shared-wiring.js');
  const parts = wireGateway({ ...options, sharedState });
  const lifecycle = await GatewayLifecycle.start(parts, options);
  // The dashboard's quit is the gateway's own shutdown (drain, flush the store) unless its owner says otherwise.
  parts.dashboard.setQuitHandler(() => lifecycle.close());
  const { running } = parts;
  return {
    url: running.url,
    port: running.port(),
    store: parts.store,
    bus: parts.bus,
    metrics: parts.metrics,
    controls: parts.controls,
    dashboard: parts.dashboard,
    actions: parts.actions,
    queries: parts.queries,
    config: () => running.config(),
    reload: (result, actor) => lifecycle.reload(result, actor),
    reloadFile: (actor) => lifecycle.reloadFile(actor),
    pruneNow: () => lifecycle.pruneNow(),
    close: () => lifecycle.close(),
  };
}
