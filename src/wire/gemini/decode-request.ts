/**
 * Gemini `generateContent` body → CanonicalRequest. The model and the stream flag come from the URL, not the body:
 * the caller passes them (`GeminiTarget`). Function calls without ids get ids from their position in the
 * conversation (`call_<turn>_<part>`), and a `functionResponse` without an id answers the earliest unanswered call of
 * its name in the turn before it, which is how Gemini itself pairs them.
 */
import type {
  AssistantPart,
  CanonicalMessage,
  CanonicalRequest,
  FormatField,
  ReasoningConfig,
  ResponseFormat,
  TextPart,
  ThinkingPart,
  ToolChoice,
  ToolDefinition,
  UserPart,
} from '../canonical.js';
import type { JsonObject } from '../shared/json.js';
import { invalid, isObject, objectList, str } from '../shared/json.js';
import { untypedFields } from '../shared/request-decoding.js';
import { fromGeminiSchema } from './schema.js';

const FORMAT = 'gemini';

/** What the URL says: `/models/{model}:generateContent` or `:streamGenerateContent`. */
export interface GeminiTarget {
  model: string;
  stream: boolean;
}

const KNOWN = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'model']);
const HINTS = new Set(['safetySettings', 'labels']);
const CONTRACT = new Set(['cachedContent']);
const CONFIG_KNOWN = new Set([
  'temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'responseMimeType', 'responseSchema',
  'responseJsonSchema', 'thinkingConfig',
]);
const CONFIG_SAMPLING = new Set(['presencePenalty', 'frequencyPenalty', 'seed', 'responseLogprobs', 'logprobs']);
const CONFIG_HINTS = new Set(['mediaResolution', 'enableEnhancedCivicAnswers']);
const CONFIG_CONTRACT = new Set(['candidateCount', 'responseModalities', 'speechConfig', 'imageConfig', 'audioTimestamp']);
/** Values of contract fields that ask for nothing unusual. */
const CONFIG_DEFAULTS: JsonObject = { candidateCount: 1 };

export function decodeGeminiRequest(input: unknown, target?: GeminiTarget): CanonicalRequest {
  if (!isObject(input)) throw invalid('The request body must be a JSON object.', 'body');
  const body = input;
  const list = body['contents'];
  if (!Array.isArray(list) || list.length === 0) throw invalid('`contents` is required and must be a non-empty array.', 'contents');
  const model = target?.model ?? modelOf(body['model']);

  const extensions: FormatField[] = untypedFields(body, FORMAT, { known: KNOWN, hint: HINTS, contract: CONTRACT });
  const config = isObject(body['generationConfig']) ? body['generationConfig'] : {};
  extensions.push(
    ...untypedFields(config, FORMAT, {
      known: CONFIG_KNOWN,
      sampling: CONFIG_SAMPLING,
      hint: CONFIG_HINTS,
      contract: CONFIG_CONTRACT,
      defaults: CONFIG_DEFAULTS,
    }).map((field) => ({ ...field, path: `generationConfig.${field.path}` })),
  );
  if (Array.isArray(config['responseModalities']) && config['responseModalities'].every((m) => m === 'TEXT')) {
    const at = extensions.findIndex((f) => f.path === 'generationConfig.responseModalities');
    if (at !== -1) extensions.splice(at, 1);
  }

  const messages = decodeContents(list);
  return {
    source: FORMAT,
    model,
    stream: target?.stream ?? false,
    ...numberField(config, 'maxOutputTokens', 'maxTokens', true),
    includeUsage: false,
    system: decodeSystem(body['systemInstruction']),
    messages,
    tools: decodeTools(body['tools']),
    ...toolChoiceOf(body['toolConfig']),
    ...numberField(config, 'temperature', 'temperature'),
    ...numberField(config, 'topP', 'topP'),
    ...numberField(config, 'topK', 'topK'),
    stopSequences: stopSequences(config['stopSequences']),
    ...reasoningOf(config['thinkingConfig']),
    ...responseFormatOf(config),
    extensions,
    raw: body,
  };
}

function modelOf(value: unknown): string {
  const model = str(value)?.trim();
  if (model === undefined || model === '') throw invalid('The model is named in the URL: /v1beta/models/{model}:generateContent.', 'model');
  return model.startsWith('models/') ? model.slice(7) : model;
}

function numberField<K extends 'maxTokens' | 'temperature' | 'topP' | 'topK'>(
  config: JsonObject,
  key: string,
  as: K,
  integer = false,
): { [P in K]?: number } {
  const value = config[key];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && (!Number.isSafeInteger(value) || value < 0))) {
    throw invalid(`\`generationConfig.${key}\` must be a ${integer ? 'non-negative integer' : 'number'}.`, `generationConfig.${key}`);
  }
  return { [as]: value } as { [P in K]?: number };
}

function stopSequences(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value) && value.every((s): s is string => typeof s === 'string')) return value;
  throw invalid('`generationConfig.stopSequences` must be an array of strings.', 'generationConfig.stopSequences');
}

