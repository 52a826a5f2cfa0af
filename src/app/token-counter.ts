/**
 * The gateway's token counter: the o200k tokenizer in a worker thread. Loading the tables blocks for a fraction of
 * a second and takes tens of MB; in the worker, neither touches the thread that serves requests. The worker starts
 * on the first count (or a prepare()), not at start, so an idle gateway stays small; that first count waits for
 * the load without stalling anything else. A worker left unused for a while is stopped, which gives its memory
 * (about 60 MB of RSS) back: a burst of counts (a fleet of cut-off streams to estimate) does not leave the gateway
 * larger for the rest of its life.
 *
 * The worker is the compiled `token-worker.js` beside this module; the standalone binary holds it bundled as an
 * asset and starts it from its source. Where there is neither (tests run the TypeScript sources) the tokenizer
 * runs on the main thread, loaded on first use and counting in slices. A worker that dies or stops answering is
 * replaced on the next count; the counts it owed are answered with byte estimates, marked as such, never left
 * waiting.
 */
import type { Worker } from 'node:worker_threads';
import { messageOf } from '../core/errors.js';
import { SlicedCounter, byteEstimate, loadO200k, type TokenCounter, type TokenCounts } from '../metering/tokens.js';
import { TOKEN_WORKER_ASSET, startWorker, workerScript, type WorkerScript } from '../runtime/sea.js';

/** A batch of texts to count, posted to the worker. */
export interface TokenRequest {
  id: number;
  texts: readonly string[];
}

/** The worker's answer: one count per text of the request with this id. */
export interface TokenAnswer {
  id: number;
  counts: number[];
}

const WORKER_URL = new URL('./token-worker.js', import.meta.url);

/** The worker where its script exists, else the tokenizer on this thread. */
export function gatewayTokenCounter(warn: (message: string) => void): TokenCounter {
  const script = workerScript(WORKER_URL, TOKEN_WORKER_ASSET);
  return script === undefined ? new InProcessTokenCounter() : new WorkerTokenCounter({ script, warn });
}

/** The tokenizer on the calling thread, loaded on first use, counting in slices between turns of the event loop. */
export class InProcessTokenCounter implements TokenCounter {
  private counter: Promise<SlicedCounter> | undefined;

  async countTokens(texts: readonly string[]): Promise<TokenCounts> {
    return { counts: await (await this.load()).count(texts), estimated: false };
  }

  prepare(): void {
    void this.load();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private load(): Promise<SlicedCounter> {
    this.counter ??= loadO200k().then((count) => new SlicedCounter(count));
    return this.counter;
  }
}

export interface WorkerTokenCounterOptions {
  script: WorkerScript;
  /** Told when a worker fails, and when the counter gives up on workers. */
  warn: (message: string) => void;
  /**
   * How long a batch may take before the worker is taken for stuck: a base (the tokenizer's load is part of the
   * first batch) plus a time per character counted. Defaults 30 s and 10 µs (100 KB a second, far below the
   * tokenizer's speed even on a busy machine).
   */
  deadlineMs?: number;
  deadlineMsPerChar?: number;
  /** After giving up, how long counts stay byte estimates before one more worker is tried (default 60 s). */
  retryAfterMs?: number;
  /**
   * How long the worker may go without a count or a prepare() before it is stopped; the next count starts a new
   * one. Default 20 s: loading the tables again costs a fraction of a second on another thread, and a gateway in
   * steady use (a limited stream prepares the counter) keeps its worker.
   */
  idleMs?: number;
  /** The time, in ms (injected for tests). */
  now?: () => number;
}

/** Workers that fail one after another without answering anything before the counter stops starting them. */
const MAX_FAILED_STARTS = 3;

interface Owed {
  texts: readonly string[];
  resolve: (counts: TokenCounts) => void;
  timer: NodeJS.Timeout;
}

export class WorkerTokenCounter implements TokenCounter {
  private worker: Worker | undefined;
  private readonly owed = new Map<number, Owed>();
  private nextId = 0;
  /** Workers that ended without answering since the last answer. */
  private failures = 0;
  /** When the counter last gave up on workers. */
  private gaveUpAt = 0;
  /** When the worker was last asked for anything or last answered. */
  private usedAt = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly o: WorkerTokenCounterOptions) {}

