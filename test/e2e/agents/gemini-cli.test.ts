/**
 * The real Gemini CLI (`@google/gemini-cli`, pinned) unchanged through the gateway, in a full tool loop: the
 * provider asks for a shell command (`run_shell_command`), the CLI runs it, and the provider answers with text that
 * includes the command's output. Against the Gemini fake (the same format: passed through, thought signature and
 * all) and against the OpenAI and Anthropic fakes (translated). The CLI is pointed at the gateway with
 * GOOGLE_GEMINI_BASE_URL and an API key, a fresh HOME, the workspace trusted and telemetry off.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeGemini, startFakeOpenAI, type FakeUpstream } from '../../fakes/index.js';
import { agentRows, startTestGateway, type TestGateway } from '../../helpers/gateway.js';

const require = createRequire(import.meta.url);
const GEMINI_CLI = require.resolve('@google/gemini-cli/bundle/gemini.js');
const MARKER = 'gemini-cli-tool-ran-ok';
const SHELL_CALL = { name: 'run_shell_command', arguments: { command: `echo ${MARKER}` } };

let gemini: FakeUpstream;
let openai: FakeUpstream;
let anthropic: FakeUpstream;
let gw: TestGateway;
const homes: string[] = [];

beforeAll(async () => {
  gemini = await startFakeGemini({ apiKey: 'gemini-provider-key' });
  openai = await startFakeOpenAI();
  anthropic = await startFakeAnthropic();
  gw = await startTestGateway({
    yaml: [
      'gateway:',
      '  embedded_defaults: false',
      'providers:',
      `  gemini: { type: gemini, base_url: ${gemini.baseURL}, api_key: gemini-provider-key }`,
      `  fo: { type: openai, base_url: ${openai.baseURL}, api_key: sk-openai-provider }`,
      `  fa: { type: anthropic, base_url: ${anthropic.url}, api_key: sk-ant-provider }`,
      'models:',
      '  "gemini-*": gemini',
      '  "gpt-*": fo',
      '  "claude-*": fa',
    ].join('\n'),
  });
});

afterAll(async () => {
  for (const home of homes) rmSync(home, { recursive: true, force: true });
  await gw.stop();
  await Promise.all([gemini.close(), openai.close(), anthropic.close()]);
});

interface Run {
  code: number | null;
  stderr: string;
  response: string;
}

/** `gemini -p PROMPT --yolo --output-format json` as agent `agent`, with model `model`. */
function runGeminiCli(agent: string, model: string, prompt: string): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), 'ai-gateway-gemini-cli-'));
  homes.push(home);
  mkdirSync(join(home, '.gemini'));
  mkdirSync(join(home, 'work'));
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } }),
  );
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    GEMINI_API_KEY: 'gemini-client-key',
    GOOGLE_GEMINI_BASE_URL: `${gw.url}/agents/${agent}`,
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GEMINI_CLI, '-p', prompt, '-m', model, '--yolo', '--output-format', 'json'], { cwd: join(home, 'work'), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const json = stdout.slice(stdout.indexOf('{'));
      let response = '';
      try {
        response = String((JSON.parse(json) as { response?: unknown }).response ?? '');
      } catch {
        response = '';
      }
      resolve({ code, stderr: `${stderr}\n${stdout}`, response });
    });
  });
}

const PROMPT = `Run the shell command \`echo ${MARKER}\` and tell me what it printed.`;

describe('gemini -p through the gateway', () => {
  it('to a Gemini provider: passed through, the thought signature back on the call, both turns metered', async () => {
    gemini.queueScenarios({ kind: 'tools', calls: [SHELL_CALL], usage: { input: 5000, output: 30 } }, { kind: 'tool_output', text: 'It printed: ', usage: { input: 5100, cacheRead: 4000, output: 20 } });
    const seen = gemini.requests.length;
    const run = await runGeminiCli('gcli-gemini', 'gemini-3-pro-preview', PROMPT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.response).toContain(`It printed: `);
    expect(run.response).toContain(MARKER);
    const turns = gemini.requests.slice(seen).filter((r) => r.pathname.endsWith(':streamGenerateContent'));
    expect(turns).toHaveLength(2);
    expect(turns[0]?.headers['x-goog-api-key']).toBe('gemini-provider-key');
    const history = (turns[1]?.body?.['contents'] as Array<{ role: string; parts: Array<Record<string, unknown>> }>) ?? [];
    const call = history.flatMap((c) => c.parts).find((p) => p['functionCall'] !== undefined);
    // Gemini 3 refuses the turn without it (the fake checks, as the API does).
    expect(call?.['thoughtSignature']).toEqual(expect.any(String));
    const result = history.flatMap((c) => c.parts).find((p) => p['functionResponse'] !== undefined);
    expect(JSON.stringify(result)).toContain(MARKER);
    const rows = await agentRows(gw, 'gcli-gemini', 2);
    expect(rows.map((r) => [r['client_format'], r['upstream_format'], r['input_tokens'], r['cache_read_tokens'], r['output_tokens'], r['status']])).toEqual([
      ['gemini', 'gemini', 5000, 0, 30, 200],
      ['gemini', 'gemini', 5100, 4000, 20, 200],
    ]);
    // gemini-3-pro-preview from the bundled table: $2/M input, $0.20/M cached input, $12/M output.
    expect(rows[0]?.['cost_usd']).toBeCloseTo((5000 * 2 + 30 * 12) / 1e6, 12);
    expect(rows[1]?.['cost_usd']).toBeCloseTo((5100 * 2 + 4000 * 0.2 + 20 * 12) / 1e6, 12);
  }, 90_000);

  it.each([
    ['OpenAI', 'gpt-4o-mini', () => openai, 'openai-chat'],
    ['Anthropic', 'claude-sonnet-4-5', () => anthropic, 'anthropic-messages'],
  ] as const)('to %s: translated both ways, the tool loop completes', async (_name, model, fake, format) => {
    const upstream = fake();
    upstream.queueScenarios({ kind: 'tools', calls: [SHELL_CALL] }, { kind: 'tool_output', text: 'It printed: ' });
    const agent = `gcli-${format}`;
    const run = await runGeminiCli(agent, model, PROMPT);
    expect(run.code, run.stderr).toBe(0);
    expect(run.response).toContain(MARKER);
    const rows = await agentRows(gw, agent, 2);
    for (const row of rows) expect(row).toMatchObject({ client_format: 'gemini', upstream_format: format, status: 200, stream: 1, estimated: 0 });
  }, 90_000);
});
