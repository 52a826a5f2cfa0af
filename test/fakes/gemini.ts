/**
 * The fake Gemini upstream: POST /v1beta/models/{model}:generateContent (and /v1/…), :streamGenerateContent?alt=sse and
 * :countTokens, key in `x-goog-api-key` (or `?key=`). As strict as the real API where a gateway could go wrong:
 * unknown fields anywhere are a 400 INVALID_ARGUMENT worded as Google words it, roles are only user and model, turns
 * alternate and start with the user, every function call turn is answered by as many function responses, and a
 * thought signature that comes back must be one this fake issued (Gemini 3 models also require one on the first
 * function call of the current turn). Bytes are Google's: pretty-printed JSON bodies, and SSE chunks framed
 * `data: {…}\r\n\r\n` with Google's `"key": value` spacing.
 */
import { IdSource } from './ids.js';
import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { bodyPlan, HANG_BEFORE_HEADERS, RESET_BEFORE_HEADERS, streamPlan, type ResponsePlan, type StreamFault } from './plan.js';
import { buildReply, faultOf, type ContentScenario, type RenderEnv, type Reply } from './reply.js';
import { stripDirectives, type Scenario, type ScenarioOf } from './scenario.js';
import { startFakeServer, type FakeServerOptions, type FakeUpstream } from './server.js';

export type FakeGeminiOptions = FakeServerOptions;

export const DEFAULT_GEMINI_MODELS: readonly string[] = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-3-pro-preview'];

const SIGNATURE_PREFIX = 'fake-gemini-signature:';
const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8', vary: 'Origin, X-Origin, Referer', server: 'scaffolding on HTTPServer2' };
const SSE_HEADERS = { 'content-type': 'text/event-stream', vary: 'Origin, X-Origin, Referer', server: 'scaffolding on HTTPServer2' };

const RPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Google's JSON spacing in SSE data: `"key": value`, items joined by `,` without a space. */
export function googleJson(value: JsonValue | undefined): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(googleJson).join(',')}]`;
  return `{${Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}: ${googleJson(v)}`)
    .join(',')}}`;
}

export function geminiFrame(payload: JsonObject): Buffer {
  return Buffer.from(`data: ${googleJson(payload)}\r\n\r\n`, 'utf8');
}

export function geminiErrorBody(status: number, message: string, details?: JsonValue[]): JsonObject {
  return { error: { code: status, message, status: RPC_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'), ...(details === undefined ? {} : { details }) } };
}

function errorPlan(status: number, message: string, extraHeaders: Record<string, string> = {}, details?: JsonValue[]): ResponsePlan {
  return bodyPlan(status, { ...JSON_HEADERS, ...extraHeaders }, Buffer.from(JSON.stringify(geminiErrorBody(status, message, details), null, 2)));
}

function invalidArgument(message: string): ResponsePlan {
  return errorPlan(400, message);
}

/** `Invalid JSON payload received. Unknown name "x" at 'a.b': Cannot find field.`, with Google's snake_case path. */
function unknownField(name: string, at: string): ResponsePlan {
  const where = at === '' ? '' : ` at '${at.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}'`;
  const description = `Invalid JSON payload received. Unknown name ${JSON.stringify(name)}${where}: Cannot find field.`;
  return errorPlan(400, description, {}, [
    { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: at, description }] },
  ]);
}

function checkKeys(obj: JsonObject, allowed: ReadonlySet<string>, at: string): ResponsePlan | null {
  for (const key of Object.keys(obj)) if (!allowed.has(key)) return unknownField(key, at);
  return null;
}

const REQUEST_KEYS = new Set(['contents', 'tools', 'toolConfig', 'safetySettings', 'systemInstruction', 'generationConfig', 'cachedContent']);
const CONTENT_KEYS = new Set(['role', 'parts']);
const PART_DATA = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'executableCode', 'codeExecutionResult'] as const;
const PART_KEYS = new Set<string>([...PART_DATA, 'thought', 'thoughtSignature', 'videoMetadata']);
const TOOL_KEYS = new Set(['functionDeclarations', 'googleSearch', 'googleSearchRetrieval', 'codeExecution', 'urlContext', 'fileSearch']);
const DECLARATION_KEYS = new Set(['name', 'description', 'parameters', 'parametersJsonSchema', 'response', 'responseJsonSchema', 'behavior']);
const SCHEMA_KEYS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties',
  'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum',
]);
const SCHEMA_TYPES = new Set(['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']);
const CONFIG_KEYS = new Set([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount', 'maxOutputTokens',
  'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'enableEnhancedCivicAnswers',
  'speechConfig', 'thinkingConfig', 'imageConfig', 'mediaResolution',
]);
const THINKING_KEYS = new Set(['includeThoughts', 'thinkingBudget', 'thinkingLevel']);
const TOOL_CONFIG_KEYS = new Set(['functionCallingConfig', 'retrievalConfig']);
const CALLING_KEYS = new Set(['mode', 'allowedFunctionNames']);
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

