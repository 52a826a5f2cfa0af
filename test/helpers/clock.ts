/** The one fake clock of the tests, and timers that run only when it is moved forward. */
import type { Clock, Timers } from '../../src/core/clock.js';

/** A clock that moves only when told; wall and monotonic time advance together. */
export class FakeClock implements Clock {
  private wall: number;
  private mono = 1_000;

  constructor(start: number | string = '2025-03-10T12:00:00Z') {
    this.wall = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.wall;
  }

  monotonic(): number {
    return this.mono;
  }

  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }

  /** Sets the wall clock only (monotonic keeps counting forward by the same step if it moves ahead). */
  set(at: number | string): void {
    const t = typeof at === 'number' ? at : Date.parse(at);
    if (t > this.wall) this.mono += t - this.wall;
    this.wall = t;
  }
}

/** Timers driven by a FakeClock: nothing runs until the test advances time. */
export class ManualTimers implements Timers {
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();
  constructor(private readonly clock: FakeClock) {}
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.queue.set(id, { at: this.clock.monotonic() + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.queue.delete(handle as number);
  }
  get pending(): number {
    return this.queue.size;
  }
  /** Milliseconds until the next timer falls due; undefined when none is pending. */
  nextIn(): number | undefined {
    let at: number | undefined;
    for (const t of this.queue.values()) at = Math.min(at ?? Infinity, t.at);
    return at === undefined ? undefined : Math.max(0, at - this.clock.monotonic());
  }
  /** Moves the clock forward by `ms`, running every timer that falls due, in time order. */
  advance(ms: number): void {
    const end = this.clock.monotonic() + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.queue) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.queue.delete(next[0]);
      this.clock.advance(Math.max(0, next[1].at - this.clock.monotonic()));
      next[1].fn();
    }
    this.clock.advance(Math.max(0, end - this.clock.monotonic()));
  }
}
