/**
 * The management API takes only what it understands: unknown fields are a 400 naming them (never a 200 that
 * changed nothing), the agent-gateway budget path and names are an alias, and resuming an agent whose budget is
 * spent says, in the API and the CLI, that it stays paused and why.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { rawRequest } from './fakes-gateway.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILT = existsSync(join(ROOT, 'dist', 'cli', 'main.js'));

interface Res {
  status: number;
  json: Record<string, unknown>;
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<Res> {
  const res = await rawRequest(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: JSON.parse(res.text) as Record<string, unknown> };
}

const message = (r: Res): string => String((r.json.error as { message?: unknown } | undefined)?.message ?? r.json.message);

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.AI_GATEWAY_ADMIN_TOKEN;
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'ai-gateway.js'), ...args], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe('management API strictness', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    gw = await startTestGateway({
      yaml: [
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
        'models:',
        '  "gpt-*": fo',
        'prices:',
        '  gpt-mgmt: { input: 1000, output: 1000 }',
        'agents:',
        '  alpha: { budget: { max_cost_per_hour: 2, max_cost_per_day: 10 } }',
        '  spender: {}',
        '  held: {}',
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await gw.stop();
    await fake.close();
  });

  const budgetOf = async (agent: string): Promise<unknown> => (await api(gw.url, 'GET', `/api/agents/${agent}`)).json.budget;
  const spend = async (agent: string): Promise<void> => {
    const res = await rawRequest(`${gw.url}/agents/${agent}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-mgmt', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
  };

  it('a budget PUT with the seed field names is a 400 that names them, and changes nothing', async () => {
    const res = await api(gw.url, 'PUT', '/api/agents/alpha/budget', { max_cost_per_hour: 10 });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ type: 'invalid_request_error', param: 'max_cost_per_hour' });
    expect(message(res)).toContain('unknown field "max_cost_per_hour"');
    expect(message(res)).toContain('hourly, daily, total');
    expect(message(res)).toContain('PUT /api/budget/{id}');

    const mixed = await api(gw.url, 'PUT', '/api/agents/alpha/budget', { hourly: 1, dayly: 3, extra: true });
    expect(mixed.status).toBe(400);
    expect(message(mixed)).toContain('unknown fields "dayly", "extra"');
    expect(await budgetOf('alpha')).toEqual({ hourly: 2, daily: 10, total: null });
    expect(gw.controlEvents().filter((e) => e.kind === 'budget_change')).toHaveLength(0);
  });

  it('unknown fields in pause and resume bodies are refused too; a POST without a body is fine', async () => {
    const pause = await api(gw.url, 'POST', '/api/agents/alpha/pause', { reasn: 'typo' });
    expect(pause.status).toBe(400);
    expect(message(pause)).toContain('unknown field "reasn"; this endpoint takes reason');
    expect((await api(gw.url, 'POST', '/api/agents/alpha/resume', { force: true })).status).toBe(400);
    // `curl -X POST …/pause`: no body and no content type.
    expect((await api(gw.url, 'POST', '/api/agents/alpha/pause')).json).toMatchObject({ agent: 'alpha', paused: { kind: 'manual' } });
    expect((await api(gw.url, 'POST', '/api/agents/alpha/resume')).json).toEqual({ agent: 'alpha', resumed: true });
    // A body that is there must say it is JSON.
    const text = await rawRequest(`${gw.url}/api/agents/alpha/pause`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    expect(text.status).toBe(415);
  });

  it('PUT /api/budget/{id} takes the seed format names as an alias', async () => {
    const res = await api(gw.url, 'PUT', '/api/budget/alpha', { max_cost_per_hour: 3, max_cost_per_day: null, max_cost_total: 50 });
    expect(res).toMatchObject({ status: 200, json: { agent: 'alpha', budget: { hourly: 3, daily: null, total: 50 } } });
    expect(await budgetOf('alpha')).toEqual({ hourly: 3, daily: null, total: 50 });
    expect(gw.controlEvents().filter((e) => e.kind === 'budget_change').at(-1)).toMatchObject({ agent: 'alpha', actor: 'api' });

    const wrong = await api(gw.url, 'PUT', '/api/budget/alpha', { hourly: 1 });
    expect(wrong.status).toBe(400);
    expect(message(wrong)).toContain('unknown field "hourly"; this endpoint takes max_cost_per_hour, max_cost_per_day, max_cost_total');
    const bad = await api(gw.url, 'PUT', '/api/budget/alpha', { max_cost_per_day: 'lots' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ param: 'max_cost_per_day', message: 'max_cost_per_day must be a number of USD or null' });
    expect((await api(gw.url, 'PUT', '/api/budget/nobody', { max_cost_per_hour: 1 })).status).toBe(404);
  });

  it('resuming an agent paused only by its spent budget: 409, it stays paused, with spend, limit and when room frees up', async () => {
    await spend('spender');
    expect((await api(gw.url, 'PUT', '/api/agents/spender/budget', { hourly: 0.01 })).status).toBe(200);
    expect((await api(gw.url, 'GET', '/api/agents/spender')).json).toMatchObject({ status: 'paused', pausedBy: 'budget' });

    const res = await api(gw.url, 'POST', '/api/agents/spender/resume', {});
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({ code: 'still_over_budget' });
    expect(message(res)).toMatch(/^Agent 'spender' stays paused because its hourly budget is spent\. .*\$0\.020\d* of \$0\.010\d* in the last 60 minutes\. Room frees up in .+\. Or raise the limit: 'ai-gateway budget spender --hourly USD'\.$/);
    expect((await api(gw.url, 'GET', '/api/agents/spender')).json).toMatchObject({ status: 'paused' });
  });

  it('resuming a manually paused agent whose budget is spent lifts the manual pause and says it stays paused', async () => {
    await spend('held');
    expect((await api(gw.url, 'POST', '/api/agents/held/pause', { reason: 'checking' })).status).toBe(200);
    expect((await api(gw.url, 'PUT', '/api/agents/held/budget', { daily: 0.01 })).status).toBe(200);

    const res = await api(gw.url, 'POST', '/api/agents/held/resume', {});
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ agent: 'held', resumed: true, paused: true });
    expect(String(res.json.message)).toMatch(/stays paused because its daily budget is spent\. .*of \$0\.010\d* today\. Room frees up at midnight/);
    expect((await api(gw.url, 'GET', '/api/agents/held')).json).toMatchObject({ status: 'paused', pausedBy: 'budget' });
  });

  it.skipIf(!BUILT)('the CLI says it stays paused, and exits 1', async () => {
    const onlyBudget = await cli(['resume', 'spender', '--url', gw.url]);
    expect(onlyBudget.code).toBe(1);
    expect(onlyBudget.stdout).toBe('');
    expect(onlyBudget.stderr).toMatch(/stays paused because its hourly budget is spent.*Room frees up in/);

    expect((await api(gw.url, 'POST', '/api/agents/held/pause', {})).status).toBe(200);
    const underPause = await cli(['resume', 'held', '--url', gw.url]);
    expect(underPause.code).toBe(1);
    expect(underPause.stderr).toMatch(/^ai-gateway: held: pause lifted, but Agent 'held' stays paused because its daily budget is spent/);

    // An agent with room resumes as before.
    expect((await api(gw.url, 'POST', '/api/agents/alpha/pause', {})).status).toBe(200);
    expect(await cli(['resume', 'alpha', '--url', gw.url])).toMatchObject({ code: 0, stdout: 'alpha resumed\n' });
  });
});
