/**
 * Fits an upstream request body to what its model and API accept, so a real provider does not refuse what a
 * client could send to another: reasoning parameters go from models without reasoning, an effort the model does
 * not list becomes the nearest one it does, output caps come down to the model's limit, and identifiers longer
 * than the API allows are shortened. Each change is named (`max_completion_tokens:32000->16384`) for the
 * `x-ai-gateway-adjusted` header and the audit row. A model the capability table does not know is left alone.
 * Pure: the body given is never modified; it comes back as the same object when nothing needed changing.
 */
import { createHash } from 'node:crypto';
import { isEffortLevel, nearestEffort } from '../../core/effort.js';
import type { ModelCapabilities } from '../../metering/index.js';
import type { WireFormat } from '../../wire/codec.js';

type Json = Record<string, unknown>;

export interface Fitted {
  body: Json;
  /** What was changed, one entry per field, in the order applied. */
  adjusted: string[];
}

/** OpenAI's limit on `user`, `safety_identifier` and `prompt_cache_key` (400 `string_above_max_length` above it). */
const OPENAI_ID_MAX = 64;
/** Anthropic's limit on `metadata.user_id`. */
const ANTHROPIC_USER_ID_MAX = 256;
/** Anthropic's smallest thinking budget. */
const MIN_THINKING_BUDGET = 1024;

/** The output cap a request gets on a model: what it asked for, at most the model's limit. */
export function fittedMaxTokens(maxTokens: number, caps: ModelCapabilities | undefined): number {
  const limit = caps?.maxOutputTokens;
  return limit !== undefined && maxTokens > limit ? limit : maxTokens;
}

export function fitToModel(body: Json, format: WireFormat, caps: ModelCapabilities | undefined): Fitted {
  if (caps === undefined) return { body, adjusted: [] };
  const fit = new Fitter(body, caps);
  switch (format) {
    case 'openai-chat':
      fit.clamp('max_completion_tokens');
      fit.clamp('max_tokens');
      if (caps.reasoning === false) fit.remove('reasoning_effort');
      else fit.effort('reasoning_effort');
      fit.openAIIds();
      break;
    case 'openai-responses':
      fit.clamp('max_output_tokens');
      if (caps.reasoning === false) fit.remove('reasoning');
      else fit.effort('effort', 'reasoning');
      fit.openAIIds();
      break;
    case 'anthropic-messages':
      fit.anthropic();
      break;
    case 'gemini':
      fit.gemini();
      break;
  }
  return { body: fit.body, adjusted: fit.adjusted };
}

class Fitter {
  readonly adjusted: string[] = [];
  private copied = false;

  constructor(
    public body: Json,
    private readonly caps: ModelCapabilities,
  ) {}

  /** Lowers a numeric output cap to the model's limit; true when it did. */
  clamp(key: string): boolean {
    const value = this.body[key];
    if (typeof value !== 'number') return false;
    const fitted = fittedMaxTokens(value, this.caps);
    if (fitted === value) return false;
    this.set(key, fitted, `${key}:${value}->${fitted}`);
    return true;
  }

  remove(key: string, note = `${key}:removed`): void {
    // An explicit null is the API's own default: nothing to remove.
    if (this.body[key] === undefined || this.body[key] === null) return;
    this.own();
    delete this.body[key];
    this.adjusted.push(note);
  }

  /** An effort (at `body[parent][key]` when a parent is named) the model does not list: the nearest it does, or none. */
  effort(key: string, parent?: string): void {
    const holder = parent === undefined ? this.body : objectAt(this.body, parent);
    const asked = holder?.[key];
    const accepted = this.caps.reasoningEfforts;
    if (holder === undefined || accepted === undefined || !isEffortLevel(asked) || accepted.includes(asked)) return;
    const to = nearestEffort(asked, accepted);
    const path = parent === undefined ? key : `${parent}.${key}`;
    const note = to === undefined ? `${path}:removed` : `${path}:${asked}->${to}`;
    if (parent === undefined) {
      if (to === undefined) this.remove(key, note);
      else this.set(key, to, note);
      return;
    }
    const { [key]: _asked, ...rest } = holder;
    this.set(parent, to === undefined ? rest : { ...holder, [key]: to }, note);
  }

