/**
 * Runs the real Codex CLI (`@openai/codex`, pinned) non-interactively against a gateway: a fresh HOME and
 * CODEX_HOME in a temp dir, the README's `config.toml` (so the documented provider is the one that runs) pointed
 * at the test gateway, with retries, analytics and plugins off (so Codex reaches nothing but the gateway), stdin closed (an open pipe makes
 * `codex exec` wait for it), and a clean environment.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atGateway, readmeSnippet } from './readme-snippets.js';

const require = createRequire(import.meta.url);
/** The npm launcher; it execs the platform's native binary, so no Node process stays in between. */
export const CODEX_LAUNCHER = require.resolve('@openai/codex/bin/codex.js');

export interface CodexHome {
  /** HOME (with CODEX_HOME inside it). */
  home: string;
  codexHome: string;
  /** The directory Codex works in. */
  workdir: string;
  remove(): void;
}

export interface CodexSetup {
  /** The gateway's address for this agent, e.g. `http://127.0.0.1:PORT/agents/codex` (the README adds `/v1`). */
  gatewayUrl: string;
  /**
   * Pin it: Codex's default model is a "code mode" one with a different tool set (its tools in an `additional_tools`
   * input item). Undefined leaves the README's `model` line out, so Codex picks that default.
   */
  model: string | undefined;
}

export function makeCodexHome(setup: CodexSetup): CodexHome {
  const home = mkdtempSync(join(tmpdir(), 'ai-gateway-codex-'));
  const codexHome = join(home, '.codex');
  const workdir = join(home, 'work');
  mkdirSync(codexHome);
  mkdirSync(workdir);
  const documented = atGateway(readmeSnippet('codex-config').code, setup.gatewayUrl).replace(/^model = .*$/m, setup.model === undefined ? '' : `model = ${JSON.stringify(setup.model)}`);
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      // Top-level keys go before the README's tables.
      'check_for_update_on_startup = false',
      documented,
      // Still inside [model_providers.gateway]: a failure must fail the test at once, not after Codex's own retries.
      'request_max_retries = 0',
      'stream_max_retries = 0',
      'stream_idle_timeout_ms = 20000',
      '',
      '[analytics]',
      'enabled = false',
      '',
      '[features]',
      'plugins = false',
      '',
    ].join('\n'),
  );
  return { home, codexHome, workdir, remove: () => rmSync(home, { recursive: true, force: true }) };
}

export interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** `--json` events, one per stdout line. */
  events: Array<Record<string, unknown>>;
}

/** `codex exec --json PROMPT` with its sandbox and approvals off (the test's temp dir is the workspace). */
export function runCodexExec(home: CodexHome, prompt: string, timeoutMs = 60_000): Promise<CodexRun> {
  const args = [CODEX_LAUNCHER, 'exec', '--ephemeral', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '--json', prompt];
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: home.home, CODEX_HOME: home.codexHome, OPENAI_API_KEY: 'sk-codex-virtual', LANG: 'C.UTF-8' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: home.workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`codex exec did not finish in ${timeoutMs} ms\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const events = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, stdout, stderr, events });
    });
  });
}
