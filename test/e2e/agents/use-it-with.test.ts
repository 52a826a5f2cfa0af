/**
 * The README's "Use it with…" snippets against the gateway and the fake providers. The JavaScript ones (AI SDK,
 * LangChain) run as written in their own Node process, each under its own `/agents/<id>`; the Python and LiteLLM
 * ones cannot run here (no Python package index), so their requests are sent as those clients build them: the
 * URL joined from the README's base URL the way they join it, their headers, the README's model names.
 *
 * Rates (genai-prices table, USD per 1M tokens): gpt-4o-mini 0.15/0.6, gpt-4.1 2/8, claude-sonnet-4-6 3/15,
 * claude-haiku-4-5 1/5 (input/output). Every answer reports 100 input and 20 output tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentRig, type AgentRig } from './agent-rig.js';
import { cliEnv, makeCliHome, PROJECT_DIR, runCli } from './cli-home.js';
import { atGateway, readmeSnippet, shellExports, snippetMatch } from './readme-snippets.js';

const CLIENT_OPENAI_KEY = 'sk-client-uw-2Fg6';
const CLIENT_ANTHROPIC_KEY = 'sk-ant-client-uw-9Jk3';
const FROM_OPENAI = 'Hello from the OpenAI fake.';
const FROM_ANTHROPIC = 'Hello from the Anthropic fake.';
const USAGE = { input: 100, output: 20 };
/** USD for 100 input and 20 output tokens. */
const COST: Record<string, number> = {
  'gpt-4o-mini': (100 * 0.15 + 20 * 0.6) / 1e6,
  'gpt-4.1': (100 * 2 + 20 * 8) / 1e6,
  'claude-sonnet-4-6': (100 * 3 + 20 * 15) / 1e6,
  'claude-haiku-4-5': (100 * 1 + 20 * 5) / 1e6,
};
/** Python SDK versions whose request code the Python checks follow. */
const OPENAI_PYTHON = '3.3.1';
const ANTHROPIC_PYTHON = '0.121.0';

let rig: AgentRig;

beforeAll(async () => {
  rig = await startAgentRig({
    openai: { scenario: { kind: 'text', text: FROM_OPENAI, usage: USAGE } },
    anthropic: { scenario: { kind: 'text', text: FROM_ANTHROPIC, usage: USAGE } },
  });
});

afterAll(async () => {
  await rig?.stop();
});

interface Expected {
  client_format: string;
  provider: 'openai' | 'anthropic';
  model: string;
}

/** The agent's audit rows, one per expected call in order, each with exact tokens and cost. */
async function expectRows(agent: string, expected: Expected[]): Promise<void> {
  const rows = await rig.rowsOf(agent, expected.length);
  expect(rows.map((r) => ({ client_format: r['client_format'], provider: r['provider'], model: r['model'] }))).toEqual(expected);
  for (const [i, row] of rows.entries()) {
    expect(row).toMatchObject({ status: 200, input_tokens: 100, output_tokens: 20, cache_read_tokens: 0, cache_write_tokens: 0, estimated: 0 });
    expect(row['cost_usd']).toBeCloseTo(COST[expected[i]!.model]!, 12);
  }
}

/** Runs a README JavaScript snippet in its own Node process, from the project directory (its node_modules). */
async function runSnippet(name: string, agent: string): Promise<string> {
  const snippet = readmeSnippet(name);
  expect(snippet.lang).toBe('js');
  const home = makeCliHome(`ai-gateway-${name}`);
  try {
    const node = { name: `snippet ${name}`, path: process.execPath, version: process.version };
    const code = atGateway(snippet.code, `${rig.gw.url}/agents/${agent}`);
    const run = await runCli(node, ['--input-type=module', '-e', code], {
      cwd: PROJECT_DIR,
      timeoutMs: 30_000,
      // NODE_USE_ENV_PROXY makes fetch honour the trap's proxy variables, so a library phoning home is caught.
      env: cliEnv(home.home, { ...rig.trap.env, NODE_USE_ENV_PROXY: '1', OPENAI_API_KEY: CLIENT_OPENAI_KEY, ANTHROPIC_API_KEY: CLIENT_ANTHROPIC_KEY }),
    });
    expect(run.code, `--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`).toBe(0);
    expect(rig.trap.attempts).toEqual([]);
    return run.stdout;
  } finally {
    home.remove();
  }
}

describe('README snippets that run as written', () => {
  it('Vercel AI SDK: Responses, Chat Completions and Anthropic providers, each routed by model name', { timeout: 60_000 }, async () => {
    const stdout = await runSnippet('ai-sdk', 'ai-sdk');
    expect(stdout).toBe(`${FROM_ANTHROPIC} ${FROM_OPENAI} ${FROM_OPENAI}\n`);
    await expectRows('ai-sdk', [
      { client_format: 'openai-responses', provider: 'anthropic', model: 'claude-sonnet-4-6' },
      { client_format: 'openai-chat', provider: 'openai', model: 'gpt-4o-mini' },
      { client_format: 'anthropic-messages', provider: 'openai', model: 'gpt-4o-mini' },
    ]);
  });

  it('LangChain JS: ChatOpenAI and ChatAnthropic, and ChatOpenAI on a Claude model', { timeout: 60_000 }, async () => {
    const stdout = await runSnippet('langchain', 'langchain');
    expect(stdout).toBe(`${FROM_OPENAI}\n${FROM_ANTHROPIC}\n${FROM_ANTHROPIC}\n`);
    await expectRows('langchain', [
      { client_format: 'openai-chat', provider: 'openai', model: 'gpt-4o-mini' },
      { client_format: 'anthropic-messages', provider: 'anthropic', model: 'claude-sonnet-4-6' },
      { client_format: 'openai-chat', provider: 'anthropic', model: 'claude-haiku-4-5' },
    ]);
  });
});

