/**
 * CanonicalRequest → OpenAI Chat Completions body (spec §4, B→A and C→A directions).
 */
import { assertNever } from '../../core/assert-never.js';
import { openAIEffort } from '../shared/reasoning.js';
import type { EncodeRequestOptions, Encoded } from '../codec.js';
import type {
  AssistantMessage,
  CanonicalRequest,
  DocumentPart,
  ImagePart,
  ToolResultPart,
  UserMessage,
  UserPart,
} from '../canonical.js';
import { FieldPolicy } from '../shared/field-policy.js';
import { isObject, type JsonObject } from '../shared/json.js';
import { toDataUrl } from '../shared/media.js';
import { openAIJsonSchemaSpec } from '../shared/openai-response-format.js';
import { pathFor } from '../shared/paths.js';
import { OPENAI_TOOL_NAME_MAX, sanitizeToolName, upstreamToolName } from '../shared/tool-names.js';
import type {
  OpenAIChatMessage,
  OpenAIChatRequestBody,
  OpenAIContentPart,
  OpenAIFunctionCall,
  OpenAIFunctionTool,
  OpenAITextPart,
} from './shapes.js';

const FORMAT = 'openai-chat';
const MAX_STOP_SEQUENCES = 4;
/** Marks a failed tool result, since OpenAI tool messages have no error flag (spec §4.3 B→A ⚠). */
export const TOOL_ERROR_MARKER = '[tool error] ';

interface Context {
  policy: FieldPolicy;
  request: CanonicalRequest;
  messagesPath: string;
}

export function encodeOpenAIChatRequest(request: CanonicalRequest, options: EncodeRequestOptions): Encoded<OpenAIChatRequestBody> {
  const policy = new FieldPolicy(options.strict);
  const ctx: Context = { policy, request, messagesPath: pathFor(request.source, 'messages') };
  const body: OpenAIChatRequestBody = { model: options.model, messages: encodeMessages(ctx) };

  if (request.maxTokens !== undefined) body.max_completion_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) policy.soft(pathFor(request.source, 'topK'), 'OpenAI has no top_k');
  if (request.stopSequences.length > MAX_STOP_SEQUENCES) {
    throw policy.reject(pathFor(request.source, 'stopSequences'), `OpenAI accepts at most ${MAX_STOP_SEQUENCES} stop sequences`);
  }
  if (request.stopSequences.length > 0) body.stop = request.stopSequences;
  if (request.stream) {
    body.stream = true;
    // Always ask for usage upstream; the stream encoder strips it when the client did not ask (spec §4.1).
    body.stream_options = { include_usage: true };
  }

  const tools = encodeTools(ctx);
  if (tools.length > 0) body.tools = tools;
  const choice = request.toolChoice;
  if (choice !== undefined) {
    body.tool_choice =
      choice.type === 'tool'
        ? { type: 'function', function: { name: sanitizeToolName(choice.name, OPENAI_TOOL_NAME_MAX) } }
        : choice.type;
  }
  if (request.parallelToolCalls !== undefined && tools.length > 0) body.parallel_tool_calls = request.parallelToolCalls;

  const effort = openAIEffort(request.reasoning);
  if (effort !== undefined) body.reasoning_effort = effort;

  const format = request.responseFormat;
  if (format !== undefined) {
    body.response_format =
      format.type === 'json_schema' ? { type: 'json_schema', json_schema: openAIJsonSchemaSpec(format) } : { type: format.type };
  }
  if (request.user !== undefined) body.user = request.user;

  for (const field of request.extensions) {
    if (field.format !== FORMAT) {
      policy.foreign(field);
    } else if (field.path === 'stream_options.include_obfuscation') {
      if (body.stream_options !== undefined) body.stream_options = { ...body.stream_options, include_obfuscation: field.value };
    } else {
      body[field.path] = field.value;
    }
  }
  return { body, dropped: policy.dropped };
}


