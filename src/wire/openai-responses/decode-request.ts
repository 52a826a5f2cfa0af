/**
 * OpenAI Responses request → CanonicalRequest (spec §3.1, §4.8). `previous_response_id` and item references are
 * kept as they came (a `contract` field, foreign parts) for the pipeline to resolve from its response store before
 * translating. Other server-side state (conversation, background, prompt templates) stays a `contract` field: same-format
 * passthrough works, translation answers 400 naming it. Namespace tools become functions that remember their
 * namespace; custom (free-form) tools become functions marked free-form (shared/freeform.ts); hosted web search
 * becomes the canonical web-search tool; other hosted tools stay foreign, for the field policy to drop. Tools an
 * `additional_tools` input item brings are offered with the request's own.
 */
import { assertNever } from '../../core/assert-never.js';
import type {
  AssistantMessage,
  AssistantPart,
  CanonicalMessage,
  CanonicalRequest,
  FormatField,
  FunctionTool,
  TextPart,
  ToolChoice,
  ToolDefinition,
  UserPart,
  WebSearchTool,
} from '../canonical.js';
import { invalid, isObject, objectList, optionalBoolean, optionalNumber, optionalTokenLimit, requireBody, str, type JsonObject } from '../shared/json.js';
import { parseDataUrl } from '../shared/media.js';
import { decodeOpenAIResponseFormat } from '../shared/openai-response-format.js';
import { freeformCall, freeformTool } from '../shared/freeform.js';
import { canonicalRequest, decodeOpenAIEffort, functionTool, untypedFields } from '../shared/request-decoding.js';
import { toolCallFromArgumentText } from '../shared/tool-call.js';
import { readCarried } from './reasoning-carrier.js';
import { responsesInputItemType, responsesUserPartType } from './shapes.js';

const FORMAT = 'openai-responses';

const KNOWN = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature',
  'top_p', 'text', 'reasoning', 'stream', 'user', 'safety_identifier',
]);
const HINTS = new Set(['store', 'metadata', 'include', 'prompt_cache_key', 'prompt_cache_retention', 'service_tier', 'truncation', 'stream_options', 'context_management']);
const SAMPLING = new Set(['top_logprobs']);
/** Stateful or server-side features outside the stateless subset. */
export const STATEFUL_FIELDS = new Set(['previous_response_id', 'conversation', 'background', 'prompt']);

export function decodeResponsesRequest(input: unknown): CanonicalRequest {
  const body = requireBody(input);
  const items = body['input'];
  if (typeof items !== 'string' && !Array.isArray(items)) throw invalid('`input` is required and must be a string or an array of items.', 'input');

  const extensions = untypedFields(body, FORMAT, {
    known: KNOWN,
    hint: HINTS,
    sampling: SAMPLING,
    contract: STATEFUL_FIELDS,
    contractReason: 'it is stateful, and only the stateless subset of the Responses API can be translated',
    defaults: { background: false },
  });

  const system: TextPart[] = [];
  const instructions = body['instructions'];
  if (typeof instructions === 'string' && instructions !== '') system.push({ type: 'text', text: instructions });
  const additionalTools: ToolDefinition[] = [];
  const messages =
    typeof items === 'string' ? [{ role: 'user' as const, content: [{ type: 'text' as const, text: items }] }] : decodeItems(items, system, additionalTools);

  const text = isObject(body['text']) ? body['text'] : {};
  if (text['verbosity'] !== undefined && text['verbosity'] !== null) extensions.push({ format: FORMAT, path: 'text.verbosity', value: text['verbosity'], policy: 'hint' });
  const reasoningBody = isObject(body['reasoning']) ? body['reasoning'] : {};
  if (reasoningBody['summary'] !== undefined && reasoningBody['summary'] !== null) {
    extensions.push({ format: FORMAT, path: 'reasoning.summary', value: reasoningBody['summary'], policy: 'hint' });
  }

  const stream = optionalBoolean(body, 'stream') ?? false;
  const maxTokens = optionalTokenLimit(body, 'max_output_tokens');
  const temperature = optionalNumber(body, 'temperature');
  const topP = optionalNumber(body, 'top_p');
  const parallel = optionalBoolean(body, 'parallel_tool_calls');
  const tools = [...decodeTools(body['tools'], 'tools'), ...additionalTools];
  const choice = decodeToolChoice(body['tool_choice'], tools, extensions);
  const reasoning = decodeOpenAIEffort(reasoningBody['effort'], 'reasoning.effort');
  // Responses puts the json_schema fields on the format object itself.
  const responseFormat = decodeOpenAIResponseFormat(text['format'], 'text.format', (format) => format);
  const user = str(body['safety_identifier']) ?? str(body['user']);

  return canonicalRequest(FORMAT, body, {
    stream,
    maxTokens,
    system,
    messages,
    tools: choice.tools,
    toolChoice: choice.choice,
    parallelToolCalls: parallel,
    temperature,
    topP,
    stopSequences: [],
    reasoning,
    responseFormat,
    user,
    extensions,
  });
}

