/**
 * fast-check generators for requests a gateway may meet: bodies that are nearly valid for each endpoint (the
 * interesting ones: they get past JSON parsing and into translation), arbitrary JSON, raw bytes, and headers that
 * pick agents, keys, versions and content types. Values are drawn from small pools of real names mixed with noise.
 */
import fc from 'fast-check';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'o3-mini', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'text-embedding-3-small', 'unknown-model', ''];

/** A value of any JSON type, small. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { depthSize: 'small' },
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 20 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

/** Mostly a well-typed value from `good`, sometimes anything at all, sometimes absent. */
function field<T>(good: fc.Arbitrary<T>): fc.Arbitrary<T | unknown> {
  return fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: anyValue });
}

/** Text with the characters that break naive code: unicode, escapes, lone surrogates, control characters. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '<|endoftext|>', '"}]}', 'data: [DONE]\n\n', '[[fake-scenario:text]]'),
);

const imageSource = fc.oneof(
  fc.record({ type: fc.constant('base64'), media_type: field(fc.constantFrom('image/png', 'image/jpeg', 'text/plain')), data: field(fc.base64String({ maxLength: 16 })) }, { requiredKeys: [] }),
  fc.record({ type: fc.constant('url'), url: field(fc.webUrl()) }, { requiredKeys: [] }),
);

/** Content blocks of both formats, so each codec also sees the other's shapes. */
const block = fc.oneof(
  fc.record({ type: fc.constant('text'), text: field(text), cache_control: field(fc.record({ type: fc.constant('ephemeral'), ttl: fc.constantFrom('5m', '1h') })) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('image'), source: field(imageSource) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('image_url'), image_url: field(fc.record({ url: field(fc.oneof(fc.webUrl(), fc.constant('data:image/png;base64,AAAA'), text)), detail: field(fc.constantFrom('low', 'high', 'auto')) }, { requiredKeys: [] })) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('tool_use'), id: field(text), name: field(text), input: anyValue }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('tool_result'), tool_use_id: field(text), content: field(fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text: text }), { maxLength: 2 }))), is_error: field(fc.boolean()) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('thinking'), thinking: field(text), signature: field(text) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('redacted_thinking'), data: field(text) }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('input_text'), text: field(text) }, { requiredKeys: ['type'] }),
  fc.record({ type: field(fc.string({ maxLength: 12 })) }, { requiredKeys: [] }),
);

const content = fc.oneof(text, fc.array(block, { maxLength: 4 }), anyValue);