/** The headers the Stainless-generated Python SDKs send besides authentication (`default_headers`). */
function pythonHeaders(client: 'OpenAI' | 'Anthropic', version: string): Record<string, string> {
  return {
    Accept: 'application/json',
    'Content-Type': 'application/json',
    'User-Agent': `${client}/Python ${version}`,
    'X-Stainless-Lang': 'python',
    'X-Stainless-Package-Version': version,
    'X-Stainless-OS': 'Linux',
    'X-Stainless-Arch': 'x64',
    'X-Stainless-Runtime': 'CPython',
    'X-Stainless-Runtime-Version': '3.11.7',
    'X-Stainless-Retry-Count': '0',
  };
}

/** How the Python SDKs join `base_url` and a path: a trailing slash is enforced, the path's leading one dropped. */
function pythonUrl(baseUrl: string, path: string): string {
  return `${baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`}${path.replace(/^\//, '')}`;
}

async function postJson(url: string, headers: Record<string, string>, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text) as Record<string, unknown>;
}

describe('README snippets whose requests are sent as their clients build them', () => {
  it('Python openai: base_url + /chat/completions, a Claude model answered in OpenAI shape', async () => {
    const code = atGateway(readmeSnippet('python-openai').code, `${rig.gw.url}/agents/python-openai`);
    const baseUrl = snippetMatch(code, /OpenAI\(base_url="([^"]+)"\)/);
    const model = snippetMatch(code, /model="([^"]+)"/);
    const reply = await postJson(
      pythonUrl(baseUrl, '/chat/completions'),
      { ...pythonHeaders('OpenAI', OPENAI_PYTHON), Authorization: `Bearer ${CLIENT_OPENAI_KEY}` },
      { messages: [{ role: 'user', content: 'Say hi' }], model },
    );
    expect(reply).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: FROM_ANTHROPIC } }] });
    await expectRows('python-openai', [{ client_format: 'openai-chat', provider: 'anthropic', model: 'claude-sonnet-4-6' }]);
  });

  it('Python anthropic: base_url + /v1/messages, a GPT model answered in Anthropic shape', async () => {
    const code = atGateway(readmeSnippet('python-anthropic').code, `${rig.gw.url}/agents/python-anthropic`);
    const baseUrl = snippetMatch(code, /Anthropic\(base_url="([^"]+)"\)/);
    const model = snippetMatch(code, /model="([^"]+)"/);
    const reply = await postJson(
      pythonUrl(baseUrl, '/v1/messages'),
      { ...pythonHeaders('Anthropic', ANTHROPIC_PYTHON), 'X-Api-Key': CLIENT_ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' },
      { max_tokens: 1024, messages: [{ role: 'user', content: 'Say hi' }], model },
    );
    expect(reply).toMatchObject({ type: 'message', content: [{ type: 'text', text: FROM_OPENAI }] });
    await expectRows('python-anthropic', [{ client_format: 'anthropic-messages', provider: 'openai', model: 'gpt-4o-mini' }]);
  });

  it('LiteLLM (aider): OPENAI_API_BASE and ANTHROPIC_API_BASE with prefixed model names', async () => {
    const code = atGateway(readmeSnippet('litellm').code, `${rig.gw.url}/agents/litellm`);
    const env = shellExports(code);
    const models = [...code.matchAll(/--model (\w+)\/(\S+)/g)].map(([, wire, model]) => ({ wire: wire!, model: model! }));
    expect(models.length).toBeGreaterThan(0);
    const expected: Expected[] = [];
    for (const { wire, model } of models) {
      if (wire === 'openai') {
        // LiteLLM hands OPENAI_API_BASE to the openai SDK as base_url.
        const reply = await postJson(
          pythonUrl(env['OPENAI_API_BASE']!, '/chat/completions'),
          { 'Content-Type': 'application/json', Authorization: `Bearer ${CLIENT_OPENAI_KEY}` },
          { model, messages: [{ role: 'user', content: 'Say hi' }] },
        );
        expect(reply).toMatchObject({ object: 'chat.completion' });
        expected.push({ client_format: 'openai-chat', provider: model.startsWith('claude-') ? 'anthropic' : 'openai', model });
      } else {
        expect(wire).toBe('anthropic');
        // LiteLLM appends /v1/messages to ANTHROPIC_API_BASE unless it already ends so.
        const base = env['ANTHROPIC_API_BASE']!;
        const url = base.endsWith('/v1/messages') ? base : `${base}/v1/messages`;
        const reply = await postJson(
          url,
          { 'content-type': 'application/json', accept: 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': CLIENT_ANTHROPIC_KEY },
          { model, max_tokens: 4096, messages: [{ role: 'user', content: 'Say hi' }] },
        );
        expect(reply).toMatchObject({ type: 'message' });
        expected.push({ client_format: 'anthropic-messages', provider: model.startsWith('claude-') ? 'anthropic' : 'openai', model });
      }
    }
    await expectRows('litellm', expected);
  });
});
