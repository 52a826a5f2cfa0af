/**
 * CanonicalRequest → Anthropic Messages body (spec §4, A→B and C→B directions). Applies the pitfalls
 * Anthropic enforces: no empty text blocks (1), tool results first and right after their calls (2, 3),
 * sanitised tool ids and names (4), signed thinking only (5), no forced tool or temperature with
 * thinking (6), a max_tokens always (12), no trailing whitespace at the end of a prefill (14), a user
 * turn first (15), image types Anthropic accepts (16), at most 4 cache breakpoints (17).
 */
import { assertNever } from '../../core/assert-never.js';
import type { EncodeRequestOptions, Encoded } from '../codec.js';
import type {
  AssistantPart,
  CacheControl,
  CanonicalRequest,
  ImagePart,
  DocumentPart,
  ReasoningEffort,
  ToolChoice,
  ToolResultPart,
  UserPart,
  WebSearchTool,
} from '../canonical.js';
import { FieldPolicy } from '../shared/field-policy.js';
import { isObject, type JsonObject } from '../shared/json.js';
import { normalizeAnthropicImageType } from '../shared/media.js';
import { pathFor } from '../shared/paths.js';
import { ANTHROPIC_TOOL_NAME_MAX, sanitizeToolId, sanitizeToolName, upstreamToolName } from '../shared/tool-names.js';
import type {
  AnthropicCacheControl,
  AnthropicContentBlock,
  AnthropicDocumentBlock,
  AnthropicDocumentSource,
  AnthropicFunctionTool,
  AnthropicImageBlock,
  AnthropicImageSource,
  AnthropicMessageParam,
  AnthropicRequestBody,
  AnthropicTextBlock,
  AnthropicThinking,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
  AnthropicWebSearchTool,
  ReceivedBlock,
} from './shapes.js';

const FORMAT = 'anthropic-messages';
const MAX_CACHE_BREAKPOINTS = 4;
const MIN_THINKING_BUDGET = 1024;

/** Thinking budgets for OpenAI-style effort levels (⚠ a configurable judgment in spirit, spec §4.5). */
export const THINKING_BUDGET: Record<ReasoningEffort, number> = {
  minimal: 1024,
  low: 4096,
  medium: 8192,
  high: 16384,
  xhigh: 24576,
  max: 32000,
};

type Message = AnthropicMessageParam;
type OutputConfig = NonNullable<AnthropicRequestBody['output_config']>;
/** The fields of a block already written, whichever type it is (a replayed block may be any). */
const fieldsOf = (block: AnthropicContentBlock): ReceivedBlock => block;

interface Context {
  policy: FieldPolicy;
  request: CanonicalRequest;
  messagesPath: string;
}

function withCache<T extends { cache_control?: AnthropicCacheControl }>(block: T, cc: CacheControl | undefined): T {
  return cc === undefined ? block : { ...block, cache_control: cc.ttl === undefined ? { type: 'ephemeral' } : { ...cc } };
}

export function encodeAnthropicRequest(request: CanonicalRequest, options: EncodeRequestOptions): Encoded<AnthropicRequestBody> {
  const policy = new FieldPolicy(options.strict);
  const ctx: Context = { policy, request, messagesPath: pathFor(request.source, 'messages') };
  const messages = encodeMessages(ctx);
  const system = request.system
    .filter((b) => {
      if (b.text !== '') return true;
      if (b.cacheControl !== undefined) policy.hint(`${pathFor(request.source, 'system')}[].cache_control`);
      return false;
    })
    .map((b) => withCache<AnthropicTextBlock>({ type: 'text', text: b.text }, b.cacheControl));

  const [onlySystem] = system;
  const body: AnthropicRequestBody = {
    model: options.model,
    ...(system.length === 1 && onlySystem !== undefined && onlySystem.cache_control === undefined
      ? { system: onlySystem.text }
      : system.length > 0
        ? { system }
        : {}),
    messages,
  };

  const tools = request.tools.flatMap((tool): AnthropicTool[] => {
    switch (tool.type) {
      case 'foreign':
        return policy.foreignTool(tool, FORMAT);
      case 'web-search':
        return [webSearchTool(tool)];
      case 'function':
        return [
          withCache<AnthropicFunctionTool>(
            {
              name: upstreamToolName(tool, ANTHROPIC_TOOL_NAME_MAX),
              ...(tool.description === undefined ? {} : { description: tool.description }),
              input_schema: tool.inputSchema,
              ...(tool.strict === undefined ? {} : { strict: tool.strict }),
            },
            tool.cacheControl,
          ),
        ];
      default:
        return assertNever(tool);
    }
  });
  if (tools.length > 0) body.tools = tools;

  const thinking = encodeThinking(ctx, body, options.defaultMaxTokens);
  encodeSampling(ctx, body, thinking);

  if (tools.length > 0) {
    const choice = request.toolChoice;
    let encodedChoice: AnthropicRequestBody['tool_choice'] = choice === undefined ? undefined : toolChoice(choice);
    if (request.parallelToolCalls === false && choice?.type !== 'none') {
      encodedChoice = { ...(encodedChoice ?? { type: 'auto' }), disable_parallel_tool_use: true };
    }
    if (encodedChoice !== undefined) body.tool_choice = encodedChoice;
  } else if (request.toolChoice !== undefined && request.toolChoice.type !== 'none' && request.toolChoice.type !== 'auto') {
    throw policy.reject('tool_choice', 'it forces a tool but no tools are defined');
  }

  if (request.stopSequences.length > 0) body.stop_sequences = request.stopSequences;
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  if (request.stream) body.stream = true;

  for (const field of request.extensions) {
    if (field.format === FORMAT) body[field.path] = field.value;
    else policy.foreign(field);
  }
  limitCacheBreakpoints(ctx, body);
  return { body, dropped: policy.dropped };
}

