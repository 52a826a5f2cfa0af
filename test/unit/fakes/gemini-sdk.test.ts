// The fake Gemini upstream driven by the official `@google/genai` SDK: if the SDK accepts its bytes and its checks
// let the SDK's own requests through, the gateway can be tested against it.
import { ApiError, GoogleGenAI, Type, type Content } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeGemini, type FakeUpstream } from '../../fakes/index.js';

let fake: FakeUpstream;
let ai: GoogleGenAI;
const MODEL = 'gemini-2.5-flash';
const weather = {
  name: 'get_weather',
  description: 'Current weather for a place',
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ['city'] },
};

beforeAll(async () => {
  fake = await startFakeGemini({ apiKey: 'gemini-test-key' });
  ai = new GoogleGenAI({ apiKey: 'gemini-test-key', httpOptions: { baseUrl: fake.url } });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

async function post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${fake.url}/v1beta/models/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'gemini-test-key' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('the SDK against the fake', () => {
  it('generateContent: text, usage with thoughts and cache, the request on the wire', async () => {
    fake.queueScenarios({ kind: 'thinking', text: 'Hello!', usage: { input: 40, cacheRead: 60, output: 30, reasoning: 20 } });
    const res = await ai.models.generateContent({
      model: MODEL,
      contents: 'Say hello',
      config: { systemInstruction: 'Be brief.', thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 }, maxOutputTokens: 256 },
    });
    expect(res.text).toBe('Hello!');
    expect(res.candidates?.[0]?.finishReason).toBe('STOP');
    expect(res.candidates?.[0]?.content?.parts?.[0]).toMatchObject({ thought: true });
    expect(res.usageMetadata).toMatchObject({ promptTokenCount: 100, cachedContentTokenCount: 60, candidatesTokenCount: 10, thoughtsTokenCount: 20, totalTokenCount: 130 });
    const req = fake.lastRequest!;
    // @google/genai 3 calls v1 by default; the fake serves v1beta too, as Google does.
    expect(req.pathname).toBe(`/v1/models/${MODEL}:generateContent`);
    expect(req.headers['x-goog-api-key']).toBe('gemini-test-key');
    expect(req.body).toMatchObject({ systemInstruction: { parts: [{ text: 'Be brief.' }] }, generationConfig: { maxOutputTokens: 256 } });
  });

  it('generateContentStream with tools: a function call whole, signed; the loop back with a functionResponse', async () => {
    fake.queueScenarios({ kind: 'tools', calls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] }, { kind: 'tool_output', text: 'It is ' });
    const stream = await ai.models.generateContentStream({ model: MODEL, contents: 'Weather in Paris?', config: { tools: [{ functionDeclarations: [weather] }] } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const calls = chunks.flatMap((c) => c.functionCalls ?? []);
    expect(calls).toEqual([{ name: 'get_weather', args: { city: 'Paris' } }]);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    const modelTurn = chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []);
    expect(modelTurn[0]?.thoughtSignature).toEqual(expect.any(String));
    // The raw bytes: Google's CRLF framing and "key": value spacing.
    const raw = fake.lastResponseBytes!.toString('utf8');
    expect(raw.startsWith('data: {"candidates": [{"content": {"parts": [')).toBe(true);
    expect(raw.endsWith('\r\n\r\n')).toBe(true);

    const history: Content[] = [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      { role: 'model', parts: modelTurn },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }] },
    ];
    const res = await ai.models.generateContent({ model: MODEL, contents: history, config: { tools: [{ functionDeclarations: [weather] }] } });
    expect(res.text).toBe('It is sunny');
  });

  it('errors reach the SDK as ApiError with Google status names', async () => {
    fake.queueScenarios({ kind: 'error', status: 429 });
    const err = await ai.models.generateContent({ model: MODEL, contents: 'hi' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(429);
    expect((err as ApiError).message).toContain('RESOURCE_EXHAUSTED');
  });

  it('a mid-stream error chunk is thrown by the SDK while iterating', async () => {
    fake.queueScenarios({ kind: 'midstream_error', afterDeltas: 1 });
    const stream = await ai.models.generateContentStream({ model: MODEL, contents: 'hi' });
    const err = await (async () => {
      for await (const _ of stream) void _;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(500);
  });

  it('countTokens', async () => {
    const res = await ai.models.countTokens({ model: MODEL, contents: 'hello there' });
    expect(res.totalTokens).toBeGreaterThan(0);
  });
});

describe('strict like the real API', () => {
  const user = { role: 'user', parts: [{ text: 'hi' }] };

  it('rejects unknown fields, at the top and nested, in Google words', async () => {
    const top = await post(`${MODEL}:generateContent`, { contents: [user], model: MODEL });
    expect(top.status).toBe(400);
    expect(top.json['error']).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid JSON payload received. Unknown name "model": Cannot find field.' });
    const nested = await post(`${MODEL}:generateContent`, {
      contents: [user],
      tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false } }] }],
    });
    expect(nested.status).toBe(400);
    expect(String((nested.json['error'] as Record<string, unknown>)['message'])).toBe(
      'Invalid JSON payload received. Unknown name "additionalProperties" at \'tools[0].function_declarations[0].parameters\': Cannot find field.',
    );
  });

  it('rejects roles other than user and model, turns that do not alternate, and unpaired function calls', async () => {
    expect((await post(`${MODEL}:generateContent`, { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] })).status).toBe(400);
    expect((await post(`${MODEL}:generateContent`, { contents: [user, user] })).status).toBe(400);
    const call = { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] };
    const unanswered = await post(`${MODEL}:generateContent`, { contents: [user, call, user] });
    expect(unanswered.status).toBe(400);
    expect(String((unanswered.json['error'] as Record<string, unknown>)['message'])).toContain('number of function response parts');
    const answered = await post(`${MODEL}:generateContent`, {
      contents: [user, call, { role: 'user', parts: [{ functionResponse: { name: 'f', response: { output: 'ok' } } }] }],
    });
    expect(answered.status).toBe(200);
  });

  it('refuses a signature it did not issue, and a Gemini 3 function call without one', async () => {
    const forged = await post(`${MODEL}:generateContent`, {
      contents: [user, { role: 'model', parts: [{ text: 'x', thoughtSignature: 'Zm9yZ2Vk' }] }, user],
    });
    expect(forged.status).toBe(400);
    const unsigned = await post('gemini-3-pro-preview:generateContent', {
      contents: [user, { role: 'model', parts: [{ functionCall: { name: 'f', args: {} } }] }, { role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }],
    });
    expect(unsigned.status).toBe(400);
    expect(String((unsigned.json['error'] as Record<string, unknown>)['message'])).toContain('missing a thought_signature');
  });

  it('answers a wrong key with 400 API_KEY_INVALID and a missing one with 403', async () => {
    const res = await fetch(`${fake.url}/v1beta/models/${MODEL}:generateContent`, { method: 'POST', headers: { 'x-goog-api-key': 'nope' }, body: JSON.stringify({ contents: [user] }) });
    expect(res.status).toBe(400);
    const none = await fetch(`${fake.url}/v1beta/models/${MODEL}:generateContent`, { method: 'POST', body: JSON.stringify({ contents: [user] }) });
    expect(none.status).toBe(403);
  });
});
