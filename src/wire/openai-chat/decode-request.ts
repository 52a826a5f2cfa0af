/**
 * OpenAI Chat Completions request → CanonicalRequest (spec §1.1, §1.2). Lenient about fields it does not
 * know (they stay in `raw` and are listed as `unknown` extensions), strict about what routing and
 * translation rely on.
 */
import { assertNever } from '../../core/assert-never.js';
import type {
  AssistantPart,
  CanonicalMessage,
  CanonicalRequest,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultContent,
  UserPart,
} from '../canonical.js';
import type { JsonObject } from '../shared/json.js';
import { chatMessageRole, chatUserPartType } from './shapes.js';
import {
  invalid,
  isObject,
  objectList,
  optionalBoolean,
  optionalNumber,
  optionalTokenLimit,
  requireBody,
  str,
} from '../shared/json.js';
import { parseDataUrl } from '../shared/media.js';
import { decodeOpenAIResponseFormat } from '../shared/openai-response-format.js';
import { canonicalRequest, decodeOpenAIEffort, functionTool, untypedFields } from '../shared/request-decoding.js';
import { toolCallFromArgumentText } from '../shared/tool-call.js';

const FORMAT = 'openai-chat';

/** Fields decoded into typed canonical fields. */
const KNOWN = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p',
  'stop', 'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'response_format', 'user',
  'safety_identifier', 'n', 'modalities',
]);
const HINTS = new Set([
  'metadata', 'store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'seed',
  'verbosity', 'moderation',
]);
const SAMPLING = new Set(['frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs']);
const CONTRACT = new Set(['audio', 'prediction', 'web_search_options', 'functions', 'function_call']);

export function decodeOpenAIChatRequest(input: unknown): CanonicalRequest {
  const body = requireBody(input);
  const messagesValue = body['messages'];
  if (!Array.isArray(messagesValue)) throw invalid('`messages` is required and must be an array.', 'messages');

  const extensions = untypedFields(body, FORMAT, {
    known: KNOWN,
    hint: HINTS,
    sampling: SAMPLING,
    contract: CONTRACT,
    // logprobs:false is the default, not a request for logprobs.
    defaults: { logprobs: false },
  });

  const n = optionalNumber(body, 'n');
  if (n !== undefined && n !== 1) extensions.push({ format: FORMAT, path: 'n', value: n, policy: 'contract' });
  const modalities = body['modalities'];
  if (modalities !== undefined && modalities !== null) {
    const textOnly = Array.isArray(modalities) && modalities.every((m) => m === 'text');
    extensions.push({ format: FORMAT, path: 'modalities', value: modalities, policy: textOnly ? 'hint' : 'contract' });
  }

  const streamOptions = body['stream_options'];
  if (streamOptions !== undefined && streamOptions !== null && !isObject(streamOptions)) {
    throw invalid('`stream_options` must be an object.', 'stream_options');
  }
  if (isObject(streamOptions) && streamOptions['include_obfuscation'] !== undefined) {
    extensions.push({ format: FORMAT, path: 'stream_options.include_obfuscation', value: streamOptions['include_obfuscation'], policy: 'hint' });
  }
  const stream = optionalBoolean(body, 'stream') ?? false;

  const { system, messages } = decodeMessages(messagesValue);
  const maxTokens = optionalTokenLimit(body, 'max_completion_tokens') ?? optionalTokenLimit(body, 'max_tokens');
  const temperature = optionalNumber(body, 'temperature');
  const topP = optionalNumber(body, 'top_p');
  const parallel = optionalBoolean(body, 'parallel_tool_calls');
  const tools = decodeTools(body['tools']);
  const toolChoice = decodeToolChoice(body['tool_choice'], tools);
  const reasoning = decodeOpenAIEffort(body['reasoning_effort'], 'reasoning_effort');
  const responseFormat = decodeOpenAIResponseFormat(body['response_format'], 'response_format', (format) =>
    isObject(format['json_schema']) ? format['json_schema'] : {},
  );
  const user = str(body['safety_identifier']) ?? str(body['user']);

  return canonicalRequest(FORMAT, body, {
    stream,
    maxTokens,
    includeUsage: stream && isObject(streamOptions) && streamOptions['include_usage'] === true,
    system,
    messages,
    tools: toolChoice.tools,
    toolChoice: toolChoice.choice,
    parallelToolCalls: parallel,
    temperature,
    topP,
    stopSequences: decodeStop(body['stop']),
    reasoning,
    responseFormat,
    user,
    extensions,
  });
}

function decodeStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((s): s is string => typeof s === 'string')) return value;
  throw invalid('`stop` must be a string or an array of strings.', 'stop');
}

function textOf(content: unknown, param: string): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`\`${param}\` must be a string or an array of content parts.`, param);
  return content.map((part, j) => {
    if (!isObject(part) || typeof part['text'] !== 'string') {
      throw invalid(`\`${param}[${j}]\` must be a text part.`, `${param}[${j}]`);
    }
    return { type: 'text', text: part['text'] };
  });
}

