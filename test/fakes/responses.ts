/**
 * The fake's POST /v1/responses: as strict as the API about what a gateway could get wrong (unknown parameters,
 * unknown item or tool types, a function_call_output with no call before it, references to ids it does not
 * hold), and stateful like it: with `store` (the default) each answer is kept, so later requests can name it in
 * `previous_response_id` or refer to its items with `item_reference`.
 */
import type { JsonObject } from './json.js';
import { renderOpenAIError } from './openai-render.js';
import type { ResponsePlan } from './plan.js';
import type { RenderEnv } from './reply.js';
import { renderOpenAIResponses } from './responses-render.js';
import type { Scenario } from './scenario.js';

type Json = Record<string, unknown>;

/** Every top-level parameter the API accepts (openai SDK ResponseCreateParams, plus what Codex sends). */
const PARAMETERS = new Set([
  'background', 'client_metadata', 'context_management', 'conversation', 'include', 'input', 'instructions', 'max_output_tokens',
  'max_tool_calls', 'metadata', 'model', 'moderation', 'parallel_tool_calls', 'previous_response_id', 'prompt', 'prompt_cache_key',
  'prompt_cache_options', 'prompt_cache_retention', 'reasoning', 'safety_identifier', 'service_tier', 'store', 'stream', 'stream_options',
  'temperature', 'text', 'tool_choice', 'tools', 'top_logprobs', 'top_p', 'truncation', 'user',
]);

const ITEM_TYPES = new Set([
  'message', 'item_reference', 'function_call', 'function_call_output', 'reasoning', 'web_search_call', 'file_search_call', 'computer_call',
  'computer_call_output', 'tool_search_call', 'tool_search_output', 'additional_tools', 'configuration_update', 'compaction',
  'compaction_trigger', 'image_generation_call', 'code_interpreter_call', 'local_shell_call', 'local_shell_call_output', 'shell_call',
  'shell_call_output', 'apply_patch_call', 'apply_patch_call_output', 'mcp_list_tools', 'mcp_approval_request', 'mcp_approval_response',
  'mcp_call', 'custom_tool_call', 'custom_tool_call_output', 'program', 'program_output',
]);

const TOOL_TYPES = new Set([
  'function', 'custom', 'namespace', 'web_search', 'web_search_preview', 'web_search_2025_08_26', 'web_search_preview_2025_03_11', 'file_search',
  'computer', 'computer_use_preview', 'code_interpreter', 'image_generation', 'local_shell', 'shell', 'apply_patch', 'mcp', 'tool_search',
  'programmatic_tool_calling',
]);

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const NAME = /^[a-zA-Z0-9_-]{1,128}$/;

/** What the fake remembers of the responses it stored. */
export class ResponsesMemory {
  readonly responses = new Map<string, { conversation: unknown[] }>();
  readonly items = new Map<string, Json>();

  clear(): void {
    this.responses.clear();
    this.items.clear();
  }
}

