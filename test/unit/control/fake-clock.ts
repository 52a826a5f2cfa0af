import type { Clock } from '../../../src/core/clock.js';

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
