/**
 * Hot reload: watch the config file and report each settled change as a fresh load result. The caller decides
 * what to do with it (swap the config when `config` is present, keep the old one and show `errors` otherwise).
 * The directory is watched rather than the file because editors often save by writing a new file and renaming
 * it over the old one, which ends a watch on the original inode.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Env } from './interpolate.js';
import type { PolicyConditionCheck } from './normalize.js';
import type { LoadResult } from './load.js';
import { readConfig } from './load.js';
import { systemTimers, type Timers } from '../core/clock.js';

/** Runs `fn` once `ms` after the last `trigger()`; editors emit several events for one save. */
export function debounce(fn: () => void, ms: number, timers: Timers = systemTimers): { trigger(): void; cancel(): void } {
  let handle: unknown;
  let pending = false;
  return {
    trigger() {
      if (pending) timers.clearTimeout(handle);
      pending = true;
      handle = timers.setTimeout(() => {
        pending = false;
        fn();
      }, ms);
    },
    cancel() {
      if (pending) timers.clearTimeout(handle);
      pending = false;
    },
  };
}

export interface WatchOptions {
  /** Quiet time after the last file event before reloading (default 200 ms). */
  debounceMs?: number;
  env?: Env;
  timers?: Timers;
  checkPolicyCondition?: PolicyConditionCheck;
  /** Called when the watcher itself fails (e.g. the directory was removed). */
  onError?: (err: Error) => void;
  /**
   * Reads the changed file; by default readConfig on this thread. The gateway passes one that works off the main
   * thread, so a very large file does not stall requests while it is parsed.
   */
  load?: (path: string) => Promise<LoadResult>;
}

export interface ConfigWatcher {
  close(): void;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function watchConfig(path: string, onChange: (result: LoadResult) => void, options: WatchOptions = {}): ConfigWatcher {
  const file = resolve(path);
  const name = basename(file);
  // Only report real content changes: saves that rewrite identical bytes, and touch, are not reloads.
  let lastText = readOrUndefined(file);
  const load = options.load ?? ((path: string) => Promise.resolve(readConfig({ path, env: options.env, checkPolicyCondition: options.checkPolicyCondition })));
  let closed = false;
  // Loads run one at a time, in the order of the changes, so an older result never replaces a newer one.
  let loading: Promise<void> = Promise.resolve();
  const reload = debounce(
    () => {
      const text = readOrUndefined(file);
      // A missing file mid-save (rename in progress) is reported only if it is still missing after the debounce.
      if (text !== undefined && text === lastText) return;
      lastText = text;
      loading = loading.then(async () => {
        const result = await load(file);
        if (!closed) onChange(result);
      });
    },
    options.debounceMs ?? 200,
    options.timers,
  );
  let watcher: FSWatcher | undefined = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed === null || changed === name) reload.trigger();
  });
  watcher.on('error', (err: Error) => options.onError?.(err));
  return {
    close() {
      closed = true;
      reload.cancel();
      watcher?.close();
      watcher = undefined;
    },
  };
}
