/**
 * Responses `custom` (free-form) tools toward providers that only have JSON functions: Codex's apply_patch is
 * offered as a function with one string argument `input`, its grammar in the description; the model's calls come
 * back to the client as `custom_tool_call` items with the text, streamed as `response.custom_tool_call_input.*`
 * events; `custom_tool_call` / `custom_tool_call_output` history items become tool calls and results. Tools of an
 * `additional_tools` input item (Codex's default code-mode model) are offered like the request's own.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AssistantPart, CanonicalRequest, CanonicalResponse, FunctionTool } from '../../../src/wire/canonical.js';
import type { WireCodec } from '../../../src/wire/codec.js';
import { anthropicMessagesCodec } from '../../../src/wire/anthropic-messages/index.js';
import { openAIChatCodec } from '../../../src/wire/openai-chat/index.js';
import { openAIResponsesCodec } from '../../../src/wire/openai-responses/index.js';
import { createFreeformReader } from '../../../src/wire/shared/freeform.js';
import {
  ANTHROPIC_TOOL_NAME_MAX,
  OPENAI_TOOL_NAME_MAX,
  restoreToolNameInEvent,
  restoreToolNamesInResponse,
  toolNameRestorer,
} from '../../../src/wire/shared/tool-names.js';
import { createStreamTranslator } from '../../../src/wire/stream-translator.js';
import { parseSseText } from '../../../src/wire/sse.js';
import { ENCODER_OPTIONS, fixtureBytes, responsesViolations } from './helpers.js';

const A = openAIChatCodec;
const B = anthropicMessagesCodec;
const C = openAIResponsesCodec;
const LAX = { model: 'up', defaultMaxTokens: 4096, strict: false };
type Json = Record<string, unknown>;

/** The tools Codex 0.171.0 sends for gpt-5.5, and the additional_tools item of its default (code-mode) model. */
const CODEX = JSON.parse(readFileSync(new URL('../../fixtures/agents/codex-0.171.0-tools.json', import.meta.url), 'utf8')) as {
  'gpt-5.5 tools': Json[];
  'default model additional_tools': Json;
};
const CODEX_TOOLS = CODEX['gpt-5.5 tools'];
const APPLY_PATCH = CODEX_TOOLS.find((t) => t['name'] === 'apply_patch')!;
const GRAMMAR = (APPLY_PATCH['format'] as Json)['definition'] as string;
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+héllo é 😀 "quoted"\t\\\n*** End Patch\n';

const codexRequest = (input: unknown[] = [{ role: 'user', content: 'add hello.txt' }]): CanonicalRequest =>
  C.decodeRequest({ model: 'gpt-5.5', input, tools: CODEX_TOOLS, stream: true });

const usage = { inputUncached: 1, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 1, reasoning: 0 };

function restorer(request: CanonicalRequest, max: number): NonNullable<ReturnType<typeof toolNameRestorer>> {
  const restore = toolNameRestorer(request, max);
  if (restore === undefined) throw new Error('a free-form tool must be restored');
  return restore;
}

/** Upstream SSE text → the Responses stream a client gets, with tool names (and kinds) restored for `request`. */
function toResponses(upstream: WireCodec, request: CanonicalRequest, chunks: Array<string | Uint8Array>, onOutputItem?: (id: string, parts: AssistantPart[]) => void): string {
  const restore = restorer(request, upstream === B ? ANTHROPIC_TOOL_NAME_MAX : OPENAI_TOOL_NAME_MAX);
  const translator = createStreamTranslator(upstream, C, { ...ENCODER_OPTIONS, includeUsage: false, map: (e) => restoreToolNameInEvent(e, restore), onOutputItem });
  let out = '';
  for (const chunk of chunks) out += translator.feed(chunk);
  return out + translator.end();
}

const events = (text: string): Json[] => parseSseText(text).map((e) => JSON.parse(e.data) as Json);