function textParts(content: unknown, param: string, types: string[]): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw invalid(`\`${param}\` must be a string or an array of parts.`, param);
  return content.map((part, j) => {
    if (!isObject(part) || !types.includes(String(part['type']))) throw invalid(`\`${param}[${j}]\` must be a text part.`, `${param}[${j}]`);
    const text = str(part['text']) ?? str(part['refusal']) ?? '';
    return { type: 'text', text };
  });
}

function userPart(part: unknown, param: string): UserPart {
  if (!isObject(part)) throw invalid(`\`${param}\` must be an object.`, param);
  const type = responsesUserPartType(part['type']);
  if (type === undefined) return { type: 'foreign', format: FORMAT, label: str(part['type']) ?? 'unknown part', raw: part };
  switch (type) {
    case 'input_text':
      return { type: 'text', text: str(part['text']) ?? '' };
    case 'input_image': {
      const detail = part['detail'];
      const details: { detail?: 'low' | 'high' | 'auto' } = detail === 'low' || detail === 'high' || detail === 'auto' ? { detail } : {};
      const url = str(part['image_url']);
      if (url !== undefined) {
        const data = parseDataUrl(url);
        return { type: 'image', source: data === undefined ? { kind: 'url', url } : { kind: 'base64', mediaType: data.mediaType, data: data.data }, ...details };
      }
      const fileId = str(part['file_id']);
      if (fileId !== undefined) return { type: 'image', source: { kind: 'file', fileId }, ...details };
      throw invalid(`\`${param}\` needs image_url or file_id.`, param);
    }
    case 'input_file': {
      const filename = str(part['filename']);
      const named = filename === undefined ? {} : { title: filename };
      const fileData = str(part['file_data']);
      if (fileData !== undefined) {
        const data = parseDataUrl(fileData);
        return { type: 'document', source: { kind: 'base64', mediaType: data?.mediaType ?? 'application/pdf', data: data?.data ?? fileData }, ...named };
      }
      const fileUrl = str(part['file_url']);
      if (fileUrl !== undefined) return { type: 'document', source: { kind: 'url', url: fileUrl }, ...named };
      const fileId = str(part['file_id']);
      if (fileId !== undefined) return { type: 'document', source: { kind: 'file', fileId }, ...named };
      throw invalid(`\`${param}\` needs file_data, file_url or file_id.`, param);
    }
    default:
      return assertNever(type);
  }
}

/**
 * Items → turns: a run of function_call items and any adjacent assistant output message form one
 * assistant turn; function_call_output items and a user message right after them form one user turn.
 * The tools of `additional_tools` items go to `tools`.
 */
