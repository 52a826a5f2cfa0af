import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigWatcher, LoadResult } from '../../../src/config/index.js';
import { readConfig, watchConfig } from '../../../src/config/index.js';
import type { Timers } from '../../../src/core/clock.js';
import { debounce } from '../../../src/config/watch.js';

/** Timers driven by the test: a scheduled callback runs only when the test says so. */
function manualTimers() {
  let pending: { fn: () => void; ms: number } | undefined;
  let waiter: (() => void) | undefined;
  const timers: Timers = {
    setTimeout(fn, ms) {
      pending = { fn, ms };
      waiter?.();
      waiter = undefined;
      return pending;
    },
    clearTimeout(handle) {
      if (handle === pending) pending = undefined;
    },
  };
  return {
    timers,
    get pending() {
      return pending;
    },
    fire() {
      const current = pending;
      pending = undefined;
      current?.fn();
    },
    /** Resolves once a callback is scheduled (a file event arrived), has run, and its load has been reported. */
    async next(): Promise<void> {
      if (pending === undefined) await new Promise<void>((resolve) => (waiter = resolve));
      this.fire();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

describe('debounce', () => {
  it('runs once, after the last trigger', () => {
    const clock = manualTimers();
    let runs = 0;
    const d = debounce(() => runs++, 200, clock.timers);
    d.trigger();
    d.trigger();
    d.trigger();
    expect(clock.pending?.ms).toBe(200);
    expect(runs).toBe(0);
    clock.fire();
    expect(runs).toBe(1);
    clock.fire();
    expect(runs).toBe(1);
  });

  it('can be cancelled', () => {
    const clock = manualTimers();
    let runs = 0;
    const d = debounce(() => runs++, 50, clock.timers);
    d.trigger();
    d.cancel();
    expect(clock.pending).toBeUndefined();
    expect(runs).toBe(0);
  });
});

describe('watchConfig', () => {
  let watcher: ConfigWatcher | undefined;
  afterEach(() => watcher?.close());

  it('reports edits, invalid edits, and atomic saves; ignores rewrites of identical content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-watch-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'gateway:\n  port: 8080\n');
    const clock = manualTimers();
    const results: LoadResult[] = [];
    watcher = watchConfig(file, (r) => results.push(r), { timers: clock.timers, env: {} });

    writeFileSync(file, 'gateway:\n  port: 9090\n');
    await clock.next();
    expect(results).toHaveLength(1);
    expect(results[0]?.config?.gateway.port).toBe(9090);

    writeFileSync(file, 'gateway:\n  port: 9090\n');
    await clock.next();
    expect(results).toHaveLength(1);

    writeFileSync(file, 'gateway:\n  port: nine\n');
    await clock.next();
    expect(results).toHaveLength(2);
    expect(results[1]?.config).toBeUndefined();
    expect(results[1]?.errors[0]).toMatchObject({ path: 'gateway.port', line: 2, file });

    // Editors often write a temp file and rename it over the original.
    const temp = join(dir, '.gateway.yaml.swp');
    writeFileSync(temp, 'gateway:\n  port: 7070\n');
    renameSync(temp, file);
    await clock.next();
    expect(results.at(-1)?.config?.gateway.port).toBe(7070);
  });

  it('uses the given loader, reports results in the order of the changes, and nothing after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-watch-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'gateway:\n  port: 1\n');
    const clock = manualTimers();
    const finish: (() => void)[] = [];
    const ports: number[] = [];
    // The first load is slow and the second fast: the order must still be the order of the edits.
    const load = async (path: string): Promise<LoadResult> => {
      const result = readConfig({ path, env: {} });
      if (finish.length === 0) await new Promise<void>((resolve) => finish.push(resolve));
      return result;
    };
    watcher = watchConfig(file, (r) => ports.push(r.config?.gateway.port ?? -1), { timers: clock.timers, load });
    writeFileSync(file, 'gateway:\n  port: 2\n');
    await clock.next();
    writeFileSync(file, 'gateway:\n  port: 3\n');
    await clock.next();
    expect(ports).toEqual([]);
    finish[0]?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ports).toEqual([2, 3]);

    writeFileSync(file, 'gateway:\n  port: 4\n');
    await clock.next();
    expect(ports).toEqual([2, 3, 4]);
    watcher.close();
    writeFileSync(file, 'gateway:\n  port: 5\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ports).toEqual([2, 3, 4]);
  });
});