function toolChoice(choice: ToolChoice): AnthropicToolChoice {
  switch (choice.type) {
    case 'required':
      return { type: 'any' };
    case 'tool':
      return { type: 'tool', name: sanitizeToolName(choice.name, ANTHROPIC_TOOL_NAME_MAX) };
    case 'auto':
    case 'none':
      return { type: choice.type };
    default:
      return assertNever(choice);
  }
}

/** OpenAI's hosted web search → Anthropic's server-side one, which must be named `web_search`. */
function webSearchTool(tool: WebSearchTool): AnthropicWebSearchTool {
  const location = tool.userLocation;
  return {
    type: 'web_search_20250305',
    name: 'web_search',
    ...(tool.allowedDomains === undefined ? {} : { allowed_domains: tool.allowedDomains }),
    ...(location === undefined ? {} : { user_location: { type: 'approximate', ...location } }),
  };
}

/** Sets `thinking`, `output_config` and `max_tokens`; returns whether thinking is on. */
function encodeThinking(ctx: Context, body: AnthropicRequestBody, defaultMaxTokens: number): boolean {
  const { request, policy } = ctx;
  const reasoning = request.reasoning;
  const reasoningPath = pathFor(request.source, 'reasoning');
  const outputConfig: OutputConfig = {};
  let maxTokens = request.maxTokens ?? defaultMaxTokens;
  let thinking: AnthropicThinking | undefined;

  if (reasoning !== undefined) {
    switch (reasoning.type) {
      case 'disabled':
        if (request.source === FORMAT) thinking = { type: 'disabled' };
        break;
      case 'budget':
        thinking = { type: 'enabled', budget_tokens: reasoning.budgetTokens, ...(reasoning.display === undefined ? {} : { display: reasoning.display }) };
        break;
      case 'adaptive':
        thinking = { type: 'adaptive', ...(reasoning.display === undefined ? {} : { display: reasoning.display }) };
        if (reasoning.effort !== undefined) outputConfig.effort = reasoning.effort;
        break;
      case 'effort': {
        if (request.source === FORMAT) {
          // An Anthropic client that set output_config.effort without thinking.
          outputConfig.effort = reasoning.effort;
          break;
        }
        let budget = THINKING_BUDGET[reasoning.effort];
        if (request.maxTokens === undefined) maxTokens = Math.max(maxTokens, budget + MIN_THINKING_BUDGET);
        else budget = Math.min(budget, request.maxTokens - 1);
        if (budget < MIN_THINKING_BUDGET) {
          policy.soft(reasoningPath, `the output limit leaves no room for the minimum thinking budget of ${MIN_THINKING_BUDGET}`);
        } else {
          thinking = { type: 'enabled', budget_tokens: budget };
        }
        break;
      }
      default:
        assertNever(reasoning);
    }
  }

  const on = thinking !== undefined && thinking.type !== 'disabled';
  if (on) {
    const choice = request.toolChoice?.type;
    if (request.tools.length > 0 && (choice === 'required' || choice === 'tool')) {
      // Anthropic rejects forced tool use with thinking (pitfall 6); the forced tool is the output contract, so thinking goes.
      policy.soft(reasoningPath, 'thinking cannot be combined with a forced tool choice');
      thinking = undefined;
    } else if (request.source !== FORMAT && !lastToolTurnStartsWithThinking(request)) {
      // A tool-loop continuation must replay a signed thinking block first; clients without signatures cannot (spec §4.5).
      policy.soft(reasoningPath, 'the pending tool call has no signed thinking block to replay');
      thinking = undefined;
    }
  }
  if (thinking !== undefined) body.thinking = thinking;
  addSchemaFormat(ctx, outputConfig);
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  body.max_tokens = maxTokens;
  return thinking !== undefined && thinking.type !== 'disabled';
}

