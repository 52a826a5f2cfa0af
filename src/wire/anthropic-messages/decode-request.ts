/**
 * Anthropic Messages request → CanonicalRequest (spec §2.1). Lenient about unknown fields, strict about
 * the ones routing and translation rely on.
 */
import { assertNever } from '../../core/assert-never.js';
import type {
  AssistantPart,
  CacheControl,
  CanonicalMessage,
  CanonicalRequest,
  DocumentPart,
  ImagePart,
  ReasoningConfig,
  ReasoningEffort,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultContent,
  UserPart,
} from '../canonical.js';
import type { JsonObject } from '../shared/json.js';
import {
  anthropicAssistantBlockType,
  anthropicDocumentSourceType,
  anthropicImageSourceType,
  anthropicMessageRole,
  anthropicThinkingType,
  anthropicToolChoiceType,
  anthropicUserBlockType,
} from './shapes.js';
import { invalid, isObject, objectList, optionalBoolean, optionalNumber, optionalTokenLimit, requireBody, str } from '../shared/json.js';
import { canonicalRequest, functionTool, isReasoningEffort, untypedFields } from '../shared/request-decoding.js';

const FORMAT = 'anthropic-messages';

const KNOWN = new Set([
  'model', 'messages', 'max_tokens', 'system', 'stop_sequences', 'stream', 'temperature', 'top_p', 'top_k', 'tools',
  'tool_choice', 'thinking', 'output_config', 'output_format', 'metadata',
]);
const HINTS = new Set(['cache_control', 'service_tier', 'container', 'inference_geo', 'context_management']);
const CONTRACT = new Set(['mcp_servers']);

export function decodeAnthropicRequest(input: unknown): CanonicalRequest {
  const body = requireBody(input);
  const list = body['messages'];
  if (!Array.isArray(list)) throw invalid('`messages` is required and must be an array.', 'messages');

  const extensions = untypedFields(body, FORMAT, { known: KNOWN, hint: HINTS, contract: CONTRACT });

  const system = decodeSystem(body['system']);
  const messages: CanonicalMessage[] = [];
  list.forEach((message, i) => {
    const param = `messages[${i}]`;
    if (!isObject(message)) throw invalid(`\`${param}\` must be an object.`, param);
    const role = anthropicMessageRole(message['role']);
    if (role === undefined) throw invalid(`\`${param}.role\` must be user or assistant.`, `${param}.role`);
    switch (role) {
      case 'user':
        messages.push({ role: 'user', content: decodeUserContent(message['content'], `${param}.content`) });
        return;
      case 'assistant':
        messages.push({ role: 'assistant', content: decodeAssistantContent(message['content'], `${param}.content`) });
        return;
      case 'system':
        // Mid-conversation system blocks (NEW) are hoisted like OpenAI's (spec §4.2).
        system.push(...decodeSystem(message['content']));
        return;
      default:
        assertNever(role);
    }
  });

  const maxTokens = optionalTokenLimit(body, 'max_tokens');
  const temperature = optionalNumber(body, 'temperature');
  const topP = optionalNumber(body, 'top_p');
  const topK = optionalNumber(body, 'top_k');
  const stream = optionalBoolean(body, 'stream') ?? false;
  const { choice, parallel } = decodeToolChoice(body['tool_choice']);
  const reasoning = decodeReasoning(body['thinking'], body['output_config']);
  const responseFormat = decodeResponseFormat(body);
  const metadata = body['metadata'];
  const user = isObject(metadata) ? str(metadata['user_id']) : undefined;

  return canonicalRequest(FORMAT, body, {
    stream,
    maxTokens,
    system,
    messages,
    tools: decodeTools(body['tools']),
    toolChoice: choice,
    parallelToolCalls: parallel,
    temperature,
    topP,
    topK,
    stopSequences: decodeStopSequences(body['stop_sequences']),
    reasoning,
    responseFormat,
    user,
    extensions,
  });
}

function cacheControl(block: JsonObject): { cacheControl?: CacheControl } {
  const cc = block['cache_control'];
  if (!isObject(cc) || cc['type'] !== 'ephemeral') return {};
  const ttl = cc['ttl'];
  return { cacheControl: ttl === '5m' || ttl === '1h' ? { type: 'ephemeral', ttl } : { type: 'ephemeral' } };
}

function decodeSystem(value: unknown): TextPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  if (!Array.isArray(value)) throw invalid('`system` must be a string or an array of text blocks.', 'system');
  return value.map((block, i) => {
    if (!isObject(block) || typeof block['text'] !== 'string') throw invalid(`\`system[${i}]\` must be a text block.`, `system[${i}]`);
    return { type: 'text', text: block['text'], ...cacheControl(block) };
  });
}

function decodeStopSequences(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.every((s): s is string => typeof s === 'string')) return value;
  throw invalid('`stop_sequences` must be an array of strings.', 'stop_sequences');
}

