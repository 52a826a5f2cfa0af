/**
 * Local token counts with the o200k encoding: for input of cut-off streams and budget reservations, where the
 * provider's own count is not available. Exact for recent OpenAI models, an estimate for everything else.
 */
// The o200k tables take tens of MB once loaded: they load on first use (a cut-off stream, a local count),
// not at start, so an idle gateway stays small.
type CountTokens = (text: string, options: { disallowedSpecial: Set<string> }) => number;
let counter: Promise<CountTokens> | undefined;
function loadCounter(): Promise<CountTokens> {
  counter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens as CountTokens);
  return counter;
}

/** User text may contain strings like `<|endoftext|>`; count them as text instead of throwing. */
const TEXT_ONLY = { disallowedSpecial: new Set<string>() };

/** Characters counted in one go: a few milliseconds of work, so other requests are served in between. */
const SLICE_CHARS = 32_768;

/**
 * Counts without building the token array. A long text (a coding agent's prompt is often hundreds of KB) is counted
 * slice by slice with a turn of the event loop between slices, so it never stalls the streams of other requests.
 * Slices end before a space, where the encoding splits words anyway, so the sum matches the whole count closely.
 */
export async function estimateTokens(text: string): Promise<number> {
  if (text.length === 0) return 0;
  const count = await loadCounter();
  if (text.length <= SLICE_CHARS) return count(text, TEXT_ONLY);
  let total = 0;
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      if (space > start) end = space;
    }
    total += count(text.slice(start, end), TEXT_ONLY);
    start = end;
    if (start < text.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return total;
}

/** A synchronous token count, for checks that run between two chunks of a stream. */
export type TokenCounter = (text: string) => number;

/** Loads the tokenizer (once): start it early, await it where a count must be synchronous. */
export async function loadTokenCounter(): Promise<TokenCounter> {
  const count = await loadCounter();
  return (text) => (text.length === 0 ? 0 : count(text, TEXT_ONLY));
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

export async function estimateRequestInputTokens(parts: RequestTextParts): Promise<number> {
  let total = TOKENS_REPLY_PRIMER;
  const system = parts.system === undefined ? [] : typeof parts.system === 'string' ? [parts.system] : parts.system;
  for (const s of system) total += TOKENS_PER_MESSAGE + (await estimateTokens(s));
  for (const m of parts.messages ?? []) total += TOKENS_PER_MESSAGE + (await estimateTokens(m));
  if (parts.tools !== undefined && parts.tools !== null) {
    const json = JSON.stringify(parts.tools);
    if (json !== undefined && json !== '[]' && json !== '{}') total += await estimateTokens(json);
  }
  const fixed = parts.fixedTokens ?? 0;
  if (Number.isFinite(fixed) && fixed > 0) total += Math.round(fixed);
  return total;
}
