/**
 * The real Claude Code CLI (`claude -p`, pinned in devDependencies) through the gateway to the fake providers,
 * in a full tool loop: the fake asks for a Bash command, Claude Code runs it in its working directory, and the
 * fake's second answer repeats what the command printed. HOME is a temp dir and every non-loopback connection
 * goes to a trap that must stay empty.
 *
 *   (a) Anthropic client → Anthropic provider: passthrough, default model (claude-opus-5-5).
 *   (b) Anthropic client → OpenAI Chat provider: `--model gpt-5`, routed by the `gpt-*` entry and translated.
 *
 * The environment and the model flag come from the README's Claude Code snippet, so its instructions are what runs.
 *
 * Rates (genai-prices table, USD per 1M tokens):
 *   claude-opus-5-5  input 4, cache read 0.2, 5m cache write 5, output 20
 *   gpt-5            input 1.25, cache read 0.125, output 10
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeUpstream, RecordedRequest, UsageSpec } from '../../fakes/index.js';
import { ANTHROPIC_PROVIDER_KEY, OPENAI_PROVIDER_KEY, startAgentRig, type AgentRig } from './agent-rig.js';
import { cliEnv, findAgentCli, makeCliHome, runCli, type CliHome } from './cli-home.js';
import { atGateway, readmeSnippet, shellExports, snippetMatch } from './readme-snippets.js';

const cli = findAgentCli('claude', ['node_modules/.bin/claude']);
const README = readmeSnippet('claude-code').code;
/** The agent the README's ANTHROPIC_BASE_URL names. */
const AGENT = snippetMatch(README, /ANTHROPIC_BASE_URL=\S*\/agents\/([\w-]+)/);
/** The README's `claude --model …` example, which routes to the OpenAI provider (the rates below are its). */
const TRANSLATED_MODEL = snippetMatch(README, /^claude --model (\S+)/m);

const CLIENT_KEY = 'sk-ant-client-cc-Lm4x';
/** A run takes 1–3 s; a stalled stream would hang Claude Code for minutes. */
const RUN_TIMEOUT_MS = 60_000;

/** What `claude -p --output-format json` prints. */
interface ClaudeResult {
  type: string;
  subtype: string;
  is_error: boolean;
  result: string;
  num_turns: number;
  total_cost_usd: number;
  permission_denials: unknown[];
  usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
}

