/**
 * CanonicalRequest → Gemini `generateContent` body. The model and the stream flag are not in the body: they are the
 * URL (`/models/{model}:streamGenerateContent?alt=sse`), which the provider adapter builds.
 *
 * - System text → `systemInstruction`; user/assistant → `user`/`model` turns, consecutive turns of one role merged
 *   (Gemini wants a function call's turn to follow a user or function-response turn).
 * - Tool calls → `functionCall`, results → `functionResponse` named after their call (Gemini pairs them by name and
 *   order; call ids are not sent, since Gemini issues none of its own for most models).
 * - A thinking part → a `thought` part with its `thoughtSignature`; an empty signed thinking part is the signature of
 *   the part after it (the way the decoders read Gemini's signatures on function calls and text).
 * - Reasoning → `generationConfig.thinkingConfig` (a budget; `-1` lets the model decide; `0` turns it off).
 */
import { assertNever } from '../../core/assert-never.js';
import type {
  AssistantPart,
  CanonicalRequest,
  DocumentPart,
  ImagePart,
  ReasoningConfig,
  ToolResultPart,
  UserPart,
} from '../canonical.js';
import type { EncodeRequestOptions, Encoded } from '../codec.js';
import { FieldPolicy } from '../shared/field-policy.js';
import { invalid, isObject, type JsonObject } from '../shared/json.js';
import { parseDataUrl } from '../shared/media.js';
import { pathFor } from '../shared/paths.js';
import { OPENAI_TOOL_NAME_MAX, upstreamToolName } from '../shared/tool-names.js';
import { THINKING_BUDGET } from '../anthropic-messages/encode-request.js';
import { modelTurnParts } from './model-parts.js';
import { toGeminiSchema } from './schema.js';
import type {
  GeminiContent,
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiRequestBody,
  GeminiRole,
  GeminiThinkingConfig,
  GeminiTool,
} from './shapes.js';

const FORMAT = 'gemini';
/** Gemini function names: letters, digits, `_ . : -`, at most 64. */
export const GEMINI_TOOL_NAME_MAX = OPENAI_TOOL_NAME_MAX;
/** Files uploaded through the Gemini Files API are the only URLs `fileData` takes on every model. */
const FILES_API = 'https://generativelanguage.googleapis.com/';

export function encodeGeminiRequest(request: CanonicalRequest, options: EncodeRequestOptions): Encoded<GeminiRequestBody> {
  const policy = new FieldPolicy(options.strict);
  const names = new Map<string, string>();
  for (const message of request.messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) if (part.type === 'tool-call') names.set(part.id, upstreamToolName(part, GEMINI_TOOL_NAME_MAX));
  }

  const contents: GeminiContent[] = [];
  const push = (role: GeminiRole, parts: (GeminiPart | JsonObject)[]): void => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last !== undefined && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  request.messages.forEach((message, i) => {
    const at = `${pathFor(request.source, 'messages')}[${i}]`;
    if (message.role === 'user') push('user', message.content.flatMap((part) => userPart(part, names, policy, at)));
    else push('model', assistantParts(message.content, policy, at));
  });

  if (options.model.startsWith('gemini-3')) signFunctionCallTurns(contents);
  const body: GeminiRequestBody = { contents };
  const system = request.system.map((p) => p.text).filter((t) => t !== '');
  if (system.length > 0) body.systemInstruction = { parts: system.map((text) => ({ text })) };

  const declarations: GeminiFunctionDeclaration[] = [];
  const foreignTools: JsonObject[] = [];
  for (const tool of request.tools) {
    switch (tool.type) {
      case 'function': {
        const schema = toGeminiSchema(tool.inputSchema);
        const hasArgs = isObject(schema['properties']) && Object.keys(schema['properties']).length > 0;
        declarations.push({
          name: upstreamToolName(tool, GEMINI_TOOL_NAME_MAX),
          ...(tool.description === undefined || tool.description === '' ? {} : { description: tool.description }),
          // Gemini refuses an OBJECT without properties: a tool without arguments has no `parameters`.
          ...(hasArgs ? { parameters: schema } : {}),
        });
        if (tool.strict === true) policy.hint('tools.strict');
        break;
      }
      case 'web-search':
        policy.dropTool(tool.name);
        break;
      case 'foreign':
        foreignTools.push(...policy.foreignTool(tool, FORMAT));
        break;
      default:
        assertNever(tool);
    }
  }
  const tools: GeminiTool[] = [...(declarations.length > 0 ? [{ functionDeclarations: declarations }] : []), ...foreignTools];
  if (tools.length > 0) body.tools = tools;

  const choice = request.toolChoice;
  if (choice !== undefined && declarations.length > 0) {
    switch (choice.type) {
      case 'auto':
        body.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
        break;
      case 'required':
        body.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
        break;
      case 'none':
        body.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
        break;
      case 'tool':
        body.toolConfig = {
          functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [upstreamToolName({ name: choice.name }, GEMINI_TOOL_NAME_MAX)] },
        };
        break;
      default:
        assertNever(choice);
    }
  }
  if (request.parallelToolCalls === false) policy.soft('parallel_tool_calls', 'Gemini cannot be told to call one function at a time');

  const config: GeminiGenerationConfig = {};
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.maxTokens !== undefined) config.maxOutputTokens = request.maxTokens;
  if (request.stopSequences.length > 0) config.stopSequences = request.stopSequences;
  const format = request.responseFormat;
  if (format !== undefined && format.type !== 'text') {
    config.responseMimeType = 'application/json';
    if (format.type === 'json_schema') config.responseSchema = toGeminiSchema(format.schema);
  }
  const thinking = thinkingConfig(request.reasoning, request.maxTokens);
  if (thinking !== undefined) config.thinkingConfig = thinking;

  for (const field of request.extensions) {
    if (field.format === FORMAT) restoreOwnField(body, config, field.path, field.value);
    else policy.foreign(field);
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;
  if (request.user !== undefined) policy.hint(pathFor(request.source, 'user'));
  return { body, dropped: policy.dropped };
}