function checkSchema(schema: JsonValue, at: string): ResponsePlan | null {
  if (!isJsonObject(schema)) return invalidArgument(`Invalid value at '${at}': expected an object.`);
  const bad = checkKeys(schema, SCHEMA_KEYS, at);
  if (bad) return bad;
  const type = schema['type'];
  if (type !== undefined && (typeof type !== 'string' || !SCHEMA_TYPES.has(type.toUpperCase()))) {
    return invalidArgument(`Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${JSON.stringify(type)}`);
  }
  const properties = schema['properties'];
  if (isJsonObject(properties)) {
    for (const [name, prop] of Object.entries(properties)) {
      const bad2 = checkSchema(prop, `${at}.properties[${JSON.stringify(name)}].value`);
      if (bad2) return bad2;
    }
    const required = schema['required'];
    if (Array.isArray(required)) {
      for (const r of required) {
        if (typeof r !== 'string' || !Object.hasOwn(properties, r)) return invalidArgument(`* GenerateContentRequest.${at}.required: property is not defined`);
      }
    }
  }
  const enumValues = schema['enum'];
  if (enumValues !== undefined && (!Array.isArray(enumValues) || enumValues.some((v) => typeof v !== 'string'))) {
    return invalidArgument(`Invalid value at '${at}.enum': expected strings.`);
  }
  if (schema['items'] !== undefined) {
    const bad3 = checkSchema(schema['items'], `${at}.items`);
    if (bad3) return bad3;
  }
  if (Array.isArray(schema['anyOf'])) {
    for (const [i, member] of schema['anyOf'].entries()) {
      const bad4 = checkSchema(member, `${at}.any_of[${i}]`);
      if (bad4) return bad4;
    }
  }
  return null;
}

/** The sentinel Google documents for histories that did not come from Gemini. */
const SKIP_SIGNATURE = 'skip_thought_signature_validator';

function isIssued(signature: string): boolean {
  if (signature === SKIP_SIGNATURE) return true;
  try {
    return Buffer.from(signature, 'base64').toString('utf8').startsWith(SIGNATURE_PREFIX);
  } catch {
    return false;
  }
}

interface Facts {
  model: string;
  stream: boolean;
  lastUserText: string;
  lastToolOutput: string;
  stopSequences: string[];
  includeThoughts: boolean;
  thinkingOff: boolean;
}

