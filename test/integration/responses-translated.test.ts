/**
 * /v1/responses to a provider without the Responses API (Anthropic here), through the official openai SDK:
 * namespace tools flattened and their calls given back split, custom (free-form) tools offered as functions and
 * their calls given back as custom_tool_call items, hosted web search run by Anthropic and shown as
 * web_search_call items, hosted tools with no equivalent dropped and named, and the Responses state the AI SDK
 * and others rely on (item_reference, previous_response_id) resolved from the gateway's per-agent memory.
 */
import { describe, expect, it } from 'vitest';
import OpenAI, { BadRequestError } from 'openai';
import { DEFAULT_SEARCH_QUERY, DEFAULT_TEXT } from '../fakes/index.js';
import { bodyOf, messagesOf, rejectionOf, shareTranslationRig, type TranslationRig } from './translation-helpers.js';

let rig: TranslationRig;
let seq = 0;

shareTranslationRig((started) => (rig = started), { extraYaml: 'agents:\n  strict-bot: { strict_translation: true }' });

const params = { type: 'object' as const, properties: { task: { type: 'string' } }, required: ['task'] };
const tools = [
  { type: 'function' as const, name: 'exec_command', parameters: params, strict: false },
  { type: 'namespace', name: 'multi_agent_v1', description: 'Sub-agents', tools: [{ type: 'function', name: 'spawn_agent', parameters: params }] },
  { type: 'web_search' as const },
  { type: 'image_generation' as const },
] as OpenAI.Responses.Tool[];

type Json = Record<string, unknown>;

