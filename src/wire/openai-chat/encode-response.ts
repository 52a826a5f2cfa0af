/** CanonicalResponse → OpenAI `ChatCompletion` (spec §5 B→A). Thinking is dropped. */
import type { CanonicalResponse } from '../canonical.js';
import { toOpenAIFinishReason } from './map-stop-reason.js';
import type { OpenAIChatCompletion } from './shapes.js';
import { writeOpenAIUsage } from './usage.js';

export function encodeOpenAIChatResponse(response: CanonicalResponse, options: { model: string }): OpenAIChatCompletion {
  const text = response.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
  const toolCalls = response.content.flatMap((p) =>
    p.type === 'tool-call'
      ? [{ id: p.id, type: 'function' as const, function: { name: p.name, arguments: p.invalidArguments ?? JSON.stringify(p.input) } }]
      : [],
  );
  return {
    id: response.id,
    object: 'chat.completion',
    // Anthropic responses carry no timestamp; the caller sets `created` from its clock before encoding.
    created: response.created ?? 0,
    model: options.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' ? null : text,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          annotations: [],
        },
        finish_reason: toOpenAIFinishReason(response.stopReason, toolCalls.length > 0),
        logprobs: null,
      },
    ],
    usage: writeOpenAIUsage(response.usage),
  };
}