const toolCall = fc.record(
  {
    id: field(text),
    type: field(fc.constant('function')),
    function: field(fc.record({ name: field(text), arguments: field(fc.oneof(fc.json(), text)) }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

const message = fc.record(
  {
    role: field(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool', 'function')),
    content: content,
    name: field(text),
    tool_calls: field(fc.array(toolCall, { maxLength: 2 })),
    tool_call_id: field(text),
  },
  { requiredKeys: ['role'] },
);

const tool = fc.oneof(
  fc.record({ type: fc.constant('function'), function: field(fc.record({ name: field(text), description: field(text), parameters: anyValue, strict: field(fc.boolean()) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  fc.record({ name: field(text), description: field(text), input_schema: anyValue, type: field(fc.constantFrom('custom', 'web_search_20250305')) }, { requiredKeys: [] }),
);

const toolChoice = fc.oneof(
  fc.constantFrom('auto', 'none', 'required', 'any'),
  fc.record({ type: fc.constantFrom('auto', 'any', 'tool', 'none', 'function'), name: field(text), function: field(fc.record({ name: text })) }, { requiredKeys: [] }),
  anyValue,
);

const maxTokens = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer(), fc.constant(1e308), anyValue);

/** OpenAI Chat Completions body: noisy fields, most requests fail validation. */
const noisyChat = fc.record(
  {
    model: field(fc.constantFrom(...MODELS)),
    messages: field(fc.array(message, { maxLength: 4 })),
    stream: field(fc.boolean()),
    stream_options: field(fc.record({ include_usage: field(fc.boolean()) }, { requiredKeys: [] })),
    max_tokens: maxTokens,
    max_completion_tokens: maxTokens,
    temperature: field(fc.double({ min: -1, max: 3 })),
    top_p: field(fc.double()),
    n: field(fc.integer({ min: -1, max: 3 })),
    stop: field(fc.oneof(text, fc.array(text, { maxLength: 5 }))),
    tools: field(fc.array(tool, { maxLength: 3 })),
    tool_choice: toolChoice,
    parallel_tool_calls: field(fc.boolean()),
    response_format: field(fc.record({ type: fc.constantFrom('text', 'json_object', 'json_schema'), json_schema: anyValue }, { requiredKeys: [] })),
    reasoning_effort: field(fc.constantFrom('minimal', 'low', 'medium', 'high')),
    user: field(text),
    metadata: anyValue,
    logprobs: field(fc.boolean()),
    seed: field(fc.integer()),
  },
  { requiredKeys: [] },
);

/** Anthropic Messages body: noisy fields. */
const noisyMessages = fc.record(
  {
    model: field(fc.constantFrom(...MODELS)),
    messages: field(fc.array(message, { maxLength: 4 })),
    system: field(fc.oneof(text, fc.array(block, { maxLength: 2 }))),
    max_tokens: maxTokens,
    stream: field(fc.boolean()),
    stop_sequences: field(fc.array(text, { maxLength: 5 })),
    temperature: field(fc.double({ min: -1, max: 2 })),
    top_k: field(fc.integer()),
    tools: field(fc.array(tool, { maxLength: 3 })),
    tool_choice: toolChoice,
    thinking: field(fc.record({ type: fc.constantFrom('enabled', 'disabled', 'adaptive'), budget_tokens: field(fc.integer()) }, { requiredKeys: [] })),
    metadata: field(fc.record({ user_id: field(text) }, { requiredKeys: [] })),
    service_tier: field(fc.constantFrom('auto', 'standard_only')),
  },
  { requiredKeys: [] },
);

/** OpenAI Responses body: noisy fields. */
const noisyResponses = fc.record(
  {
    model: field(fc.constantFrom(...MODELS)),
    input: field(
      fc.oneof(
        text,
        fc.array(
          fc.oneof(
            message,
            fc.record({ type: fc.constantFrom('message', 'function_call', 'function_call_output', 'reasoning', 'item_reference'), role: field(fc.constantFrom('user', 'assistant', 'system', 'developer')), content: content, call_id: field(text), name: field(text), arguments: field(text), output: field(text), id: field(text), summary: anyValue, encrypted_content: field(text) }, { requiredKeys: ['type'] }),
          ),
          { maxLength: 4 },
        ),
      ),
    ),
    instructions: field(text),
    stream: field(fc.boolean()),
    max_output_tokens: maxTokens,
    tools: field(fc.array(fc.oneof(tool, fc.record({ type: fc.constant('function'), name: field(text), parameters: anyValue }, { requiredKeys: [] })), { maxLength: 3 })),
    tool_choice: toolChoice,
    reasoning: field(fc.record({ effort: field(fc.constantFrom('low', 'medium', 'high')), summary: field(fc.constantFrom('auto', 'concise', 'detailed')) }, { requiredKeys: [] })),
    text: anyValue,
    store: field(fc.boolean()),
    previous_response_id: field(text),
    include: field(fc.array(fc.constantFrom('reasoning.encrypted_content', 'message.output_text.logprobs'), { maxLength: 2 })),
  },
  { requiredKeys: [] },
);

const ROUTED = ['gpt-4o-mini', 'o3-mini', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'fast'];
const smallCap = fc.integer({ min: 1, max: 64 });
const jsonSchema = fc.constantFrom({ type: 'object', properties: { q: { type: 'string' } }, required: ['q'] }, { type: 'object' }, {});
const toolName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_-]{0,70}$/);

/** A conversation that ends with the user, as every API wants. */
const turns = (blocks: boolean) =>
  fc.array(fc.tuple(text, text), { maxLength: 2 }).chain((pairs) =>
    fc.tuple(blocks ? fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text: text.filter((t) => t.length > 0) }), { minLength: 1, maxLength: 2 })) : text).map(([last]) => [
      ...pairs.flatMap(([u, a]) => [
        { role: 'user', content: u || 'hi' },
        { role: 'assistant', content: a || 'ok' },
      ]),
      { role: 'user', content: last === '' ? 'hi' : last },
    ]),
  );

/** Valid Chat Completions requests with unusual values: these reach a provider and come back translated. */
const validChat = fc.record(
  {
    model: fc.constantFrom(...ROUTED),
    messages: fc.tuple(fc.option(text.map((t) => ({ role: fc.sample(fc.constantFrom('system', 'developer'), 1)[0], content: t || 'be brief' }))), turns(true)).map(([sys, rest]) => (sys ? [sys, ...rest] : rest)),
    stream: fc.boolean(),
    stream_options: fc.constant({ include_usage: true }),
    max_tokens: smallCap,
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    stop: fc.array(text.filter((t) => t.length > 0), { maxLength: 3 }),
    tools: fc.array(fc.record({ type: fc.constant('function'), function: fc.record({ name: toolName, description: text, parameters: jsonSchema }) }), { maxLength: 2 }),
    user: text,
  },
  { requiredKeys: ['model', 'messages'] },
).map((b) => (b.stream === true ? b : { ...b, stream_options: undefined }));

/** Valid Messages requests with unusual values. */
const validMessages = fc.record(
  {
    model: fc.constantFrom(...ROUTED),
    max_tokens: smallCap,
    messages: turns(true),
    system: fc.oneof(text, fc.array(fc.record({ type: fc.constant('text'), text: text.filter((t) => t.length > 0) }), { minLength: 1, maxLength: 2 })),
    stream: fc.boolean(),
    stop_sequences: fc.array(text.filter((t) => t.trim().length > 0), { maxLength: 3 }),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    tools: fc.array(fc.record({ name: toolName, description: text, input_schema: jsonSchema }), { maxLength: 2 }),
    metadata: fc.record({ user_id: text }),
  },
  { requiredKeys: ['model', 'max_tokens', 'messages'] },
);

/** Valid Responses requests with unusual values. */
const validResponses = fc.record(
  {
    model: fc.constantFrom(...ROUTED),
    input: fc.oneof(text.map((t) => t || 'hi'), turns(false)),
    instructions: text,
    stream: fc.boolean(),
    max_output_tokens: fc.integer({ min: 16, max: 64 }),
    tools: fc.array(fc.record({ type: fc.constant('function'), name: toolName, parameters: jsonSchema }), { maxLength: 2 }),
  },
  { requiredKeys: ['model', 'input'] },
);

export const chatBody = fc.oneof(validChat, noisyChat);
export const messagesBody = fc.oneof(validMessages, noisyMessages);
export const responsesBody = fc.oneof(validResponses, noisyResponses);

/** Embeddings body. */
export const embeddingsBody = fc.record(
  {
    model: field(fc.constantFrom(...MODELS)),
    input: field(fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.array(fc.integer(), { maxLength: 5 }))),
    // Small on purpose: the fake embeddings server allocates `dimensions` numbers per input.
    dimensions: fc.integer({ min: -2, max: 16 }),
    encoding_format: field(fc.constantFrom('float', 'base64')),
  },
  { requiredKeys: [] },
);

/** A body as bytes: mostly JSON of `shaped`, sometimes arbitrary JSON, sometimes not JSON at all. */
export function bodyOf(shaped: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 8, arbitrary: shaped.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: shaped.map((v) => Buffer.from((JSON.stringify(v) ?? '').slice(0, 17))) },
  );
}

