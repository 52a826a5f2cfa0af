/** Test doubles for the dashboard: fake clock and timers, a fake DashboardSource, sample data, rendering. */
import { render } from 'ink-testing-library';
import { vi } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { createDashboardStore, type DashboardStore } from '../../../src/tui/dashboard-store.js';
import type { DashboardActions, DashboardSnapshot, DashboardSource } from '../../../src/live/snapshot.js';
import { FakeClock as SharedFakeClock, ManualTimers } from '../../helpers/clock.js';

export { ManualTimers };

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** The shared fake clock, starting at T0 (the time the sample data is written against). */
export class FakeClock extends SharedFakeClock {
  constructor(start: number | string = T0) {
    super(start);
  }
}

export type ActionMocks = {
  [K in keyof Required<DashboardActions>]: ReturnType<typeof vi.fn<Required<DashboardActions>[K]>>;
};

export class FakeSource implements DashboardSource {
  private readonly listeners = new Set<() => void>();
  snapshots = 0;
  readonly actions: ActionMocks = {
    pause: vi.fn<DashboardActions['pause']>(async () => {}),
    resume: vi.fn<DashboardActions['resume']>(async () => {}),
    setBudget: vi.fn<DashboardActions['setBudget']>(async () => {}),
    resetBreaker: vi.fn<DashboardActions['resetBreaker']>(async () => {}),
    searchLogs: vi.fn<DashboardActions['searchLogs']>(async () => []),
    requestDetail: vi.fn<DashboardActions['requestDetail']>(async () => undefined),
    usage: vi.fn<DashboardActions['usage']>(async () => ({ now: T0, hour: [], day: [], dayFrom: T0 - 12 * 3_600_000 })),
    quit: vi.fn<NonNullable<DashboardActions['quit']>>(async () => {}),
  };
  constructor(public current: DashboardSnapshot) {}
  snapshot(): DashboardSnapshot {
    this.snapshots += 1;
    return this.current;
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** Replaces the state and notifies like a real source would. */
  update(change: (s: DashboardSnapshot) => DashboardSnapshot): void {
    this.current = change(this.current);
    for (const l of this.listeners) l();
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

/** The sketch's five agents, three breakers and a few log lines. */
export function sampleSnapshot(now = T0): DashboardSnapshot {
  return {
    gateway: {
      version: '0.3.0',
      address: 'http://127.0.0.1:8080',
      startedAt: now - (72 * 60 + 5) * 1000,
      now,
      spendTodayUsd: 18.42,
      requestsPerSecond: [2, 3, 5, 8, 7, 5, 3, 14.2],
      providers: 2,
    },
    agents: [
      {
        id: 'researcher',
        status: 'active',
        model: 'claude-sonnet-4-5',
        calls: 1204,
        errors: 3,
        tokensIn: 2_100_000,
        tokensOut: 310_000,
        costHourUsd: 3.21,
        costTodayUsd: 8.1,
        costTotalUsd: 41.2,
        unpriced: false,
        budget: { hourly: 5, daily: 20, total: 100 },
        rateLimit: '100/min',
        lastSeen: now - 2000,
        // A steady $0.018 every 20 s ($0.054 a minute); the bucket holding `now` has just begun.
        spendHistory: { bucketMs: 20_000, buckets: [...new Array<number>(29).fill(0.018), 0] },
      },
      {
        id: 'coder',
        status: 'paused',
        pauseReason: 'budget/h',
        pausedBy: 'budget',
        model: 'gpt-5-mini',
        calls: 880,
        errors: 12,
        tokensIn: 1_400_000,
        tokensOut: 220_000,
        costHourUsd: 1,
        costTodayUsd: 4.02,
        costTotalUsd: 12.77,
        unpriced: false,
        budget: { hourly: 1 },
      },
      {
        id: 'reviewer',
        status: 'active',
        model: 'claude-haiku-4-5',
        calls: 310,
        errors: 0,
        tokensIn: 400_000,
        tokensOut: 60_000,
        costHourUsd: 0.22,
        costTodayUsd: 0.61,
        costTotalUsd: 2.05,
        unpriced: false,
        budget: { hourly: 1 },
      },
      {
        id: 'local-eval',
        status: 'idle',
        model: 'llama3.1:8b',
        calls: 95,
        errors: 0,
        tokensIn: 80_000,
        tokensOut: 12_000,
        costHourUsd: 0,
        costTodayUsd: 0,
        costTotalUsd: 0,
        unpriced: false,
        budget: {},
      },
      {
        id: 'default',
        status: 'active',
        model: 'gpt-5',
        calls: 12,
        errors: 1,
        tokensIn: 9000,
        tokensOut: 2000,
        costHourUsd: 0,
        costTodayUsd: 0,
        costTotalUsd: 0,
        unpriced: true,
        budget: {},
      },
    ],
    breakers: [
      { key: 'anthropic', state: 'closed', errorRate: 0.004 },
      { key: 'openai', state: 'open', errorRate: 0.6, retryInMs: 12_000 },
      { key: 'ollama', state: 'half_open', errorRate: 0.2, probes: { used: 1, max: 3 } },
    ],
    recent: [
      { id: 'r1', ts: now - 3000, agent: 'default', model: 'gpt-5', provider: 'openai', status: 502, errorCode: 'upstream_unreachable', tokensIn: 0, tokensOut: 0, costUsd: null, latencyMs: 30, stream: false, estimated: false },
      { id: 'r2', ts: now - 2000, agent: 'reviewer', model: 'claude-haiku-4-5', provider: 'anthropic', status: 200, tokensIn: 800, tokensOut: 120, costUsd: 0.0014, latencyMs: 410, stream: false, estimated: false, dropped: ['n'] },
      { id: 'r3', ts: now - 1000, agent: 'coder', model: 'gpt-5-mini', provider: 'openai', status: 429, errorCode: 'budget_exceeded', tokensIn: 0, tokensOut: 0, costUsd: null, latencyMs: 2, stream: false, estimated: false },
      { id: 'r4', ts: now - 1000, agent: 'researcher', model: 'claude-sonnet-4-5', provider: 'anthropic', status: 200, tokensIn: 1200, tokensOut: 340, costUsd: 0.0087, latencyMs: 820, stream: true, estimated: false },
    ],
    controlEvents: [
      { ts: now - 60_000, agent: 'coder', kind: 'pause', actor: 'budget', detail: 'hourly budget $1.00 reached' },
    ],
  };
}

export interface RenderedApp {
  source: FakeSource;
  store: DashboardStore;
  clock: FakeClock;
  timers: ManualTimers;
  stdin: { write(data: string): void };
  frames: string[];
  lastFrame(): string;
  /** Resizes the fake terminal and tells the app, as a SIGWINCH would. */
  resize(columns: number, rows: number): Promise<void>;
  /** Types keys, one write per key, letting Ink and React settle after each (and Ink deliver a lone ESC). */
  press(...keys: string[]): Promise<void>;
  /** Writes a chunk that Ink reads at once, as keys typed faster than the app reads or a paste arrive. */
  send(chunk: string): Promise<void>;
  /** Publishes pending source changes (the throttle timer firing). */
  tick(ms?: number): Promise<void>;
  /** How often the app asked to quit. */
  quitRequested(): number;
  /** Control sequences the app wrote straight to the terminal (bell, clipboard). */
  signals: string[];
  unmount(): void;
}

/** Polls until `check` holds: a first frame may take a while on a busy machine (Ink and React load lazily). */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }
}

/** Lets Ink's input handling (setImmediate) and React effects run. Not a wait for logic. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * How long Ink 8 holds an ESC that ends a read before it delivers it as the Escape key: it could be
 * the start of an escape sequence split across reads (node_modules/ink/build/components/App.js,
 * pendingInputFlushDelayMilliseconds).
 */
export const INK_ESCAPE_DELAY_MS = 20;

/**
 * Waits until Ink has handled a chunk written to stdin and the app has rendered the result. A chunk
 * ending in ESC is handled only when Ink's ESC timer fires; a timer started after it with a longer
 * delay runs after it.
 */
async function afterInput(chunk: string): Promise<void> {
  await settle();
  if (!chunk.endsWith(KEYS.esc)) return;
  await new Promise<void>((resolve) => setTimeout(resolve, INK_ESCAPE_DELAY_MS + 10));
  await settle();
}

export async function renderApp(opts: { snapshot?: DashboardSnapshot; columns?: number; rows?: number; noColor?: boolean } = {}): Promise<RenderedApp> {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const source = new FakeSource(opts.snapshot ?? sampleSnapshot());
  const store = createDashboardStore(source, { clock, timers, maxFps: 10, tickMs: 0 });
  let quits = 0;
  const signals: string[] = [];
  const instance = render(
    <App
      store={store}
      actions={source.actions}
      version="0.0.0-test"
      noColor={opts.noColor ?? false}
      onQuitRequested={() => (quits += 1)}
      signal={(sequence) => signals.push(sequence)}
    />,
  );
  const resize = async (columns: number, rows: number): Promise<void> => {
    Object.defineProperty(instance.stdout, 'columns', { value: columns, configurable: true });
    Object.defineProperty(instance.stdout, 'rows', { value: rows, configurable: true });
    instance.stdout.emit('resize');
    await settle();
  };
  await resize(opts.columns ?? 120, opts.rows ?? 30);
  return {
    source,
    store,
    clock,
    timers,
    stdin: instance.stdin,
    frames: instance.frames,
    lastFrame: () => instance.lastFrame() ?? '',
    resize,
    async press(...keys) {
      for (const k of keys) {
        instance.stdin.write(k);
        await afterInput(k);
      }
    },
    async send(chunk) {
      instance.stdin.write(chunk);
      await afterInput(chunk);
    },
    async tick(ms = 100) {
      timers.advance(ms);
      await settle();
    },
    quitRequested: () => quits,
    signals,
    unmount() {
      instance.unmount();
      store.close();
    },
  };
}

/** SGR sequences that set a colour (foreground, background, 256 and true colour). */
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
export const ANSI_COLOUR = /\u001B\[(?:\d+;)*(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;\d+)*m/;

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  pageUp: '\u001B[5~',
  pageDown: '\u001B[6~',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  shiftTab: '\u001B[Z',
  backspace: '\u007F',
} as const;
