/**
 * The Vercel AI SDK (`ai` + `@ai-sdk/openai`, pinned) with default settings: `openai(model)` speaks the Responses
 * API, and on the second step of a tool loop it refers to its earlier output by id (`item_reference`) instead
 * of sending it again. Through the gateway to an Anthropic upstream, those references are resolved from the
 * gateway's memory, so the loop completes, streamed and not, and the reasoning Anthropic signed is replayed.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeAnthropic, type FakeUpstream, type RecordedRequest } from '../../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../../helpers/gateway.js';

let anthropic: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-provider' });
  gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  anthropic: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-provider }`,
      'models:',
      '  "claude-*": anthropic',
      'prices:',
      '  claude-sonnet-4-5: { input: 3, output: 15 }',
    ].join('\n'),
  });
});

afterAll(async () => {
  await gw.stop();
  await anthropic.close();
});

const weather = tool({
  description: 'Get the weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: ({ city }) => Promise.resolve({ city, tempC: 21, sky: 'sunny' }),
});

const WEATHER_CALL = { name: 'weather', arguments: { city: 'Paris' } };

/** The SDK's model for `agent`, and the request bodies it sends (to see what it refers to by id). */
function model(agent: string): { model: ReturnType<ReturnType<typeof createOpenAI>>; sent: Array<Record<string, unknown>> } {
  const sent: Array<Record<string, unknown>> = [];
  const recording: typeof fetch = (input, init) => {
    if (typeof init?.body === 'string') sent.push(JSON.parse(init.body) as Record<string, unknown>);
    return fetch(input, init);
  };
  return { model: createOpenAI({ baseURL: `${gw.url}/agents/${agent}/v1`, apiKey: 'sk-virtual', fetch: recording })('claude-sonnet-4-5'), sent };
}

/** The `item_reference` ids in a Responses request's input. */
function references(body: Record<string, unknown> | undefined): string[] {
  const input = (body?.['input'] ?? []) as Array<Record<string, unknown>>;
  return input.filter((i) => i['type'] === 'item_reference').map((i) => String(i['id']));
}

/** The blocks of the assistant turn the second Anthropic request replays. */
function replayed(request: RecordedRequest | undefined): Array<Record<string, unknown>> {
  const messages = (request?.body?.['messages'] ?? []) as Array<{ role: string; content: Array<Record<string, unknown>> }>;
  return messages.find((m) => m.role === 'assistant')?.content ?? [];
}


describe('AI SDK, default settings, /v1/responses to Anthropic', () => {
  it('generateText: a two-step tool loop whose second step refers to the first by item_reference', async () => {
    anthropic.reset();
    anthropic.queueScenarios(
      { kind: 'tools', text: 'Let me check.', calls: [WEATHER_CALL] },
      { kind: 'tool_output', text: 'Paris: ' },
    );
    const sdk = model('sdk-gen');
    const result = await generateText({ model: sdk.model, tools: { weather }, stopWhen: stepCountIs(3), prompt: 'What is the weather in Paris?' });
    expect(result.steps).toHaveLength(2);
    expect(references(sdk.sent[1])).toEqual([expect.stringMatching(/^msg_/)]);
    expect(result.finishReason).toBe('stop');
    expect(result.text).toBe('Paris: {"city":"Paris","tempC":21,"sky":"sunny"}');
    expect(anthropic.requests).toHaveLength(2);
    // The referenced message came back from the gateway's memory, ahead of the call that was sent whole.
    expect(replayed(anthropic.requests[1])).toMatchObject([{ type: 'text', text: 'Let me check.' }, { type: 'tool_use', name: 'weather', input: { city: 'Paris' } }]);
    const rows = await agentRows(gw, 'sdk-gen', 2);
    expect(rows.map((r) => r.status)).toEqual([200, 200]);
    for (const r of rows) expect(Number(r.cost_usd)).toBeGreaterThan(0);
  });

  it('streamText: the same loop, with signed reasoning referenced and replayed to Anthropic', async () => {
    anthropic.reset();
    anthropic.queueScenarios(
      { kind: 'tools', thinking: 'The user wants the weather; call the tool.', text: 'Checking.', calls: [WEATHER_CALL] },
      { kind: 'tool_output', text: 'Paris: ' },
    );
    const errors: unknown[] = [];
    const sdk = model('sdk-stream');
    const result = streamText({ model: sdk.model, tools: { weather }, stopWhen: stepCountIs(3), prompt: 'What is the weather in Paris?', onError: ({ error }) => void errors.push(error) });
    expect(await result.text).toBe('Paris: {"city":"Paris","tempC":21,"sky":"sunny"}');
    expect(errors).toEqual([]);
    const steps = await result.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]?.reasoningText).toBe('The user wants the weather; call the tool.');
    expect(references(sdk.sent[1])).toEqual([expect.stringMatching(/^rs_/), expect.stringMatching(/^msg_/)]);
    const first = anthropic.requests[0]!.responseBytes.toString('utf8');
    const signature = /"signature_delta","signature":"([^"]+)"/.exec(first)?.[1];
    expect(signature).toBeDefined();
    expect(replayed(anthropic.requests[1])).toMatchObject([
      { type: 'thinking', thinking: 'The user wants the weather; call the tool.', signature },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', name: 'weather' },
    ]);
    expect((await agentRows(gw, 'sdk-stream', 2)).map((r) => [r.status, r.stream])).toEqual([
      [200, 1],
      [200, 1],
    ]);
  });
});