/**
 * Gemini 3 refuses a function call turn whose first call carries no thought signature, which every history that did
 * not come from Gemini lacks (an OpenAI Chat client has nowhere to keep one). Google documents this sentinel for
 * such histories; a real signature is never replaced.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

function signFunctionCallTurns(contents: GeminiContent[]): void {
  for (const content of contents) {
    if (content.role !== 'model') continue;
    const at = content.parts.findIndex((part) => isObject(part['functionCall']));
    const part = content.parts[at];
    if (part !== undefined && typeof part['thoughtSignature'] !== 'string') content.parts[at] = { ...part, thoughtSignature: SKIP_SIGNATURE };
  }
}

/** A Gemini client's own field without a canonical counterpart goes back where it came from. */
function restoreOwnField(body: GeminiRequestBody, config: GeminiGenerationConfig, path: string, value: unknown): void {
  const prefix = 'generationConfig.';
  if (path.startsWith(prefix)) config[path.slice(prefix.length)] = value;
  else body[path] = value;
}

function thinkingConfig(reasoning: ReasoningConfig | undefined, maxTokens: number | undefined): GeminiThinkingConfig | undefined {
  if (reasoning === undefined) return undefined;
  switch (reasoning.type) {
    case 'disabled':
      return { thinkingBudget: 0 };
    case 'effort': {
      const budget = THINKING_BUDGET[reasoning.effort];
      return { includeThoughts: true, thinkingBudget: maxTokens === undefined ? budget : Math.min(budget, maxTokens) };
    }
    case 'budget':
      return { includeThoughts: reasoning.display !== 'omitted', thinkingBudget: reasoning.budgetTokens };
    case 'adaptive':
      return {
        includeThoughts: reasoning.display !== 'omitted',
        thinkingBudget: reasoning.effort === undefined ? -1 : THINKING_BUDGET[reasoning.effort],
      };
    default:
      return assertNever(reasoning);
  }
}

function media(part: ImagePart | DocumentPart, at: string): GeminiPart {
  const source = part.source;
  switch (source.kind) {
    case 'base64':
      return { inlineData: { mimeType: source.mediaType, data: source.data } };
    case 'text':
      return { text: source.data };
    case 'url': {
      const data = parseDataUrl(source.url);
      if (data !== undefined) return { inlineData: { mimeType: data.mediaType, data: data.data } };
      if (source.url.startsWith(FILES_API)) return { fileData: { fileUri: source.url } };
      throw invalid(
        `Gemini does not fetch ${part.type} URLs; send the ${part.type} inline (base64 or a data: URL) or upload it to the Gemini Files API first.`,
        at,
      );
    }
    case 'file':
      if (source.fileId.startsWith('files/')) return { fileData: { fileUri: `${FILES_API}v1beta/${source.fileId}` } };
      throw invalid(`The file id \`${source.fileId}\` belongs to another provider; Gemini cannot read it.`, at);
    default:
      return assertNever(source);
  }
}

function toolResult(part: ToolResultPart, names: Map<string, string>, at: string): GeminiPart[] {
  const name = names.get(part.toolCallId);
  if (name === undefined) throw invalid(`The tool result for \`${part.toolCallId}\` answers no tool call in the conversation.`, at);
  const text = part.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
  const parsed = parseObject(text);
  const response: JsonObject = part.isError ? { error: parsed ?? text } : (parsed ?? { output: text });
  const attachments = part.content.flatMap((c) => (c.type === 'text' ? [] : [media(c, at)]));
  // Images and files a tool returned follow its response in the same turn.
  return [{ functionResponse: { name, response } }, ...attachments];
}

/** A result that is a JSON object is given to Gemini as that object (its `response` must be one). */
function parseObject(text: string): JsonObject | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    // `{"output": …}` alone would read back as a text result; it is sent wrapped instead.
    return isObject(value) && !isOwnWrapper(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isOwnWrapper(value: JsonObject): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'output' || keys[0] === 'error');
}

function userPart(part: UserPart, names: Map<string, string>, policy: FieldPolicy, at: string): (GeminiPart | JsonObject)[] {
  switch (part.type) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }];
    case 'image':
    case 'document':
      return [media(part, at)];
    case 'tool-result':
      return toolResult(part, names, at);
    case 'foreign':
      if (part.format === FORMAT && isObject(part.raw)) return [part.raw];
      throw policy.reject(at, `\`${part.label}\` content has no Gemini equivalent`);
    default:
      return assertNever(part);
  }
}

function assistantParts(content: AssistantPart[], policy: FieldPolicy, at: string): (GeminiPart | JsonObject)[] {
  return modelTurnParts(content, (part) => {
    switch (part.type) {
      case 'redacted-thinking':
        policy.hint(`${at}.redacted_thinking`);
        return undefined;
      case 'tool-call':
        return { functionCall: { name: upstreamToolName(part, GEMINI_TOOL_NAME_MAX), args: part.input } };
      case 'web-search':
        policy.hint(`${at}.web_search`);
        return undefined;
      case 'foreign':
        if (part.format === FORMAT && isObject(part.raw)) return part.raw;
        throw policy.reject(at, `\`${part.label}\` content has no Gemini equivalent`);
      default:
        return assertNever(part);
    }
  });
}
