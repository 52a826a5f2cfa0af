/** CanonicalRequest → OpenAI Responses body, always stateless (`store:false`). */
import { assertNever } from '../../core/assert-never.js';
import { openAIEffort } from '../shared/reasoning.js';
import type { EncodeRequestOptions, Encoded } from '../codec.js';
import type { AssistantMessage, CanonicalRequest, ToolResultPart, UserMessage, UserPart } from '../canonical.js';
import { FieldPolicy } from '../shared/field-policy.js';
import { isObject, type JsonObject } from '../shared/json.js';
import { toDataUrl } from '../shared/media.js';
import { openAIJsonSchemaSpec } from '../shared/openai-response-format.js';
import { pathFor } from '../shared/paths.js';
import { OPENAI_TOOL_NAME_MAX, sanitizeToolName, upstreamToolName } from '../shared/tool-names.js';
import { TOOL_ERROR_MARKER } from '../openai-chat/encode-request.js';
import type {
  ResponsesFunctionTool,
  ResponsesInputContent,
  ResponsesInputItem,
  ResponsesOutputText,
  ResponsesRequestBody,
} from './shapes.js';

const FORMAT = 'openai-responses';

interface Context {
  policy: FieldPolicy;
  request: CanonicalRequest;
  messagesPath: string;
}

export function encodeResponsesRequest(request: CanonicalRequest, options: EncodeRequestOptions): Encoded<ResponsesRequestBody> {
  const policy = new FieldPolicy(options.strict);
  const ctx: Context = { policy, request, messagesPath: pathFor(request.source, 'messages') };
  const input: ResponsesInputItem[] = [];
  const [onlySystem] = request.system;
  const instructions = request.system.length === 1 && onlySystem !== undefined ? onlySystem.text : undefined;
  if (request.system.length > 1) input.push({ type: 'message', role: 'system', content: request.system.map((b) => ({ type: 'input_text', text: b.text })) });
  if (request.system.some((b) => b.cacheControl !== undefined)) policy.hint(`${pathFor(request.source, 'system')}[].cache_control`);
  request.messages.forEach((message, i) => {
    const at = `${ctx.messagesPath}[${i}]`;
    if (message.role === 'assistant') encodeAssistant(ctx, input, message, at);
    else encodeUser(ctx, input, message, at);
  });
  // The gateway never relies on server-side state (spec §3.1).
  const body: ResponsesRequestBody = { model: options.model, ...(instructions === undefined ? {} : { instructions }), input, store: false };

  if (request.maxTokens !== undefined) body.max_output_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) policy.soft(pathFor(request.source, 'topK'), 'the Responses API has no top_k');
  if (request.stopSequences.length > 0) policy.soft(pathFor(request.source, 'stopSequences'), 'the Responses API has no stop sequences');
  if (request.stream) body.stream = true;

  const tools = request.tools.flatMap((tool): (ResponsesFunctionTool | JsonObject)[] => {
    switch (tool.type) {
      case 'foreign':
        return policy.foreignTool(tool, FORMAT);
      case 'web-search':
        return [tool.raw];
      case 'function':
        if (tool.cacheControl !== undefined) policy.hint('tools[].cache_control');
        return [
          {
            type: 'function',
            name: upstreamToolName(tool, OPENAI_TOOL_NAME_MAX),
            ...(tool.description === undefined ? {} : { description: tool.description }),
            parameters: tool.inputSchema,
            strict: tool.strict ?? false,
          },
        ];
      default:
        return assertNever(tool);
    }
  });
  if (tools.length > 0) body.tools = tools;
  const choice = request.toolChoice;
  if (choice !== undefined) body.tool_choice = choice.type === 'tool' ? { type: 'function', name: sanitizeToolName(choice.name, OPENAI_TOOL_NAME_MAX) } : choice.type;
  if (request.parallelToolCalls !== undefined && tools.length > 0) body.parallel_tool_calls = request.parallelToolCalls;
  const effort = openAIEffort(request.reasoning);
  if (effort !== undefined) body.reasoning = { effort };
  const format = request.responseFormat;
  if (format !== undefined) {
    body.text = { format: format.type === 'json_schema' ? { type: 'json_schema', ...openAIJsonSchemaSpec(format) } : { type: format.type } };
  }
  if (request.user !== undefined) body.user = request.user;

  for (const field of request.extensions) {
    if (field.format !== FORMAT) {
      policy.foreign(field);
      continue;
    }
    const [head, tail] = field.path.split('.') as [string, string | undefined];
    if (tail === undefined) body[head] = field.value;
    else body[head] = { ...(isObject(body[head]) ? body[head] : {}), [tail]: field.value };
  }
  return { body, dropped: policy.dropped };
}

