/** Anthropic `Message` → CanonicalResponse (spec §5 B→A). */
import { GatewayError } from '../../core/errors.js';
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { isObject, str } from '../shared/json.js';
import { fromAnthropicStopReason } from './map-stop-reason.js';
import { readAnthropicUsage } from './usage.js';
import { answersSearch, isWebSearchUse, webSearchPart } from './web-search.js';

export function decodeAnthropicResponse(body: unknown): CanonicalResponse {
  if (!isObject(body) || !Array.isArray(body['content'])) {
    throw new GatewayError('upstream_error', 'Upstream returned a malformed message.', { status: 502, upstreamBody: body });
  }
  const blocks = body['content'].filter(isObject);
  const content: AssistantPart[] = blocks.flatMap((block, i): AssistantPart[] => {
    switch (block['type']) {
      case 'text':
        return [{ type: 'text', text: str(block['text']) ?? '' }];
      case 'thinking': {
        const signature = str(block['signature']);
        return [{ type: 'thinking', text: str(block['thinking']) ?? '', ...(signature === undefined ? {} : { signature }) }];
      }
      case 'redacted_thinking':
        return [{ type: 'redacted-thinking', data: str(block['data']) ?? '' }];
      case 'tool_use': {
        const input = block['input'];
        return [{ type: 'tool-call', id: str(block['id']) ?? '', name: str(block['name']) ?? '', input: isObject(input) ? input : {} }];
      }
      case 'server_tool_use': {
        // A web search and its results, which follow it, are one part; the result block is consumed here.
        const result = blocks[i + 1];
        if (isWebSearchUse(block) && result !== undefined && answersSearch(block, result)) return [webSearchPart(block, result)];
        break;
      }
      case 'web_search_tool_result': {
        const use = blocks[i - 1];
        if (use !== undefined && isWebSearchUse(use) && answersSearch(use, block)) return [];
        break;
      }
    }
    return [{ type: 'foreign', format: 'anthropic-messages', label: str(block['type']) ?? 'unknown block', raw: block }];
  });
  const stopSequence = str(body['stop_sequence']);
  const reading = readAnthropicUsage(body['usage']);
  return {
    id: str(body['id']) ?? '',
    model: str(body['model']) ?? '',
    content,
    stopReason: fromAnthropicStopReason(body['stop_reason']),
    ...(stopSequence === undefined ? {} : { stopSequence }),
    usage: reading.usage,
    ...(reading.gaps === undefined ? {} : { usageGaps: reading.gaps }),
  };
}
