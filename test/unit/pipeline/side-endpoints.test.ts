/** The side endpoints go through the same runner and row builder as chat: refusals, holds and rows alike. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { call, harness } from './harness.js';

describe('side endpoints', () => {
  it('count_tokens routed to a non-Anthropic provider is counted locally, reaching no provider', async () => {
    const h = harness();
    const x = call(h, { model: 'gpt-test', messages: [{ role: 'user', content: 'hello there' }] }, { endpoint: 'countTokens', wire: 'anthropic-messages', auditFormat: 'anthropic-count-tokens', path: '/v1/messages/count_tokens' });
    await x.done;
    expect(x.answer().status).toBe(200);
    expect(JSON.parse(x.answer().body).input_tokens).toBeGreaterThan(0);
    expect(h.providers.openai!.sent).toHaveLength(0);
    expect(h.records[0]!.row).toMatchObject({ status: 200, clientFormat: 'anthropic-count-tokens', isCall: false, costUsd: null });
    expect(h.controls.admissions[0]!.counted).toBe('abandon');
  });

  it('embeddings: the answer relayed as it is and billed from the usage at its end', async () => {
    const h = harness();
    h.providers.openai!.scripts.push({ status: 200, chunks: ['{"object":"list","data":[{"embedding":[0.1]}],', '"usage":{"prompt_tokens":7,"total_tokens":7}}'] });
    const x = call(h, { model: 'gpt-test', input: 'hi' }, { endpoint: 'embeddings', auditFormat: 'openai-embeddings', path: '/v1/embeddings' });
    await x.done;
    expect(x.answer().body).toContain('"embedding"');
    expect(h.records[0]!.row).toMatchObject({ status: 200, inputTokens: 7, upstreamFormat: 'openai-embeddings', isCall: true, estimated: false });
    expect(h.controls.admissions[0]!.counted).toBe('finish');
  });

  it('embeddings refused by a paused agent: 403 in the client format, recorded, nothing held', async () => {
    const h = harness();
    h.controls.refuse = new GatewayError('agent_paused', 'agent tester is paused', { code: 'agent_paused' });
    const x = call(h, { model: 'gpt-test', input: 'hi' }, { endpoint: 'embeddings', auditFormat: 'openai-embeddings', path: '/v1/embeddings' });
    await x.done;
    expect(x.answer().status).toBe(403);
    expect(h.records[0]!.row).toMatchObject({ status: 403, errorCode: 'agent_paused', isCall: false });
    expect(h.controls.admissions).toHaveLength(0);
  });
});
