/** Worker thread of token-counter.ts: loads the o200k tokenizer and answers batches of texts with their counts. */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { SlicedCounter, loadO200k } from '../metering/tokens.js';
import type { TokenAnswer, TokenRequest } from './token-counter.js';

/**
 * Counting is background work: where a thread can lower its own priority (Linux: a thread's id names it for
 * setpriority), it does, so on a busy machine the thread that serves requests gets the CPU first.
 */
function yieldCpu(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    // Ten steps below the process, whatever its own niceness (19 is the lowest).
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, Math.min(19, getPriority(tid) + 10));
  } catch {
    // No /proc (not Linux) or not allowed: counting runs at the process's priority, as it would on the main thread.
  }
}

yieldCpu();
const port = parentPort!;
// Requests that arrive while the tables load wait in the port: it delivers nothing before a listener is attached.
// No top-level await: the binary bundles this script as CommonJS.
void loadO200k().then((count) => {
  const counter = new SlicedCounter(count);
  port.on('message', (request: TokenRequest) => {
    void counter.count(request.texts).then((counts) => port.postMessage({ id: request.id, counts } satisfies TokenAnswer));
  });
});