/** A JSON schema goes to output_config.format (name and strict have no counterpart); json_object is emulated elsewhere. */
function addSchemaFormat(ctx: Context, outputConfig: OutputConfig): void {
  const responseFormat = ctx.request.responseFormat;
  if (responseFormat?.type === 'json_schema') outputConfig.format = { type: 'json_schema', schema: responseFormat.schema };
}

function encodeSampling(ctx: Context, body: AnthropicRequestBody, thinking: boolean): void {
  const { request, policy } = ctx;
  if (request.responseFormat?.type === 'json_object') {
    policy.soft(pathFor(request.source, 'responseFormat'), 'json_object is emulated with a system instruction');
    const instruction: AnthropicTextBlock = { type: 'text', text: 'Respond with a single valid JSON object and nothing else.' };
    const system = body.system;
    body.system = system === undefined ? [instruction] : typeof system === 'string' ? [{ type: 'text', text: system }, instruction] : [...system, instruction];
  }
  if (request.temperature !== undefined) {
    if (thinking && request.temperature !== 1) policy.soft('temperature', 'thinking requires the default temperature');
    // Anthropic's range is 0–1; OpenAI allows up to 2 (Anthropic's own compat layer clamps the same way).
    else if (!thinking) body.temperature = Math.min(1, Math.max(0, request.temperature));
  }
  if (request.topP !== undefined) {
    if (thinking && request.topP < 0.95) policy.soft('top_p', 'thinking requires top_p of at least 0.95');
    else body.top_p = request.topP;
  }
  if (request.topK !== undefined) {
    if (thinking) policy.soft(pathFor(request.source, 'topK'), 'thinking does not allow top_k');
    else body.top_k = request.topK;
  }
}

function lastToolTurnStartsWithThinking(request: CanonicalRequest): boolean {
  const last = request.messages[request.messages.length - 1];
  if (last === undefined || last.role !== 'user' || !last.content.some((p) => p.type === 'tool-result')) return true;
  const assistant = [...request.messages].reverse().find((m) => m.role === 'assistant');
  if (assistant === undefined || !assistant.content.some((p) => p.type === 'tool-call')) return true;
  const first = assistant.content[0];
  return first !== undefined && ((first.type === 'thinking' && first.signature !== undefined && first.signature !== '') || first.type === 'redacted-thinking');
}

function encodeMessages(ctx: Context): AnthropicMessageParam[] {
  const { request, policy } = ctx;
  const built: Message[] = [];
  request.messages.forEach((message, i) => {
    const at = `${ctx.messagesPath}[${i}]`;
    const content =
      message.role === 'user'
        ? message.content.flatMap((part, j) => encodeUserPart(ctx, part, `${at}.content[${j}]`))
        : message.content.flatMap((part, j) => encodeAssistantPart(ctx, part, `${at}.content[${j}]`));
    if (message.name !== undefined) policy.hint(`${ctx.messagesPath}[].name`);
    if (content.length > 0) built.push({ role: message.role, content });
  });

  // Merge consecutive same-role turns; tool results lead their user turn (pitfalls 2, 3).
  const merged: Message[] = [];
  for (const message of built) {
    const last = merged[merged.length - 1];
    if (last !== undefined && last.role === message.role) last.content.push(...message.content);
    else merged.push({ role: message.role, content: [...message.content] });
  }
  for (const message of merged) {
    if (message.role === 'user') {
      const results = message.content.filter((b) => b.type === 'tool_result');
      message.content = [...results, ...message.content.filter((b) => b.type !== 'tool_result')];
    }
  }
  answerEveryToolCall(ctx, merged);

  const first = merged[0];
  if (first !== undefined && first.role === 'assistant') {
    policy.soft(`${ctx.messagesPath}[0].role`, 'Anthropic requires the first message to be a user turn; a placeholder was added');
    merged.unshift({ role: 'user', content: [{ type: 'text', text: '(continued)' }] });
  }
  trimFinalAssistant(merged);
  return merged.map((m) => ({ role: m.role, content: m.content }));
}