function decodeSystem(value: unknown): TextPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value === '' ? [] : [{ type: 'text', text: value }];
  if (!isObject(value) || !Array.isArray(value['parts'])) throw invalid('`systemInstruction` must be a content with parts.', 'systemInstruction');
  return value['parts'].flatMap((part, i): TextPart[] => {
    if (!isObject(part) || typeof part['text'] !== 'string') throw invalid(`\`systemInstruction.parts[${i}]\` must be a text part.`, `systemInstruction.parts[${i}]`);
    return part['text'] === '' ? [] : [{ type: 'text', text: part['text'] }];
  });
}

interface OpenCall {
  id: string;
  name: string;
  answered: boolean;
}

function decodeContents(list: unknown[]): CanonicalMessage[] {
  const messages: CanonicalMessage[] = [];
  let calls: OpenCall[] = [];
  list.forEach((content, i) => {
    const at = `contents[${i}]`;
    if (!isObject(content)) throw invalid(`\`${at}\` must be an object.`, at);
    const role = content['role'] ?? 'user';
    const parts = content['parts'];
    if (!Array.isArray(parts)) throw invalid(`\`${at}.parts\` must be an array.`, `${at}.parts`);
    if (role === 'model') {
      const decoded = decodeModelParts(parts, i, at);
      calls = decoded.flatMap((p) => (p.type === 'tool-call' ? [{ id: p.id, name: p.name, answered: false }] : []));
      messages.push({ role: 'assistant', content: decoded });
    } else if (role === 'user' || role === 'function') {
      messages.push({ role: 'user', content: decodeUserParts(parts, calls, at) });
    } else {
      throw invalid(`\`${at}.role\` must be user or model.`, `${at}.role`);
    }
  });
  return messages;
}

/** A part's signature with nothing else to hang on goes in an empty signed thinking part before it. */
function signatureOf(part: JsonObject): AssistantPart[] {
  const signature = str(part['thoughtSignature']);
  return signature === undefined || part['thought'] === true ? [] : [{ type: 'thinking', text: '', signature }];
}

export function decodeModelParts(parts: unknown[], turn: number, at: string): AssistantPart[] {
  const out = new ModelParts();
  parts.forEach((part, j) => {
    if (!isObject(part)) throw invalid(`\`${at}.parts[${j}]\` must be an object.`, `${at}.parts[${j}]`);
    out.add(part, `call_${turn}_${j}`);
  });
  return out.parts;
}

/**
 * A model turn's parts in order. Consecutive thought parts are one thought (a stream sends a thought in pieces, and a
 * client may keep the pieces), its signature the one the last piece carries.
 */
export class ModelParts {
  readonly parts: AssistantPart[] = [];
  private openThought: ThinkingPart | undefined;

  add(part: JsonObject, fallbackId: string): void {
    const decoded = modelPart(part, fallbackId);
    const first = decoded[0];
    if (part['thought'] === true && first?.type === 'thinking') {
      const open = this.openThought;
      if (open !== undefined) {
        open.text += first.text;
        if (first.signature !== undefined) open.signature = first.signature;
      } else this.parts.push(first);
      const last = this.parts[this.parts.length - 1];
      this.openThought = last?.type === 'thinking' && last.signature === undefined ? last : undefined;
      return;
    }
    this.openThought = undefined;
    this.parts.push(...decoded);
  }
}

/** One model part as canonical parts; `fallbackId` names a function call Gemini gave no id. */
export function modelPart(part: JsonObject, fallbackId: string): AssistantPart[] {
  const text = str(part['text']);
  if (part['thought'] === true) {
    const signature = str(part['thoughtSignature']);
    return [{ type: 'thinking', text: text ?? '', ...(signature === undefined ? {} : { signature }) }];
  }
  const lead = signatureOf(part);
  if (text !== undefined) return text === '' ? lead : [...lead, { type: 'text', text }];
  const call = part['functionCall'];
  if (isObject(call)) {
    const args = call['args'];
    return [
      ...lead,
      { type: 'tool-call', id: str(call['id']) ?? fallbackId, name: str(call['name']) ?? '', input: isObject(args) ? args : {} },
    ];
  }
  return [...lead, { type: 'foreign', format: FORMAT, label: Object.keys(part)[0] ?? 'part', raw: part }];
}

function decodeUserParts(parts: unknown[], calls: OpenCall[], at: string): UserPart[] {
  return parts.flatMap((part, j): UserPart[] => {
    const here = `${at}.parts[${j}]`;
    if (!isObject(part)) throw invalid(`\`${here}\` must be an object.`, here);
    const text = str(part['text']);
    if (text !== undefined) return text === '' ? [] : [{ type: 'text', text }];
    const inline = part['inlineData'];
    if (isObject(inline)) {
      const mediaType = str(inline['mimeType']) ?? '';
      const source = { kind: 'base64' as const, mediaType, data: str(inline['data']) ?? '' };
      return [mediaType.startsWith('image/') ? { type: 'image', source } : { type: 'document', source }];
    }
    const file = part['fileData'];
    if (isObject(file)) {
      const url = str(file['fileUri']) ?? '';
      const mediaType = str(file['mimeType']) ?? '';
      return [mediaType.startsWith('image/') ? { type: 'image', source: { kind: 'url', url } } : { type: 'document', source: { kind: 'url', url } }];
    }
    const response = part['functionResponse'];
    if (isObject(response)) return [toolResult(response, calls, here)];
    return [{ type: 'foreign', format: FORMAT, label: Object.keys(part)[0] ?? 'part', raw: part }];
  });
}

