/**
 * Watches a running stream against its admission, once per upstream chunk. It ends the stream when the agent
 * was paused or its budget lowered below what is spent and held, and it grows the hold when the stream outruns
 * it (a request with no output cap, or an upstream that ignores the cap). It compares like with like: output
 * tokens produced so far against the output tokens the hold pays for, so a stream within its max_tokens is
 * never cut while its budget stands.
 */
import { GatewayError } from '../../core/errors.js';
import { maxCostOf, usdFromPico, type CountsTokens, type ModelPrice } from '../../metering/index.js';
import type { Admission } from '../ports.js';
import type { UsageMeter } from './meter.js';

export interface StreamGuardOptions {
  admission: Admission;
  /** Price of the answering target; undefined when unpriced (no dollars to hold). */
  price: ModelPrice | undefined;
  /** Input tokens the hold was sized for (an upper bound). */
  inputTokens: number;
  /** Output tokens the hold pays for. */
  outputTokens: number;
  /** The tokenizer, for counting the text received when its bytes no longer prove it fits. */
  counter: CountsTokens;
  model: string;
}

export class StreamGuard {
  private covered: number;
  /** Tokens of the received text at its last count, and the bytes received then. */
  private counted = 0;
  private countedAtBytes = 0;

  constructor(private readonly o: StreamGuardOptions) {
    this.covered = o.outputTokens;
  }

  /**
   * Whether the stream may go on after the chunk just received: undefined, or the error that ends it. A promise
   * only when the tokenizer must count (the bytes no longer prove the stream fits); the stream waits for it.
   */
  check(meter: UsageMeter): GatewayError | undefined | Promise<GatewayError | undefined> {
    const stop = this.o.admission.interruption();
    if (stop) return stop;
    const price = this.o.price;
    if (!this.o.admission.limited || price === undefined || isFree(price)) return undefined;
    // No text has more tokens than bytes, and each byte received since a count adds at most one token, so the
    // tokenizer runs only when that bound no longer fits the cover.
    const bound = this.counted + (meter.receivedBytes - this.countedAtBytes);
    if (bound > this.covered) return this.recount(meter, price);
    return this.settle(Math.max(bound, meter.reportedOutput ?? 0), price);
  }

  private async recount(meter: UsageMeter, price: ModelPrice): Promise<GatewayError | undefined> {
    const bytes = meter.receivedBytes;
    const { counts, estimated } = await this.o.counter.countTokens([meter.receivedText()]);
    // A byte estimate is no bound: without the tokenizer the bytes stay the count, so the hold never falls short.
    if (!estimated) {
      this.counted = counts[0] ?? bytes;
      this.countedAtBytes = bytes;
    }
    const produced = estimated ? this.counted + (bytes - this.countedAtBytes) : this.counted;
    return this.settle(Math.max(produced, meter.reportedOutput ?? 0), price);
  }

  /** Output tokens produced so far (the provider's running count when it sends one) against the cover. */
  private settle(produced: number, price: ModelPrice): GatewayError | undefined {
    if (produced <= this.covered) return undefined;
    // Ask for headroom in steps, not per chunk: what is over, or a quarter of what is covered, whichever is more.
    const more = Math.max(produced - this.covered, Math.ceil(this.covered / 4), 1);
    if (this.o.admission.extend(outputCostUsd(price, this.o.inputTokens, more))) {
      this.covered += more;
      return undefined;
    }
    return new GatewayError('budget_exceeded', `budget exhausted while streaming ${this.o.model}; the response was cut off and the tokens produced were billed`, {
      code: 'budget_exceeded',
      shouldRetry: false,
    });
  }
}

export function isFree(price: ModelPrice): boolean {
  const r = price.base;
  return r.input === 0 && r.output === 0 && r.cacheRead === 0 && r.cacheWrite5m === 0 && r.cacheWrite1h === 0 && r.reasoning === 0;
}

/** The dearest these output tokens can cost, in the tier the input selects. */
function outputCostUsd(price: ModelPrice, inputTokens: number, outputTokens: number): number {
  return usdFromPico(maxCostOf(price, inputTokens, outputTokens).totalPico - maxCostOf(price, inputTokens, 0).totalPico);
}
