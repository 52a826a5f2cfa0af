/**
 * Anthropic stream events → canonical stream events (spec §2.4, §6.1 input side). Usage is cumulative:
 * `message_start` gives input and cache counts, each `message_delta` overwrites the fields it names
 * (never summed, pitfall 7); `finish` carries the merged total. The `{}` placeholder input of a tool_use
 * start is never treated as argument text (pitfall 9).
 */
import { assertNever } from '../../core/assert-never.js';
import { GatewayError } from '../../core/errors.js';
import type { Usage } from '../../core/usage.js';
import { ZERO_USAGE } from '../../core/usage.js';
import type { SseEvent, StreamDecoder } from '../codec.js';
import type { CanonicalStreamEvent, StopReason } from '../canonical.js';
import { createFrameParser, type FramePath } from '../shared/frame-parser.js';
import { isObject, str, tryParseJson, type JsonObject, type Unchecked } from '../shared/json.js';
import { malformedStreamError } from '../shared/malformed.js';
import { gapsOf, mergeUsage } from '../shared/usage.js';
import { statusOfAnthropicErrorType } from './errors.js';
import { fromAnthropicStopReason } from './map-stop-reason.js';
import { anthropicBlockType, anthropicDeltaType, anthropicEventType, type AnthropicDelta, type ReceivedBlock } from './shapes.js';
import { readAnthropicUsagePartial } from './usage.js';
import { answersSearch, isWebSearchUse, webSearchPart } from './web-search.js';

type BlockKind = 'text' | 'thinking' | 'tool' | 'redacted' | 'search' | 'ignored';

/** Where content_block_delta events carry the string that varies: text, tool input, thinking. */
const DELTA_PATHS: readonly FramePath[] = [
  ['delta', 'text'],
  ['delta', 'partial_json'],
  ['delta', 'thinking'],
];

/** A text delta's events: none for empty text. */
function textDeltaEvents(text: string): CanonicalStreamEvent[] {
  return text === '' ? [] : [{ type: 'text-delta', text }];
}