describe('tools', () => {
  it('namespace tools go up flattened, web search as Anthropic’s own, image generation dropped and named', async () => {
    const agent = `rt-${++seq}`;
    const { data, response } = await rig.openaiClient(agent).responses.create({ model: 'claude-haiku-4-5', input: 'hi', tools }).withResponse();
    expect(data.output_text).toBe(DEFAULT_TEXT);
    const sent = bodyOf(rig.anthropic.lastRequest)['tools'] as Json[];
    expect(sent.map((t) => t['name'])).toEqual(['exec_command', 'multi_agent_v1__spawn_agent', 'web_search']);
    expect(sent[2]).toEqual({ type: 'web_search_20250305', name: 'web_search' });
    expect(response.headers.get('x-ai-gateway-dropped')).toBe('tools[image_generation]');
    expect(await rig.rowOf(agent)).toMatchObject({ status: 200, dropped: 'tools[image_generation]', upstream_format: 'anthropic-messages' });
  });

  it('strict translation refuses to drop it instead, before any provider is called', async () => {
    const err = await rejectionOf(rig.openaiClient('strict-bot').responses.create({ model: 'claude-haiku-4-5', input: 'hi', tools }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as BadRequestError).message).toMatch(/image_generation.*strict mode/);
    expect(rig.anthropic.requests).toHaveLength(0);
  });

  it('a call of a namespaced tool comes back with its bare name and its namespace, streamed or not', async () => {
    const call = { kind: 'tools' as const, calls: [{ name: 'multi_agent_v1__spawn_agent', arguments: { task: 'review' } }] };
    rig.anthropic.queueScenarios(call, call);
    const client = rig.openaiClient(`rt-${++seq}`);
    const whole = await client.responses.create({ model: 'claude-haiku-4-5', input: 'spawn', tools });
    expect(whole.output[0]).toMatchObject({ type: 'function_call', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task":"review"}' });
    const streamed = await client.responses.stream({ model: 'claude-haiku-4-5', input: 'spawn', tools }).finalResponse();
    expect(streamed.output[0]).toMatchObject({ type: 'function_call', name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: '{"task":"review"}' });
  });

  it('a custom tool goes up as a function taking `input`; its calls come back as custom_tool_call items, streamed or not, and replay as tool_use', async () => {
    const patch = '*** Begin Patch\n*** Add File: a.txt\n+a "quoted" line\n*** End Patch\n';
    const call = { kind: 'tools' as const, calls: [{ name: 'apply_patch', arguments: { input: patch } }], fragments: 7 };
    rig.anthropic.queueScenarios(call, call, { kind: 'text' });
    const custom = [{ type: 'custom', name: 'apply_patch', description: 'Edit files.', format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch hunk+ end_patch' } }] as OpenAI.Responses.Tool[];
    const client = rig.openaiClient(`rt-${++seq}`);
    const whole = await client.responses.create({ model: 'claude-haiku-4-5', input: 'patch it', tools: custom });
    expect(bodyOf(rig.anthropic.lastRequest)['tools']).toEqual([
      {
        name: 'apply_patch',
        description: 'Edit files.\n\nPass the whole input as plain text in the string argument `input`; the text must follow this Lark grammar:\nstart: begin_patch hunk+ end_patch',
        input_schema: { type: 'object', properties: { input: { type: 'string', description: "The tool's whole input, as plain text." } }, required: ['input'], additionalProperties: false },
      },
    ]);
    expect(whole.output[0]).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: patch, status: 'completed' });

    const deltas: string[] = [];
    const stream = client.responses.stream({ model: 'claude-haiku-4-5', input: 'patch it', tools: custom });
    stream.on('response.custom_tool_call_input.delta', (event) => deltas.push(event.delta));
    const streamed = await stream.finalResponse();
    const item = streamed.output[0] as OpenAI.Responses.ResponseCustomToolCall;
    expect(item).toMatchObject({ type: 'custom_tool_call', name: 'apply_patch', input: patch });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(patch);

    // The next turn refers to the call by id and sends its output: Anthropic gets the tool_use and its tool_result.
    await client.responses.create({
      model: 'claude-haiku-4-5',
      tools: custom,
      input: [{ role: 'user', content: 'patch it' }, { type: 'item_reference', id: item.id ?? '' }, { type: 'custom_tool_call_output', call_id: item.call_id, output: 'Done.' }],
    });
    expect(messagesOf(rig.anthropic.lastRequest).slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'tool_use', id: item.call_id, name: 'apply_patch', input: { input: patch } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: item.call_id, content: 'Done.' }] },
    ]);
  });

  it('a search Anthropic ran is a web_search_call item, streamed or not', async () => {
    rig.anthropic.queueScenarios({ kind: 'web_search' }, { kind: 'web_search' });
    const client = rig.openaiClient(`rt-${++seq}`);
    for (const result of [await client.responses.create({ model: 'claude-haiku-4-5', input: 'look it up', tools }), await client.responses.stream({ model: 'claude-haiku-4-5', input: 'look it up', tools }).finalResponse()]) {
      expect(result.output.map((o) => o.type)).toEqual(['web_search_call', 'message']);
      expect(result.output[0]).toMatchObject({ status: 'completed', action: { type: 'search', query: DEFAULT_SEARCH_QUERY } });
      expect(result.output_text).toBe(DEFAULT_TEXT);
    }
  });
});