class Refusal {
  constructor(
    readonly message: string,
    readonly param: string | null,
    readonly code: string | null,
  ) {}
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Serves one valid request; `takeScenario` is called only once the request passed validation. */
export function serveResponses(body: JsonObject, env: RenderEnv, memory: ResponsesMemory, takeScenario: () => Scenario, validate: boolean): ResponsePlan {
  const model = typeof body['model'] === 'string' ? body['model'] : '';
  let conversation: unknown[];
  try {
    conversation = validate ? checkRequest(body, memory) : inputItems(body);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return renderOpenAIError({ kind: 'error', status: 400, message: err.message, param: err.param, code: err.code }, model, env);
  }
  const rendered = renderOpenAIResponses(takeScenario(), body, conversation, env);
  const response = rendered.response;
  if (response !== null && body['store'] !== false) {
    const output = Array.isArray(response['output']) ? response['output'] : [];
    memory.responses.set(String(response['id']), { conversation: [...conversation, ...output] });
    for (const item of output) if (isObject(item) && typeof item['id'] === 'string') memory.items.set(item['id'], item);
  }
  return rendered.plan;
}

function inputItems(body: JsonObject): unknown[] {
  const input = body['input'];
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

/** Checks a request as the API does; returns the whole conversation (earlier response, references resolved). */
function checkRequest(body: JsonObject, memory: ResponsesMemory): unknown[] {
  if (typeof body['model'] !== 'string') throw new Refusal("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  for (const key of Object.keys(body)) if (!PARAMETERS.has(key)) throw new Refusal(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
  if (body['stream_options'] !== undefined && body['stream_options'] !== null && body['stream'] !== true) {
    throw new Refusal("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options', null);
  }
  checkTools(body['tools']);
  const input = body['input'];
  if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) throw new Refusal("Invalid type for 'input': expected one of a string or array of input items.", 'input', 'invalid_type');

  const conversation: unknown[] = [];
  const previous = body['previous_response_id'];
  if (previous !== undefined && previous !== null) {
    const stored = typeof previous === 'string' ? memory.responses.get(previous) : undefined;
    if (stored === undefined) throw new Refusal(`Previous response with id '${String(previous)}' not found.`, 'previous_response_id', 'previous_response_not_found');
    conversation.push(...stored.conversation);
  }
  const calls = new Set<string>();
  for (const item of conversation) if (isObject(item) && item['type'] === 'function_call' && typeof item['call_id'] === 'string') calls.add(item['call_id']);
  inputItems(body).forEach((raw, i) => {
    const at = `input[${i}]`;
    if (!isObject(raw)) throw new Refusal(`Invalid type for '${at}': expected an object, but got ${typeof raw} instead.`, at, 'invalid_type');
    let item = raw;
    const type = item['type'] ?? (item['role'] === undefined && typeof item['id'] === 'string' ? 'item_reference' : 'message');
    if (typeof type !== 'string' || !ITEM_TYPES.has(type)) throw new Refusal(`Invalid value: '${String(type)}'. Supported values are: ${[...ITEM_TYPES].map((t) => `'${t}'`).join(', ')}.`, `${at}.type`, 'invalid_value');
    switch (type) {
      case 'item_reference': {
        const found = typeof item['id'] === 'string' ? memory.items.get(item['id']) : undefined;
        if (found === undefined) {
          throw new Refusal(
            `Item with id '${String(item['id'])}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
            'input',
            null,
          );
        }
        item = found;
        break;
      }
      case 'message':
        if (!ROLES.has(String(item['role']))) throw new Refusal(`Invalid value: '${String(item['role'])}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.`, `${at}.role`, 'invalid_value');
        if (typeof item['content'] !== 'string' && !Array.isArray(item['content'])) throw new Refusal(`Missing required parameter: '${at}.content'.`, `${at}.content`, 'missing_required_parameter');
        break;
      case 'function_call':
        for (const key of ['call_id', 'name', 'arguments']) {
          if (typeof item[key] !== 'string') throw new Refusal(`Missing required parameter: '${at}.${key}'.`, `${at}.${key}`, 'missing_required_parameter');
        }
        break;
      case 'function_call_output':
        if (typeof item['call_id'] !== 'string') throw new Refusal(`Missing required parameter: '${at}.call_id'.`, `${at}.call_id`, 'missing_required_parameter');
        if (!calls.has(item['call_id'])) throw new Refusal(`No tool call found for function call output with call_id ${item['call_id']}.`, 'input', null);
        break;
    }
    if (item['type'] === 'function_call' && typeof item['call_id'] === 'string') calls.add(item['call_id']);
    conversation.push(item);
  });
  return conversation;
}

function checkTools(tools: unknown): void {
  if (tools === undefined || tools === null) return;
  if (!Array.isArray(tools)) throw new Refusal("Invalid type for 'tools': expected an array.", 'tools', 'invalid_type');
  tools.forEach((tool, i) => checkTool(tool, `tools[${i}]`));
}

function checkTool(tool: unknown, at: string): void {
  if (!isObject(tool) || typeof tool['type'] !== 'string' || !TOOL_TYPES.has(tool['type'])) {
    throw new Refusal(`Invalid value: '${isObject(tool) ? String(tool['type']) : typeof tool}'. Supported values are: ${[...TOOL_TYPES].map((t) => `'${t}'`).join(', ')}.`, `${at}.type`, 'invalid_value');
  }
  if (tool['type'] === 'function' || tool['type'] === 'custom' || tool['type'] === 'namespace') {
    const name = tool['name'];
    if (typeof name !== 'string') throw new Refusal(`Missing required parameter: '${at}.name'.`, `${at}.name`, 'missing_required_parameter');
    if (!NAME.test(name)) throw new Refusal(`Invalid '${at}.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, `${at}.name`, 'invalid_value');
  }
  if (tool['type'] === 'namespace') {
    const inner = tool['tools'];
    if (!Array.isArray(inner) || inner.length === 0) throw new Refusal(`Invalid '${at}.tools': empty array. Expected an array with minimum length 1.`, `${at}.tools`, 'empty_array');
    inner.forEach((t, j) => {
      if (!isObject(t) || (t['type'] !== 'function' && t['type'] !== 'custom')) throw new Refusal(`Invalid value in '${at}.tools[${j}]': a namespace holds function and custom tools.`, `${at}.tools[${j}].type`, 'invalid_value');
      checkTool(t, `${at}.tools[${j}]`);
    });
  }
}
