import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('official openai client through the gateway', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: `providers:\n  fake: { type: openai, base_url: ${fake.baseURL}, api_key: sk-provider-secret-123 }\nmodels:\n  "gpt-*": fake\n`,
    });
  });
  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  it('completes a streamed chat whose row, tokens and cost, is in the SQLite file', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sk-client-key', maxRetries: 0 });
    const stream = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
    const done = await stream.finalChatCompletion();
    expect(done.choices[0]?.message.content?.length).toBeGreaterThan(0);
    const rows = gw.rows();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.status).toBe(200);
    expect(row.stream).toBe(1);
    expect(Number(row.output_tokens)).toBeGreaterThan(0);
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
    expect(fake.lastRequest?.headers.authorization).toBe('Bearer sk-provider-secret-123');
  });
});
