/**
 * What the real APIs enforce per model, for the fakes to refuse what the real providers refuse: the output limit
 * and, for OpenAI, whether `reasoning_effort` is accepted and which values. Written from the providers' model pages
 * and their error messages, independently of the gateway's own capability table. Models not listed are not checked.
 */

export interface ModelLimits {
  maxOutput: number;
  /** OpenAI: the `reasoning_effort` values accepted; undefined for a model that refuses the parameter. */
  efforts?: readonly string[];
}

const O_SERIES = ['low', 'medium', 'high'] as const;
const GPT_5 = ['minimal', 'low', 'medium', 'high'] as const;

const OPENAI: Record<string, ModelLimits> = {
  'gpt-4o-mini': { maxOutput: 16384 },
  'gpt-4o': { maxOutput: 16384 },
  'gpt-4.1': { maxOutput: 32768 },
  'gpt-4.1-mini': { maxOutput: 32768 },
  'gpt-4.1-nano': { maxOutput: 32768 },
  o3: { maxOutput: 100000, efforts: O_SERIES },
  'o3-mini': { maxOutput: 100000, efforts: O_SERIES },
  'o4-mini': { maxOutput: 100000, efforts: O_SERIES },
  'gpt-5': { maxOutput: 128000, efforts: GPT_5 },
  'gpt-5-mini': { maxOutput: 128000, efforts: GPT_5 },
  'gpt-5-nano': { maxOutput: 128000, efforts: GPT_5 },
};

const ANTHROPIC: Record<string, ModelLimits> = {
  'claude-sonnet-4-5': { maxOutput: 64000 },
  'claude-haiku-4-5': { maxOutput: 64000 },
  'claude-sonnet-4': { maxOutput: 64000 },
  'claude-opus-4': { maxOutput: 32000 },
  'claude-opus-4-1': { maxOutput: 32000 },
  'claude-opus-4-5': { maxOutput: 64000 },
  'claude-3-5-haiku': { maxOutput: 8192 },
  'claude-3-haiku': { maxOutput: 4096 },
};

/** A dated snapshot answers to its family's limits: `gpt-4o-mini-2024-07-18`, `claude-sonnet-4-5-20250929`. */
function family(model: string): string {
  return model.replace(/-\d{4}-\d{2}-\d{2}$|-\d{8}$/, '').replace(/-latest$/, '');
}

export function openAILimits(model: string): ModelLimits | undefined {
  return OPENAI[family(model)];
}

export function anthropicLimits(model: string): ModelLimits | undefined {
  const name = family(model);
  return ANTHROPIC[name] ?? ANTHROPIC[name.replace(/-0$/, '')];
}

/** OpenAI's `Supported values are: 'low', 'medium', and 'high'.` */
export function quotedList(values: readonly string[]): string {
  const q = values.map((v) => `'${v}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]}`;
}