  /** OpenAI identifiers above 64 characters. */
  openAIIds(): void {
    for (const key of ['user', 'safety_identifier', 'prompt_cache_key']) {
      const value = this.body[key];
      if (typeof value === 'string' && value.length > OPENAI_ID_MAX) this.set(key, shortId(value), `${key}:hashed`);
    }
  }

  anthropic(): void {
    const clamped = this.clamp('max_tokens');
    const thinking = objectAt(this.body, 'thinking');
    if (this.caps.reasoning === false) {
      if (thinking !== undefined && thinking['type'] !== 'disabled') this.remove('thinking');
      const config = objectAt(this.body, 'output_config');
      if (config?.['effort'] !== undefined) {
        const { effort: _effort, ...rest } = config;
        this.set('output_config', rest, 'output_config.effort:removed');
      }
    } else {
      this.effort('effort', 'output_config');
      const maxTokens = this.body['max_tokens'];
      const budget = thinking?.['budget_tokens'];
      // A lowered max_tokens must stay above the thinking budget, or Anthropic refuses the pair.
      if (clamped && typeof budget === 'number' && typeof maxTokens === 'number' && budget >= maxTokens) {
        const lowered = maxTokens - 1;
        if (lowered >= MIN_THINKING_BUDGET) this.set('thinking', { ...thinking, budget_tokens: lowered }, `thinking.budget_tokens:${budget}->${lowered}`);
        else this.remove('thinking');
      }
    }
    const metadata = objectAt(this.body, 'metadata');
    const userId = metadata?.['user_id'];
    if (typeof userId === 'string' && userId.length > ANTHROPIC_USER_ID_MAX) {
      this.set('metadata', { ...metadata, user_id: shortId(userId) }, 'metadata.user_id:hashed');
    }
  }

  /** Gemini keeps its output cap and thinking settings in `generationConfig`. */
  gemini(): void {
    const config = objectAt(this.body, 'generationConfig');
    if (config === undefined) return;
    const max = config['maxOutputTokens'];
    let next = config;
    const notes: string[] = [];
    if (typeof max === 'number') {
      const fitted = fittedMaxTokens(max, this.caps);
      if (fitted !== max) {
        next = { ...next, maxOutputTokens: fitted };
        notes.push(`generationConfig.maxOutputTokens:${max}->${fitted}`);
      }
    }
    if (this.caps.reasoning === false && next['thinkingConfig'] !== undefined) {
      const { thinkingConfig: _thinking, ...rest } = next;
      next = rest;
      notes.push('generationConfig.thinkingConfig:removed');
    }
    if (notes.length === 0) return;
    this.own();
    this.body['generationConfig'] = next;
    this.adjusted.push(...notes);
  }

  private set(key: string, value: unknown, note: string): void {
    this.own();
    this.body[key] = value;
    this.adjusted.push(note);
  }

  /** Copies the body before its first change, so the caller's object stays as it was. */
  private own(): void {
    if (this.copied) return;
    this.body = { ...this.body };
    this.copied = true;
  }
}

function objectAt(body: Json, key: string): Json | undefined {
  const v = body[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

/**
 * A stable 64-character stand-in for an identifier that is too long: its SHA-256 in hex. Hashing rather than
 * cutting keeps distinct users distinct — Claude Code's ids, for one, share a long `{"device_id":…` prefix that a
 * cut would keep while dropping the part that tells sessions and accounts apart — and the same id always maps
 * to the same value, so the provider's per-user abuse tracking and caching still see one user as one user.
 */
function shortId(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