function decodeItems(items: unknown[], system: TextPart[], tools: ToolDefinition[]): CanonicalMessage[] {
  const messages: CanonicalMessage[] = [];
  const last = (): CanonicalMessage | undefined => messages[messages.length - 1];
  const assistantTurn = (): AssistantMessage => {
    const tail = last();
    if (tail?.role === 'assistant') return tail;
    const turn: AssistantMessage = { role: 'assistant', content: [] };
    messages.push(turn);
    return turn;
  };
  let toolTurnOpen = false;
  items.forEach((item, i) => {
    const param = `input[${i}]`;
    if (!isObject(item)) throw invalid(`\`${param}\` must be an object.`, param);
    // `type` may be left out of a message, and of an item reference (`{id}` alone).
    const tag = item['type'] ?? (item['role'] === undefined && typeof item['id'] === 'string' ? 'item_reference' : 'message');
    const type = responsesInputItemType(tag);
    if (type === undefined) {
      // Hosted-tool calls and outputs (computer_call, …).
      toolTurnOpen = false;
      assistantTurn().content.push({ type: 'foreign', format: FORMAT, label: String(tag), raw: item });
      return;
    }
    switch (type) {
      case 'message': {
        const role = item['role'];
        if (role === 'system' || role === 'developer') {
          system.push(...textParts(item['content'], `${param}.content`, ['input_text']));
          return;
        }
        if (role === 'assistant') {
          toolTurnOpen = false;
          assistantTurn().content.push(...textParts(item['content'], `${param}.content`, ['output_text', 'refusal', 'input_text']));
          return;
        }
        if (role !== 'user') throw invalid(`\`${param}.role\` must be user, assistant, system or developer.`, `${param}.role`);
        const content = typeof item['content'] === 'string' ? [{ type: 'text' as const, text: item['content'] }] : Array.isArray(item['content']) ? item['content'].map((p, j) => userPart(p, `${param}.content[${j}]`)) : undefined;
        if (content === undefined) throw invalid(`\`${param}.content\` must be a string or an array of parts.`, `${param}.content`);
        const tail = last();
        if (toolTurnOpen && tail?.role === 'user') tail.content.push(...content);
        else messages.push({ role: 'user', content });
        toolTurnOpen = false;
        return;
      }
      case 'function_call': {
        const callId = str(item['call_id']);
        const name = str(item['name']);
        if (callId === undefined || name === undefined) throw invalid(`\`${param}\` needs call_id and name.`, param);
        toolTurnOpen = false;
        const namespace = str(item['namespace']);
        const call = toolCallFromArgumentText(callId, name, item['arguments']);
        assistantTurn().content.push(namespace === undefined ? call : { ...call, namespace });
        return;
      }
      case 'custom_tool_call': {
        const callId = str(item['call_id']);
        const name = str(item['name']);
        const input = str(item['input']);
        if (callId === undefined || name === undefined || input === undefined) throw invalid(`\`${param}\` needs call_id, name and input.`, param);
        toolTurnOpen = false;
        const namespace = str(item['namespace']);
        const call = freeformCall(callId, name, input);
        assistantTurn().content.push(namespace === undefined ? call : { ...call, namespace });
        return;
      }
      case 'additional_tools':
        // Tools the client makes available from this point of the conversation on (Codex's code-mode models send all
        // theirs this way). The model only writes the next turn, so offering them with the request's tools is the same.
        tools.push(...decodeTools(item['tools'], `${param}.tools`));
        return;
      case 'web_search_call': {
        toolTurnOpen = false;
        const action = isObject(item['action']) ? item['action'] : {};
        const sources = Array.isArray(action['sources']) ? action['sources'] : [];
        assistantTurn().content.push({
          type: 'web-search',
          id: str(item['id']) ?? '',
          query: str(action['query']) ?? '',
          sources: sources.flatMap((source) => (isObject(source) && typeof source['url'] === 'string' ? [{ url: source['url'] }] : [])),
          format: FORMAT,
          raw: [item],
        });
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = str(item['call_id']);
        if (callId === undefined) throw invalid(`\`${param}.call_id\` is required.`, `${param}.call_id`);
        const output = item['output'];
        const content = typeof output === 'string' ? [{ type: 'text' as const, text: output }] : Array.isArray(output) ? output.map((p, j) => userPart(p, `${param}.output[${j}]`)) : [];
        const result: UserPart = {
          type: 'tool-result',
          toolCallId: callId,
          content: content.flatMap((p) => (p.type === 'text' || p.type === 'image' || p.type === 'document' ? [p] : [])),
          isError: false,
        };
        const tail = last();
        if (toolTurnOpen && tail?.role === 'user') tail.content.push(result);
        else messages.push({ role: 'user', content: [result] });
        toolTurnOpen = true;
        return;
      }
      case 'reasoning': {
        const summary = Array.isArray(item['summary']) ? item['summary'] : [];
        const text = summary.map((s) => (isObject(s) ? (str(s['text']) ?? '') : '')).join('\n\n');
        const carried = readCarried(item['encrypted_content']);
        const part: AssistantPart =
          carried?.kind === 'redacted'
            ? { type: 'redacted-thinking', data: carried.value }
            : { type: 'thinking', text, ...(carried?.kind === 'signature' ? { signature: carried.value } : {}) };
        toolTurnOpen = false;
        assistantTurn().content.push(part);
        return;
      }
      case 'item_reference':
        // Points at an earlier output item: the provider resolves it, or the gateway from its store when it translates.
        toolTurnOpen = false;
        assistantTurn().content.push({ type: 'foreign', format: FORMAT, label: 'item_reference', raw: { type: 'item_reference', id: item['id'] } });
        return;
      default:
        assertNever(type);
    }
  });
  return messages;
}