function toolResult(response: JsonObject, calls: OpenCall[], at: string): UserPart {
  const name = str(response['name']) ?? '';
  const id = str(response['id']);
  const call = (id === undefined ? undefined : calls.find((c) => c.id === id)) ?? calls.find((c) => !c.answered && c.name === name);
  if (call === undefined) throw invalid(`\`${at}.functionResponse\` answers no function call named \`${name}\` in the turn before it.`, at);
  call.answered = true;
  const value = isObject(response['response']) ? response['response'] : {};
  const keys = Object.keys(value);
  const only = keys.length === 1 ? keys[0] : undefined;
  const isError = only === 'error';
  const inner = only === 'output' || only === 'error' ? value[only] : value;
  return { type: 'tool-result', toolCallId: call.id, content: [{ type: 'text', text: typeof inner === 'string' ? inner : JSON.stringify(inner) }], isError };
}

function decodeTools(value: unknown): ToolDefinition[] {
  return objectList(value, 'tools', (tool, at): ToolDefinition[] => {
    const declarations = tool['functionDeclarations'];
    if (declarations === undefined) return [{ type: 'foreign', format: FORMAT, name: Object.keys(tool)[0] ?? 'tool', raw: tool }];
    return objectList(declarations, `${at}.functionDeclarations`, (decl, here): ToolDefinition => {
      const name = str(decl['name']);
      if (name === undefined || name === '') throw invalid(`\`${here}.name\` is required.`, `${here}.name`);
      const description = str(decl['description']);
      const json = decl['parametersJsonSchema'];
      const params = decl['parameters'];
      const inputSchema = isObject(json) ? json : isObject(params) ? fromGeminiSchema(params) : { type: 'object', properties: {} };
      return { type: 'function', name, ...(description === undefined ? {} : { description }), inputSchema };
    });
  }).flat();
}

function toolChoiceOf(value: unknown): { toolChoice?: ToolChoice } {
  const config = isObject(value) && isObject(value['functionCallingConfig']) ? value['functionCallingConfig'] : undefined;
  if (config === undefined) return {};
  const allowed = Array.isArray(config['allowedFunctionNames']) ? config['allowedFunctionNames'].filter((n): n is string => typeof n === 'string') : [];
  switch (config['mode']) {
    case 'NONE':
      return { toolChoice: { type: 'none' } };
    case 'ANY':
    case 'VALIDATED':
      return { toolChoice: allowed.length === 1 ? { type: 'tool', name: allowed[0]! } : { type: 'required' } };
    case 'AUTO':
      return { toolChoice: { type: 'auto' } };
    default:
      return {};
  }
}

const LEVELS: Record<string, 'minimal' | 'low' | 'medium' | 'high'> = { MINIMAL: 'minimal', LOW: 'low', MEDIUM: 'medium', HIGH: 'high' };

function reasoningOf(value: unknown): { reasoning?: ReasoningConfig } {
  if (!isObject(value)) return {};
  const display = value['includeThoughts'] === true ? {} : { display: 'omitted' as const };
  const level = str(value['thinkingLevel'])?.toUpperCase();
  if (level !== undefined && Object.hasOwn(LEVELS, level)) return { reasoning: { type: 'effort', effort: LEVELS[level]! } };
  const budget = value['thinkingBudget'];
  if (budget === undefined || budget === null) return value['includeThoughts'] === true ? { reasoning: { type: 'adaptive' } } : {};
  if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < -1) {
    throw invalid('`generationConfig.thinkingConfig.thinkingBudget` must be an integer, -1 or more.', 'generationConfig.thinkingConfig.thinkingBudget');
  }
  if (budget === 0) return { reasoning: { type: 'disabled' } };
  if (budget === -1) return { reasoning: { type: 'adaptive', ...display } };
  return { reasoning: { type: 'budget', budgetTokens: budget, ...display } };
}

function responseFormatOf(config: JsonObject): { responseFormat?: ResponseFormat } {
  if (config['responseMimeType'] !== 'application/json') return {};
  const json = config['responseJsonSchema'];
  const schema = config['responseSchema'];
  if (isObject(json)) return { responseFormat: { type: 'json_schema', schema: json } };
  if (isObject(schema)) return { responseFormat: { type: 'json_schema', schema: fromGeminiSchema(schema) } };
  return { responseFormat: { type: 'json_object' } };
}