/** Every tool_use needs a tool_result in the next user turn; missing ones get an error result (spec §4.3 step 3). */
function answerEveryToolCall(ctx: Context, messages: Message[]): void {
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    const ids = message.content.map(fieldsOf).flatMap((b) => (b.type === 'tool_use' && typeof b.id === 'string' ? [b.id] : []));
    if (ids.length === 0 || i === messages.length - 1) return;
    let next = messages[i + 1];
    if (next === undefined || next.role !== 'user') {
      next = { role: 'user', content: [] };
      messages.splice(i + 1, 0, next);
    }
    const answered = new Set(next.content.map(fieldsOf).flatMap((b) => (b.type === 'tool_result' ? [b.tool_use_id] : [])));
    const missing = ids.filter((id) => !answered.has(id));
    if (missing.length === 0) return;
    ctx.policy.soft(`${ctx.messagesPath}`, 'a tool call has no result; an error result was added');
    next.content.unshift(...missing.map((id): AnthropicToolResultBlock => ({ type: 'tool_result', tool_use_id: id, content: '(no result)', is_error: true })));
  });
}

/** A final assistant turn (a prefill) must not end in whitespace (pitfall 14). */
function trimFinalAssistant(messages: Message[]): void {
  const last = messages[messages.length - 1];
  if (last === undefined || last.role !== 'assistant') return;
  const at = last.content.length - 1;
  const block = last.content[at];
  const text = block === undefined ? undefined : fieldsOf(block).text;
  if (block === undefined || block.type !== 'text' || typeof text !== 'string') return;
  const trimmed = text.trimEnd();
  if (trimmed !== '') last.content[at] = { ...block, text: trimmed };
  else last.content.pop();
  if (last.content.length === 0) messages.pop();
}

function encodeText(ctx: Context, text: string, cc: CacheControl | undefined): AnthropicTextBlock[] {
  if (text !== '') return [withCache<AnthropicTextBlock>({ type: 'text', text }, cc)];
  // Anthropic rejects empty text blocks, and cache_control on them (pitfall 1).
  if (cc !== undefined) ctx.policy.hint(`${ctx.messagesPath}[].cache_control`);
  return [];
}

function encodeMedia(ctx: Context, part: ImagePart | DocumentPart, at: string): AnthropicImageBlock | AnthropicDocumentBlock {
  if (part.type === 'image') {
    if (part.detail !== undefined) ctx.policy.hint(`${ctx.messagesPath}[].content[].${ctx.request.source === 'openai-chat' ? 'image_url.detail' : 'detail'}`);
    const src = part.source;
    let source: AnthropicImageSource;
    if (src.kind === 'base64') {
      const mediaType = normalizeAnthropicImageType(src.mediaType);
      if (mediaType === undefined) throw ctx.policy.reject(at, `image type \`${src.mediaType}\` is not one of jpeg, png, gif, webp`);
      source = { type: 'base64', media_type: mediaType, data: src.data };
    } else if (src.kind === 'url') {
      if (!src.url.startsWith('https://')) throw ctx.policy.reject(at, 'Anthropic fetches images over https only');
      source = { type: 'url', url: src.url };
    } else {
      if (ctx.request.source !== FORMAT) throw ctx.policy.reject(at, 'provider file ids cannot cross providers');
      source = { type: 'file', file_id: src.fileId };
    }
    return withCache<AnthropicImageBlock>({ type: 'image', source }, part.cacheControl);
  }
  const src = part.source;
  let source: AnthropicDocumentSource;
  switch (src.kind) {
    case 'base64':
      if (src.mediaType !== 'application/pdf') throw ctx.policy.reject(at, `document type \`${src.mediaType}\` is not supported; only PDF`);
      source = { type: 'base64', media_type: 'application/pdf', data: src.data };
      break;
    case 'text':
      source = { type: 'text', media_type: 'text/plain', data: src.data };
      break;
    case 'url':
      source = { type: 'url', url: src.url };
      break;
    case 'file':
      if (ctx.request.source !== FORMAT) throw ctx.policy.reject(at, 'provider file ids cannot cross providers');
      source = { type: 'file', file_id: src.fileId };
      break;
    default:
      return assertNever(src);
  }
  return withCache<AnthropicDocumentBlock>(
    {
      type: 'document',
      source,
      ...(part.title === undefined ? {} : { title: part.title }),
      ...(part.context === undefined ? {} : { context: part.context }),
    },
    part.cacheControl,
  );
}