describe('a custom tool is offered as a function with one string argument', () => {
  it('Codex’s apply_patch toward Anthropic and Chat: `input`, with the description and the Lark grammar; nothing dropped for it', () => {
    const request = codexRequest();
    const tool = request.tools.find((t) => t.name === 'apply_patch') as FunctionTool;
    expect(tool).toMatchObject({ type: 'function', freeform: true });
    const schema = { type: 'object', properties: { input: { type: 'string', description: "The tool's whole input, as plain text." } }, required: ['input'], additionalProperties: false };

    const anthropic = B.encodeRequest(request, LAX);
    const offered = (anthropic.body['tools'] as Json[]).find((t) => t['name'] === 'apply_patch');
    expect(offered?.['input_schema']).toEqual(schema);
    const description = String(offered?.['description']);
    expect(description.startsWith(String(APPLY_PATCH['description']))).toBe(true);
    expect(description).toContain('string argument `input`; the text must follow this Lark grammar:\n');
    expect(description.endsWith(GRAMMAR)).toBe(true);
    expect(anthropic.dropped).not.toContain('tools[apply_patch]');
    // Codex's client-run tool search has no counterpart: still dropped and named.
    expect(anthropic.dropped).toContain('tools[tool_search]');

    const chat = A.encodeRequest(request, LAX);
    const fn = (chat.body['tools'] as Json[]).map((t) => t['function'] as Json).find((f) => f['name'] === 'apply_patch');
    expect(fn).toMatchObject({ parameters: schema, description });
    expect(chat.dropped).not.toContain('tools[apply_patch]');
  });

  it('plain-text and regex formats say so; a custom tool inside a namespace is flattened like a function', () => {
    const request = C.decodeRequest({
      model: 'm',
      input: 'x',
      tools: [
        { type: 'custom', name: 'note' },
        { type: 'custom', name: 'code', description: 'A code.', format: { type: 'grammar', syntax: 'regex', definition: '^[A-Z]{3}$' } },
        { type: 'namespace', name: 'functions', description: '', tools: [{ type: 'custom', name: 'exec', description: 'Run JS.', format: { type: 'text' } }] },
      ],
    });
    const tools = B.encodeRequest(request, LAX).body['tools'] as Json[];
    expect(tools.map((t) => [t['name'], t['description']])).toEqual([
      ['note', 'Pass the whole input as plain text in the string argument `input`.'],
      ['code', 'A code.\n\nPass the whole input as plain text in the string argument `input`; the text must follow this regular expression:\n^[A-Z]{3}$'],
      ['functions__exec', 'Run JS.\n\nPass the whole input as plain text in the string argument `input`.'],
    ]);
    expect(restorer(request, ANTHROPIC_TOOL_NAME_MAX)('functions__exec')).toEqual({ name: 'exec', namespace: 'functions', freeform: true });
    // Restored even where the name goes up unchanged: the call must come back as free text.
    expect(restorer(request, ANTHROPIC_TOOL_NAME_MAX)('note')).toEqual({ name: 'note', freeform: true });
  });

  it('a custom tool without a name is a 400 naming it', () => {
    expect(() => C.decodeRequest({ model: 'm', input: 'x', tools: [{ type: 'custom' }] })).toThrow(expect.objectContaining({ status: 400, param: 'tools[0].name' }));
  });

  it('tool_choice naming a custom tool forces that tool', () => {
    const request = C.decodeRequest({ model: 'm', input: 'x', tools: [APPLY_PATCH], tool_choice: { type: 'custom', name: 'apply_patch' } });
    expect(B.encodeRequest(request, LAX).body['tool_choice']).toEqual({ type: 'tool', name: 'apply_patch' });
    expect(A.encodeRequest(request, LAX).body['tool_choice']).toEqual({ type: 'function', function: { name: 'apply_patch' } });
  });
});

