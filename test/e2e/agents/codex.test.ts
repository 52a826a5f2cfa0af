/**
 * The real Codex CLI through the gateway, with its default tools, in a full tool loop: the provider asks for a
 * shell command (`exec_command`), Codex runs it, and the provider answers with text that includes the
 * command's output. Once against a provider that speaks the Responses API (passed through as it is) and once
 * against Anthropic (translated: Codex's namespace tool flattened, its hosted web search mapped to Anthropic's).
 * Then with Codex's own model name routed to Anthropic, where Codex sends its free-form `apply_patch` tool: the
 * provider asks for a patch and Codex applies it.
 *
 * Prices (config, USD per 1M tokens): gpt-5.5 input 1.25, cache_read 0.125, output 10;
 * claude-sonnet-4-5 input 3, cache_read 0.3, output 15.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
/** Routes Codex's own model names to Anthropic. */
let gwToClaude: TestGateway;
const homes: CodexHome[] = [];

function gatewayYaml(models: string[]): string {
  return [
    'gateway:',
    '  embedded_defaults: false',
    'providers:',
    `  openai: { type: openai, base_url: ${openai.baseURL}, api_key: sk-openai-provider, apis: [chat, responses] }`,
    `  anthropic: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-provider }`,
    'models:',
    ...models.map((m) => `  ${m}`),
    'prices:',
    '  gpt-5.5: { input: 1.25, cache_read: 0.125, output: 10 }',
    '  claude-sonnet-4-5: { input: 3, cache_read: 0.3, output: 15 }',
  ].join('\n');
}

beforeAll(async () => {
  openai = await startFakeOpenAI({ apiKey: 'sk-openai-provider' });
  anthropic = await startFakeAnthropic({ apiKey: 'sk-ant-provider' });
  gw = await startTestGateway({ yaml: gatewayYaml(['"gpt-*": openai', '"claude-*": anthropic']) });
  gwToClaude = await startTestGateway({
    yaml: gatewayYaml([
      '"gpt-5.5": { provider: anthropic, model: claude-sonnet-4-5 }',
      // Codex's default model when none is set (0.171.0).
      '"gpt-6.2-sol": { provider: anthropic, model: claude-sonnet-4-5 }',
    ]),
  });
});

afterAll(async () => {
  for (const home of homes) home.remove();
  await gw.stop();
  await gwToClaude.stop();
  await openai.close();
  await anthropic.close();
});

