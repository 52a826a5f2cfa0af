/**
 * Usage accounting for one response. Reads canonical stream events (or a whole response), keeps the
 * usage the provider reported, and, when a stream is cut off before its usage arrives, estimates what
 * is missing from the text received so far. Pure apart from the injected tokenizer.
 */
import { ZERO_USAGE, type Usage } from '../../core/usage.js';
import type { CanonicalStreamEvent, CanonicalResponse } from '../../wire/canonical.js';

export class UsageMeter {
  private usage: Usage = { ...ZERO_USAGE };
  private sawInput = false;
  private sawOutput = false;
  /** Text, thinking and tool arguments received, for estimating a cut-off stream's output. */
  private readonly received: string[] = [];
  receivedChars = 0;
  finished = false;
  events = 0;

  observe(event: CanonicalStreamEvent): void {
    this.events++;
    switch (event.type) {
      case 'start':
        if (event.usage) this.merge(event.usage);
        break;
      case 'usage':
        this.merge(event.usage);
        break;
      case 'finish':
        // Zeros standing in for usage the upstream never sent are not a report (pitfall 7).
        if (event.usageMissing !== true) this.merge(event.usage);
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
    this.merge(response.usage);
    this.finished = true;
  }

  /**
   * The usage to bill. Complete when the provider reported it; otherwise the reported part plus an
   * estimate of the rest (`estimated: true`).
   */
  async result(estimateTokens: (text: string) => Promise<number>, inputText: () => string): Promise<{ usage: Usage; estimated: boolean }> {
    const usage = { ...this.usage };
    let estimated = false;
    if (!this.sawInput) {
      usage.inputUncached = await estimateTokens(inputText());
      estimated = true;
    }
    if (!this.finished || !this.sawOutput) {
      // A provider may have reported a running output count (Anthropic message_delta): keep the larger.
      const guess = this.received.length === 0 ? 0 : await estimateTokens(this.received.join(''));
      if (!this.sawOutput || guess > usage.output) usage.output = Math.max(usage.output, guess);
      estimated = true;
    }
    return { usage, estimated };
  }

  private add(text: string): void {
    if (text.length === 0) return;
    this.received.push(text);
    this.receivedChars += text.length;
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
