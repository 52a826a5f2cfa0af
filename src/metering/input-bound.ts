/**
 * A true upper bound of a request's input tokens, for budget holds: a hold below the real cost would let spend
 * pass a limit by more than one request. Text is bounded by its bytes: byte-level BPE tokenizers (OpenAI's,
 * Anthropic's and the open models') never make a token of less than one byte, so the request body's UTF-8
 * bytes bound the tokens of everything written in it, with the JSON around each message covering the few
 * framing tokens a provider adds per message. What the body does not hold in proportion to its cost is bounded
 * separately: images (priced per image, not per byte), documents and the prompt a provider adds for tools.
 */
import type { CanonicalRequest, DocumentSource, ImageSource, UserPart, ToolResultContent } from '../wire/canonical.js';

/** The largest number of tokens one image can cost, by the format of the provider that reads it. */
export function imageTokenBound(upstreamFormat: 'openai' | 'anthropic', model: string): number {
  if (upstreamFormat === 'anthropic') return ANTHROPIC_IMAGE_TOKENS_MAX;
  return model.includes('4o-mini') ? OPENAI_4O_MINI_IMAGE_TOKENS_MAX : OPENAI_IMAGE_TOKENS_MAX;
}

/**
 * Anthropic (docs, "Images and vision"): an image costs one token per 28×28-pixel patch and is first scaled to
 * the model's native resolution: 1568 px on the long edge up to the 4.6 models (about 1,600 tokens), 2576 px
 * from Opus 4.7. A 2576×2576 image is ⌈2576/28⌉² = 8,464 patches, so no image costs more.
 */
const ANTHROPIC_IMAGE_TOKENS_MAX = 8_464;
/**
 * OpenAI (docs, "Images and vision", calculating costs): high detail scales an image into 2048×2048, then its
 * short side to 768 px, and charges per 512-px tile: at most 2×4 tiles, 85 + 8×170 = 1,445 tokens on GPT-4o.
 * Patch-priced models (GPT-4.1 mini/nano, o4-mini) cap at 1,536 patches times a multiplier of at most 2.46:
 * 3,779. Newer models may read at higher detail; 10,000 covers every documented scheme with room.
 */
const OPENAI_IMAGE_TOKENS_MAX = 10_000;
/** GPT-4o mini prices images as 2,833 base + 5,667 per tile tokens (same dollars as GPT-4o): 2,833 + 8×5,667. */
const OPENAI_4O_MINI_IMAGE_TOKENS_MAX = 48_169;
/**
 * A PDF (or any document given as data, URL or file id) is read page by page, each page as text and as an image:
 * Anthropic's PDF support documents 100 pages a request and 1,500–3,000 text tokens a page, plus the page image.
 */
const DOCUMENT_TOKENS_MAX = 100 * (3_000 + 1_600);
/**
 * Tools add a prompt the client never sends: Anthropic documents a tool-use system prompt of about 350 tokens,
 * and up to about 1,200 more for its built-in tools (computer use, text editor, bash).
 */
const TOOL_PROMPT_TOKENS_MAX = 2_000;

export interface InputBoundOptions {
  /** Format family of the provider the request goes to (its image pricing). */
  upstream: 'openai' | 'anthropic';
  /** The model sent upstream. */
  model: string;
}

/** Upper bound of the input tokens of `request`, whose JSON body was `bodyBytes` long. */
export function inputTokenBound(request: CanonicalRequest, bodyBytes: number, options: InputBoundOptions): number {
  const perImage = imageTokenBound(options.upstream, options.model);
  let bound = bodyBytes;
  const image = (source: ImageSource): void => {
    // Base64 bytes say nothing about an image's tokens: they are replaced by its per-image bound.
    if (source.kind === 'base64') bound -= source.data.length;
    bound += perImage;
  };
  const document = (source: DocumentSource): void => {
    if (source.kind === 'text') return; // counted in the body's bytes
    if (source.kind === 'base64') bound -= source.data.length;
    bound += DOCUMENT_TOKENS_MAX;
  };
  const part = (p: UserPart | ToolResultContent): void => {
    if (p.type === 'image') image(p.source);
    else if (p.type === 'document') document(p.source);
    else if (p.type === 'tool-result') for (const c of p.content) part(c);
  };
  for (const message of request.messages) if (message.role === 'user') for (const p of message.content) part(p);
  if (request.tools.length > 0) bound += TOOL_PROMPT_TOKENS_MAX;
  return Math.max(0, bound);
}