function home(agent: string, model: string | undefined, gateway = gw): CodexHome {
  const made = makeCodexHome({ gatewayUrl: `${gateway.url}/agents/${agent}`, model });
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

type Json = Record<string, unknown>;

/**
 * The two Messages requests of a tool loop that reached the Anthropic fake from its request number `from` on: the
 * first one's body and tools, and the tool call and result the second one's history carries.
 */
function anthropicLoop(from: number): { first: Json; tools: Json[]; call: Json | undefined; result: Json | undefined } {
  const turns = anthropic.requests.slice(from).filter((r) => r.pathname === '/v1/messages');
  expect(turns).toHaveLength(2);
  const first = turns[0]?.body ?? {};
  const history = (turns[1]?.body?.['messages'] as Array<{ content: Json[] | string }>).flatMap((m) => (Array.isArray(m.content) ? m.content : []));
  return {
    first,
    tools: (first['tools'] ?? []) as Json[],
    call: history.find((b) => b['type'] === 'tool_use'),
    result: history.find((b) => b['type'] === 'tool_result'),
  };
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
    const seen = anthropic.requests.length;
    // A model name Codex does not know: it then sends its multi-agent tools as a namespace.
    const run = await runCodexExec(home('codex-claude', 'claude-sonnet-4-5'), PROMPT);
    expect(run.code, run.stderr).toBe(0);
    const { command, message } = outcome(run.events);
    expect(String(command?.['aggregated_output'])).toContain(MARKER);
    expect(message).toContain(`The command printed: `);
    expect(message).toContain(MARKER);

    const { tools, call, result } = anthropicLoop(seen);
    const names = tools.map((t) => t['name']);
    expect(names).toContain('exec_command');
    expect(names).toContain('multi_agent_v1__spawn_agent');
    expect(tools.find((t) => t['name'] === 'web_search')).toMatchObject({ type: 'web_search_20250305' });
    for (const name of names) expect(String(name)).toMatch(/^[a-zA-Z0-9_-]{1,128}$/);
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

  it('with its own model name routed to Anthropic: apply_patch, a custom tool, is offered as a function and Codex applies the patch', async () => {
    const patch = '*** Begin Patch\n*** Add File: hello.txt\n+hello from the gateway\n*** End Patch\n';
    anthropic.queueScenarios(
      { kind: 'tools', calls: [{ name: 'apply_patch', arguments: { input: patch } }], fragments: 5, usage: { input: 8000, output: 60 } },
      { kind: 'tool_output', text: 'The patch tool said: ', usage: { input: 8100, cacheRead: 200, output: 20 } },
    );
    const seen = anthropic.requests.length;
    const workspace = home('codex-patch', 'gpt-5.5', gwToClaude);
    const run = await runCodexExec(workspace, 'Create hello.txt containing "hello from the gateway".');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(workspace.workdir, 'hello.txt'), 'utf8')).toBe('hello from the gateway\n');
    const items = run.events.filter((e) => e['type'] === 'item.completed').map((e) => e['item'] as Record<string, unknown>);
    expect(items.find((i) => i['type'] === 'file_change')).toMatchObject({ status: 'completed', changes: [{ kind: 'add' }] });
    expect(items.filter((i) => i['type'] === 'agent_message').at(-1)?.['text']).toContain('The patch tool said: ');

    const { first, tools, call, result } = anthropicLoop(seen);
    expect(first['model']).toBe('claude-sonnet-4-5');
    const offered = tools.find((t) => t['name'] === 'apply_patch');
    expect(offered).toMatchObject({ input_schema: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] } });
    expect(String(offered?.['description'])).toContain('begin_patch hunk+ end_patch');
    expect(call).toMatchObject({ name: 'apply_patch', input: { input: patch } });
    expect(result?.['tool_use_id']).toBe(call?.['id']);
    expect(JSON.stringify(result?.['content'])).toContain('hello.txt');

    const rows = await agentRows(gwToClaude, 'codex-patch', 2);
    for (const row of rows) {
      expect(row).toMatchObject({ provider: 'anthropic', client_format: 'openai-responses', upstream_format: 'anthropic-messages', stream: 1, status: 200, estimated: 0 });
      // Codex's client-run tool search has no counterpart and is named; apply_patch went up as a function.
      expect(String(row.dropped)).toContain('tools[tool_search]');
      expect(String(row.dropped)).not.toContain('apply_patch');
    }
    expect(rows.map((r) => [r.input_tokens, r.cache_read_tokens, r.output_tokens])).toEqual([
      [8000, 0, 60],
      [8100, 200, 20],
    ]);
    expect(rows[0]?.cost_usd).toBeCloseTo((8000 * 3 + 60 * 15) / 1e6, 12);
    expect(rows[1]?.cost_usd).toBeCloseTo((8100 * 3 + 200 * 0.3 + 20 * 15) / 1e6, 12);
  });

  it('with no model set, Codex’s code-mode default routed to Anthropic: the tools of its additional_tools item are offered and its JavaScript exec runs the command', async () => {
    const script = `const r = await tools.exec_command({ cmd: "echo ${MARKER}" });\ntext(r.output);\n`;
    anthropic.queueScenarios(
      { kind: 'tools', calls: [{ name: 'functions__exec', arguments: { input: script } }], usage: { input: 9000, output: 70 } },
      { kind: 'tool_output', text: 'The script printed: ', usage: { input: 9100, output: 20 } },
    );
    const seen = anthropic.requests.length;
    const run = await runCodexExec(home('codex-code-mode', undefined, gwToClaude), PROMPT);
    expect(run.code, run.stderr).toBe(0);
    const { message } = outcome(run.events);
    expect(message).toContain('The script printed: ');
    expect(message).toContain(MARKER);

    const { tools, call, result } = anthropicLoop(seen);
    const names = tools.map((t) => t['name']);
    expect(names).toContain('functions__exec');
    expect(names).toContain('collaboration__spawn_agent');
    expect(call).toMatchObject({ name: 'functions__exec', input: { input: script } });
    expect(JSON.stringify(result?.['content'])).toContain(MARKER);

    const rows = await agentRows(gwToClaude, 'codex-code-mode', 2);
    for (const row of rows) expect(row).toMatchObject({ provider: 'anthropic', model: 'gpt-6.2-sol', upstream_format: 'anthropic-messages', status: 200, estimated: 0 });
    expect(rows.map((r) => [r.input_tokens, r.output_tokens])).toEqual([
      [9000, 70],
      [9100, 20],
    ]);
  });
});