describe('custom tool calls and outputs in the history', () => {
  const history = [
    { role: 'user', content: 'add hello.txt' },
    { type: 'custom_tool_call', id: 'ctc_1', status: 'completed', call_id: 'call_p1', name: 'apply_patch', input: PATCH },
    { type: 'custom_tool_call_output', id: 'ctco_1', call_id: 'call_p1', output: 'Success. Updated the following files:\nA hello.txt\n' },
    { type: 'custom_tool_call', call_id: 'call_x1', name: 'exec', namespace: 'functions', input: 'text(1)' },
    { type: 'custom_tool_call_output', call_id: 'call_x1', output: [{ type: 'input_text', text: 'Script completed' }, { type: 'input_text', text: '1' }] },
  ];

  it('toward Anthropic: tool_use with the text as `input`, and tool_result', () => {
    const messages = B.encodeRequest(codexRequest(history), LAX).body['messages'] as Json[];
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_p1', name: 'apply_patch', input: { input: PATCH } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_p1', content: 'Success. Updated the following files:\nA hello.txt\n' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_x1', name: 'functions__exec', input: { input: 'text(1)' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_x1', content: [{ type: 'text', text: 'Script completed' }, { type: 'text', text: '1' }] }] },
    ]);
  });

  it('toward Chat Completions: a function call whose arguments are {"input": …}, and a tool message', () => {
    const messages = A.encodeRequest(codexRequest(history.slice(0, 3)), LAX).body['messages'] as Json[];
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_p1', type: 'function', function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) } }] },
      { role: 'tool', tool_call_id: 'call_p1', content: 'Success. Updated the following files:\nA hello.txt\n' },
    ]);
  });

  it('a custom_tool_call without its input is a 400 naming the item', () => {
    expect(() => codexRequest([{ type: 'custom_tool_call', call_id: 'c', name: 'apply_patch' }])).toThrow(expect.objectContaining({ status: 400, param: 'input[0]' }));
  });
});

describe('a call of the function comes back as a custom_tool_call', () => {
  it('a whole Anthropic answer: the `input` argument is the item’s text; a namespaced one names its namespace', () => {
    const request = C.decodeRequest({ model: 'm', input: 'x', tools: [APPLY_PATCH, { type: 'namespace', name: 'functions', description: '', tools: [{ type: 'custom', name: 'exec' }] }] });
    const message = {
      id: 'msg_7',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'tool_use', id: 'toolu_1', name: 'apply_patch', input: { input: PATCH } },
        { type: 'tool_use', id: 'toolu_2', name: 'functions__exec', input: { input: 'text(1)' } },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 5 },
    };
    const response = restoreToolNamesInResponse(B.decodeResponse(message), restorer(request, ANTHROPIC_TOOL_NAME_MAX));
    const output = C.encodeResponse(response, { model: 'gpt-5.5' })['output'] as Json[];
    expect(output).toEqual([
      { type: 'custom_tool_call', id: 'ctc_msg_7_0', call_id: 'toolu_1', name: 'apply_patch', input: PATCH, status: 'completed' },
      { type: 'custom_tool_call', id: 'ctc_msg_7_1', call_id: 'toolu_2', name: 'exec', namespace: 'functions', input: 'text(1)', status: 'completed' },
    ]);
  });

  it('arguments of another shape still reach the client: one string under another name, or else their JSON', () => {
    const request = C.decodeRequest({ model: 'm', input: 'x', tools: [APPLY_PATCH] });
    const answer = (input: Json): CanonicalResponse =>
      restoreToolNamesInResponse({ id: 'msg_8', model: 'm', content: [{ type: 'tool-call', id: 't', name: 'apply_patch', input }], stopReason: 'tool-calls', usage }, restorer(request, OPENAI_TOOL_NAME_MAX));
    const text = (input: Json): unknown => (C.encodeResponse(answer(input), { model: 'm' })['output'] as Json[])[0]?.['input'];
    expect(text({ patch: PATCH })).toBe(PATCH);
    expect(text({ input: 1, more: true })).toBe('{"input":1,"more":true}');
  });
});

