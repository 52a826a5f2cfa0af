/** Anthropic `Message` → CanonicalResponse (spec §5 B→A). */
import { assertNever } from '../../core/assert-never.js';
import { GatewayError } from '../../core/errors.js';
import type { AssistantPart, CanonicalResponse } from '../canonical.js';
import { isObject, str } from '../shared/json.js';
import { fromAnthropicStopReason } from './map-stop-reason.js';
import { anthropicBlockType, type AnthropicBlockType, type ReceivedBlock } from './shapes.js';
import { readAnthropicUsage } from './usage.js';
import { answersSearch, isWebSearchUse, webSearchPart } from './web-search.js';

export function decodeAnthropicResponse(body: unknown): CanonicalResponse {
  if (!isObject(body) || !Array.isArray(body['content'])) {
    throw new GatewayError('upstream_error', 'Upstream returned a malformed message.', { status: 502, upstreamBody: body });
  }
  const blocks: ReceivedBlock[] = body['content'].filter(isObject);
  const content: AssistantPart[] = blocks.flatMap((block, i): AssistantPart[] => {
    const type = anthropicBlockType(block.type);
    // Blocks of other types go through as foreign parts, below.
    if (type !== undefined) {
      const part = knownBlock(type, block, blocks[i - 1], blocks[i + 1]);
      if (part !== undefined) return part;
    }
    return [{ type: 'foreign', format: 'anthropic-messages', label: str(block.type) ?? 'unknown block', raw: block }];
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

/** The parts a block of a known type becomes, or undefined to keep it as a foreign part. */
function knownBlock(
  type: AnthropicBlockType,
  block: ReceivedBlock,
  previous: ReceivedBlock | undefined,
  next: ReceivedBlock | undefined,
): AssistantPart[] | undefined {
  switch (type) {
    case 'text':
      return [{ type: 'text', text: str(block.text) ?? '' }];
    case 'thinking': {
      const signature = str(block.signature);
      return [{ type: 'thinking', text: str(block.thinking) ?? '', ...(signature === undefined ? {} : { signature }) }];
    }
    case 'redacted_thinking':
      return [{ type: 'redacted-thinking', data: str(block.data) ?? '' }];
    case 'tool_use': {
      const input = block.input;
      return [{ type: 'tool-call', id: str(block.id) ?? '', name: str(block.name) ?? '', input: isObject(input) ? input : {} }];
    }
    case 'server_tool_use':
      // A web search and its results, which follow it, are one part; the result block is consumed here.
      return isWebSearchUse(block) && next !== undefined && answersSearch(block, next) ? [webSearchPart(block, next)] : undefined;
    case 'web_search_tool_result':
      return previous !== undefined && isWebSearchUse(previous) && answersSearch(previous, block) ? [] : undefined;
    default:
      return assertNever(type);
  }
}