function encodeAssistant(ctx: Context, input: ResponsesInputItem[], message: AssistantMessage, at: string): void {
  let texts: ResponsesOutputText[] = [];
  const flush = (): void => {
    if (texts.length > 0) input.push({ type: 'message', role: 'assistant', content: texts });
    texts = [];
  };
  message.content.forEach((part, j) => {
    switch (part.type) {
      case 'text':
        texts.push({ type: 'output_text', text: part.text, annotations: [] });
        return;
      case 'thinking':
      case 'redacted-thinking':
        // OpenAI cannot verify another provider's reasoning; history thinking is dropped (spec §4.5).
        ctx.policy.hint(`${ctx.messagesPath}[].content[].thinking`);
        return;
      case 'tool-call':
        flush();
        input.push({ type: 'function_call', call_id: part.id, name: upstreamToolName(part, OPENAI_TOOL_NAME_MAX), arguments: part.invalidArguments ?? JSON.stringify(part.input) });
        return;
      case 'web-search':
        if (part.format !== FORMAT) {
          ctx.policy.soft(`${at}.content[${j}]`, 'a web search another provider ran cannot be replayed to OpenAI');
          return;
        }
        flush();
        input.push(...part.raw.filter(isObject));
        return;
      case 'foreign':
        if (part.format !== FORMAT) throw ctx.policy.reject(`${at}.content[${j}]`, `\`${part.label}\` has no Responses equivalent`);
        flush();
        input.push(part.raw as JsonObject);
        return;
      default:
        assertNever(part);
    }
  });
  flush();
}

function encodeUser(ctx: Context, input: ResponsesInputItem[], message: UserMessage, at: string): void {
  const parts: ResponsesInputContent[] = [];
  for (const [j, part] of message.content.entries()) {
    if (part.type === 'tool-result') {
      input.push({ type: 'function_call_output', call_id: part.toolCallId, output: toolOutput(ctx, part, `${at}.content[${j}]`) });
      continue;
    }
    parts.push(encodePart(ctx, part, `${at}.content[${j}]`));
  }
  if (parts.length > 0) input.push({ type: 'message', role: 'user', content: parts });
}

function toolOutput(ctx: Context, result: ToolResultPart, at: string): string | ResponsesInputContent[] {
  const marker: ResponsesInputContent[] = result.isError ? [{ type: 'input_text', text: TOOL_ERROR_MARKER.trim() }] : [];
  const [only] = result.content;
  if (result.content.length === 1 && only?.type === 'text' && !result.isError) return only.text;
  if (result.content.every((p) => p.type === 'text')) return `${result.isError ? TOOL_ERROR_MARKER : ''}${result.content.map((p) => (p.type === 'text' ? p.text : '')).join('\n')}`;
  return [...marker, ...result.content.map((p, k) => encodePart(ctx, p, `${at}.content[${k}]`))];
}

function encodePart(ctx: Context, part: Exclude<UserPart, ToolResultPart>, at: string): ResponsesInputContent {
  if (part.type !== 'foreign' && part.cacheControl !== undefined) ctx.policy.hint(`${ctx.messagesPath}[].cache_control`);
  switch (part.type) {
    case 'text':
      return { type: 'input_text', text: part.text };
    case 'image': {
      const src = part.source;
      const detail = part.detail ?? 'auto';
      if (src.kind === 'file') {
        if (ctx.request.source !== FORMAT) throw ctx.policy.reject(at, 'provider file ids cannot cross providers');
        return { type: 'input_image', file_id: src.fileId, detail };
      }
      return { type: 'input_image', image_url: src.kind === 'url' ? src.url : toDataUrl(src.mediaType, src.data), detail };
    }
    case 'document': {
      const src = part.source;
      const filename = part.title === undefined ? {} : { filename: part.title };
      switch (src.kind) {
        case 'text':
          return { type: 'input_text', text: src.data };
        case 'base64':
          return { type: 'input_file', file_data: toDataUrl(src.mediaType, src.data), filename: part.title ?? 'document.pdf' };
        case 'url':
          return { type: 'input_file', file_url: src.url, ...filename };
        case 'file':
          if (ctx.request.source !== FORMAT) throw ctx.policy.reject(at, 'provider file ids cannot cross providers');
          return { type: 'input_file', file_id: src.fileId, ...filename };
        default:
          return assertNever(src);
      }
    }
    case 'foreign':
      if (part.format === FORMAT && isObject(part.raw)) return part.raw;
      throw ctx.policy.reject(at, `\`${part.label}\` has no Responses equivalent`);
    default:
      return assertNever(part);
  }
}
