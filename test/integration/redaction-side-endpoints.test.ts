import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

// Providers sometimes echo the key they were given in an error message; count_tokens and embeddings pass
// upstream bodies through, so they must mask it like the chat endpoints do.
const ANTHROPIC_KEY = 'sk-ant-side-endpoint-secret-0001';
const OPENAI_KEY = 'sk-openai-side-endpoint-secret-0002';

describe('upstream error bodies on side endpoints never carry the provider key', () => {
  let anthropic: FakeUpstream;
  let openai: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    anthropic = await startFakeAnthropic();
    openai = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: ${ANTHROPIC_KEY} }`,
        `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: ${OPENAI_KEY} }`,
        'models:',
        '  "claude-*": fa',
        '  "text-embedding-*": fo',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw.stop();
    await anthropic.close();
    await openai.close();
  });

  it('count_tokens passed to Anthropic', async () => {
    anthropic.setScenario({ kind: 'error', status: 401, message: `invalid x-api-key ${ANTHROPIC_KEY}` });
    const res = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).toContain('invalid x-api-key');
    expect(text).not.toContain(ANTHROPIC_KEY);
  });

  it('embeddings passed to OpenAI', async () => {
    openai.setScenario({ kind: 'error', status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` });
    const res = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hello' }),
    });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).toContain('Incorrect API key provided');
    expect(text).not.toContain(OPENAI_KEY);
  });
});
