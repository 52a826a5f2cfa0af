/**
 * What the live views need that the registries do not keep: the last requests, requests per second,
 * per-provider error rates, recent control events. Fed by the event bus; read by the dashboard snapshot
 * and the management API. Cheap to update: ring buffers and counters only.
 */
import type { Clock } from '../core/clock.js';
import type { ControlEvent as StoredControlEvent } from '../store/index.js';
import type { LogEntry } from '../tui/source.js';
import type { RequestRecord } from '../pipeline/ports.js';
import { logEntryOf } from './events.js';

const RECENT_LIMIT = 200;
const CONTROL_LIMIT = 50;
const RPS_SAMPLES = 60;
const PROVIDER_WINDOW = 100;

export class LiveState {
  readonly recent: LogEntry[] = [];
  readonly controls: StoredControlEvent[] = [];
  readonly rps: number[] = [];
  private currentSecond = 0;
  private countThisSecond = 0;
  private readonly providerOutcomes = new Map<string, boolean[]>();
  readonly lastModel = new Map<string, string>();
  readonly unpricedAgents = new Set<string>();

  constructor(private readonly clock: Clock) {
    this.currentSecond = Math.floor(clock.now() / 1000);
  }

  onRequest(record: RequestRecord): LogEntry {
    const row = record.row;
    const entry = logEntryOf(row);
    this.recent.push(entry);
    if (this.recent.length > RECENT_LIMIT) this.recent.shift();
    this.advance();
    this.countThisSecond++;
    if (row.model) this.lastModel.set(row.agent, row.model);
    if (row.costUsd === null && row.provider !== null && row.status < 400) this.unpricedAgents.add(row.agent);
    if (row.provider !== null) {
      let outcomes = this.providerOutcomes.get(row.provider);
      if (!outcomes) this.providerOutcomes.set(row.provider, (outcomes = []));
      outcomes.push(row.status >= 500 || row.errorCode === 'upstream_timeout' || row.errorCode === 'upstream_unreachable');
      if (outcomes.length > PROVIDER_WINDOW) outcomes.shift();
    }
    return entry;
  }

  onControl(event: StoredControlEvent): void {
    this.controls.push(event);
    if (this.controls.length > CONTROL_LIMIT) this.controls.shift();
  }

  /** Error share of the provider's recent calls, 0..1. */
  providerErrorRate(provider: string): number {
    const outcomes = this.providerOutcomes.get(provider);
    if (!outcomes || outcomes.length === 0) return 0;
    return outcomes.filter(Boolean).length / outcomes.length;
  }

  /** Requests per second for the last minute, oldest first, including the current partial second. */
  requestsPerSecond(): number[] {
    this.advance();
    return [...this.rps, this.countThisSecond];
  }

  private advance(): void {
    const second = Math.floor(this.clock.now() / 1000);
    if (second === this.currentSecond) return;
    const gap = Math.min(second - this.currentSecond, RPS_SAMPLES);
    this.rps.push(this.countThisSecond);
    for (let i = 1; i < gap; i++) this.rps.push(0);
    while (this.rps.length > RPS_SAMPLES - 1) this.rps.shift();
    this.currentSecond = second;
    this.countThisSecond = 0;
  }
}
