import { describe, expect, it } from 'vitest';
import { createDashboardStore } from '../../../src/tui/dashboard-store.js';
import { FakeClock, FakeSource, ManualTimers, sampleSnapshot } from './helpers.js';

function setup(tickMs = 0) {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const source = new FakeSource(sampleSnapshot());
  const store = createDashboardStore(source, { clock, timers, maxFps: 10, tickMs });
  let published = 0;
  store.subscribe(() => (published += 1));
  return { clock, timers, source, store, published: () => published };
}

describe('dashboard store', () => {
  it('turns a burst of changes into one frame, published on a timer', () => {
    const t = setup();
    for (let i = 0; i < 1000; i++) t.source.update((s) => ({ ...s, gateway: { ...s.gateway, spendTodayUsd: i } }));
    expect(t.published()).toBe(0);
    t.timers.advance(100);
    expect(t.published()).toBe(1);
    expect(t.store.getFrame().snapshot.gateway.spendTodayUsd).toBe(999);
  });

  it('publishes at most 10 frames per second under constant change', () => {
    const t = setup();
    const before = t.source.snapshots;
    for (let ms = 0; ms < 1000; ms++) {
      t.source.update((s) => s);
      t.timers.advance(1);
    }
    expect(t.published()).toBeGreaterThanOrEqual(9);
    expect(t.published()).toBeLessThanOrEqual(11);
    // The source is only read when a frame is published.
    expect(t.source.snapshots - before).toBe(t.published());
  });

  it('publishes nothing without changes, except the clock tick', () => {
    const idle = setup();
    idle.timers.advance(5000);
    expect(idle.published()).toBe(0);
    const ticking = setup(1000);
    ticking.timers.advance(5000);
    expect(ticking.published()).toBe(5);
    expect(ticking.store.getFrame().now).toBe(ticking.clock.now());
  });

  it('flushes a pending change immediately and stops after close', () => {
    const t = setup();
    t.source.update((s) => s);
    t.store.flush();
    expect(t.published()).toBe(1);
    t.store.close();
    expect(t.source.listenerCount).toBe(0);
    t.source.update((s) => s);
    t.timers.advance(1000);
    expect(t.published()).toBe(1);
    expect(t.timers.pending).toBe(0);
  });
});
