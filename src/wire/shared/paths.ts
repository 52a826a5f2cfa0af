/** Names canonical fields by the client's own field path, for `dropped` lists and error `param`s. */
import type { WireFormat } from '../codec.js';

type Field = 'reasoning' | 'stopSequences' | 'responseFormat' | 'messages' | 'system' | 'topK' | 'user';

const PATHS: Record<Field, Record<WireFormat, string>> = {
  reasoning: { 'openai-chat': 'reasoning_effort', 'anthropic-messages': 'thinking', 'openai-responses': 'reasoning.effort', gemini: 'generationConfig.thinkingConfig' },
  stopSequences: { 'openai-chat': 'stop', 'anthropic-messages': 'stop_sequences', 'openai-responses': 'stop', gemini: 'generationConfig.stopSequences' },
  responseFormat: {
    'openai-chat': 'response_format',
    'anthropic-messages': 'output_config.format',
    'openai-responses': 'text.format',
    gemini: 'generationConfig.responseSchema',
  },
  messages: { 'openai-chat': 'messages', 'anthropic-messages': 'messages', 'openai-responses': 'input', gemini: 'contents' },
  system: { 'openai-chat': 'messages', 'anthropic-messages': 'system', 'openai-responses': 'instructions', gemini: 'systemInstruction' },
  topK: { 'openai-chat': 'top_k', 'anthropic-messages': 'top_k', 'openai-responses': 'top_k', gemini: 'generationConfig.topK' },
  user: { 'openai-chat': 'user', 'anthropic-messages': 'metadata.user_id', 'openai-responses': 'user', gemini: 'labels' },
};

export function pathFor(source: WireFormat, field: Field): string {
  return PATHS[field][source];
}