  countTokens(texts: readonly string[]): Promise<TokenCounts> {
    if (texts.every((t) => t.length === 0)) return Promise.resolve({ counts: texts.map(() => 0), estimated: false });
    if (this.closed || this.givenUp()) return Promise.resolve(estimates(texts));
    const worker = this.startOrCount();
    if (worker === undefined) return Promise.resolve(estimates(texts));
    const id = ++this.nextId;
    let chars = 0;
    for (const t of texts) chars += t.length;
    const deadline = (this.o.deadlineMs ?? 30_000) + chars * (this.o.deadlineMsPerChar ?? 0.01);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.stuck(worker, deadline), deadline);
      timer.unref();
      this.owed.set(id, { texts, resolve, timer });
      worker.postMessage({ id, texts } satisfies TokenRequest);
    });
  }

  prepare(): void {
    if (!this.closed && !this.givenUp()) this.startOrCount();
  }

  /**
   * The worker, or undefined when Node could not create the thread (it throws at once when the process is out of
   * threads or memory): counted as a failed start, so counts fall back to estimates instead of failing a request.
   */
  private startOrCount(): Worker | undefined {
    this.usedAt = this.now();
    try {
      return this.start();
    } catch (err) {
      this.o.warn(`the token counter could not start: ${messageOf(err)}`);
      this.failed();
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    clearTimeout(this.idleTimer);
    this.settleOwed();
    if (worker) await worker.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(this.o.script);
    // Counting never keeps the process alive: a gateway that stops need not wait for it.
    worker.unref();
    worker.on('message', (answer: TokenAnswer) => {
      this.failures = 0;
      this.usedAt = this.now();
      const owed = this.owed.get(answer.id);
      if (owed === undefined) return;
      this.owed.delete(answer.id);
      clearTimeout(owed.timer);
      owed.resolve({ counts: answer.counts, estimated: false });
    });
    worker.on('error', (err) => this.o.warn(`the token counter failed: ${messageOf(err)}`));
    worker.on('exit', () => this.ended(worker));
    this.worker = worker;
    this.idleTimer = setTimeout(() => this.stopIfIdle(worker), this.idleMs()).unref();
    return worker;
  }

  /** One timer per worker, set again for what is left of the idle time, rather than one per count. */
  private stopIfIdle(worker: Worker): void {
    if (this.worker !== worker) return;
    const left = this.usedAt + this.idleMs() - this.now();
    if (this.owed.size > 0 || left > 0) {
      this.idleTimer = setTimeout(() => this.stopIfIdle(worker), left > 0 ? left : this.idleMs()).unref();
      return;
    }
    // Not a failure: ended() ignores a worker that is no longer the current one.
    this.worker = undefined;
    void worker.terminate();
  }

  private idleMs(): number {
    return this.o.idleMs ?? 20_000;
  }

  private stuck(worker: Worker, deadline: number): void {
    if (this.worker !== worker) return;
    this.o.warn(`the token counter did not answer within ${Math.round(deadline)} ms; restarting it`);
    void worker.terminate();
  }

  /** A worker ended (crash, stuck, or closed): what it owed is estimated; the next count starts a new one. */
  private ended(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failed();
    this.settleOwed();
  }

  private failed(): void {
    this.failures++;
    if (this.failures !== MAX_FAILED_STARTS) return;
    this.gaveUpAt = this.now();
    const seconds = Math.round(this.retryAfterMs() / 1000);
    this.o.warn(`the token counter failed repeatedly; token counts are byte estimates for the next ${seconds} s`);
  }

  /**
   * Whether the counter has given up on workers for now. A host short of threads or memory for a while should not
   * lose exact counts for the rest of the process: once the wait is over, one more worker is tried.
   */
  private givenUp(): boolean {
    if (this.failures < MAX_FAILED_STARTS) return false;
    if (this.now() - this.gaveUpAt < this.retryAfterMs()) return true;
    this.failures = MAX_FAILED_STARTS - 1;
    return false;
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private retryAfterMs(): number {
    return this.o.retryAfterMs ?? 60_000;
  }

  /** Every batch still waiting gets byte estimates, marked as such. */
  private settleOwed(): void {
    for (const owed of this.owed.values()) {
      clearTimeout(owed.timer);
      owed.resolve(estimates(owed.texts));
    }
    this.owed.clear();
  }
}

function estimates(texts: readonly string[]): TokenCounts {
  return { counts: texts.map(byteEstimate), estimated: true };
}