function decodeImage(block: JsonObject, param: string): ImagePart {
  const source = isObject(block['source']) ? block['source'] : {};
  const cc = cacheControl(block);
  const type = anthropicImageSourceType(source['type']);
  if (type === undefined) throw invalid(`\`${param}.source.type\` must be base64, url or file.`, `${param}.source.type`);
  switch (type) {
    case 'base64':
      return { type: 'image', source: { kind: 'base64', mediaType: str(source['media_type']) ?? '', data: str(source['data']) ?? '' }, ...cc };
    case 'url':
      return { type: 'image', source: { kind: 'url', url: str(source['url']) ?? '' }, ...cc };
    case 'file':
      return { type: 'image', source: { kind: 'file', fileId: str(source['file_id']) ?? '' }, ...cc };
    default:
      return assertNever(type);
  }
}

function decodeDocument(block: JsonObject, param: string): DocumentPart | undefined {
  const source = isObject(block['source']) ? block['source'] : {};
  const title = str(block['title']);
  const context = str(block['context']);
  const extra = { ...(title === undefined ? {} : { title }), ...(context === undefined ? {} : { context }), ...cacheControl(block) };
  const type = anthropicDocumentSourceType(source['type']);
  if (type === undefined) throw invalid(`\`${param}.source.type\` is not a known document source.`, `${param}.source.type`);
  switch (type) {
    case 'base64':
      return { type: 'document', source: { kind: 'base64', mediaType: str(source['media_type']) ?? 'application/pdf', data: str(source['data']) ?? '' }, ...extra };
    case 'text':
      return { type: 'document', source: { kind: 'text', data: str(source['data']) ?? '' }, ...extra };
    case 'content':
      return typeof source['content'] === 'string' ? { type: 'document', source: { kind: 'text', data: source['content'] }, ...extra } : undefined;
    case 'url':
      return { type: 'document', source: { kind: 'url', url: str(source['url']) ?? '' }, ...extra };
    case 'file':
      return { type: 'document', source: { kind: 'file', fileId: str(source['file_id']) ?? '' }, ...extra };
    default:
      return assertNever(type);
  }
}

function decodeToolResultContent(value: unknown, param: string): ToolResultContent[] | undefined {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (!Array.isArray(value)) throw invalid(`\`${param}\` must be a string or an array of blocks.`, param);
  const out: ToolResultContent[] = [];
  for (const [j, block] of value.entries()) {
    if (!isObject(block)) throw invalid(`\`${param}[${j}]\` must be an object.`, `${param}[${j}]`);
    if (block['type'] === 'text' && typeof block['text'] === 'string') out.push({ type: 'text', text: block['text'], ...cacheControl(block) });
    else if (block['type'] === 'image') out.push(decodeImage(block, `${param}[${j}]`));
    else if (block['type'] === 'document') {
      const doc = decodeDocument(block, `${param}[${j}]`);
      if (doc === undefined) return undefined;
      out.push(doc);
    } else return undefined;
  }
  return out;
}

/** A message's content: a string, or blocks whose text blocks read alike for both roles. */
function decodeBlocks<T>(value: unknown, param: string, decodeOther: (block: JsonObject, at: string) => T): (TextPart | T)[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  if (!Array.isArray(value)) throw invalid(`\`${param}\` must be a string or an array of blocks.`, param);
  return value.map((block, j) => {
    const at = `${param}[${j}]`;
    if (!isObject(block)) throw invalid(`\`${at}\` must be an object.`, at);
    if (block['type'] !== 'text') return decodeOther(block, at);
    if (typeof block['text'] !== 'string') throw invalid(`\`${at}.text\` must be a string.`, `${at}.text`);
    return { type: 'text', text: block['text'], ...cacheControl(block) };
  });
}

function decodeUserContent(value: unknown, param: string): UserPart[] {
  return decodeBlocks(value, param, (block, at): UserPart => {
    const type = anthropicUserBlockType(block['type']);
    if (type === undefined) return { type: 'foreign', format: FORMAT, label: str(block['type']) ?? 'unknown block', raw: block };
    switch (type) {
      case 'image':
        return decodeImage(block, at);
      case 'document':
        return decodeDocument(block, at) ?? { type: 'foreign', format: FORMAT, label: 'document with block content', raw: block };
      case 'tool_result': {
        const id = str(block['tool_use_id']);
        if (id === undefined) throw invalid(`\`${at}.tool_use_id\` is required.`, `${at}.tool_use_id`);
        const content = decodeToolResultContent(block['content'], `${at}.content`);
        if (content === undefined) return { type: 'foreign', format: FORMAT, label: 'tool_result with non-text content', raw: block };
        return { type: 'tool-result', toolCallId: id, content, isError: block['is_error'] === true, ...cacheControl(block) };
      }
      default:
        return assertNever(type);
    }
  });
}

