/**
 * Requests real providers accept: the fakes refuse what OpenAI and Anthropic refuse (reasoning_effort on a model
 * without reasoning, an output cap above the model's limit, identifiers over the API's length), and the gateway
 * fits each request to its target model before sending it — in both translation directions and on same-format
 * passthrough — and says so in `x-ai-gateway-adjusted`, the audit row, the log API and the export.
 *
 * The Claude Code body is a real capture of Claude Code 2 talking to claude-sonnet-4-5 (thinking budget 31999,
 * max_tokens 32000, a 150-character metadata.user_id), with the machine's paths in its prompt replaced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportRows } from '../../src/store/export.js';
import type { FakeUpstream } from '../fakes/index.js';
import { eventually, type TestGateway } from '../helpers/gateway.js';
import { fakesYaml, postJson, shareFakesGateway, sseFrames } from './fakes-gateway.js';
import { bodyOf } from './translation-helpers.js';

const CLAUDE_CODE_TEXT = readFileSync(new URL('../fixtures/agents/claude-code-sonnet-4-5.request.json', import.meta.url), 'utf8');
const CLAUDE_CODE = JSON.parse(CLAUDE_CODE_TEXT) as Record<string, unknown> & { metadata: { user_id: string } };
const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01', 'x-api-key': 'sk-ant-client' };

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;
shareFakesGateway(
  (started) => ({ openai, anthropic, gw } = started),
  (o, a) => ({
    yaml: fakesYaml(
      o,
      a,
      [
        'prices:',
        '  gpt-4o-mini: { input: 0, output: 1000 }',
        'agents:',
        '  payer: { budget: { max_cost_per_hour: 100 } }',
        'capabilities:',
        '  gpt-house-taught: { max_output_tokens: 4096, reasoning: false }',
      ].join('\n'),
      [],
      // Claude Code's model goes to gpt-4o-mini on the OpenAI fake, as in the report.
      ['claude-sonnet-4-5-20250929: { provider: fo, model: gpt-4o-mini }'],
    ),
    storage: { jsonl: 'audit.jsonl' },
  }),
);

async function rowOf(agent: string): Promise<Record<string, unknown>> {
  let row: Record<string, unknown> | undefined;
  await eventually(() => (row = gw.rows().find((r) => r.agent === agent)) !== undefined);
  return row!;
}

const CLAUDE_CODE_ADJUSTED = 'max_completion_tokens:32000->16384,reasoning_effort:removed,user:hashed';

describe('Claude Code routed to gpt-4o-mini', () => {
  it('the real fake refuses what the gateway used to send', async () => {
    // What the gateway sent before it fitted requests, as the issue reported it.
    const res = await postJson(`${openai.baseURL}/chat/completions`, {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 32000,
      reasoning_effort: 'high',
      user: CLAUDE_CODE.metadata.user_id,
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({
      error: { type: 'invalid_request_error', param: 'user', code: 'string_above_max_length' },
    });
  });

  it("succeeds with Claude Code's own request, fitted to the model, and says what changed everywhere", async () => {
    const res = await postJson(`${gw.url}/agents/claude-code/v1/messages`, CLAUDE_CODE_TEXT, ANTHROPIC_HEADERS);
    expect(res.status).toBe(200);
    const events = sseFrames(res.text).map((f) => f.split('\n')[0]);
    expect(events).toContain('event: message_stop');
    expect(res.headers['x-ai-gateway-adjusted']).toBe(CLAUDE_CODE_ADJUSTED);

    const sent = bodyOf(openai.lastRequest);
    expect(sent['model']).toBe('gpt-4o-mini');
    expect(sent['max_completion_tokens']).toBe(16384);
    expect(sent).not.toHaveProperty('reasoning_effort');
    expect(sent['user']).toMatch(/^[0-9a-f]{64}$/);

    const row = await rowOf('claude-code');
    expect(row['status']).toBe(200);
    expect(row['adjusted']).toBe(CLAUDE_CODE_ADJUSTED);

    const logs = (await (await fetch(`${gw.url}/api/logs?agent=claude-code`)).json()) as { entries: { adjusted?: string[] }[] };
    expect(logs.entries[0]?.adjusted).toEqual(CLAUDE_CODE_ADJUSTED.split(','));

    const mirrored = readFileSync(join(gw.dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(mirrored.find((r) => r['agent'] === 'claude-code')?.['adjusted']).toBe(CLAUDE_CODE_ADJUSTED);
    let csv = '';
    exportRows(gw.dbPath, { format: 'csv' }, (chunk) => (csv += chunk));
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header?.split(',')).toContain('adjusted');
    expect(lines.find((l) => l.includes(',claude-code,'))).toContain(`"${CLAUDE_CODE_ADJUSTED}"`);
  });

  it('the same user id always hashes to the same value', async () => {
    await postJson(`${gw.url}/agents/a/v1/messages`, CLAUDE_CODE_TEXT, ANTHROPIC_HEADERS);
    await postJson(`${gw.url}/agents/a/v1/messages`, CLAUDE_CODE_TEXT, ANTHROPIC_HEADERS);
    const otherSession = { ...CLAUDE_CODE, metadata: { user_id: CLAUDE_CODE.metadata.user_id.replace('"session_id":"3', '"session_id":"4') } };
    await postJson(`${gw.url}/agents/a/v1/messages`, otherSession, ANTHROPIC_HEADERS);
    const users = openai.requests.map((r) => bodyOf(r)['user']);
    expect(users).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), users[0], expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(users[2]).not.toBe(users[0]);
  });

  it('holds budget for the output the model can produce, not the cap it was asked for', async () => {
    // The stream stops after its first frame and stays open, so the hold can be read while it stands.
    openai.setScenario({ kind: 'stall_body', afterFrames: 1 });
    const controller = new AbortController();
    const res = await fetch(`${gw.url}/agents/payer/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ANTHROPIC_HEADERS },
      body: CLAUDE_CODE_TEXT,
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const status = (await (await fetch(`${gw.url}/api/status`)).json()) as { agents: { id: string; heldUsd: number }[] };
    controller.abort();
    // 16384 output tokens at $1000 per million; the request asked for 32000 ($32), which gpt-4o-mini cannot produce.
    expect(status.agents.find((a) => a.id === 'payer')?.heldUsd).toBeCloseTo(16.384, 9);
  });
});

describe('OpenAI client routed to an Anthropic model', () => {
  it('thinking goes from a model without it; max_tokens and metadata.user_id fit', async () => {
    const res = await postJson(`${gw.url}/agents/oa/v1/chat/completions`, {
      model: 'claude-3-5-haiku-20241022',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 20000,
      reasoning_effort: 'high',
      user: 'u'.repeat(300),
    });
    expect(res.status).toBe(200);
    const adjusted = 'max_tokens:20000->8192,thinking:removed,metadata.user_id:hashed';
    expect(res.headers['x-ai-gateway-adjusted']).toBe(adjusted);
    const sent = bodyOf(anthropic.lastRequest);
    expect(sent['max_tokens']).toBe(8192);
    expect(sent).not.toHaveProperty('thinking');
    expect((sent['metadata'] as { user_id: string }).user_id).toMatch(/^[0-9a-f]{64}$/);
    expect((await rowOf('oa'))['adjusted']).toBe(adjusted);
  });

  it('a reasoning model keeps its thinking, with a budget below the lowered max_tokens', async () => {
    const res = await postJson(`${gw.url}/agents/ob/v1/chat/completions`, {
      model: 'claude-opus-4-1-20250805',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 60000,
      reasoning_effort: 'high',
    });
    expect(res.status).toBe(200);
    const sent = bodyOf(anthropic.lastRequest);
    expect(sent['max_tokens']).toBe(32000);
    expect(sent['thinking']).toMatchObject({ type: 'enabled' });
    expect((sent['thinking'] as { budget_tokens: number }).budget_tokens).toBeLessThan(32000);
    expect(res.headers['x-ai-gateway-adjusted']).toMatch(/^max_tokens:60000->32000/);
  });
});

describe('same-format passthrough', () => {
  it('Anthropic → Anthropic: only max_tokens changes, every other field as Claude Code sent it', async () => {
    const body = { ...CLAUDE_CODE, model: 'claude-haiku-4-5', max_tokens: 128000 };
    const res = await postJson(`${gw.url}/agents/cc/v1/messages`, body, ANTHROPIC_HEADERS);
    expect(res.status).toBe(200);
    expect(res.headers['x-ai-gateway-adjusted']).toBe('max_tokens:128000->64000');
    expect(anthropic.lastRequest?.body).toEqual({ ...body, max_tokens: 64000 });
  });

  it('OpenAI → OpenAI: the request is fitted like a translated one', async () => {
    const res = await postJson(`${gw.url}/agents/oo/v1/chat/completions`, {
      model: 'gpt-4o-mini-2024-07-18',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 32000,
      reasoning_effort: 'low',
      safety_identifier: 's'.repeat(100),
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-ai-gateway-adjusted']).toBe('max_completion_tokens:32000->16384,reasoning_effort:removed,safety_identifier:hashed');
    expect(bodyOf(openai.lastRequest)).toMatchObject({ max_completion_tokens: 16384, safety_identifier: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('a request that fits goes byte for byte, with no header and a null column', async () => {
    const text = CLAUDE_CODE_TEXT.replace('"claude-sonnet-4-5-20250929"', '"claude-sonnet-4-5"');
    const res = await postJson(`${gw.url}/agents/fits/v1/messages`, text, ANTHROPIC_HEADERS);
    expect(res.status).toBe(200);
    expect(anthropic.lastRequest?.rawBody).toBe(text);
    expect(res.headers['x-ai-gateway-adjusted']).toBeUndefined();
    expect((await rowOf('fits'))['adjusted']).toBeNull();
  });

  it('an unknown model passes through untouched', async () => {
    const text = JSON.stringify({ model: 'gpt-house-model', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 1_000_000, reasoning_effort: 'high' });
    const res = await postJson(`${gw.url}/agents/unk/v1/chat/completions`, text);
    expect(res.status).toBe(200);
    expect(openai.lastRequest?.rawBody).toBe(text);
    expect(res.headers['x-ai-gateway-adjusted']).toBeUndefined();
  });

  it('a `capabilities:` entry in the config teaches the gateway a model it does not know', async () => {
    const res = await postJson(`${gw.url}/agents/cfg/v1/chat/completions`, {
      model: 'gpt-house-taught',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 1_000_000,
      reasoning_effort: 'high',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-ai-gateway-adjusted']).toBe('max_completion_tokens:1000000->4096,reasoning_effort:removed');
    expect(bodyOf(openai.lastRequest)).not.toHaveProperty('reasoning_effort');
  });
});
