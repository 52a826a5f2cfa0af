/**
 * The real Codex CLI through the gateway, with its default tools, in a full tool loop: the provider asks for a
 * shell command (`exec_command`), Codex runs it, and the provider answers with text that includes the
 * command's output. Once against a provider that speaks the Responses API (passed through as it is) and once
 * against Anthropic (translated: Codex's namespace tool flattened, its hosted web search mapped to Anthropic's).
 *
 * Prices (config, USD per 1M tokens): gpt-5.5 input 1.25, cache_read 0.125, output 10;
 * claude-sonnet-4-5 input 3, cache_read 0.3, output 15.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { makeCodexHome, runCodexExec, type CodexHome } from './codex-home.js';

const MARKER = 'codex-tool-ran-ok';
const PROMPT = `Run the shell command \`echo ${MARKER}\` and tell me what it printed.`;
const SHELL_CALL = { name: 'exec_command', arguments: { cmd: `echo ${MARKER}`, yield_time_ms: 10000 } };

let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;
const homes: CodexHome[] = [];

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: 'sk-openai-provider' });
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-provider' });
  gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  openai: { type: openai, base_url: ${openai.baseURL}, api_key: sk-openai-provider, apis: [chat, responses] }`,
      `  anthropic: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-provider }`,
      'models:',
      '  "gpt-*": openai',
      '  "claude-*": anthropic',
      'prices:',
      '  gpt-5.5: { input: 1.25, cache_read: 0.125, output: 10 }',
      '  claude-sonnet-4-5: { input: 3, cache_read: 0.3, output: 15 }',
    ].join('\n'),
  });
});

afterAll(async () => {
  for (const home of homes) home.remove();
  await gw.stop();
  await openai.close();
  await anthropic.close();
});

function home(agent: string, model: string): CodexHome {
  const made = makeCodexHome({ gatewayUrl: `${gw.url}/agents/${agent}`, model });
  homes.push(made);
  return made;
}


/** What Codex reported: the command it ran with its output, and its last message. */
function outcome(events: Array<Record<string, unknown>>): { command: Record<string, unknown> | undefined; message: string } {
  const items = events.filter((e) => e['type'] === 'item.completed').map((e) => e['item'] as Record<string, unknown>);
  const command = items.find((i) => i['type'] === 'command_execution');
  const message = items.filter((i) => i['type'] === 'agent_message').at(-1)?.['text'];
  return { command, message: typeof message === 'string' ? message : '' };
}

describe('codex exec through the gateway', () => {
  it('to a provider that speaks Responses: passed through, both turns metered exactly', async () => {
    openai.queueScenarios(
      { kind: 'tools', calls: [SHELL_CALL], usage: { input: 9000, cacheRead: 1000, output: 40, reasoning: 10 } },
      { kind: 'tool_output', text: 'The command printed: ', usage: { input: 300, cacheRead: 9000, output: 25 } },
    );
    const run = await runCodexExec(home('codex-pass', 'gpt-5.5'), PROMPT);
    expect(run.code, run.stderr).toBe(0);
    const { command, message } = outcome(run.events);
    expect(command).toMatchObject({ command: expect.stringContaining(`echo ${MARKER}`) as unknown, exit_code: 0 });
    expect(String(command?.['aggregated_output'])).toContain(MARKER);
    expect(message).toContain('The command printed:');
    expect(message).toContain(MARKER);

    // Both turns reached the provider's Responses endpoint as Codex sent them.
    const turns = openai.requests.filter((r) => r.pathname === '/v1/responses');
    expect(turns).toHaveLength(2);
    expect(turns[0]?.headers['authorization']).toBe('Bearer sk-openai-provider');
    const tools = (turns[0]?.body?.['tools'] ?? []) as Array<Record<string, unknown>>;
    expect(tools.map((t) => t['type'])).toContain('web_search');
    const output = (turns[1]?.body?.['input'] as Array<Record<string, unknown>>).find((i) => i['type'] === 'function_call_output');
    expect(String(output?.['output'])).toContain(MARKER);

    const rows = await agentRows(gw, 'codex-pass', 2);
    for (const row of rows) expect(row).toMatchObject({ provider: 'openai', client_format: 'openai-responses', upstream_format: 'openai-responses', stream: 1, status: 200, estimated: 0 });
    expect(rows.map((r) => [r.input_tokens, r.cache_read_tokens, r.output_tokens, r.reasoning_tokens])).toEqual([
      [9000, 1000, 40, 10],
      [300, 9000, 25, 0],
    ]);
    expect(rows[0]?.cost_usd).toBeCloseTo((9000 * 1.25 + 1000 * 0.125 + 40 * 10) / 1e6, 12);
    expect(rows[1]?.cost_usd).toBeCloseTo((300 * 1.25 + 9000 * 0.125 + 25 * 10) / 1e6, 12);
  });

  it('to Anthropic: translated, its namespace tool flattened and its web search mapped, both turns metered exactly', async () => {
    anthropic.queueScenarios(
      { kind: 'tools', calls: [SHELL_CALL], usage: { input: 7000, output: 50 } },
      { kind: 'tool_output', text: 'The command printed: ', usage: { input: 7200, cacheRead: 100, output: 30 } },
    );
    // A model name Codex does not know: it then sends its multi-agent tools as a namespace.
    const run = await runCodexExec(home('codex-claude', 'claude-sonnet-4-5'), PROMPT);
    expect(run.code, run.stderr).toBe(0);
    const { command, message } = outcome(run.events);
    expect(String(command?.['aggregated_output'])).toContain(MARKER);
    expect(message).toContain(`The command printed: `);
    expect(message).toContain(MARKER);

    const turns = anthropic.requests.filter((r) => r.pathname === '/v1/messages');
    expect(turns).toHaveLength(2);
    const tools = (turns[0]?.body?.['tools'] ?? []) as Array<Record<string, unknown>>;
    const names = tools.map((t) => t['name']);
    expect(names).toContain('exec_command');
    expect(names).toContain('multi_agent_v1__spawn_agent');
    expect(tools.find((t) => t['name'] === 'web_search')).toMatchObject({ type: 'web_search_20250305' });
    for (const name of names) expect(String(name)).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
    const history = turns[1]?.body?.['messages'] as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    const call = history.flatMap((m) => m.content).find((b) => b['type'] === 'tool_use');
    const result = history.flatMap((m) => m.content).find((b) => b['type'] === 'tool_result');
    expect(call).toMatchObject({ name: 'exec_command', input: { cmd: `echo ${MARKER}` } });
    expect(result?.['tool_use_id']).toBe(call?.['id']);
    expect(JSON.stringify(result?.['content'])).toContain(MARKER);

    const rows = await agentRows(gw, 'codex-claude', 2);
    for (const row of rows) {
      expect(row).toMatchObject({ provider: 'anthropic', client_format: 'openai-responses', upstream_format: 'anthropic-messages', stream: 1, status: 200, estimated: 0 });
      // Bookkeeping fields Anthropic has no use for are dropped and listed; no tool was.
      expect(String(row.dropped)).not.toContain('tools[');
    }
    expect(rows.map((r) => [r.input_tokens, r.cache_read_tokens, r.output_tokens])).toEqual([
      [7000, 0, 50],
      [7200, 100, 30],
    ]);
    expect(rows[0]?.cost_usd).toBeCloseTo((7000 * 3 + 50 * 15) / 1e6, 12);
    expect(rows[1]?.cost_usd).toBeCloseTo((7200 * 3 + 100 * 0.3 + 30 * 15) / 1e6, 12);
  });
});
