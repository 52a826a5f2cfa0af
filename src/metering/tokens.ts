/**
 * Local token counts with the o200k encoding: for input of cut-off streams and budget reservations, where the
 * provider's own count is not available. Exact for recent OpenAI models, an estimate for everything else.
 *
 * The gateway counts in a worker thread (app/token-counter.ts) behind the TokenCounter port; this module holds
 * what both sides share: the slicing of long texts, the request framing, and the byte estimate used when the
 * tokenizer is not available.
 */

/** Token counts of several texts, in order. */
export interface TokenCounts {
  counts: number[];
  /** The tokenizer was not available: the counts are byte estimates (bytes / 4), not o200k counts. */
  estimated: boolean;
}

/** Counts texts with the o200k encoding. Never rejects: without the tokenizer it answers byte estimates. */
export interface CountsTokens {
  countTokens(texts: readonly string[]): Promise<TokenCounts>;
}

/** The tokenizer and its lifecycle. */
export interface TokenCounter extends CountsTokens {
  /** Loads the tokenizer ahead of a count that is likely, so that count does not wait for the load. */
  prepare(): void;
  close(): Promise<void>;
}

/** Typical bytes per token of English text and code: the estimate when the tokenizer cannot count. */
const BYTES_PER_TOKEN = 4;

/** A count without the tokenizer: rounded up, so a non-empty text is never 0 tokens. */
export function byteEstimate(text: string): number {
  return Math.ceil(Buffer.byteLength(text) / BYTES_PER_TOKEN);
}

/** The tokens of one text. */
export async function countText(counter: CountsTokens, text: string): Promise<number> {
  if (text.length === 0) return 0;
  return (await counter.countTokens([text])).counts[0] ?? byteEstimate(text);
}

type CountTokens = (text: string, options: { disallowedSpecial: Set<string> }) => number;

/** User text may contain strings like `<|endoftext|>`; count them as text instead of throwing. */
const TEXT_ONLY = { disallowedSpecial: new Set<string>() };

/** The o200k tables take tens of MB once loaded: loaded by whoever counts, on first use. */
export async function loadO200k(): Promise<(text: string) => number> {
  const m = await import('gpt-tokenizer/encoding/o200k_base');
  const count = m.countTokens as CountTokens;
  return (text) => count(text, TEXT_ONLY);
}

/** Characters counted in one go: a few milliseconds of work, so other counts are served in between. */
export const SLICE_CHARS = 32_768;

/**
 * Where the slice of `text` that begins at `start` ends. Before a space that follows a visible ASCII character the
 * o200k pre-tokenizer always starts a new piece (no piece holds a space after other characters but whitespace
 * runs), so the slices' counts add up to the whole text's count exactly. A text with no such space in a slice
 * (minified JSON, CJK) is cut at the limit, which may differ from the whole count by a token.
 */
export function sliceEnd(text: string, start: number): number {
  const limit = start + SLICE_CHARS;
  if (limit >= text.length) return text.length;
  // Scanned back only as far as the slice's start: a text with no space at all (base64) costs one slice's look.
  for (let i = limit; i > start; i--) {
    if (text.charCodeAt(i) !== 0x20) continue;
    const before = text.charCodeAt(i - 1);
    if (before > 0x20 && before < 0x7f) return i;
  }
  // Never between the two halves of a surrogate pair.
  const code = text.charCodeAt(limit);
  return code >= 0xdc00 && code <= 0xdfff ? limit - 1 : limit;
}

interface Batch {
  texts: readonly string[];
  counts: number[];
  /** The text being counted, and where its next slice starts. */
  text: number;
  at: number;
  resolve: (counts: number[]) => void;
}

/**
 * Counts batches of texts slice by slice, taking turns between the batches waiting, with a turn of the event loop
 * after each slice: one huge text (a coding agent's prompt is often hundreds of KB) delays a small count by one
 * slice, not by its whole length, and whatever else runs on the thread is served in between.
 */
export class SlicedCounter {
  private readonly waiting: Batch[] = [];
  private running = false;

  constructor(private readonly countSlice: (text: string) => number) {}

  count(texts: readonly string[]): Promise<number[]> {
    return new Promise((resolve) => {
      this.waiting.push({ texts, counts: texts.map(() => 0), text: 0, at: 0, resolve });
      if (!this.running) {
        this.running = true;
        setImmediate(this.step);
      }
    });
  }

  private readonly step = (): void => {
    const batch = this.waiting.shift()!;
    // One slice's worth of characters per turn: several short texts, or one slice of a long one.
    for (let budget = SLICE_CHARS; budget > 0 && batch.text < batch.texts.length; ) {
      const text = batch.texts[batch.text]!;
      const end = sliceEnd(text, batch.at);
      if (end > batch.at) batch.counts[batch.text]! += this.countSlice(text.slice(batch.at, end));
      budget -= end - batch.at;
      if (end >= text.length) {
        batch.text++;
        batch.at = 0;
      } else batch.at = end;
    }
    if (batch.text < batch.texts.length) this.waiting.push(batch);
    else batch.resolve(batch.counts);
    if (this.waiting.length > 0) setImmediate(this.step);
    else this.running = false;
  };
}

/**
 * Framing tokens chat formats add around each message and before the reply (OpenAI's published counting
 * recipe: 3 per message, 3 to prime the reply). Other providers frame differently; this stays an estimate.
 */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_REPLY_PRIMER = 3;

export interface RequestTextParts {
  /** System or developer instructions. */
  system?: string | readonly string[] | undefined;
  /** One string per message: its text, tool call arguments and tool results joined. */
  messages?: readonly string[] | undefined;
  /** Tool definitions; counted as their JSON text. */
  tools?: unknown;
  /** Tokens the caller already knows, e.g. a fixed allowance per image. */
  fixedTokens?: number | undefined;
}

/** A request's input tokens, its texts counted in one batch. */
export async function estimateRequestInputTokens(counter: CountsTokens, parts: RequestTextParts): Promise<number> {
  const system = parts.system === undefined ? [] : typeof parts.system === 'string' ? [parts.system] : parts.system;
  const messages = parts.messages ?? [];
  const texts = [...system, ...messages];
  let total = TOKENS_REPLY_PRIMER + TOKENS_PER_MESSAGE * texts.length;
  if (parts.tools !== undefined && parts.tools !== null) {
    const json = JSON.stringify(parts.tools);
    if (json !== undefined && json !== '[]' && json !== '{}') texts.push(json);
  }
  const { counts } = await counter.countTokens(texts);
  for (const n of counts) total += n;
  const fixed = parts.fixedTokens ?? 0;
  if (Number.isFinite(fixed) && fixed > 0) total += Math.round(fixed);
  return total;
}