function decodeAssistantContent(value: unknown, param: string): AssistantPart[] {
  return decodeBlocks(value, param, (block, at): AssistantPart => {
    const type = anthropicAssistantBlockType(block['type']);
    if (type === undefined) return { type: 'foreign', format: FORMAT, label: str(block['type']) ?? 'unknown block', raw: block };
    switch (type) {
      case 'thinking': {
        const signature = str(block['signature']);
        return { type: 'thinking', text: str(block['thinking']) ?? '', ...(signature === undefined ? {} : { signature }) };
      }
      case 'redacted_thinking':
        return { type: 'redacted-thinking', data: str(block['data']) ?? '' };
      case 'tool_use': {
        const id = str(block['id']);
        const name = str(block['name']);
        if (id === undefined || name === undefined) throw invalid(`\`${at}\` needs id and name.`, at);
        const input = block['input'];
        return {
          type: 'tool-call',
          id,
          name,
          input: isObject(input) ? input : {},
          ...(isObject(input) || input === undefined ? {} : { invalidArguments: JSON.stringify(input) }),
          ...cacheControl(block),
        };
      }
      default:
        return assertNever(type);
    }
  });
}

function decodeTools(value: unknown): ToolDefinition[] {
  return objectList(value, 'tools', (tool, param): ToolDefinition => {
    const name = str(tool['name']);
    if (name === undefined || name === '') throw invalid(`\`${param}.name\` is required.`, `${param}.name`);
    const type = tool['type'];
    if (type !== undefined && type !== null && type !== 'custom') return { type: 'foreign', format: FORMAT, name, raw: tool };
    return { ...functionTool(name, tool, 'input_schema'), ...cacheControl(tool) };
  });
}

function decodeToolChoice(value: unknown): { choice: ToolChoice | undefined; parallel: boolean | undefined } {
  if (value === undefined || value === null) return { choice: undefined, parallel: undefined };
  if (!isObject(value)) throw invalid('`tool_choice` must be an object.', 'tool_choice');
  const parallel = value['disable_parallel_tool_use'] === true ? false : undefined;
  const type = anthropicToolChoiceType(value['type']);
  if (type === undefined) throw invalid('`tool_choice.type` must be auto, any, tool or none.', 'tool_choice.type');
  switch (type) {
    case 'auto':
      return { choice: { type: 'auto' }, parallel };
    case 'any':
      return { choice: { type: 'required' }, parallel };
    case 'none':
      return { choice: { type: 'none' }, parallel };
    case 'tool': {
      const name = str(value['name']);
      if (name === undefined) throw invalid('`tool_choice.name` is required for type tool.', 'tool_choice.name');
      return { choice: { type: 'tool', name }, parallel };
    }
    default:
      return assertNever(type);
  }
}

function effortOf(outputConfig: unknown): ReasoningEffort | undefined {
  const effort = isObject(outputConfig) ? outputConfig['effort'] : undefined;
  return isReasoningEffort(effort) ? effort : undefined;
}

function decodeReasoning(thinking: unknown, outputConfig: unknown): ReasoningConfig | undefined {
  const effort = effortOf(outputConfig);
  if (thinking === undefined || thinking === null) return effort === undefined ? undefined : { type: 'effort', effort };
  if (!isObject(thinking)) throw invalid('`thinking` must be an object.', 'thinking');
  const shown = thinking['display'];
  const display: { display?: 'summarized' | 'omitted' } = shown === 'summarized' || shown === 'omitted' ? { display: shown } : {};
  const type = anthropicThinkingType(thinking['type']);
  if (type === undefined) throw invalid('`thinking.type` must be enabled, adaptive or disabled.', 'thinking.type');
  switch (type) {
    case 'disabled':
      return { type: 'disabled' };
    case 'enabled': {
      const budget = thinking['budget_tokens'];
      if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 0) {
        throw invalid('`thinking.budget_tokens` must be a non-negative integer.', 'thinking.budget_tokens');
      }
      return { type: 'budget', budgetTokens: budget, ...display };
    }
    case 'adaptive':
      return { type: 'adaptive', ...(effort === undefined ? {} : { effort }), ...display };
    default:
      return assertNever(type);
  }
}

function decodeResponseFormat(body: JsonObject): ResponseFormat | undefined {
  const outputConfig = body['output_config'];
  const format = isObject(outputConfig) && isObject(outputConfig['format']) ? outputConfig['format'] : body['output_format'];
  if (!isObject(format)) return undefined;
  if (format['type'] !== 'json_schema') throw invalid('`output_config.format.type` must be json_schema.', 'output_config.format.type');
  return { type: 'json_schema', schema: isObject(format['schema']) ? format['schema'] : {} };
}