describe.skipIf(!cli)(`Claude Code (${cli?.version ?? 'not installed'}) through the gateway`, () => {
  let rig: AgentRig;
  let home: CliHome | undefined;

  beforeAll(async () => {
    rig = await startAgentRig();
  });

  afterEach(() => {
    home?.remove();
    home = undefined;
  });

  afterAll(async () => {
    await rig?.stop();
  });

  /**
   * Writes a file holding a fresh marker, scripts `fake` for the two turns (a Bash `cat` of the file, then an echo
   * of the tool result) and runs `claude -p` with the README's environment. The marker reaches the fake only if
   * the command ran. `model` is the one the audit rows of this run carry.
   */
  async function toolLoop(fake: FakeUpstream, model: string, usage: UsageSpec, extraArgs: string[] = []) {
    home = makeCliHome('ai-gateway-claude');
    const marker = `gw-${randomBytes(6).toString('hex')}-marker`;
    writeFileSync(join(home.work, 'marker.txt'), `${marker}\n`);
    const seen = fake.requests.length;
    fake.queueScenarios(
      { kind: 'tools', text: 'I will read the file.', usage, calls: [{ name: 'Bash', arguments: { command: 'cat marker.txt', description: 'Print the marker file' } }] },
      { kind: 'tool_output', usage },
    );
    const run = await runCli(
      cli!,
      ['-p', 'What does marker.txt in this directory say?', '--output-format', 'json', '--allowedTools', 'Bash', ...extraArgs],
      {
        cwd: home.work,
        timeoutMs: RUN_TIMEOUT_MS,
        env: cliEnv(home.home, {
          ...rig.trap.env,
          ...shellExports(atGateway(README, rig.gw.url)),
          ANTHROPIC_API_KEY: CLIENT_KEY,
          // One attempt per turn: a refusal shows as a failure here, not as retries with degraded bodies.
          CLAUDE_CODE_MAX_RETRIES: '0',
        }),
      },
    );
    const context = `exit ${run.code ?? run.signal}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
    expect(run.code, context).toBe(0);
    const output = JSON.parse(run.stdout) as ClaudeResult;
    const requests = fake.requests.slice(seen);
    const rows = await rig.rowsOf(AGENT, 2, (r) => r['model'] === model);
    return { marker, output, requests, rows, context };
  }

  /** The two upstream requests: the first carries the prompt, the second the command's output. */
  function expectTwoTurns(requests: readonly RecordedRequest[], path: string, marker: string, upstreamKey: string): void {
    expect(requests.map((r) => `${r.method} ${r.pathname} ${r.status}`)).toEqual([`POST ${path} 200`, `POST ${path} 200`]);
    expect(requests[0]!.rawBody).not.toContain(marker);
    expect(requests[1]!.rawBody).toContain(marker);
    for (const r of requests) {
      expect(r.body?.['stream']).toBe(true);
      expect(r.rawBody).not.toContain(CLIENT_KEY);
      expect(`${r.headers['x-api-key'] ?? ''} ${r.headers['authorization'] ?? ''}`).toContain(upstreamKey);
    }
  }

  it('(a) Anthropic passthrough: Bash runs, the final answer carries its output, exact tokens and cost', { timeout: 90_000 }, async () => {
    const usage = { input: 1200, cacheRead: 3000, cacheWrite: 500, output: 42 };
    const { marker, output, requests, rows, context } = await toolLoop(rig.anthropic, 'claude-opus-5-5', usage);

    expect(output, context).toMatchObject({ type: 'result', subtype: 'success', is_error: false, num_turns: 2, permission_denials: [] });
    expect(output.result).toContain(marker);
    expectTwoTurns(requests, '/v1/messages', marker, ANTHROPIC_PROVIDER_KEY);
    // Claude Code's own request, unchanged: its betas, its default model, adaptive thinking and 128k output budget.
    expect(requests[0]!.headers['anthropic-beta']).toContain('claude-code-20250219');
    expect(requests[0]!.body).toMatchObject({ model: 'claude-opus-5-5', max_tokens: 128000, thinking: { type: 'adaptive' } });
    expect(requests[1]!.body?.['messages']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          role: 'user',
          content: [expect.objectContaining({ type: 'tool_result', content: marker, is_error: false })],
        }),
      ]),
    );

    // 1200·4 + 3000·0.2 + 500·5 + 42·20 = 8740 USD per 1M tokens, per turn.
    const perTurn = 8740 / 1e6;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({
        status: 200,
        provider: 'anthropic',
        model: 'claude-opus-5-5',
        client_format: 'anthropic-messages',
        upstream_format: 'anthropic-messages',
        stream: 1,
        input_tokens: 1200,
        cache_read_tokens: 3000,
        cache_write_tokens: 500,
        output_tokens: 42,
        estimated: 0,
      });
      expect(row['cost_usd']).toBeCloseTo(perTurn, 12);
    }
    // Claude Code prices the same usage itself; the gateway's audit agrees with it.
    expect(output.usage).toMatchObject({ input_tokens: 2400, cache_read_input_tokens: 6000, cache_creation_input_tokens: 1000, output_tokens: 84 });
    expect(output.total_cost_usd).toBeCloseTo(2 * perTurn, 9);
    expect(rig.trap.attempts).toEqual([]);
  });

  it('(b) translated to OpenAI Chat: tool_calls become tool_use, Bash runs, exact tokens and cost', { timeout: 90_000 }, async () => {
    expect(TRANSLATED_MODEL).toBe('gpt-5');
    const usage = { input: 1000, cacheRead: 500, output: 60, reasoning: 20 };
    const { marker, output, requests, rows, context } = await toolLoop(rig.openai, TRANSLATED_MODEL, usage, ['--model', TRANSLATED_MODEL]);

    expect(output, context).toMatchObject({ type: 'result', subtype: 'success', is_error: false, num_turns: 2, permission_denials: [] });
    expect(output.result).toContain(marker);
    expectTwoTurns(requests, '/v1/chat/completions', marker, OPENAI_PROVIDER_KEY);
    expect(requests[0]!.body).toMatchObject({ model: 'gpt-5', stream_options: { include_usage: true } });
    const tools = requests[0]!.body?.['tools'];
    expect(tools).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'function', function: expect.objectContaining({ name: 'Bash' }) })]));
    // The tool result goes back as a `tool` message answering the fake's call id.
    const second = requests[1]!.body?.['messages'] as Record<string, unknown>[];
    const call = second.findLast((m) => m['role'] === 'assistant')?.['tool_calls'] as { id: string; function: { name: string } }[];
    expect(call.map((c) => c.function.name)).toEqual(['Bash']);
    expect(second.at(-1)).toMatchObject({ role: 'tool', tool_call_id: call[0]!.id });
    expect(JSON.stringify(second.at(-1))).toContain(marker);

    // 1000·1.25 + 500·0.125 + 60·10 = 1912.5 USD per 1M tokens, per turn; reasoning is inside output.
    const perTurn = 1912.5 / 1e6;
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatchObject({
        status: 200,
        provider: 'openai',
        model: 'gpt-5',
        client_format: 'anthropic-messages',
        upstream_format: 'openai-chat',
        stream: 1,
        input_tokens: 1000,
        cache_read_tokens: 500,
        cache_write_tokens: 0,
        output_tokens: 60,
        reasoning_tokens: 20,
        estimated: 0,
      });
      expect(row['cost_usd']).toBeCloseTo(perTurn, 12);
    }
    // Claude Code saw the same tokens in Anthropic's terms (input excludes the cache read).
    expect(output.usage).toMatchObject({ input_tokens: 2000, cache_read_input_tokens: 1000, output_tokens: 120 });
    expect(rig.trap.attempts).toEqual([]);
  });
});