/** OpenAI's hosted web search, under each name it has had. */
const WEB_SEARCH_TOOLS = new Set(['web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11']);

function decodeTools(value: unknown, listParam: string): ToolDefinition[] {
  return objectList(value, listParam, (tool, param): ToolDefinition[] => {
    const type = str(tool['type']);
    if (type === 'function') return [namedFunction(tool, param)];
    if (type === 'custom') return [freeformTool(toolName(tool, param), tool)];
    // A namespace groups ordinary client tools (Codex's multi_agent_v1, MCP servers): each stays a function.
    if (type === 'namespace') {
      const namespace = str(tool['name']);
      if (namespace === undefined || namespace === '') throw invalid(`\`${param}.name\` is required.`, `${param}.name`);
      return objectList(tool['tools'], `${param}.tools`, (inner, at): ToolDefinition => {
        if (inner['type'] === 'function') return { ...namedFunction(inner, at), namespace };
        if (inner['type'] === 'custom') return { ...freeformTool(toolName(inner, at), inner), namespace };
        return { type: 'foreign', format: FORMAT, name: `${namespace}.${str(inner['name']) ?? str(inner['type']) ?? 'tool'}`, raw: inner };
      });
    }
    if (type !== undefined && WEB_SEARCH_TOOLS.has(type)) return [webSearchTool(type, tool)];
    return [{ type: 'foreign', format: FORMAT, name: str(tool['name']) ?? type ?? 'tool', raw: tool }];
  }).flat();
}

function toolName(tool: JsonObject, param: string): string {
  const name = str(tool['name']);
  if (name === undefined || name === '') throw invalid(`\`${param}.name\` is required.`, `${param}.name`);
  return name;
}

function namedFunction(tool: JsonObject, param: string): FunctionTool {
  return functionTool(toolName(tool, param), tool, 'parameters');
}

function webSearchTool(name: string, tool: JsonObject): WebSearchTool {
  const filters = isObject(tool['filters']) ? tool['filters'] : {};
  const domains = Array.isArray(filters['allowed_domains']) ? filters['allowed_domains'].filter((d): d is string => typeof d === 'string') : undefined;
  const location = isObject(tool['user_location']) ? tool['user_location'] : undefined;
  const place: NonNullable<WebSearchTool['userLocation']> = {};
  for (const key of ['city', 'region', 'country', 'timezone'] as const) {
    const v = str(location?.[key]);
    if (v !== undefined) place[key] = v;
  }
  return {
    type: 'web-search',
    name,
    ...(domains === undefined || domains.length === 0 ? {} : { allowedDomains: domains }),
    ...(Object.keys(place).length === 0 ? {} : { userLocation: place }),
    raw: tool,
  };
}

function decodeToolChoice(value: unknown, tools: ToolDefinition[], extensions: FormatField[]): { choice: ToolChoice | undefined; tools: ToolDefinition[] } {
  if (value === undefined || value === null) return { choice: undefined, tools };
  if (value === 'auto' || value === 'none' || value === 'required') return { choice: { type: value }, tools };
  if (isObject(value)) {
    if ((value['type'] === 'function' || value['type'] === 'custom') && typeof value['name'] === 'string') return { choice: { type: 'tool', name: value['name'] }, tools };
    if (value['type'] === 'allowed_tools') {
      const list = Array.isArray(value['tools']) ? value['tools'] : [];
      const names = new Set(list.flatMap((t) => (isObject(t) && typeof t['name'] === 'string' ? [t['name']] : [])));
      return { choice: { type: value['mode'] === 'required' ? 'required' : 'auto' }, tools: tools.filter((t) => names.has(t.name)) };
    }
    // A hosted-tool choice: only an OpenAI upstream can honour it.
    extensions.push({ format: FORMAT, path: 'tool_choice', value, policy: 'contract' });
    return { choice: undefined, tools };
  }
  throw invalid('`tool_choice` must be none, auto, required or an object.', 'tool_choice');
}
