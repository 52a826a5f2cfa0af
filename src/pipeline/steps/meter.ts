/**
 * Usage accounting for one response. Reads canonical stream events (or a whole response, or the usage at the end
 * of a body relayed undecoded), keeps the usage the provider reported, and, when a stream is cut off before its
 * usage arrives or a report lacks a side (or gave no sane count for it), estimates what is missing from the text
 * received so far (for an undecoded body, from its size).
 * Pure apart from the injected tokenizer.
 */
import { ZERO_USAGE, type Usage, type UsageGaps, type UsageReading } from '../../core/usage.js';
import type { AssistantPart, CanonicalStreamEvent, CanonicalResponse, StopReason } from '../../wire/canonical.js';
import { reportedPart } from '../../wire/shared/usage.js';
import { countText, type CountsTokens } from '../../metering/index.js';
import type { RequestContext } from '../context.js';

export interface MeteredUsage {
  usage: Usage;
  /** Some of it was counted here rather than reported by the provider. */
  estimated: boolean;
}

export class UsageMeter {
  private usage: Usage = { ...ZERO_USAGE };
  private sawInput = false;
  private sawOutput = false;
  /** Text, thinking and tool arguments received, for estimating output the provider did not report. */
  private readonly received: string[] = [];
  /** UTF-8 bytes of `received[0 .. measured)`. */
  private bytes = 0;
  private measured = 0;
  /** Output tokens guessed from the size of a body relayed without decoding (no text was kept to count). */
  private unreadOutput = 0;
  /** Usage fields the provider sent with values that are no token count (logged, then estimated). */
  readonly rejected: string[] = [];
  finished = false;
  events = 0;
  /** The model the upstream says answered, when it said. */
  model: string | undefined;
  /** Why the answer ended, once it did. */
  stopReason: StopReason | undefined;
  private settled: Promise<MeteredUsage> | undefined;

  observe(event: CanonicalStreamEvent): void {
    this.events++;
    switch (event.type) {
      case 'start':
        if (event.model !== undefined) this.model = event.model;
        if (event.usage) this.merge(event.usage);
        break;
      case 'usage':
        this.merge(event.usage);
        break;
      case 'finish':
        // Zeros standing in for usage the upstream never sent are not a report (pitfall 7).
        this.mergeReport(event.usage, event.usageGaps);
        this.stopReason = event.stopReason;
        this.finished = true;
        break;
      case 'text-delta':
      case 'thinking-delta':
        this.add(event.text);
        break;
      case 'tool-call-delta':
        this.add(event.argsJson);
        break;
      case 'tool-call-start':
        this.add(event.name);
        break;
      default:
        break;
    }
  }

  observeResponse(response: CanonicalResponse): void {
    this.model = response.model;
    this.stopReason = response.stopReason;
    this.mergeReport(response.usage, response.usageGaps);
    // Kept only when the output must be estimated: a complete report needs no text.
    if (response.usageGaps?.output === true) for (const part of response.content) this.add(textOf(part));
    this.finished = true;
  }

  /**
   * A body relayed without decoding: the usage read off its tail (undefined when none was found), and the output
   * to bill should the provider not have reported it, guessed from the body's size. `complete`: the body ended.
   */
  observeBody(reading: UsageReading | undefined, outputGuess: number, complete: boolean): void {
    if (reading !== undefined) this.mergeReport(reading.usage, reading.gaps);
    this.unreadOutput = outputGuess;
    this.finished = complete;
  }

  /**
   * UTF-8 bytes of the text received so far: no text has more tokens than bytes. Measured when a guard asks (only
   * under a budget), not for every delta.
   */
  get receivedBytes(): number {
    for (; this.measured < this.received.length; this.measured++) this.bytes += Buffer.byteLength(this.received[this.measured]!);
    return this.bytes;
  }

  /** Output tokens the provider has reported so far (Anthropic sends running totals), if any. */
  get reportedOutput(): number | undefined {
    return this.sawOutput ? this.usage.output : undefined;
  }

  /** Everything received so far as one text (for counting its tokens). */
  receivedText(): string {
    return this.received.join('');
  }

  /**
   * The usage to bill. Complete when the provider reported it; otherwise the reported part plus an
   * estimate of the rest (`estimated: true`). Computed once; later calls get the same answer.
   */
  result(counter: CountsTokens, inputText: () => string): Promise<MeteredUsage> {
    this.settled ??= this.compute(counter, inputText);
    return this.settled;
  }

  private async compute(counter: CountsTokens, inputText: () => string): Promise<MeteredUsage> {
    const usage = { ...this.usage };
    let estimated = this.rejected.length > 0;
    if (!this.sawInput) {
      usage.inputUncached = await countText(counter, inputText());
      estimated = true;
    }
    if (!this.finished || !this.sawOutput) {
      // A provider may have reported a running output count (Anthropic message_delta): keep the larger.
      const guess = this.received.length === 0 ? this.unreadOutput : await countText(counter, this.receivedText());
      if (!this.sawOutput || guess > usage.output) usage.output = Math.max(usage.output, guess);
      estimated = true;
    }
    return { usage, estimated };
  }

  private add(text: string): void {
    if (text.length === 0) return;
    this.received.push(text);
  }

  private mergeReport(usage: Usage, gaps: UsageGaps | undefined): void {
    if (gaps !== undefined) this.rejected.push(...gaps.rejected);
    this.merge(reportedPart(usage, gaps));
  }

  private merge(partial: Partial<Usage>): void {
    // Totals are cumulative: overwrite, never add (spec §10).
    for (const key of Object.keys(partial) as (keyof Usage)[]) {
      const value = partial[key];
      if (value === undefined) continue;
      // Some upstreams send input 0 at the start and the real value later (pitfall 7).
      if (key === 'inputUncached' && value === 0 && this.usage.inputUncached > 0) continue;
      this.usage[key] = value;
      if (key === 'output') this.sawOutput = true;
      else if (key !== 'reasoning') this.sawInput = true;
    }
  }
}

/** What the call used, estimated where the provider did not say; computed once per request. */
export function meterUsage(ctx: RequestContext): Promise<MeteredUsage> {
  return ctx.meter.result(ctx.deps.meter, () => ctx.bodyText);
}

/**
 * The step: whatever went wrong, a call a provider answered is metered (spend already incurred is never
 * dropped). Side calls meter their own answers and leave this alone.
 */
export async function meter(ctx: RequestContext): Promise<void> {
  const attempt = ctx.attempt;
  if (attempt === undefined) return;
  ctx.metered ??= await meterUsage(ctx);
  if (ctx.meter.rejected.length > 0) ctx.warnUsage(attempt.target.provider.spec.name, ctx.meter.rejected);
}

function textOf(part: AssistantPart): string {
  switch (part.type) {
    case 'text':
    case 'thinking':
      return part.text;
    case 'tool-call':
      return part.name + JSON.stringify(part.input);
    default:
      return '';
  }
}
