// The fake's Responses endpoint driven by the official `openai` SDK: if the SDK accepts its bytes and its errors
// read as the API's, so will clients that the gateway passes them through to.
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SEARCH_QUERY, DEFAULT_TEXT, scenarioHeaders, startFakeOpenAI, type FakeUpstream, type Scenario } from '../../fakes/index.js';

let fake: FakeUpstream;
let client: OpenAI;
const MODEL = 'gpt-5.5';

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: 'sk-test' });
  client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const opts = (s: Scenario): { headers: Record<string, string> } => ({ headers: scenarioHeaders(s) });

async function rejection(p: Promise<unknown>): Promise<BadRequestError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return err as BadRequestError;
  }
  throw new Error('expected a 400');
}

describe('non-stream', () => {
  it('returns a completed response with its output text and the usage split the API reports', async () => {
    const res = await client.responses.create({ model: MODEL, input: 'Say hello' }, opts({ kind: 'text', text: 'Hi there', usage: { input: 100, cacheRead: 30, output: 20, reasoning: 7 } }));
    expect(res.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(res.object).toBe('response');
    expect(res.status).toBe('completed');
    expect(res.output_text).toBe('Hi there');
    expect(res.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed' });
    expect(res.output[0]?.id).toMatch(/^msg_[0-9a-f]{48}$/);
    expect(res.usage).toEqual({
      input_tokens: 130,
      input_tokens_details: { cached_tokens: 30 },
      output_tokens: 20,
      output_tokens_details: { reasoning_tokens: 7 },
      total_tokens: 150,
    });
  });

  it('returns function calls, a namespaced one with its namespace apart, and incomplete for a length stop', async () => {
    const calls = [{ name: 'exec_command', arguments: { cmd: 'ls' } }, { name: 'spawn_agent', namespace: 'multi_agent_v1', arguments: { task: 'x' } }];
    const res = await client.responses.create({ model: MODEL, input: 'run it' }, opts({ kind: 'tools', calls }));
    expect(res.output).toHaveLength(2);
    expect(res.output[0]).toMatchObject({ type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}', status: 'completed' });
    expect(res.output[1]).toMatchObject({ type: 'function_call', name: 'spawn_agent', namespace: 'multi_agent_v1' });
    expect((res.output[0] as { call_id: string }).call_id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    const cut = await client.responses.create({ model: MODEL, input: 'long' }, opts({ kind: 'length' }));
    expect(cut.status).toBe('incomplete');
    expect(cut.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('reasoning carries encrypted_content only when the request includes it', async () => {
    const plain = await client.responses.create({ model: MODEL, input: 'think' }, opts({ kind: 'thinking' }));
    expect(plain.output[0]).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text' }] });
    expect(plain.output[0]).not.toHaveProperty('encrypted_content');
    const withIt = await client.responses.create({ model: MODEL, input: 'think', include: ['reasoning.encrypted_content'] }, opts({ kind: 'thinking' }));
    expect((withIt.output[0] as { encrypted_content: string }).encrypted_content).toMatch(/^gAAAAA/);
  });
});

describe('stream', () => {
  it('sends the full event sequence, every event numbered in order, ending in response.completed', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'hello', stream: true }, opts({ kind: 'text', text: 'abcdef', chunks: 3 }));
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    expect(completed.response.usage).toMatchObject({ input_tokens: 12, output_tokens: 8 });
    // Named events, as the API sends them, and no [DONE].
    const text = fake.lastResponseBytes?.toString('utf8') ?? '';
    expect(text.startsWith('event: response.created\ndata: ')).toBe(true);
    expect(text).not.toContain('[DONE]');
  });

  it('the SDK helper assembles reasoning, a search, text and namespaced calls', async () => {
    const calls = [{ name: 'wait_agent', namespace: 'multi_agent_v1', arguments: { id: 'a1' } }];
    const stream = client.responses.stream({ model: MODEL, input: 'go' }, opts({ kind: 'tools', calls, text: 'Waiting.', fragments: 2 }));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Waiting.');
    expect(final.output.at(-1)).toMatchObject({ type: 'function_call', name: 'wait_agent', namespace: 'multi_agent_v1', arguments: '{"id":"a1"}' });
    const searched = await client.responses.stream({ model: MODEL, input: 'look it up', tools: [{ type: 'web_search' }] }, opts({ kind: 'web_search' })).finalResponse();
    expect(searched.output[0]).toMatchObject({ type: 'web_search_call', status: 'completed', action: { type: 'search', query: DEFAULT_SEARCH_QUERY } });
    expect(searched.output_text).toBe(DEFAULT_TEXT);
    const thought = await client.responses.stream({ model: MODEL, input: 'think' }, opts({ kind: 'thinking' })).finalResponse();
    expect(thought.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('a mid-stream failure is response.failed, which the SDK helper turns into an error', async () => {
    const stream = await client.responses.create({ model: MODEL, input: 'x', stream: true }, opts({ kind: 'midstream_error', afterDeltas: 1, message: 'boom' }));
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.failed');
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.completed');
  });
});

describe('strictness and state', () => {
  it('refuses unknown parameters, unknown item types and malformed tools as the API does', async () => {
    const unknown = await rejection(client.responses.create({ model: MODEL, input: 'x', bogus: 1 } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming));
    expect(unknown).toMatchObject({ param: 'bogus', code: 'unknown_parameter' });
    expect(unknown.message).toContain("Unknown parameter: 'bogus'.");
    const item = await rejection(client.responses.create({ model: MODEL, input: [{ type: 'nonsense' }] } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming));
    expect(item).toMatchObject({ param: 'input[0].type', code: 'invalid_value' });
    const tool = await rejection(client.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'function', name: 'bad name', parameters: {}, strict: false }] }));
    expect(tool.param).toBe('tools[0].name');
    const namespace = await rejection(client.responses.create({ model: MODEL, input: 'x', tools: [{ type: 'namespace', name: 'ns', description: 'd', tools: [] }] } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming));
    expect(namespace.param).toBe('tools[0].tools');
  });

  it('refuses a function_call_output whose call_id no call in the conversation has', async () => {
    const err = await rejection(
      client.responses.create({
        model: MODEL,
        input: [
          { role: 'user', content: 'run ls' },
          { type: 'function_call', call_id: 'call_a', name: 'exec_command', arguments: '{}' },
          { type: 'function_call_output', call_id: 'call_b', output: 'files' },
        ],
      }),
    );
    expect(err.message).toBe('400 No tool call found for function call output with call_id call_b.');
    expect(fake.requests).toHaveLength(1);
  });

  it('stores responses: a tool loop continues by previous_response_id or by item_reference, and ends with the tool output', async () => {
    const first = await client.responses.create({ model: MODEL, input: 'list files' }, opts({ kind: 'tools', calls: [{ name: 'exec_command', arguments: { cmd: 'ls' } }] }));
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const chained = await client.responses.create(
      { model: MODEL, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: 'a.txt b.txt' }] },
      opts({ kind: 'tool_output', text: 'Files: ' }),
    );
    expect(chained.output_text).toBe('Files: a.txt b.txt');
    const referenced = await client.responses.create(
      { model: MODEL, input: [{ role: 'user', content: 'list files' }, { type: 'item_reference', id: call.id ?? '' }, { type: 'function_call_output', call_id: call.call_id, output: 'c.txt' }] },
      opts({ kind: 'tool_output' }),
    );
    expect(referenced.output_text).toBe('c.txt');
  });

  it('refuses ids it does not hold: a response made with store:false, an unknown previous response', async () => {
    const unstored = await client.responses.create({ model: MODEL, input: 'x', store: false });
    const err = await rejection(client.responses.create({ model: MODEL, input: [{ type: 'item_reference', id: unstored.output[0]?.id ?? '' }] }));
    expect(err.message).toMatch(/^400 Item with id 'msg_[0-9a-f]{48}' not found\. Items are not persisted when `store` is set to false\./);
    expect(err.param).toBe('input');
    const previous = await rejection(client.responses.create({ model: MODEL, input: 'x', previous_response_id: 'resp_missing' }));
    expect(previous).toMatchObject({ param: 'previous_response_id', code: 'previous_response_not_found' });
    expect(previous.message).toBe("400 Previous response with id 'resp_missing' not found.");
  });
});