describe('state the gateway keeps for translated responses', () => {
  it('item_reference: earlier text, signed reasoning and a search are expanded back into the Anthropic history', async () => {
    const client = rig.openaiClient(`rt-${++seq}`);
    rig.anthropic.queueScenarios({ kind: 'thinking', text: 'Let me check.' }, { kind: 'web_search' }, { kind: 'text', text: 'Done.' });
    const first = await client.responses.create({ model: 'claude-haiku-4-5', input: 'think first', include: ['reasoning.encrypted_content'] });
    const searched = await client.responses.stream({ model: 'claude-haiku-4-5', input: 'now search', tools }).finalResponse();
    const reasoning = first.output[0] as OpenAI.Responses.ResponseReasoningItem;
    const message = first.output[1] as OpenAI.Responses.ResponseOutputMessage;
    const search = searched.output[0] as OpenAI.Responses.ResponseFunctionWebSearch;
    await client.responses.create({
      model: 'claude-haiku-4-5',
      tools,
      input: [
        { role: 'user', content: 'think first' },
        { type: 'item_reference', id: reasoning.id },
        { type: 'item_reference', id: message.id },
        { role: 'user', content: 'now search' },
        { type: 'item_reference', id: search.id },
        { role: 'user', content: 'and?' },
      ],
    });
    const history = messagesOf(rig.anthropic.lastRequest);
    const firstAnswer = rig.anthropic.requests[0]!.responseBytes.toString('utf8');
    const signature = (JSON.parse(firstAnswer) as { content: Json[] }).content[0]?.['signature'];
    expect(history[1]).toEqual({ role: 'assistant', content: [{ type: 'thinking', thinking: expect.any(String) as unknown, signature }, { type: 'text', text: 'Let me check.' }] });
    const searchBlocks = (history[3]?.['content'] as Json[]).map((b) => b['type']);
    expect(searchBlocks).toEqual(['server_tool_use', 'web_search_tool_result']);
    // The encrypted results Anthropic wants back are there, byte for byte.
    const results = ((history[3]?.['content'] as Json[])[1]?.['content'] as Json[]).map((r) => r['encrypted_content']);
    expect(results).toHaveLength(2);
    for (const r of results) expect(r).toMatch(/^EqgfCioIARgBIiQ/);
    const secondAnswer = rig.anthropic.requests[1]!.responseBytes.toString('utf8');
    for (const r of results) expect(secondAnswer).toContain(String(r));
  });

  it('previous_response_id continues a tool loop; the new instructions apply, the old do not carry over', async () => {
    const client = rig.openaiClient(`rt-${++seq}`);
    rig.anthropic.queueScenarios({ kind: 'tools', calls: [{ name: 'exec_command', arguments: { task: 'ls' } }] }, { kind: 'tool_output', text: 'Listed: ' });
    const first = await client.responses.create({
      model: 'claude-haiku-4-5',
      instructions: 'Old instructions.',
      input: [{ role: 'developer', content: 'Work in /repo.' }, { role: 'user', content: 'list' }],
      tools,
    });
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const next = await client.responses.stream({
      model: 'claude-haiku-4-5',
      instructions: 'New instructions.',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: 'a.txt b.txt' }],
      tools,
    }).finalResponse();
    expect(next.output_text).toBe('Listed: a.txt b.txt');
    const body = bodyOf(rig.anthropic.lastRequest);
    expect(body['system']).toEqual([{ type: 'text', text: 'New instructions.' }, { type: 'text', text: 'Work in /repo.' }]);
    expect(body['messages']).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'list' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.call_id, name: 'exec_command', input: { task: 'ls' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.call_id, content: 'a.txt b.txt' }] },
    ]);
  });

  it('an unknown id is a 400 naming it and how long responses are kept; no provider is called', async () => {
    const agent = `rt-${++seq}`;
    const err = await rejectionOf(rig.openaiClient(agent).responses.create({ model: 'claude-haiku-4-5', input: [{ role: 'user', content: 'x' }, { type: 'item_reference', id: 'msg_nope' }] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as BadRequestError;
    expect(e.param).toBe('input');
    expect(e.message).toContain("Item with id 'msg_nope' not found.");
    expect(e.message).toContain('in memory for 1h00m');
    expect(rig.anthropic.requests).toHaveLength(0);
    expect(await rig.rowOf(agent)).toMatchObject({ status: 400, error_code: 'invalid_request_error', provider: null });
  });

  it('another agent cannot refer to them, nor anyone to a response made with store:false', async () => {
    const owner = rig.openaiClient(`rt-${++seq}`);
    const kept = await owner.responses.create({ model: 'claude-haiku-4-5', input: 'hello' });
    const other = await rejectionOf(rig.openaiClient(`rt-${++seq}`).responses.create({ model: 'claude-haiku-4-5', input: 'more', previous_response_id: kept.id }));
    expect((other as BadRequestError).code).toBe('previous_response_not_found');
    const unkept = await owner.responses.create({ model: 'claude-haiku-4-5', input: 'hello', store: false });
    const refused = await rejectionOf(owner.responses.create({ model: 'claude-haiku-4-5', input: [{ type: 'item_reference', id: unkept.output[0]?.id ?? '' }] }));
    expect((refused as BadRequestError).message).toContain(`Item with id '${unkept.output[0]?.id ?? ''}' not found.`);
    // The owner itself still can.
    await owner.responses.create({ model: 'claude-haiku-4-5', input: 'more', previous_response_id: kept.id });
    expect(messagesOf(rig.anthropic.lastRequest).map((m) => m['role'])).toEqual(['user', 'assistant', 'user']);
  });
});