export function createAnthropicStreamDecoder(): StreamDecoder {
  const frames = createFrameParser(DELTA_PATHS);
  let done = false;
  let usage: Usage = { ...ZERO_USAGE };
  // Which sides a valid count arrived for, and the fields refused on the way (see readAnthropicUsagePartial).
  let inputReported = false;
  let outputReported = false;
  const rejected: string[] = [];
  const absorb = (partial: Partial<Usage>, refused: string[]): void => {
    if (partial.inputUncached !== undefined) inputReported = true;
    if (partial.output !== undefined) outputReported = true;
    rejected.push(...refused);
    usage = mergeUsage(usage, partial);
  };
  let stopReason: StopReason | undefined;
  let stopSequence: string | undefined;
  let nextTool = 0;
  const blocks = new Map<number, { kind: BlockKind; tool?: number; search?: { use: ReceivedBlock; json: string } }>();
  /** A finished web search call waiting for its results block. */
  let search: ReceivedBlock | undefined;

  function fail(message: string, type: string | undefined, status: number, body: unknown): CanonicalStreamEvent[] {
    done = true;
    return [
      {
        type: 'error',
        error: new GatewayError('upstream_error', message, { status, ...(type === undefined ? {} : { upstreamType: type }), upstreamBody: body }),
      },
    ];
  }

  function onBlockStart(index: number, block: ReceivedBlock): CanonicalStreamEvent[] {
    const type = anthropicBlockType(block.type);
    if (type === undefined) {
      // Other server-tool blocks and anything newer: not translatable, dropped with their deltas and stop.
      blocks.set(index, { kind: 'ignored' });
      return [];
    }
    switch (type) {
      case 'text': {
        blocks.set(index, { kind: 'text' });
        const text = str(block.text) ?? '';
        return text === '' ? [] : [{ type: 'text-delta', text }];
      }
      case 'thinking': {
        blocks.set(index, { kind: 'thinking' });
        const out: CanonicalStreamEvent[] = [];
        const text = str(block.thinking) ?? '';
        const signature = str(block.signature) ?? '';
        if (text !== '') out.push({ type: 'thinking-delta', text });
        if (signature !== '') out.push({ type: 'signature', signature });
        return out;
      }
      case 'redacted_thinking':
        blocks.set(index, { kind: 'redacted' });
        return [{ type: 'redacted-thinking', data: str(block.data) ?? '' }];
      case 'tool_use': {
        const tool = nextTool++;
        blocks.set(index, { kind: 'tool', tool });
        const out: CanonicalStreamEvent[] = [{ type: 'tool-call-start', index: tool, id: str(block.id) ?? '', name: str(block.name) ?? '' }];
        // Genuine streams start with `input:{}` and send the JSON as deltas; only a non-empty start input is real data.
        const input = block.input;
        if (isObject(input) && Object.keys(input).length > 0) out.push({ type: 'tool-call-delta', index: tool, argsJson: JSON.stringify(input) });
        return out;
      }
      case 'server_tool_use':
        if (isWebSearchUse(block)) {
          blocks.set(index, { kind: 'search', search: { use: { ...block }, json: '' } });
          return [];
        }
        blocks.set(index, { kind: 'ignored' });
        return [];
      case 'web_search_tool_result': {
        blocks.set(index, { kind: 'ignored' });
        const use = search;
        search = undefined;
        return use !== undefined && answersSearch(use, block) ? [{ type: 'web-search', part: webSearchPart(use, block) }] : [];
      }
      default:
        return assertNever(type);
    }
  }

  function onBlockDelta(index: number, delta: Unchecked<AnthropicDelta>): CanonicalStreamEvent[] {
    const block = blocks.get(index);
    if (block === undefined || block.kind === 'ignored') return [];
    const type = anthropicDeltaType(delta.type);
    // citations_delta and future delta types.
    if (type === undefined) return [];
    switch (type) {
      case 'text_delta':
        return textDeltaEvents(str(delta.text) ?? '');
      case 'thinking_delta': {
        const text = str(delta.thinking) ?? '';
        return text === '' ? [] : [{ type: 'thinking-delta', text }];
      }
      case 'signature_delta': {
        const signature = str(delta.signature) ?? '';
        return signature === '' ? [] : [{ type: 'signature', signature }];
      }
      case 'input_json_delta': {
        const json = str(delta.partial_json) ?? '';
        if (block.search !== undefined) {
          block.search.json += json;
          return [];
        }
        return json === '' || block.tool === undefined ? [] : [{ type: 'tool-call-delta', index: block.tool, argsJson: json }];
      }
      default:
        return assertNever(type);
    }
  }

  /** A text_delta (its type in the event itself, not only its SSE name) to a text block. */
  function isTextDelta(data: JsonObject): boolean {
    const delta = data['delta'];
    const index = data['index'];
    return data['type'] === 'content_block_delta' && isObject(delta) && delta['type'] === 'text_delta' && typeof delta['text'] === 'string' && typeof index === 'number' && blocks.get(index)?.kind === 'text';
  }

  function onEvent(name: string, data: JsonObject): CanonicalStreamEvent[] {
    const type = anthropicEventType(name);
    // ping and unknown future events.
    if (type === undefined) return [];
    switch (type) {
      case 'message_start': {
        const message = isObject(data['message']) ? data['message'] : {};
        const { usage: partial, rejected: refused } = readAnthropicUsagePartial(message['usage']);
        absorb(partial, refused);
        const id = str(message['id']);
        const model = str(message['model']);
        return [{ type: 'start', ...(id === undefined ? {} : { id }), ...(model === undefined ? {} : { model }), usage: partial }];
      }
      case 'content_block_start': {
        const index = data['index'];
        const block = data['content_block'];
        return typeof index === 'number' && isObject(block) ? onBlockStart(index, block) : [];
      }
      case 'content_block_delta': {
        const index = data['index'];
        const delta = data['delta'];
        return typeof index === 'number' && isObject(delta) ? onBlockDelta(index, delta) : [];
      }
      case 'content_block_stop': {
        const index = data['index'];
        const block = typeof index === 'number' ? blocks.get(index) : undefined;
        if (block?.search !== undefined) {
          // The query arrived as input_json_delta, like a tool's arguments.
          const input = block.search.json === '' ? undefined : tryParseJson(block.search.json);
          search = isObject(input) ? { ...block.search.use, input } : block.search.use;
          return [];
        }
        return block === undefined || block.kind === 'ignored' ? [] : [{ type: 'block-stop' }];
      }
      case 'message_delta': {
        const delta = isObject(data['delta']) ? data['delta'] : {};
        if (delta['stop_reason'] !== undefined && delta['stop_reason'] !== null) stopReason = fromAnthropicStopReason(delta['stop_reason']);
        const sequence = str(delta['stop_sequence']);
        if (sequence !== undefined) stopSequence = sequence;
        const { usage: partial, rejected: refused } = readAnthropicUsagePartial(data['usage']);
        // Some compatible upstreams report input_tokens:0 at start and the real value here; a 0 never overwrites a count.
        if (partial.inputUncached === 0 && usage.inputUncached > 0) delete partial.inputUncached;
        absorb(partial, refused);
        return Object.keys(partial).length === 0 ? [] : [{ type: 'usage', usage: partial }];
      }
      case 'message_stop': {
        done = true;
        const gaps = gapsOf(inputReported, outputReported, rejected);
        return [
          {
            type: 'finish',
            stopReason: stopReason ?? 'stop',
            ...(stopSequence === undefined ? {} : { stopSequence }),
            usage: { ...usage },
            ...(gaps === undefined ? {} : { usageGaps: gaps }),
          },
        ];
      }
      case 'error': {
        const inner = isObject(data['error']) ? data['error'] : {};
        const errorType = str(inner['type']);
        return fail(str(inner['message']) ?? 'Upstream stream failed.', errorType, statusOfAnthropicErrorType(errorType), data);
      }
      default:
        return assertNever(type);
    }
  }

  /**
   * The object of the last text delta of a text block. The parser hands back one object for all the events of one
   * shape and a new one after any other event, so a delta in that same object is another text delta of the same
   * block, read without deciding again what it is (most of a stream's events).
   */
  let textDelta: JsonObject | undefined;

  return {
    push(event: SseEvent): CanonicalStreamEvent[] {
      if (done) return [];
      const data = frames.parse(event.data);
      if (textDelta !== undefined && data === textDelta) return textDeltaEvents((textDelta['delta'] as JsonObject)['text'] as string);
      if (!isObject(data)) {
        done = true;
        return [{ type: 'error', error: malformedStreamError(event.data) }];
      }
      const type = str(data['type']) ?? event.event ?? '';
      const out = onEvent(type, data);
      textDelta = isTextDelta(data) ? data : undefined;
      return out;
    },
    end(): CanonicalStreamEvent[] {
      return [];
    },
  };
}
