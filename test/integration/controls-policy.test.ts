/**
 * Policies through the whole gateway: a pause policy over the live error rate stops an agent whose provider
 * keeps failing, records who did it, and holds until someone resumes the agent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway | undefined;
const fakes: FakeUpstream[] = [];

afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  for (const f of fakes.splice(0)) await f.close();
});

async function chat(url: string, agent: string): Promise<{ status: number; json: { error?: { type: string; code: string; message: string } } }> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, json: (await res.json()) as { error?: { type: string; code: string; message: string } } };
}

describe('policy with action pause', () => {
  it('pauses an agent whose provider fails (error_rate > 0.5 && calls_this_hour >= 4), then 403 until resumed', async () => {
    const fake = await startFakeOpenAI();
    fakes.push(fake);
    fake.setScenario({ kind: 'error', status: 500 });
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        'models:',
        '  "gpt-*": fo',
        'agents:',
        '  flaky: {}',
        '  steady: {}',
        'policies:',
        '  - { name: high-error, condition: "error_rate > 0.5 && calls_this_hour >= 4", action: pause }',
      ].join('\n'),
    });

    // Three failures: error rate 1, but too few calls for the policy.
    for (let i = 0; i < 3; i++) expect((await chat(gw.url, 'flaky')).status).toBe(500);
    expect(gw.controlEvents()).toEqual([]);
    // The fourth failure makes the condition true; the call itself was already answered.
    expect((await chat(gw.url, 'flaky')).status).toBe(500);
    expect(fake.requests).toHaveLength(4);

    const denied = await chat(gw.url, 'flaky');
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({ type: 'permission_error', code: 'agent_paused' });
    expect(denied.json.error?.message).toMatch(/Agent 'flaky' is paused \(policy:high-error\)/);
    expect(fake.requests).toHaveLength(4);

    // Another agent on the same provider is judged on its own numbers.
    fake.setScenario('text');
    expect((await chat(gw.url, 'steady')).status).toBe(200);

    const events = gw.controlEvents();
    expect(events.map((e) => [e.agent, e.kind, e.actor, e.reason])).toEqual([
      ['flaky', 'policy_action', 'policy:high-error', 'error_rate > 0.5 && calls_this_hour >= 4 → pause'],
      ['flaky', 'pause', 'policy:high-error', 'policy:high-error'],
    ]);
    const agent = (await (await fetch(`${gw.url}/api/agents/flaky`)).json()) as Record<string, unknown>;
    expect(agent).toMatchObject({ status: 'paused', pauseReason: 'policy:high-error', pausedBy: 'policy:high-error', calls: 4, errors: 4 });

    // A policy pause only lifts by resume, even though the provider is healthy again.
    expect((await chat(gw.url, 'flaky')).status).toBe(403);
    const resumed = await fetch(`${gw.url}/api/agents/flaky/resume`, { method: 'POST' });
    expect(resumed.status).toBe(200);
    expect((await chat(gw.url, 'flaky')).status).toBe(200);
    expect(gw.controlEvents().at(-1)).toMatchObject({ agent: 'flaky', kind: 'resume', actor: 'api' });
    const g = gw;
    await eventually(() => g.rows().length === 8);
    expect(g.rows().filter((r) => r.error_code === 'agent_paused')).toHaveLength(2);
  });
});
