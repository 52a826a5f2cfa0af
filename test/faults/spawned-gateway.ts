/**
 * Runs the built CLI (`node bin/ai-gateway.js --no-tui`) as a child process, for tests that need real signals
 * and a real process exit. The address comes from its "listening on" log line (it binds port 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BUILT_CLI = join(ROOT, 'dist/cli/main.js');
export const hasBuiltCli = existsSync(BUILT_CLI);
export const SKIP_REASON = 'dist/cli/main.js is missing: run `npm run build` first (`npm test` builds before running)';

export interface SpawnedGateway {
  child: ChildProcess;
  url: string;
  /** Everything written to stderr so far (log lines). */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

export async function spawnGateway(args: { cwd: string; config: string; db: string; env?: Record<string, string> }): Promise<SpawnedGateway> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/ai-gateway.js'), '--no-tui', '-c', args.config, '--db', args.db, '-p', '0', '--log-format', 'json'], {
    cwd: args.cwd,
    env: { ...process.env, ...args.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 15 s:\n${err}\n${out}`)), 15_000);
    const look = (): void => {
      const m = /listening on (http:\/\/[^\s"]+)/.exec(err + out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stderr!.on('data', look);
    child.stdout!.on('data', look);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code ?? signal}) before listening:\n${err}\n${out}`));
    });
  });
  return {
    child,
    url,
    stderr: () => err + out,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Runs the built CLI to completion (a command, or a gateway expected to refuse to start). */
export function runCli(args: string[], cwd: string, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/ai-gateway.js'), ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return new Promise((resolveRun, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ai-gateway ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}