function encodeToolResult(ctx: Context, part: ToolResultPart, at: string): AnthropicToolResultBlock {
  const content = part.content.flatMap((c, k): (AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock)[] => (c.type === 'text' ? encodeText(ctx, c.text, c.cacheControl) : [encodeMedia(ctx, c, `${at}.content[${k}]`)]));
  const [only] = content;
  const simple = content.length === 1 && only !== undefined && only.type === 'text' && only.cache_control === undefined;
  return withCache<AnthropicToolResultBlock>(
    {
      type: 'tool_result',
      tool_use_id: sanitizeToolId(part.toolCallId),
      ...(content.length === 0 ? {} : { content: simple ? only.text : content }),
      ...(part.isError ? { is_error: true } : {}),
    },
    part.cacheControl,
  );
}

function encodeUserPart(ctx: Context, part: UserPart, at: string): AnthropicContentBlock[] {
  switch (part.type) {
    case 'text':
      return encodeText(ctx, part.text, part.cacheControl);
    case 'image':
    case 'document':
      return [encodeMedia(ctx, part, at)];
    case 'tool-result':
      return [encodeToolResult(ctx, part, at)];
    case 'foreign':
      if (part.format === FORMAT && isObject(part.raw)) return [part.raw];
      throw ctx.policy.reject(at, `\`${part.label}\` has no Anthropic equivalent`);
    default:
      return assertNever(part);
  }
}

function encodeAssistantPart(ctx: Context, part: AssistantPart, at: string): AnthropicContentBlock[] {
  switch (part.type) {
    case 'text':
      return encodeText(ctx, part.text, part.cacheControl);
    case 'thinking':
      // Only signed thinking can be replayed, byte for byte (pitfall 5).
      if (part.signature === undefined || part.signature === '') {
        ctx.policy.hint(`${ctx.messagesPath}[].reasoning_content`);
        return [];
      }
      return [{ type: 'thinking', thinking: part.text, signature: part.signature }];
    case 'redacted-thinking':
      return [{ type: 'redacted_thinking', data: part.data }];
    case 'tool-call':
      if (part.invalidArguments !== undefined) {
        ctx.policy.soft(`${at}.function.arguments`, 'tool arguments are not a JSON object; sent as {}');
      }
      return [
        withCache<AnthropicToolUseBlock>(
          { type: 'tool_use', id: sanitizeToolId(part.id), name: upstreamToolName(part, ANTHROPIC_TOOL_NAME_MAX), input: part.input },
          part.cacheControl,
        ),
      ];
    case 'web-search':
      // Anthropic's own searches replay as they came; another provider's results cannot be handed to it.
      if (part.format === FORMAT) return part.raw.filter(isObject);
      ctx.policy.soft(at, 'a web search another provider ran cannot be replayed to Anthropic');
      return [];
    case 'foreign':
      if (part.format === FORMAT && isObject(part.raw)) return [part.raw];
      throw ctx.policy.reject(at, `\`${part.label}\` has no Anthropic equivalent`);
    default:
      return assertNever(part);
  }
}

/** Anthropic allows at most 4 cache breakpoints (pitfall 17); the latest ones cache the longest prefix, so they stay. */
function limitCacheBreakpoints(ctx: Context, body: AnthropicRequestBody): void {
  const holders: JsonObject[] = [];
  const visit = (block: unknown): void => {
    if (!isObject(block)) return;
    if (block['cache_control'] !== undefined) holders.push(block);
    if (Array.isArray(block['content'])) block['content'].forEach(visit);
  };
  body.tools?.forEach(visit);
  if (Array.isArray(body.system)) body.system.forEach(visit);
  body.messages.forEach((m) => m.content.forEach(visit));
  const excess = holders.length - MAX_CACHE_BREAKPOINTS;
  if (excess <= 0 || ctx.request.source === FORMAT) return;
  for (const block of holders.slice(0, excess)) delete block['cache_control'];
  ctx.policy.hint('cache_control');
}