function decodeUserPart(part: unknown, param: string): UserPart {
  if (!isObject(part)) throw invalid(`\`${param}\` must be an object.`, param);
  const type = chatUserPartType(part['type']);
  // input_audio and anything newer: only OpenAI can take it.
  if (type === undefined) return { type: 'foreign', format: FORMAT, label: str(part['type']) ?? 'unknown part', raw: part };
  switch (type) {
    case 'text': {
      const text = str(part['text']);
      if (text === undefined) throw invalid(`\`${param}.text\` must be a string.`, `${param}.text`);
      return { type: 'text', text };
    }
    case 'image_url': {
      const image = part['image_url'];
      const url = isObject(image) ? str(image['url']) : undefined;
      if (url === undefined) throw invalid(`\`${param}.image_url.url\` must be a string.`, `${param}.image_url.url`);
      const detail = isObject(image) ? image['detail'] : undefined;
      const data = parseDataUrl(url);
      return {
        type: 'image',
        source: data === undefined ? { kind: 'url', url } : { kind: 'base64', mediaType: data.mediaType, data: data.data },
        ...(detail === 'auto' || detail === 'low' || detail === 'high' ? { detail } : {}),
      };
    }
    case 'file': {
      const file = isObject(part['file']) ? part['file'] : {};
      const filename = str(file['filename']);
      const fileData = str(file['file_data']);
      const fileId = str(file['file_id']);
      const named = filename === undefined ? {} : { title: filename };
      if (fileData !== undefined) {
        const data = parseDataUrl(fileData);
        // Bare base64 is accepted as PDF, the only file type OpenAI chat takes inline.
        return { type: 'document', source: { kind: 'base64', mediaType: data?.mediaType ?? 'application/pdf', data: data?.data ?? fileData }, ...named };
      }
      if (fileId !== undefined) return { type: 'document', source: { kind: 'file', fileId }, ...named };
      throw invalid(`\`${param}.file\` needs file_data or file_id.`, `${param}.file`);
    }
    default:
      return assertNever(type);
  }
}

function decodeUserContent(content: unknown, param: string): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`\`${param}\` must be a string or an array of content parts.`, param);
  return content.map((part, j) => decodeUserPart(part, `${param}[${j}]`));
}

function decodeAssistant(message: JsonObject, param: string): AssistantPart[] {
  const parts: AssistantPart[] = [];
  // litellm convention: signed thinking blocks ride along on assistant messages.
  const thinkingBlocks = message['thinking_blocks'];
  if (Array.isArray(thinkingBlocks)) {
    for (const block of thinkingBlocks) {
      if (!isObject(block)) continue;
      if (block['type'] === 'thinking' && typeof block['thinking'] === 'string') {
        const signature = str(block['signature']);
        parts.push({ type: 'thinking', text: block['thinking'], ...(signature === undefined ? {} : { signature }) });
      } else if (block['type'] === 'redacted_thinking' && typeof block['data'] === 'string') {
        parts.push({ type: 'redacted-thinking', data: block['data'] });
      }
    }
  } else if (typeof message['reasoning_content'] === 'string' && message['reasoning_content'] !== '') {
    parts.push({ type: 'thinking', text: message['reasoning_content'] });
  }
  const content = message['content'];
  if (typeof content === 'string') {
    parts.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      if (isObject(part) && typeof part['text'] === 'string') parts.push({ type: 'text', text: part['text'] });
      else if (isObject(part) && typeof part['refusal'] === 'string') parts.push({ type: 'text', text: part['refusal'] });
      else throw invalid(`\`${param}.content[${j}]\` must be a text or refusal part.`, `${param}.content[${j}]`);
    });
  } else if (content !== undefined && content !== null) {
    throw invalid(`\`${param}.content\` must be a string, an array or null.`, `${param}.content`);
  }
  const refusal = str(message['refusal']);
  if (refusal !== undefined && refusal !== '') parts.push({ type: 'text', text: refusal });
  const toolCalls = message['tool_calls'];
  if (toolCalls !== undefined && toolCalls !== null) {
    if (!Array.isArray(toolCalls)) throw invalid(`\`${param}.tool_calls\` must be an array.`, `${param}.tool_calls`);
    toolCalls.forEach((call, k) => {
      const at = `${param}.tool_calls[${k}]`;
      if (!isObject(call)) throw invalid(`\`${at}\` must be an object.`, at);
      if (call['type'] === 'custom') {
        parts.push({ type: 'foreign', format: FORMAT, label: 'custom tool call', raw: call });
        return;
      }
      const fn = isObject(call['function']) ? call['function'] : undefined;
      const name = str(fn?.['name']);
      const id = str(call['id']);
      if (name === undefined || id === undefined) throw invalid(`\`${at}\` needs an id and function.name.`, at);
      parts.push(toolCallFromArgumentText(id, name, fn?.['arguments']));
    });
  }
  for (const key of ['audio', 'function_call']) {
    if (message[key] !== undefined && message[key] !== null) {
      parts.push({ type: 'foreign', format: FORMAT, label: `assistant ${key}`, raw: { [key]: message[key] } });
    }
  }
  return parts;
}