function validateContents(contents: JsonValue[], model: string): ResponsePlan | null {
  let previous: { role: string; calls: string[] } | undefined;
  // Gemini 3 checks signatures in the current turn: from the last user turn with text on.
  let currentTurnStart = 0;
  contents.forEach((c, i) => {
    if (isJsonObject(c) && c['role'] === 'user' && Array.isArray(c['parts']) && c['parts'].some((p) => isJsonObject(p) && typeof p['text'] === 'string')) currentTurnStart = i;
  });
  for (const [i, content] of contents.entries()) {
    const at = `contents[${i}]`;
    if (!isJsonObject(content)) return invalidArgument(`Invalid value at '${at}': expected a Content object.`);
    const bad = checkKeys(content, CONTENT_KEYS, at);
    if (bad) return bad;
    const role = content['role'] ?? 'user';
    if (role !== 'user' && role !== 'model') return invalidArgument(`Please use a valid role: user, model.`);
    const parts = content['parts'];
    if (!Array.isArray(parts) || parts.length === 0) return invalidArgument(`* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`);
    if (i === 0 && role !== 'user') return invalidArgument('Please ensure that multiturn requests alternate between user and model.');
    if (previous !== undefined && previous.role === role) return invalidArgument('Please ensure that multiturn requests alternate between user and model.');
    const calls: string[] = [];
    const responses: string[] = [];
    let firstCall = true;
    for (const [j, part] of parts.entries()) {
      const here = `${at}.parts[${j}]`;
      if (!isJsonObject(part)) return invalidArgument(`Invalid value at '${here}': expected a Part object.`);
      const badPart = checkKeys(part, PART_KEYS, here);
      if (badPart) return badPart;
      const data = PART_DATA.filter((k) => part[k] !== undefined);
      if (data.length !== 1) return invalidArgument(`* GenerateContentRequest.${here}.data: required oneof field 'data' must have one initialized field`);
      const signature = part['thoughtSignature'];
      if (signature !== undefined && (typeof signature !== 'string' || !isIssued(signature))) {
        return invalidArgument('Corrupted thought signature.');
      }
      const call = part['functionCall'];
      if (isJsonObject(call)) {
        if (role !== 'model') return invalidArgument('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
        if (typeof call['name'] !== 'string') return invalidArgument(`* GenerateContentRequest.${here}.function_call.name: name is required`);
        if (firstCall && i >= currentTurnStart && model.startsWith('gemini-3') && signature === undefined) {
          return invalidArgument(`Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${call['name']}\` , position ${j + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`);
        }
        firstCall = false;
        calls.push(call['name']);
      }
      const response = part['functionResponse'];
      if (isJsonObject(response)) {
        if (typeof response['name'] !== 'string') return invalidArgument(`* GenerateContentRequest.${here}.function_response.name: name is required`);
        if (!isJsonObject(response['response'])) return invalidArgument(`* GenerateContentRequest.${here}.function_response.response: response is required`);
        responses.push(response['name']);
      }
    }
    if (calls.length > 0 && previous !== undefined && previous.role === 'model') {
      return invalidArgument('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
    }
    if (responses.length > 0 || (previous?.calls.length ?? 0) > 0) {
      const asked = previous?.calls ?? [];
      if (responses.length !== asked.length) {
        return invalidArgument('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
      }
      if ([...responses].sort().join('\u0000') !== [...asked].sort().join('\u0000')) {
        return invalidArgument('Please ensure that function response turn comes immediately after a function call turn, and that each function response names a function that was called.');
      }
    }
    previous = { role, calls };
  }
  return null;
}

function validate(body: JsonObject, model: string): ResponsePlan | null {
  const bad = checkKeys(body, REQUEST_KEYS, '');
  if (bad) return bad;
  const contents = body['contents'];
  if (!Array.isArray(contents) || contents.length === 0) return invalidArgument('* GenerateContentRequest.contents: contents is not specified');
  const badContents = validateContents(contents, model);
  if (badContents) return badContents;
  const system = body['systemInstruction'];
  if (system !== undefined) {
    if (!isJsonObject(system)) return invalidArgument("Invalid value at 'system_instruction'");
    const badSystem = checkKeys(system, CONTENT_KEYS, 'systemInstruction');
    if (badSystem) return badSystem;
  }
  const tools = body['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return invalidArgument("Invalid value at 'tools'");
    for (const [i, tool] of tools.entries()) {
      if (!isJsonObject(tool)) return invalidArgument(`Invalid value at 'tools[${i}]'`);
      const badTool = checkKeys(tool, TOOL_KEYS, `tools[${i}]`);
      if (badTool) return badTool;
      const decls = tool['functionDeclarations'];
      if (!Array.isArray(decls)) continue;
      for (const [j, decl] of decls.entries()) {
        const at = `tools[${i}].functionDeclarations[${j}]`;
        if (!isJsonObject(decl)) return invalidArgument(`Invalid value at '${at}'`);
        const badDecl = checkKeys(decl, DECLARATION_KEYS, at);
        if (badDecl) return badDecl;
        const name = decl['name'];
        if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
          return invalidArgument(`* GenerateContentRequest.tools[${i}].function_declarations[${j}].name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.`);
        }
        if (decl['parameters'] !== undefined && decl['parametersJsonSchema'] !== undefined) {
          return invalidArgument(`* GenerateContentRequest.tools[${i}].function_declarations[${j}]: parameters and parameters_json_schema are mutually exclusive.`);
        }
        if (decl['parameters'] !== undefined) {
          const badSchema = checkSchema(decl['parameters'], `tools[${i}].function_declarations[${j}].parameters`);
          if (badSchema) return badSchema;
          const params = decl['parameters'];
          if (isJsonObject(params) && String(params['type']).toUpperCase() === 'OBJECT' && (!isJsonObject(params['properties']) || Object.keys(params['properties']).length === 0)) {
            return invalidArgument(`* GenerateContentRequest.tools[${i}].function_declarations[${j}].parameters.properties: should be non-empty for OBJECT type`);
          }
        }
      }
    }
  }
  const toolConfig = body['toolConfig'];
  if (toolConfig !== undefined) {
    if (!isJsonObject(toolConfig)) return invalidArgument("Invalid value at 'tool_config'");
    const badConfig = checkKeys(toolConfig, TOOL_CONFIG_KEYS, 'toolConfig');
    if (badConfig) return badConfig;
    const calling = toolConfig['functionCallingConfig'];
    if (isJsonObject(calling)) {
      const badCalling = checkKeys(calling, CALLING_KEYS, 'toolConfig.functionCallingConfig');
      if (badCalling) return badCalling;
      if (!['AUTO', 'ANY', 'NONE', 'VALIDATED', undefined].includes(calling['mode'] as string | undefined)) {
        return invalidArgument(`Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), ${JSON.stringify(calling['mode'])}`);
      }
    }
  }
  const config = body['generationConfig'];
  if (config !== undefined) {
    if (!isJsonObject(config)) return invalidArgument("Invalid value at 'generation_config'");
    const badConfig = checkKeys(config, CONFIG_KEYS, 'generationConfig');
    if (badConfig) return badConfig;
    const thinking = config['thinkingConfig'];
    if (isJsonObject(thinking)) {
      const badThinking = checkKeys(thinking, THINKING_KEYS, 'generationConfig.thinkingConfig');
      if (badThinking) return badThinking;
      const budget = thinking['thinkingBudget'];
      if (budget !== undefined && (typeof budget !== 'number' || !Number.isInteger(budget) || budget < -1 || budget > 32768)) {
        return invalidArgument('The thinking budget must be -1 (dynamic), 0 (off on models that allow it) or between 128 and 32768.');
      }
      if (budget === 0 && model.includes('-pro')) return invalidArgument('Budget 0 is invalid. This model only works in thinking mode.');
    }
    if (config['responseSchema'] !== undefined) {
      const badSchema = checkSchema(config['responseSchema'], 'generation_config.response_schema');
      if (badSchema) return badSchema;
    }
  }
  return null;
}

function partsOf(content: JsonValue | undefined): JsonObject[] {
  return isJsonObject(content) && Array.isArray(content['parts']) ? content['parts'].filter(isJsonObject) : [];
}

function factsOf(body: JsonObject, model: string, stream: boolean): Facts {
  const contents = Array.isArray(body['contents']) ? body['contents'].filter(isJsonObject) : [];
  const last = contents.at(-1);
  const lastParts = partsOf(last);
  const lastUser = [...contents].reverse().find((c) => (c['role'] ?? 'user') === 'user' && partsOf(c).some((p) => typeof p['text'] === 'string'));
  const userText = partsOf(lastUser).flatMap((p) => (typeof p['text'] === 'string' ? [p['text']] : [])).join('\n');
  const outputs = lastParts.flatMap((p) => {
    const r = p['functionResponse'];
    if (!isJsonObject(r) || !isJsonObject(r['response'])) return [];
    const response = r['response'];
    const keys = Object.keys(response);
    const only = keys.length === 1 ? response[keys[0]!] : undefined;
    return [typeof only === 'string' ? only : JSON.stringify(response)];
  });
  const config = isJsonObject(body['generationConfig']) ? body['generationConfig'] : {};
  const thinking = isJsonObject(config['thinkingConfig']) ? config['thinkingConfig'] : {};
  const stops = Array.isArray(config['stopSequences']) ? config['stopSequences'].filter((s): s is string => typeof s === 'string') : [];
  return {
    model,
    stream,
    lastUserText: stripDirectives(userText),
    lastToolOutput: outputs.join('\n'),
    stopSequences: stops,
    includeThoughts: thinking['includeThoughts'] === true,
    thinkingOff: thinking['thinkingBudget'] === 0,
  };
}

function usageMetadata(reply: Reply, final: boolean): JsonObject {
  const u = reply.usage;
  const prompt = u.input + u.cacheRead + u.cacheWrite + u.cacheWrite1h;
  const thoughts = Math.min(u.reasoning, u.output);
  const candidates = final ? u.output - thoughts : 0;
  const usage: JsonObject = {
    promptTokenCount: prompt,
    ...(final ? { candidatesTokenCount: candidates } : {}),
    totalTokenCount: prompt + (final ? u.output : 0),
    ...(u.cacheRead > 0 ? { cachedContentTokenCount: u.cacheRead } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(final && thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
  };
  if (reply.usageWire === 'omit') return {};
  return reply.usageWire === undefined ? usage : { ...usage, ...(reply.usageWire as JsonObject) };
}

function finishReason(reply: Reply): string {
  return reply.stop === 'length' ? 'MAX_TOKENS' : 'STOP';
}

interface Rendered {
  /** Each stream chunk's parts, in order. */
  chunks: JsonObject[][];
}

function renderParts(reply: Reply, facts: Facts, ids: IdSource): Rendered {
  const signature = (): string => Buffer.from(`${SIGNATURE_PREFIX}${ids.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', 24)}`).toString('base64');
  const chunks: JsonObject[][] = [];
  const thinks = reply.thinking !== null && !facts.thinkingOff;
  if (thinks && facts.includeThoughts) for (const t of reply.thinking!.chunks) chunks.push([{ text: t, thought: true }]);
  let signed = !thinks;
  if (reply.toolCalls.length > 0) {
    for (const t of reply.textChunks) chunks.push([{ text: t }]);
    // Gemini sends a turn's function calls whole, in one chunk; the first carries the turn's signature.
    chunks.push(
      reply.toolCalls.map((call, i) => ({
        functionCall: { name: call.name, args: JSON.parse(call.fragments.join('') || '{}') as JsonValue },
        ...(i === 0 ? { thoughtSignature: signature() } : {}),
      })),
    );
    return { chunks };
  }
  for (const t of reply.textChunks) {
    chunks.push([{ text: t, ...(signed ? {} : { thoughtSignature: signature() }) }]);
    signed = true;
  }
  return { chunks };
}

function render(scenario: ContentScenario, facts: Facts, env: RenderEnv): ResponsePlan {
  const ids = new IdSource(env.seed);
  const reply = buildReply(scenario, { ...facts, stopSequences: facts.stopSequences }, { toolCallId: () => '', signature: () => '' });
  const responseId = ids.chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 23);
  const rendered = renderParts(reply, facts, ids);
  const headers = { ...reply.extraHeaders };
  const usageFinal = usageMetadata(reply, true);
  const withUsage = (usage: JsonObject): JsonObject => (Object.keys(usage).length === 0 ? {} : { usageMetadata: usage });
  if (!facts.stream) {
    const parts = rendered.chunks.flat();
    const merged: JsonObject[] = [];
    for (const part of parts) {
      const prev = merged.at(-1);
      // A whole response has each run of text (or of thought) as one part.
      if (prev !== undefined && typeof prev['text'] === 'string' && typeof part['text'] === 'string' && prev['thought'] === part['thought'] && part['thoughtSignature'] === undefined) {
        prev['text'] = prev['text'] + part['text'];
      } else merged.push({ ...part });
    }
    const body: JsonObject = {
      candidates: [{ content: { parts: merged, role: 'model' }, finishReason: finishReason(reply), index: 0 }],
      ...withUsage(usageFinal),
      modelVersion: reply.model,
      responseId,
    };
    return bodyPlan(200, { ...JSON_HEADERS, ...headers }, Buffer.from(JSON.stringify(body, null, 2)));
  }
  const fault = faultOf(scenario);
  const frames: Buffer[] = [];
  const chunks = rendered.chunks.length === 0 ? [[{ text: '' }]] : rendered.chunks;
  chunks.forEach((parts, i) => {
    const last = i === chunks.length - 1;
    const candidate: JsonObject = { content: { parts, role: 'model' }, ...(last ? { finishReason: finishReason(reply) } : {}), index: 0 };
    frames.push(geminiFrame({ candidates: [candidate], ...withUsage(usageMetadata(reply, last)), modelVersion: reply.model, responseId }));
  });
  let streamFault: StreamFault = { kind: 'none' };
  if (fault.kind === 'stall') streamFault = { kind: 'stall', after: fault.after };
  else if (fault.kind === 'reset') streamFault = { kind: 'reset', after: fault.after };
  else if (fault.kind === 'midstream_error') {
    const message = (scenario as ScenarioOf<'midstream_error'>).message ?? 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting';
    streamFault = { kind: 'inject', after: fault.after, bytes: geminiFrame(geminiErrorBody(500, message)), resumeAt: null };
  } else if (fault.kind !== 'none') {
    return invalidArgument(`the Gemini fake does not implement the ${fault.kind} scenario`);
  }
  return streamPlan(200, { ...SSE_HEADERS, ...headers }, frames, reply.delayMs, streamFault);
}

function renderError(scenario: ScenarioOf<'error'>): ResponsePlan {
  // Google sends no Retry-After header: the wait is only in the body's RetryInfo (a scenario may add headers).
  const headers: Record<string, string> = { ...(scenario.headers ?? {}) };
  const details: JsonValue[] | undefined =
    scenario.status === 429
      ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${scenario.retryAfter ?? 30}s` }]
      : undefined;
  const message =
    scenario.message ??
    (scenario.status === 429
      ? 'You exceeded your current quota, please check your plan and billing details.'
      : scenario.status >= 500
        ? 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'
        : 'Request contains an invalid argument.');
  return errorPlan(scenario.status, message, headers, details);
}

function respond(scenario: Scenario, facts: Facts, env: RenderEnv): ResponsePlan {
  switch (scenario.kind) {
    case 'error':
      return renderError(scenario);
    case 'timeout_before_headers':
      return HANG_BEFORE_HEADERS;
    case 'reset_before':
      return RESET_BEFORE_HEADERS;
    case 'web_search':
    case 'stop_sequence':
    case 'bench':
      return invalidArgument(`the Gemini fake does not implement the ${scenario.kind} scenario`);
    default:
      return render(scenario, facts, env);
  }
}

/** The text a `[[fake-scenario:…]]` directive may sit in: the last user text. */
function directiveText(body: JsonObject | null): string {
  const contents = Array.isArray(body?.['contents']) ? body['contents'].filter(isJsonObject) : [];
  const user = [...contents].reverse().find((c) => (c['role'] ?? 'user') === 'user' && partsOf(c).some((p) => typeof p['text'] === 'string'));
  return partsOf(user).flatMap((p) => (typeof p['text'] === 'string' ? [p['text']] : [])).join('\n');
}

export function startFakeGemini(opts: FakeGeminiOptions = {}): Promise<FakeUpstream> {
  const validateRequests = opts.validate ?? true;
  // The API serves both versions; @google/genai 3 calls v1 unless told otherwise.
  const modelPath = (pathname: string): string | undefined =>
    pathname.startsWith('/v1beta/models/') ? pathname.slice('/v1beta/models/'.length) : pathname.startsWith('/v1/models/') ? pathname.slice('/v1/models/'.length) : undefined;
  return startFakeServer(
    {
      basePath: '/v1beta',
      generationPaths: (pathname) => modelPath(pathname) !== undefined && (pathname.endsWith(':generateContent') || pathname.endsWith(':streamGenerateContent')),
      directiveText,
      badScenario: (message) => invalidArgument(message),
      route(ctx) {
        const { request, env } = ctx;
        const key = request.headers['x-goog-api-key'] ?? new URLSearchParams(request.path.split('?')[1] ?? '').get('key') ?? undefined;
        if (opts.apiKey !== undefined) {
          if (key === undefined) return errorPlan(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
          if (key !== opts.apiKey) {
            return errorPlan(400, 'API key not valid. Please pass a valid API key.', {}, [
              { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
            ]);
          }
        }
        const rest = modelPath(request.pathname);
        const colon = rest?.lastIndexOf(':') ?? -1;
        if (request.method !== 'POST' || rest === undefined || colon === -1) return errorPlan(404, 'Not Found');
        const model = decodeURIComponent(rest.slice(0, colon));
        const action = rest.slice(colon + 1);
        if (!['generateContent', 'streamGenerateContent', 'countTokens'].includes(action)) return errorPlan(404, `Method not found: ${action}`);
        const body = request.body;
        if (body === null) return invalidArgument('Invalid JSON payload received. Unexpected token.');
        if (action === 'countTokens') {
          const inner = isJsonObject(body['generateContentRequest']) ? body['generateContentRequest'] : body;
          const text = JSON.stringify(inner['contents'] ?? []);
          return bodyPlan(200, JSON_HEADERS, Buffer.from(JSON.stringify({ totalTokens: Math.ceil(text.length / 4), promptTokensDetails: [{ modality: 'TEXT', tokenCount: Math.ceil(text.length / 4) }] }, null, 2)));
        }
        const stream = action === 'streamGenerateContent';
        if (stream && !request.path.includes('alt=sse')) return invalidArgument('this fake serves streamGenerateContent only as server-sent events (?alt=sse), as the gateway and the SDKs call it');
        if (validateRequests) {
          const invalid = validate(body, model);
          if (invalid) return invalid;
        }
        return respond(ctx.takeScenario(), factsOf(body, model, stream), env);
      },
    },
    opts,
  );
}