/** Printable header text (what an HTTP client lets through), including empty. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** Headers that steer the gateway: identity, keys, versions, betas, content type, request id. */
export const headers = fc.record(
  {
    'x-agent-id': fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a0', 'fuzz', 'budgeted', 'default', 'new-agent') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('../etc', ''), headerText) }),
    authorization: fc.oneof(fc.constantFrom('Bearer vk-fuzz-agent-0001', 'Bearer ', 'Basic abc'), headerText.map((t) => `Bearer ${t}`)),
    'x-api-key': fc.oneof(fc.constant('vk-fuzz-agent-0001'), headerText),
    'anthropic-version': fc.oneof(fc.constantFrom('2023-06-01', '2023-01-01'), headerText),
    'anthropic-beta': headerText,
    'openai-organization': headerText,
    'content-type': fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
      { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '', 'application/vnd.x+json') },
    ),
    'x-request-id': headerText,
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*'),
    'x-stainless-retry-count': headerText,
  },
  { requiredKeys: [] },
);

/** Path segments for `/agents/{id}/v1/...`, some of them hostile. */
export const agentSegment = fc.oneof(
  fc.constantFrom('a0', 'fuzz', 'x', 'default', '%2e%2e', '%ZZ', 'a%2Fb', 'ünï', '-'),
  fc.string({ unit: fc.constantFrom(...'abcXYZ09._-~%'.split('')), minLength: 1, maxLength: 12 }),
);
