/**
 * Between a DashboardSource and React: coalesces change notifications into at most `maxFps` published
 * frames per second, and ticks once a second so clock-derived text (uptime, countdowns, forecasts)
 * moves even when no traffic arrives. The source is only read when a frame is published, so a busy
 * gateway pays for a snapshot at most `maxFps` times a second; its listener only sets a flag.
 * No React here: the hook in use-dashboard.ts reads this through useSyncExternalStore.
 */
import { systemTimers, type Clock, type Timers } from '../core/clock.js';
import type { DashboardSnapshot, DashboardSource } from '../live/snapshot.js';

/** What the UI renders: the snapshot and the wall-clock time it should be read at. */
export interface DashboardFrame {
  readonly snapshot: DashboardSnapshot;
  /** Epoch ms from the injected clock when the frame was published. */
  readonly now: number;
  /** Increments with every published frame. */
  readonly seq: number;
}

export interface DashboardStore {
  getFrame(): DashboardFrame;
  /** React-style subscription: the listener runs after each published frame. */
  subscribe(listener: () => void): () => void;
  /** Publishes any pending change right away (used before exit, and by tests). */
  flush(): void;
  /** Stops listening to the source and cancels timers. */
  close(): void;
}

export interface DashboardStoreOptions {
  clock: Clock;
  /** Upper bound on published frames per second. Default 10. */
  maxFps?: number;
  /** Publish at least this often so the clock-derived text stays current; 0 disables. Default 1000. */
  tickMs?: number;
  timers?: Timers;
}

export function createDashboardStore(source: DashboardSource, options: DashboardStoreOptions): DashboardStore {
  const { clock } = options;
  const timers = options.timers ?? systemTimers;
  const minInterval = 1000 / Math.max(1, options.maxFps ?? 10);
  const tickMs = options.tickMs ?? 1000;
  const listeners = new Set<() => void>();

  let frame: DashboardFrame = { snapshot: source.snapshot(), now: clock.now(), seq: 0 };
  let lastPublish = clock.monotonic();
  let pending = false;
  let frameTimer: unknown;
  let tickTimer: unknown;
  let closed = false;

  const publish = (): void => {
    if (closed) return;
    pending = false;
    if (frameTimer !== undefined) {
      timers.clearTimeout(frameTimer);
      frameTimer = undefined;
    }
    lastPublish = clock.monotonic();
    frame = { snapshot: source.snapshot(), now: clock.now(), seq: frame.seq + 1 };
    for (const listener of [...listeners]) listener();
  };

  const schedule = (): void => {
    if (closed) return;
    pending = true;
    if (frameTimer !== undefined) return;
    // Even when a frame is due now, defer to a timer so a synchronous burst becomes one frame.
    const wait = Math.max(0, lastPublish + minInterval - clock.monotonic());
    frameTimer = timers.setTimeout(() => {
      frameTimer = undefined;
      if (pending) publish();
    }, wait);
  };

  const tick = (): void => {
    tickTimer = timers.setTimeout(() => {
      tickTimer = undefined;
      schedule();
      tick();
    }, tickMs);
  };

  const unsubscribeSource = source.subscribe(schedule);
  if (tickMs > 0) tick();

  return {
    getFrame: () => frame,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    flush() {
      if (pending) publish();
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribeSource();
      if (frameTimer !== undefined) timers.clearTimeout(frameTimer);
      if (tickTimer !== undefined) timers.clearTimeout(tickTimer);
      frameTimer = undefined;
      tickTimer = undefined;
      listeners.clear();
    },
  };
}