function encodeTools(ctx: Context): (OpenAIFunctionTool | JsonObject)[] {
  return ctx.request.tools.flatMap((tool): (OpenAIFunctionTool | JsonObject)[] => {
    switch (tool.type) {
      case 'foreign':
        return ctx.policy.foreignTool(tool, FORMAT);
      case 'web-search':
        // Chat Completions searches only with dedicated search models (web_search_options), never as a tool.
        ctx.policy.dropTool(tool.name);
        return [];
      case 'function':
        if (tool.cacheControl !== undefined) ctx.policy.hint('tools[].cache_control');
        return [
          {
            type: 'function',
            function: {
              name: upstreamToolName(tool, OPENAI_TOOL_NAME_MAX),
              ...(tool.description === undefined ? {} : { description: tool.description }),
              parameters: tool.inputSchema,
              ...(tool.strict === undefined ? {} : { strict: tool.strict }),
            },
          },
        ];
      default:
        return assertNever(tool);
    }
  });
}

function encodeMessages(ctx: Context): OpenAIChatMessage[] {
  const out: OpenAIChatMessage[] = [];
  const { request, policy } = ctx;
  if (request.system.length > 0) {
    if (request.system.some((b) => b.cacheControl !== undefined)) policy.hint(`${pathFor(request.source, 'system')}[].cache_control`);
    const [only] = request.system;
    out.push({
      role: 'system',
      content: request.system.length === 1 && only !== undefined ? only.text : request.system.map((b) => ({ type: 'text', text: b.text })),
    });
  }
  // Tool calls of the previous assistant turn still waiting for a result (OpenAI rejects gaps and orphans).
  let pending: string[] = [];
  request.messages.forEach((message, i) => {
    const at = `${ctx.messagesPath}[${i}]`;
    if (message.role === 'assistant') {
      flushMissing(ctx, out, pending, at);
      const encoded = encodeAssistant(ctx, message, at);
      pending = encoded.callIds;
      out.push(encoded.message);
      return;
    }
    pending = encodeUser(ctx, out, message, pending, at);
  });
  return out;
}

function flushMissing(ctx: Context, out: OpenAIChatMessage[], pending: string[], at: string): void {
  if (pending.length === 0) return;
  ctx.policy.soft(`${at}`, 'tool calls without a result; a placeholder result was added');
  for (const id of pending) out.push({ role: 'tool', tool_call_id: id, content: '(no result)' });
}

function encodeAssistant(ctx: Context, message: AssistantMessage, at: string): { message: OpenAIChatMessage; callIds: string[] } {
  const texts: string[] = [];
  const calls: (OpenAIFunctionCall | JsonObject)[] = [];
  const extra: JsonObject = {};
  message.content.forEach((part, j) => {
    switch (part.type) {
      case 'text':
        texts.push(part.text);
        if (part.cacheControl !== undefined) ctx.policy.hint(`${ctx.messagesPath}[].cache_control`);
        return;
      case 'thinking':
      case 'redacted-thinking':
        // OpenAI cannot take thinking history (spec §4.3 B→A 2).
        ctx.policy.hint(`${ctx.messagesPath}[].content[].thinking`);
        return;
      case 'tool-call':
        calls.push({
          id: part.id,
          type: 'function',
          function: { name: upstreamToolName(part, OPENAI_TOOL_NAME_MAX), arguments: part.invalidArguments ?? JSON.stringify(part.input) },
        });
        return;
      case 'web-search':
        ctx.policy.soft(`${at}.content[${j}]`, 'a web search the provider ran cannot be replayed to OpenAI Chat');
        return;
      case 'foreign':
        if (part.format !== FORMAT) throw ctx.policy.reject(`${at}.content[${j}]`, `\`${part.label}\` has no OpenAI equivalent`);
        if (isObject(part.raw) && part.raw['type'] === 'custom') calls.push(part.raw);
        else if (isObject(part.raw)) Object.assign(extra, part.raw);
        return;
      default:
        assertNever(part);
    }
  });
  const [onlyText] = texts;
  const content = texts.length === 0 ? (calls.length > 0 ? null : '') : texts.length === 1 && onlyText !== undefined ? onlyText : texts.map((text): OpenAITextPart => ({ type: 'text', text }));
  return {
    message: {
      role: 'assistant',
      content,
      ...(calls.length > 0 ? { tool_calls: calls } : {}),
      ...(message.name === undefined ? {} : { name: message.name }),
      ...extra,
    },
    callIds: calls.flatMap((c) => (typeof c.id === 'string' ? [c.id] : [])),
  };
}

