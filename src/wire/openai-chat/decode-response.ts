/** OpenAI `ChatCompletion` → CanonicalResponse (spec §5 A→B). Only `choices[0]` is used. */
import { GatewayError } from '../../core/errors.js';
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { count, isObject, str } from '../shared/json.js';
import { toolCallFromArgumentText } from '../shared/tool-call.js';
import { fromOpenAIFinishReason } from './map-stop-reason.js';
import type { ReceivedFunction, ReceivedMessage, ReceivedToolCall } from './shapes.js';
import { readOpenAIUsage } from './usage.js';

export function decodeOpenAIChatResponse(body: unknown): CanonicalResponse {
  if (!isObject(body) || !Array.isArray(body['choices'])) {
    throw new GatewayError('upstream_error', 'Upstream returned a malformed chat completion.', { status: 502, upstreamBody: body });
  }
  const choice: unknown = body['choices'][0];
  const message: ReceivedMessage = isObject(choice) && isObject(choice['message']) ? choice['message'] : {};
  const content: AssistantPart[] = [];
  // Non-standard reasoning fields some OpenAI-compatible upstreams return (no signature, spec §6.2 step 2).
  const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
  if (reasoning !== undefined && reasoning !== '') content.push({ type: 'thinking', text: reasoning });
  const text = str(message.content);
  if (text !== undefined && text !== '') content.push({ type: 'text', text });
  const refusal = str(message.refusal);
  if (refusal !== undefined && refusal !== '') content.push({ type: 'text', text: refusal });
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  calls.forEach((value, k) => {
    if (!isObject(value) || !isObject(value['function'])) return;
    const call: ReceivedToolCall = value;
    const fn: ReceivedFunction = value['function'];
    content.push(toolCallFromArgumentText(str(call.id) ?? `call_${k}`, str(fn.name) ?? '', fn.arguments));
  });
  const created = count(body['created']);
  const reading = readOpenAIUsage(body['usage']);
  return {
    id: str(body['id']) ?? '',
    model: str(body['model']) ?? '',
    ...(created === undefined ? {} : { created }),
    content,
    stopReason: fromOpenAIFinishReason(isObject(choice) ? choice['finish_reason'] : undefined),
    usage: reading.usage,
    ...(reading.gaps === undefined ? {} : { usageGaps: reading.gaps }),
  };
}