describe('streamed, the text is read out of the argument JSON as it arrives', () => {
  const { text: upstream } = fixtureBytes('anthropic-apply-patch');
  const upstreamBytes = new TextEncoder().encode(upstream);

  it('from Anthropic: custom_tool_call added, its input deltas, done, and the item in response.completed', () => {
    const stored: Array<[string, AssistantPart[]]> = [];
    const out = toResponses(B, codexRequest(), [upstream], (id, parts) => stored.push([id, parts]));
    expect(responsesViolations(out)).toEqual([]);
    const all = events(out);
    const call = all.filter((e) => (e['type'] as string).startsWith('response.custom_tool_call_input') || (e['item'] as Json | undefined)?.['type'] === 'custom_tool_call');
    expect(call.map((e) => e['type'])).toEqual([
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
    ]);
    expect(call[0]?.['item']).toEqual({ type: 'custom_tool_call', id: 'ctc_gw_req_0001_1', call_id: 'toolu_01PatchAbc', name: 'apply_patch', input: '', status: 'in_progress' });
    const deltas = call.filter((e) => e['type'] === 'response.custom_tool_call_input.delta').map((e) => e['delta'] as string);
    // Each fragment's text as soon as it is whole: an escape split across fragments waits for its second half, a
    // high surrogate for its pair.
    expect(deltas).toEqual(['*** Begin Patch\n*** Add', ' File: hello.txt', '\n+héllo é ', '😀 "quoted"\t\\\n*** End Patch\n']);
    expect(deltas.join('')).toBe(PATCH);
    expect(call[5]).toMatchObject({ item_id: 'ctc_gw_req_0001_1', output_index: 1, input: PATCH });
    const done = { type: 'custom_tool_call', id: 'ctc_gw_req_0001_1', call_id: 'toolu_01PatchAbc', name: 'apply_patch', input: PATCH, status: 'completed' };
    expect(call[6]?.['item']).toEqual(done);
    const completed = all.at(-1)?.['response'] as Json;
    expect(completed['status']).toBe('completed');
    expect((completed['output'] as Json[])[1]).toEqual(done);
    // The store keeps the call as a free-form one, so an item_reference to it replays as the same tool_use.
    expect(stored[1]).toEqual(['ctc_gw_req_0001_1', [{ type: 'tool-call', id: 'toolu_01PatchAbc', name: 'apply_patch', input: { input: PATCH }, freeform: true }]]);
  });

  it('any split of the upstream bytes, down to one byte at a time, gives the same stream', () => {
    const whole = toResponses(B, codexRequest(), [upstreamBytes]);
    expect(toResponses(B, codexRequest(), Array.from(upstreamBytes, (b) => Uint8Array.of(b)))).toBe(whole);
    fc.assert(
      fc.property(fc.array(fc.nat(upstreamBytes.length), { maxLength: 40 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parts = [0, ...points].map((from, i) => upstreamBytes.subarray(from, points[i] ?? upstreamBytes.length));
        expect(toResponses(B, codexRequest(), parts)).toBe(whole);
      }),
      { numRuns: 60 },
    );
  });

  it('from a Chat Completions upstream: the same items', () => {
    const chunk = (delta: Json, finish: string | null = null): string =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const args = JSON.stringify({ input: PATCH });
    const upstreamChat = [
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'apply_patch', arguments: '' } }] }),
      ...[args.slice(0, 7), args.slice(7, 30), args.slice(30)].map((a) => chunk({ tool_calls: [{ index: 0, function: { arguments: a } }] })),
      chunk({}, 'tool_calls'),
      'data: [DONE]\n\n',
    ].join('');
    const out = toResponses(A, codexRequest(), [upstreamChat]);
    expect(responsesViolations(out)).toEqual([]);
    const all = events(out);
    expect(all.filter((e) => e['type'] === 'response.custom_tool_call_input.delta').map((e) => e['delta']).join('')).toBe(PATCH);
    expect(all.find((e) => e['type'] === 'response.output_item.done')?.['item']).toMatchObject({ type: 'custom_tool_call', call_id: 'call_9', name: 'apply_patch', input: PATCH });
  });

  it('arguments of another shape stream nothing until the call is complete, then the text at once', () => {
    const request = C.decodeRequest({ model: 'm', input: 'x', tools: [APPLY_PATCH] });
    const restore = restorer(request, ANTHROPIC_TOOL_NAME_MAX);
    const encoder = C.createStreamEncoder({ ...ENCODER_OPTIONS, includeUsage: false });
    let out = encoder.push(restoreToolNameInEvent({ type: 'tool-call-start', index: 0, id: 't1', name: 'apply_patch' }, restore));
    for (const argsJson of ['{"patch"', ': "*** Begin', ' Patch\\n"}']) out += encoder.push({ type: 'tool-call-delta', index: 0, argsJson });
    expect(events(out).map((e) => e['type'])).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
    out += encoder.push({ type: 'block-stop' });
    const tail = events(out).slice(3);
    expect(tail.map((e) => [e['type'], e['delta'] ?? e['input']])).toEqual([
      ['response.custom_tool_call_input.delta', '*** Begin Patch\n'],
      ['response.custom_tool_call_input.done', '*** Begin Patch\n'],
      ['response.output_item.done', undefined],
    ]);
  });
});