/** Tool results become `tool` messages before the user's remaining content (spec §4.3 B→A 1). */
function encodeUser(ctx: Context, out: OpenAIChatMessage[], message: UserMessage, pending: string[], at: string): string[] {
  const results = message.content.filter((p): p is ToolResultPart => p.type === 'tool-result');
  const rest = message.content.filter((p) => p.type !== 'tool-result');
  const stillPending = [...pending];
  const carried: OpenAIContentPart[] = [];
  for (const result of results) {
    const k = stillPending.indexOf(result.toolCallId);
    if (k < 0) {
      // A result for no call in the previous turn: OpenAI rejects it, so it travels as user text.
      ctx.policy.soft(`${at}.content`, `tool result ${result.toolCallId} answers no preceding tool call`);
      carried.push({ type: 'text', text: `[result of tool call ${result.toolCallId}]\n${toolText(result)}` });
      continue;
    }
    stillPending.splice(k, 1);
    if (result.cacheControl !== undefined) ctx.policy.hint(`${ctx.messagesPath}[].cache_control`);
    out.push({ role: 'tool', tool_call_id: result.toolCallId, content: toolText(result) });
    // Tool messages carry text only: images and documents move to the following user message.
    const media = result.content.filter((p): p is ImagePart | DocumentPart => p.type !== 'text');
    if (media.length > 0) {
      carried.push({ type: 'text', text: `[attachments from tool call ${result.toolCallId}]` });
      media.forEach((p, j) => carried.push(encodeUserPart(ctx, p, `${at}.content[].content[${j}]`)));
    }
  }
  flushMissing(ctx, out, stillPending, at);
  const parts = [...carried, ...rest.map((p, j) => encodeUserPart(ctx, p, `${at}.content[${j}]`))];
  if (parts.length === 0) return [];
  const [only] = parts;
  const onlyText = only?.type === 'text' && typeof only.text === 'string' ? only.text : undefined;
  const content = parts.length === 1 && onlyText !== undefined && rest.length === parts.length ? onlyText : parts;
  out.push({ role: 'user', content, ...(message.name === undefined ? {} : { name: message.name }) });
  return [];
}

function toolText(result: ToolResultPart): string {
  const text = result.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  return result.isError ? `${TOOL_ERROR_MARKER}${text}` : text;
}

function encodeUserPart(ctx: Context, part: Exclude<UserPart, ToolResultPart>, at: string): OpenAIContentPart {
  if (part.type !== 'foreign' && part.cacheControl !== undefined) ctx.policy.hint(`${ctx.messagesPath}[].cache_control`);
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const src = part.source;
      if (src.kind === 'file') throw ctx.policy.reject(at, 'provider file ids cannot cross providers');
      const url = src.kind === 'url' ? src.url : toDataUrl(src.mediaType, src.data);
      return { type: 'image_url', image_url: { url, ...(part.detail === undefined ? {} : { detail: part.detail }) } };
    }
    case 'document': {
      const src = part.source;
      if (src.kind === 'text') return { type: 'text', text: src.data };
      if (src.kind === 'base64') {
        return { type: 'file', file: { file_data: toDataUrl(src.mediaType, src.data), filename: part.title ?? 'document.pdf' } };
      }
      if (src.kind === 'file' && ctx.request.source === FORMAT) {
        return { type: 'file', file: { file_id: src.fileId, ...(part.title === undefined ? {} : { filename: part.title }) } };
      }
      throw ctx.policy.reject(at, src.kind === 'url' ? 'OpenAI chat cannot fetch documents by URL' : 'provider file ids cannot cross providers');
    }
    case 'foreign':
      if (part.format === FORMAT && isObject(part.raw)) return part.raw;
      throw ctx.policy.reject(at, `\`${part.label}\` has no OpenAI equivalent`);
    default:
      return assertNever(part);
  }
}
