/**
 * A DashboardSource over the management API: polls `GET /api/status` a few times a second and follows
 * `GET /api/logs/stream` so log lines appear as they happen, between polls. When the gateway goes
 * away the last state stays on screen with a banner, and both loops keep retrying.
 */
import { GatewayNotRunningError } from '../client/errors.js';
import type { ManagementClient } from '../client/management-client.js';
import { systemClock, systemTimers, type Clock, type Timers } from '../core/clock.js';
import { emptySnapshot, type DashboardActions, type DashboardSnapshot, type DashboardSource, type LogEntry } from '../live/snapshot.js';
import { messageOf } from '../core/errors.js';

/** The parts of ManagementClient the remote source uses. */
export type RemoteClient = Pick<
  ManagementClient,
  'baseUrl' | 'getStatus' | 'pause' | 'resume' | 'setBudget' | 'resetBreaker' | 'streamLogs' | 'getLogs' | 'getRequest' | 'getUsage'
>;

export interface RemoteSourceOptions {
  clock?: Clock;
  timers?: Timers;
  /** Status poll interval. Default 250 ms (4/s). */
  pollMs?: number;
  /** Log entries kept for the dashboard. Default 500. */
  maxLog?: number;
  /** Delay before reconnecting a dropped log stream; doubles up to 10 s. Default 1000 ms. */
  reconnectMs?: number;
}

const MAX_RECONNECT_MS = 10_000;
const SEARCH_LIMIT = 500;

export class RemoteDashboardSource implements DashboardSource {
  readonly actions: DashboardActions;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly pollMs: number;
  private readonly maxLog: number;
  private readonly reconnectMs: number;
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  /** Entries from the stream, by id, in arrival order. */
  private readonly streamed = new Map<string, LogEntry>();
  private status: DashboardSnapshot;
  private merged: DashboardSnapshot | undefined;
  private connectionError: string | undefined;
  private pollTimer: unknown;
  private streamTimer: unknown;
  private polling = false;
  private closed = false;

  constructor(
    private readonly client: RemoteClient,
    options: RemoteSourceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.pollMs = options.pollMs ?? 250;
    this.maxLog = options.maxLog ?? 500;
    this.reconnectMs = options.reconnectMs ?? 1000;
    this.status = emptySnapshot({ version: '', address: client.baseUrl, now: this.clock.now() });
    const refreshAfter = async (action: Promise<void>): Promise<void> => {
      await action;
      // Show the effect right away instead of at the next poll.
      await this.poll();
    };
    this.actions = {
      pause: (agent, reason) => refreshAfter(client.pause(agent, reason)),
      resume: async (agent) => {
        const result = await client.resume(agent);
        await this.poll();
        // Lifting a manual pause does not lift a spent budget: say so rather than "resumed".
        if (result.message !== undefined) throw new Error(result.message);
      },
      setBudget: (agent, change) => refreshAfter(client.setBudget(agent, change)),
      resetBreaker: (key) => refreshAfter(client.resetBreaker(key)),
      // The gateway searches its audit database; the answer holds at most what one screen of history needs.
      searchLogs: (filter) => client.getLogs({ q: filter, limit: SEARCH_LIMIT }),
      requestDetail: (id) => client.getRequest(id),
      usage: () => client.getUsage(),
      // Quitting the dashboard never stops a gateway it is only watching.
      quit: async () => this.close(),
    };
  }

  /**
   * Fetches the first status (rejecting with GatewayNotRunningError when nothing listens), then
   * starts polling and following the log stream.
   */
  async start(): Promise<void> {
    this.status = await this.client.getStatus();
    this.merged = undefined;
    this.schedulePoll();
    void this.follow(this.reconnectMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    if (this.pollTimer !== undefined) this.timers.clearTimeout(this.pollTimer);
    if (this.streamTimer !== undefined) this.timers.clearTimeout(this.streamTimer);
    this.pollTimer = undefined;
    this.streamTimer = undefined;
    this.listeners.clear();
  }

  snapshot(): DashboardSnapshot {
    this.merged ??= this.merge();
    return this.merged;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One status poll; public so tests and actions can force a refresh. */
  async poll(): Promise<void> {
    if (this.closed || this.polling) return;
    this.polling = true;
    try {
      this.status = await this.client.getStatus();
      this.connectionError = undefined;
    } catch (err) {
      this.connectionError =
        err instanceof GatewayNotRunningError
          ? `the gateway at ${this.client.baseUrl} stopped answering; retrying`
          : `cannot reach the gateway at ${this.client.baseUrl} (${messageOf(err)}); retrying`;
    } finally {
      this.polling = false;
    }
    this.changed();
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.pollTimer = this.timers.setTimeout(() => {
      this.pollTimer = undefined;
      void this.poll().finally(() => this.schedulePoll());
    }, this.pollMs);
  }

  private async follow(delay: number): Promise<void> {
    this.streamTimer = undefined;
    if (this.closed) return;
    let nextDelay = delay;
    try {
      await this.client.streamLogs(
        {},
        (entry) => {
          nextDelay = this.reconnectMs; // a working stream resets the backoff
          this.addStreamed(entry);
        },
        this.abort.signal,
      );
    } catch {
      // The status poll reports the connection problem; here we only reconnect.
    }
    if (this.closed) return;
    this.streamTimer = this.timers.setTimeout(() => void this.follow(Math.min(MAX_RECONNECT_MS, nextDelay * 2)), nextDelay);
  }

  private addStreamed(entry: LogEntry): void {
    this.streamed.delete(entry.id);
    this.streamed.set(entry.id, entry);
    while (this.streamed.size > this.maxLog) {
      const oldest = this.streamed.keys().next();
      if (oldest.done) break;
      this.streamed.delete(oldest.value);
    }
    this.changed();
  }

  private changed(): void {
    this.merged = undefined;
    for (const listener of [...this.listeners]) listener();
  }

  private merge(): DashboardSnapshot {
    const byId = new Map<string, LogEntry>();
    for (const e of this.status.recent) byId.set(e.id, e);
    for (const e of this.streamed.values()) byId.set(e.id, e);
    const recent = [...byId.values()].sort((a, b) => a.ts - b.ts).slice(-this.maxLog);
    const banner = this.connectionError ?? this.status.gateway.configBanner;
    const gateway = { ...this.status.gateway };
    if (banner === undefined) delete gateway.configBanner;
    else gateway.configBanner = banner;
    return { ...this.status, gateway, recent };
  }
}
