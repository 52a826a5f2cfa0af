/**
 * A provider (or a proxy in front of it) sends `data: <html>502…` in the middle of a stream. Same format or
 * translated, the client's stream ends right there with its format's error event: the bytes before it are the
 * provider's, byte for byte, nothing after it is relayed, and what was produced so far is billed (estimated).
 */
import { describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { deferAfterEach, frameData, postJson, sseFrames } from './fakes-gateway.js';

const defer = deferAfterEach();
const HTML = 'data: <html><head><title>502 Bad Gateway</title>';

async function bed(): Promise<{ openai: FakeUpstream; anthropic: FakeUpstream; gw: TestGateway }> {
  const openai = await startFakeOpenAI();
  const anthropic = await startFakeAnthropic();
  defer(() => openai.close());
  defer(() => anthropic.close());
  const gw = await startTestGateway({
    yaml: [
      'gateway: { embedded_defaults: false }',
      'providers:',
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-o }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-a }`,
      'models:',
      '  "gpt-*": fo',
      '  "claude-*": fa',
      '  "via-claude": { provider: fa, model: claude-sonnet-4-5 }',
    ].join('\n'),
  });
  defer(() => gw.stop());
  return { openai, anthropic, gw };
}

const text = 'First part of the answer, then the proxy in front of the provider falls over.';
const messages = [{ role: 'user', content: 'Go on.' }];

describe('a frame that does not parse in the middle of a stream', () => {
  it('OpenAI → OpenAI: the provider bytes before it, exactly, then an error chunk; no [DONE], nothing after', async () => {
    const b = await bed();
    b.openai.setScenario({ kind: 'garbage_frame', text, chunks: 6, afterFrames: 4, usage: { input: 9, output: 30 } });
    const res = await postJson(`${b.gw.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);

    const sent = b.openai.lastResponseBytes!.toString('utf8');
    const garbageAt = sent.indexOf(HTML);
    expect(garbageAt).toBeGreaterThan(0);
    const before = sent.slice(0, garbageAt);
    expect(res.text.startsWith(before)).toBe(true);
    const after = sseFrames(res.text.slice(before.length));
    expect(after).toHaveLength(1);
    expect(frameData(after[0]!)).toMatchObject({ error: { code: 'invalid_upstream_response' } });
    expect(res.text).not.toContain('<html>');
    expect(res.text).not.toContain('[DONE]');

    await eventually(() => b.gw.rows().length === 1);
    const row = b.gw.rows()[0]!;
    expect(row).toMatchObject({ status: 502, error_code: 'invalid_upstream_response', estimated: 1, stream: 1 });
    expect(Number(row.output_tokens)).toBeGreaterThan(0);
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
  });

  it('Anthropic → Anthropic: the provider bytes before it, exactly, then an error event; no message_stop', async () => {
    const b = await bed();
    b.anthropic.setScenario({ kind: 'garbage_frame', text, chunks: 6, afterFrames: 5, usage: { input: 9, output: 30 } });
    const res = await postJson(`${b.gw.url}/v1/messages`, { model: 'claude-sonnet-4-5', max_tokens: 100, messages, stream: true }, { 'anthropic-version': '2023-06-01' });
    expect(res.status).toBe(200);

    const sent = b.anthropic.lastResponseBytes!.toString('utf8');
    const before = sent.slice(0, sent.indexOf(HTML));
    expect(before.length).toBeGreaterThan(0);
    expect(res.text.startsWith(before)).toBe(true);
    const after = sseFrames(res.text.slice(before.length));
    expect(after).toHaveLength(1);
    expect(after[0]).toMatch(/^event: error\n/);
    expect(frameData(after[0]!)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    expect(res.text).not.toContain('message_stop');

    await eventually(() => b.gw.rows().length === 1);
    const row = b.gw.rows()[0]!;
    // message_start reported the input; the output is counted from the text relayed.
    expect(row).toMatchObject({ status: 502, error_code: 'invalid_upstream_response', estimated: 1, input_tokens: 9 });
    expect(Number(row.output_tokens)).toBeGreaterThan(1);
  });

  it('translated (OpenAI client → Anthropic provider): the same error, in the client format', async () => {
    const b = await bed();
    b.anthropic.setScenario({ kind: 'garbage_frame', text, chunks: 6, afterFrames: 5 });
    const res = await postJson(`${b.gw.url}/v1/chat/completions`, { model: 'via-claude', messages, stream: true });
    const frames = sseFrames(res.text);
    expect(frameData(frames.at(-1)!)).toMatchObject({ error: { code: 'invalid_upstream_response' } });
    expect(res.text).not.toContain('[DONE]');
  });
});
