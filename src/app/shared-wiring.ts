/**
 * Limits shared with other instances through Redis. In a module of its own because it pulls in the Redis
 * client: startGateway loads it only when shared_state names a Redis, so a single instance never holds it.
 */
import type { Clock, Timers } from '../core/clock.js';
import type { SharedStateSettings } from '../config/types.js';
import type { Logger } from '../observe/logger.js';
import { RedisStore } from '../state/shared/redis-store.js';
import { SharedControls, type SharedControlsOptions } from '../state/shared/shared-controls.js';
import type { GatewayControls } from './adapters/controls.js';
import { settlementJournal } from './settlement-journal.js';

export interface SharedWiring {
  settings: SharedStateSettings & { redis: string };
  controls: GatewayControls;
  clock: Clock;
  timers: Timers;
  /** Read live, so a reload can switch between refusing and serving on during an outage. */
  onOutage: SharedControlsOptions['onOutage'];
  logger: Logger;
  history: NonNullable<SharedControlsOptions['history']>;
  /** The audit file whose journal keeps unsent settlements across a stop; undefined for an in-memory audit. */
  journalFor: string | undefined;
  saveLocal: NonNullable<SharedControlsOptions['saveLocal']>;
}

/** Builds the shared controls and their Redis connection; they connect when the gateway starts. */
export function sharedControls(w: SharedWiring): SharedControls {
  let shared: SharedControls | undefined = undefined;
  const store = new RedisStore({
    url: w.settings.redis,
    prefix: w.settings.prefix,
    onStatus: (up, why) => shared?.onStoreStatus(up, why),
    onEvent: (event) => shared?.onEvent(event),
    onSubscribed: () => void shared?.reread().catch(() => undefined),
  });
  shared = new SharedControls({
    store,
    registry: w.controls.registry,
    ledger: w.controls.ledger,
    breakers: w.controls.breakers,
    clock: w.clock,
    timers: w.timers,
    onOutage: w.onOutage,
    log: w.logger,
    history: w.history,
    journal: w.journalFor === undefined ? undefined : settlementJournal(w.journalFor),
    saveLocal: w.saveLocal,
  });
  return shared;
}

export interface SharedStateModule {
  sharedControls: typeof sharedControls;
}
