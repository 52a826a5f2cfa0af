/**
 * The built CLI as a user runs it: `node bin/ai-gateway.js …` in a child process (dist/ is built by `npm test`;
 * `ensureBuilt` builds it when it is missing or older than src/). Children run asynchronously, so a gateway
 * started in the test's own process keeps answering them.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/ai-gateway.js');
/** The standalone binary `npm run build:binary` writes; tests of it are skipped when it is not built. */
export const BUILT_BINARY = join(ROOT, 'dist/ai-gateway-linux-x64');
const MAIN = join(ROOT, 'dist/cli/main.js');
export const BUILD_TIMEOUT_MS = 240_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when it is missing or stale; returns why the CLI cannot be tested, or undefined. */
export function ensureBuilt(): string | undefined {
  const stale = !existsSync(MAIN) || newestMtime(join(ROOT, 'src')) > statSync(MAIN).mtimeMs;
  if (!stale) return undefined;
  try {
    execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe', timeout: BUILD_TIMEOUT_MS });
    return undefined;
  } catch (err) {
    if (existsSync(MAIN)) {
      console.warn(`npm run build failed; testing the existing dist/ (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
      return undefined;
    }
    return 'dist/cli/main.js is missing and `npm run build` failed: run `npm run build` (or `npm test`) first';
  }
}

/** A clean environment: no provider keys, admin token or agent settings leak in from the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/API_KEY|ADMIN_TOKEN|_KEY$|^AI_GATEWAY_|^ANTHROPIC_|^OPENAI_/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; input?: string }): Promise<CliRun> {
  return new Promise((done) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cleanEnv(options.env), timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
      done({ status, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a shell pipeline (bash, with pipefail: the status is the CLI's unless the reader failed). */
export function runShell(script: string, options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return new Promise((done) => {
    const child = spawn('bash', ['-c', `set -o pipefail; ${script}`], { cwd: options.cwd, env: cleanEnv({ NODE: process.execPath, BIN, ...options.env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('close', (status) => done({ status, stdout, stderr }));
  });
}