describe('the argument reader', () => {
  /** Every piece the reader yields, for `json` cut at `cuts`. */
  function read(json: string, cuts: number[]): string[] {
    const reader = createFreeformReader();
    const points = [...new Set(cuts.map((c) => c % (json.length + 1)))].sort((a, b) => a - b);
    return [0, ...points].map((from, i) => reader(json.slice(from, points[i] ?? json.length)));
  }
  /** A lone surrogate does not survive UTF-8. */
  const wellFormed = (s: string): boolean => new TextDecoder().decode(new TextEncoder().encode(s)) === s;
  /** JSON text with every non-ASCII character escaped, as Python's json.dumps writes it. */
  const asciiJson = (value: unknown): string => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

  it('yields exactly the text, in well-formed pieces, however the JSON is cut and escaped', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.array(fc.nat(), { maxLength: 12 }), fc.constantFrom('', ' ', '\n  '), fc.boolean(), (text, cuts, space, ascii) => {
        const value = ascii ? asciiJson(text) : JSON.stringify(text);
        const json = `${space}{${space}"input"${space}:${space}${value}${space}}`;
        const pieces = read(json, cuts);
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) expect(wellFormed(piece)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('yields nothing for another first key, nor after the string ends', () => {
    expect(read('{"patch": "x", "input": "y"}', [3, 9]).join('')).toBe('');
    expect(read('{"input": "x", "input": "y"}', [3, 9]).join('')).toBe('x');
    expect(read('["input"]', []).join('')).toBe('');
  });
});

describe('additional_tools input items', () => {
  const item = CODEX['default model additional_tools'];
  const codeMode = (input: unknown[]): CanonicalRequest => C.decodeRequest({ model: 'gpt-6.2-sol', input, stream: true, parallel_tool_calls: false });

  it('Codex’s code-mode item: its namespaces are offered as the request’s tools, its custom exec as a function', () => {
    const request = codeMode([item, { role: 'user', content: 'hi' }]);
    expect(request.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
    const encoded = B.encodeRequest(request, LAX);
    const tools = encoded.body['tools'] as Json[];
    const names = tools.map((t) => t['name']);
    expect(names).toEqual([
      'functions__exec', 'functions__wait', 'functions__request_user_input', 'functions__request_user_input_async', 'functions__send_message_to_user_async',
      'clock__sleep',
      'collaboration__followup_task', 'collaboration__interrupt_agent', 'collaboration__list_agents', 'collaboration__send_message', 'collaboration__spawn_agent', 'collaboration__wait_agent',
    ]);
    for (const name of names) expect(String(name)).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(tools[0]).toMatchObject({ input_schema: { required: ['input'] } });
    expect(String(tools[0]?.['description'])).toContain('Lark grammar');
    expect(encoded.dropped.filter((d) => d.startsWith('tools['))).toEqual([]);
    expect(A.encodeRequest(request, LAX).dropped.filter((d) => d.startsWith('tools['))).toEqual([]);
    expect(restorer(request, OPENAI_TOOL_NAME_MAX)('functions__exec')).toEqual({ name: 'exec', namespace: 'functions', freeform: true });
  });

  it('its tools join the request’s own; a malformed one is a 400 naming it', () => {
    const request = C.decodeRequest({ model: 'm', input: [{ type: 'additional_tools', role: 'developer', tools: [APPLY_PATCH] }, { role: 'user', content: 'x' }], tools: [{ type: 'function', name: 'f' }] });
    expect(request.tools.map((t) => t.name)).toEqual(['f', 'apply_patch']);
    expect(() => codeMode([{ type: 'additional_tools', role: 'developer', tools: {} }])).toThrow(expect.objectContaining({ status: 400, param: 'input[0].tools' }));
    expect(() => codeMode([{ type: 'additional_tools', role: 'developer', tools: [{ type: 'custom' }] }])).toThrow(expect.objectContaining({ status: 400, param: 'input[0].tools[0].name' }));
  });
});
