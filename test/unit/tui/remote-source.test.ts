import { describe, expect, it, vi } from 'vitest';
import { GatewayNotRunningError } from '../../../src/client/errors.js';
import type { ResumeResult } from '../../../src/client/management-client.js';
import { RemoteDashboardSource, type RemoteClient } from '../../../src/tui/remote-source.js';
import type { DashboardSnapshot, LogEntry } from '../../../src/live/snapshot.js';
import { FakeClock, ManualTimers, sampleSnapshot, settle } from './helpers.js';

class FakeClient implements RemoteClient {
  readonly baseUrl = 'http://127.0.0.1:8080';
  status: DashboardSnapshot = sampleSnapshot();
  failWith: Error | undefined;
  statusCalls = 0;
  emit: ((e: LogEntry) => void) | undefined;
  streamSignal: AbortSignal | undefined;
  endStream: (() => void) | undefined;
  streams = 0;
  getStatus = vi.fn(async () => {
    this.statusCalls += 1;
    if (this.failWith) throw this.failWith;
    return this.status;
  });
  pause = vi.fn(async (_id: string, _reason?: string) => {});
  resume = vi.fn(async (id: string): Promise<ResumeResult> => ({ agent: id, resumed: true }));
  setBudget = vi.fn(async () => {});
  resetBreaker = vi.fn(async (_key: string) => {});
  getLogs = vi.fn(async (_q: object): Promise<LogEntry[]> => []);
  getRequest = vi.fn(async (_id: string) => undefined);
  getUsage = vi.fn(async () => ({ now: 0, hour: [], day: [], dayFrom: 0 }));
  streamLogs = vi.fn((_q: object, onEntry: (e: LogEntry) => void, signal?: AbortSignal) => {
    this.streams += 1;
    this.emit = onEntry;
    this.streamSignal = signal;
    return new Promise<void>((resolve) => {
      this.endStream = resolve;
      signal?.addEventListener('abort', () => resolve());
    });
  });
}

const entry = (id: string, ts: number): LogEntry => ({
  id, ts, agent: 'researcher', model: 'm', provider: 'p', status: 200, tokensIn: 1, tokensOut: 1, costUsd: 0.001, latencyMs: 3, stream: true, estimated: false,
});

function setup() {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const client = new FakeClient();
  const source = new RemoteDashboardSource(client, { clock, timers, pollMs: 250, reconnectMs: 1000 });
  let notified = 0;
  source.subscribe(() => (notified += 1));
  return { clock, timers, client, source, notified: () => notified };
}

describe('RemoteDashboardSource', () => {
  it('loads the status on start and polls about four times a second', async () => {
    const t = setup();
    await t.source.start();
    expect(t.source.snapshot().agents.map((a) => a.id)).toContain('researcher');
    const calls = t.client.statusCalls;
    for (let i = 0; i < 4; i++) {
      t.timers.advance(250);
      await settle();
    }
    expect(t.client.statusCalls - calls).toBe(4);
    expect(t.notified()).toBe(4);
    t.source.close();
  });

  it('fails to start when the gateway is not running', async () => {
    const t = setup();
    t.client.failWith = new GatewayNotRunningError(t.client.baseUrl);
    await expect(t.source.start()).rejects.toBeInstanceOf(GatewayNotRunningError);
  });

  it('merges streamed log entries with polled ones, without duplicates', async () => {
    const t = setup();
    await t.source.start();
    t.client.emit?.(entry('s1', Date.now()));
    t.client.emit?.(entry('r4', 5)); // already in the polled snapshot: replaced, not duplicated
    const ids = t.source.snapshot().recent.map((e) => e.id);
    expect(ids.filter((id) => id === 'r4')).toHaveLength(1);
    expect(ids).toContain('s1');
    expect(t.notified()).toBe(2);
    t.source.close();
  });

  it('keeps the last state with a banner while the gateway is away, and recovers', async () => {
    const t = setup();
    await t.source.start();
    t.client.failWith = new GatewayNotRunningError(t.client.baseUrl);
    t.timers.advance(250);
    await settle();
    expect(t.source.snapshot().gateway.configBanner).toContain('stopped answering');
    expect(t.source.snapshot().agents).toHaveLength(5);
    t.client.failWith = undefined;
    t.timers.advance(250);
    await settle();
    expect(t.source.snapshot().gateway.configBanner).toBeUndefined();
    t.source.close();
  });

  it('reconnects the log stream after it ends', async () => {
    const t = setup();
    await t.source.start();
    expect(t.client.streams).toBe(1);
    t.client.endStream?.();
    await settle();
    t.timers.advance(1000);
    await settle();
    expect(t.client.streams).toBe(2);
    t.source.close();
  });

  it('asks the gateway for the history search, a request in full and the spend by model', async () => {
    const t = setup();
    await t.source.start();
    t.client.getLogs.mockResolvedValueOnce([entry('old', 1)]);
    expect((await t.source.actions.searchLogs('coder 5xx')).map((e) => e.id)).toEqual(['old']);
    expect(t.client.getLogs).toHaveBeenCalledWith({ q: 'coder 5xx', limit: 500 });
    expect(await t.source.actions.requestDetail('req_1')).toBeUndefined();
    expect(t.client.getRequest).toHaveBeenCalledWith('req_1');
    expect(await t.source.actions.usage()).toEqual({ now: 0, hour: [], day: [], dayFrom: 0 });
    expect(t.client.getUsage).toHaveBeenCalledTimes(1);
    t.source.close();
  });

  it('acts through the client and refreshes right away; quit stops watching', async () => {
    const t = setup();
    await t.source.start();
    const calls = t.client.statusCalls;
    await t.source.actions.pause('researcher', 'why');
    await t.source.actions.setBudget('researcher', { hourly: 1 });
    await t.source.actions.resetBreaker('openai');
    expect(t.client.pause).toHaveBeenCalledWith('researcher', 'why');
    expect(t.client.setBudget).toHaveBeenCalledWith('researcher', { hourly: 1 });
    expect(t.client.resetBreaker).toHaveBeenCalledWith('openai');
    expect(t.client.statusCalls - calls).toBe(3);
    await t.source.actions.quit?.();
    expect(t.client.streamSignal?.aborted).toBe(true);
    expect(t.timers.pending).toBe(0);
  });
});
