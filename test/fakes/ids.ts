/**
 * Deterministic ids that look like the real ones (same prefixes, alphabets and lengths), so byte-level
 * assertions are reproducible run to run while still exercising parsers that care about the shape.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const HEX = '0123456789abcdef';

export class IdSource {
  #state: number;

  constructor(seed: number) {
    // Never let the state be zero: mulberry32 would still work, but a fixed non-zero start reads better.
    this.#state = seed >>> 0 || 0x9e3779b9;
  }

  /** mulberry32: tiny, fast and good enough for ids. */
  #next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.#next() * alphabet.length)];
    return out;
  }

  /** `chatcmpl-` + 29 base62, as OpenAI sends. */
  chatCompletionId(): string {
    return `chatcmpl-${this.chars(BASE62, 29)}`;
  }

  /** `call_` + 24 base62. */
  openAIToolCallId(): string {
    return `call_${this.chars(BASE62, 24)}`;
  }

  /** `req_` + 32 hex: OpenAI's x-request-id. */
  openAIRequestId(): string {
    return `req_${this.chars(HEX, 32)}`;
  }

  /** `fp_` + 10 hex. */
  systemFingerprint(): string {
    return `fp_${this.chars(HEX, 10)}`;
  }

  /** `msg_01` + 22 base58, as Anthropic sends. */
  messageId(): string {
    return `msg_01${this.chars(BASE58, 22)}`;
  }

  /** `toolu_01` + 22 base58. */
  toolUseId(): string {
    return `toolu_01${this.chars(BASE58, 22)}`;
  }

  /** `req_011C` + 20 base58: Anthropic's request-id. */
  anthropicRequestId(): string {
    return `req_011C${this.chars(BASE58, 20)}`;
  }

  /** An opaque base64-looking thinking signature. */
  signature(length = 96): string {
    const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    return `Eq${this.chars(b64, length - 2)}`;
  }
}