function toolResultContent(content: unknown, param: string): ToolResultContent[] {
  return textOf(content, param);
}

/**
 * Hoists system/developer messages (spec §4.2) and groups each run of `tool` messages, plus a `user`
 * message right after it, into one user turn with the tool results first (spec §4.3).
 */
function decodeMessages(list: unknown[]): { system: TextPart[]; messages: CanonicalMessage[] } {
  const system: TextPart[] = [];
  const messages: CanonicalMessage[] = [];
  let toolTurn: UserPart[] | undefined;
  list.forEach((message, i) => {
    const param = `messages[${i}]`;
    if (!isObject(message)) throw invalid(`\`${param}\` must be an object.`, param);
    const role = chatMessageRole(message['role']);
    const name = str(message['name']);
    const named = name === undefined ? {} : { name };
    if (role === undefined) throw invalid(`\`${param}.role\` must be one of system, developer, user, assistant, tool.`, `${param}.role`);
    switch (role) {
      case 'system':
      case 'developer':
        system.push(...textOf(message['content'], `${param}.content`));
        return;
      case 'tool': {
        const id = str(message['tool_call_id']);
        if (id === undefined) throw invalid(`\`${param}.tool_call_id\` is required.`, `${param}.tool_call_id`);
        const part: UserPart = {
          type: 'tool-result',
          toolCallId: id,
          content: toolResultContent(message['content'], `${param}.content`),
          isError: false,
        };
        if (toolTurn === undefined) {
          toolTurn = [part];
          messages.push({ role: 'user', content: toolTurn });
        } else {
          toolTurn.push(part);
        }
        return;
      }
      case 'user': {
        const content = decodeUserContent(message['content'], `${param}.content`);
        if (toolTurn !== undefined) {
          toolTurn.push(...content);
          toolTurn = undefined;
        } else {
          messages.push({ role: 'user', content, ...named });
        }
        return;
      }
      case 'assistant':
        toolTurn = undefined;
        messages.push({ role: 'assistant', content: decodeAssistant(message, param), ...named });
        return;
      case 'function':
        throw invalid('Deprecated `function` messages are not supported; use `tool` messages.', `${param}.role`);
      default:
        assertNever(role);
    }
  });
  return { system, messages };
}

function decodeTools(value: unknown): ToolDefinition[] {
  return objectList(value, 'tools', (tool, param): ToolDefinition => {
    if (tool['type'] !== 'function') {
      const name = isObject(tool['custom']) ? str(tool['custom']['name']) : undefined;
      return { type: 'foreign', format: FORMAT, name: name ?? str(tool['type']) ?? 'tool', raw: tool };
    }
    const fn = tool['function'];
    const name = isObject(fn) ? str(fn['name']) : undefined;
    if (!isObject(fn) || name === undefined || name === '') {
      throw invalid(`\`${param}.function.name\` is required.`, `${param}.function.name`);
    }
    return functionTool(name, fn, 'parameters');
  });
}

/** `allowed_tools` has no Anthropic counterpart; it becomes a filtered tool list plus auto/required (spec §4.4). */
function decodeToolChoice(
  value: unknown,
  tools: ToolDefinition[],
): { choice: ToolChoice | undefined; tools: ToolDefinition[] } {
  if (value === undefined || value === null) return { choice: undefined, tools };
  if (value === 'auto' || value === 'none') return { choice: { type: value }, tools };
  if (value === 'required') return { choice: { type: 'required' }, tools };
  if (isObject(value)) {
    if (value['type'] === 'function' && isObject(value['function']) && typeof value['function']['name'] === 'string') {
      return { choice: { type: 'tool', name: value['function']['name'] }, tools };
    }
    if (value['type'] === 'allowed_tools' && isObject(value['allowed_tools'])) {
      const allowed = value['allowed_tools'];
      const list = Array.isArray(allowed['tools']) ? allowed['tools'] : [];
      const names = new Set(
        list.flatMap((t) => (isObject(t) && isObject(t['function']) && typeof t['function']['name'] === 'string' ? [t['function']['name']] : [])),
      );
      return {
        choice: { type: allowed['mode'] === 'required' ? 'required' : 'auto' },
        tools: tools.filter((t) => names.has(t.name)),
      };
    }
    if (value['type'] === 'custom') {
      throw invalid('`tool_choice` of type custom cannot be translated.', 'tool_choice');
    }
  }
  throw invalid('`tool_choice` must be none, auto, required or a function choice.', 'tool_choice');
}
