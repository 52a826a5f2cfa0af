/**
 * Running a real agent CLI (Claude Code, Codex, …) in a test: found in node_modules, given a fresh HOME and an
 * environment with no way out to the network, and killed with its whole process group when it outlives its
 * deadline.
 *
 * API:
 * - `findAgentCli(name, candidates)`: the first existing executable among paths relative to the project root,
 *   with its `--version`; `undefined` (and one console warning) when none is installed, so a suite can
 *   `describe.skipIf(!cli)`. It throws instead under CI=true (where `npm ci` installed the pinned CLIs) and when
 *   the file exists but does not run: a broken install must fail, not skip.
 * - `startNetworkTrap()`: a loopback HTTP(S) proxy that refuses and records every connection. Its `env` points
 *   HTTP_PROXY/HTTPS_PROXY/ALL_PROXY at it and exempts loopback, so the CLI reaches the gateway and nothing
 *   else; `attempts` lists what it tried (a request line or `CONNECT host:port`). Assert it stays empty.
 * - `makeCliHome(prefix)`: a temp directory with `home/` (HOME) and `work/` (the cwd); `remove()` deletes it.
 * - `cliEnv(home, vars)`: a from-scratch environment: PATH, HOME, LANG, TMPDIR, TERM=dumb, then `vars`. Nothing
 *   from the test's own environment leaks in (no real keys, no proxies, no config dirs).
 * - `runCli(cli, args, { cwd, env, timeoutMs })`: spawns with stdin closed, in its own process group. Resolves
 *   with `{ code, signal, stdout, stderr, ms }` on exit. After `timeoutMs` it SIGKILLs the group and rejects
 *   with an error carrying the captured stdout and stderr (a stalled agent never hangs the suite). Any process
 *   the CLI left behind in its group is killed once it exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROJECT_DIR = join(import.meta.dirname, '..', '..', '..');

export interface AgentCli {
  name: string;
  /** Absolute path of the executable. */
  path: string;
  /** First line of `--version`. */
  version: string;
}

export function findAgentCli(name: string, candidates: readonly string[]): AgentCli | undefined {
  const path = candidates.map((c) => join(PROJECT_DIR, c)).find((p) => existsSync(p));
  if (path === undefined) {
    const missing = `${name} is not installed (looked for ${candidates.join(', ')}); run npm ci`;
    if (process.env['CI'] === 'true') throw new Error(missing);
    console.warn(`[${name} e2e] skipped: ${missing}`);
    return undefined;
  }
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 30_000, env: cliEnv(tmpdir(), {}) });
  if (probe.status !== 0) {
    throw new Error(`${path} --version exited ${probe.status ?? probe.signal}: ${probe.stdout}${probe.stderr}`);
  }
  return { name, path, version: probe.stdout.trim().split('\n')[0] ?? '' };
}

export interface NetworkTrap {
  /** Proxy variables that send every non-loopback connection to the trap. */
  readonly env: Readonly<Record<string, string>>;
  /** What the CLI tried to reach: request lines (`GET http://…`) or `CONNECT host:port`. */
  readonly attempts: readonly string[];
  close(): Promise<void>;
}

export async function startNetworkTrap(): Promise<NetworkTrap> {
  const attempts: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (chunk: Buffer) => {
      attempts.push(chunk.toString('latin1').split('\r\n')[0] ?? '');
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('network trap has no port');
  const url = `http://127.0.0.1:${address.port}`;
  const noProxy = '127.0.0.1,localhost,::1';
  return {
    env: { HTTP_PROXY: url, HTTPS_PROXY: url, ALL_PROXY: url, http_proxy: url, https_proxy: url, all_proxy: url, NO_PROXY: noProxy, no_proxy: noProxy },
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface CliHome {
  root: string;
  /** $HOME for the CLI. */
  home: string;
  /** Its working directory. */
  work: string;
  remove(): void;
}

export function makeCliHome(prefix: string): CliHome {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const home = join(root, 'home');
  const work = join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  return { root, home, work, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export function cliEnv(home: string, vars: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    TMPDIR: tmpdir(),
    TERM: 'dumb',
    ...vars,
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runCli(cli: AgentCli, args: readonly string[], options: RunOptions): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(cli.path, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(
        new Error(
          `${cli.name} ${args.join(' ')} did not finish within ${options.timeoutMs} ms; killed.\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
        ),
      );
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // Whatever the CLI left running in its group would hold the pipes open: it goes when the CLI exits.
    child.once('exit', () => killGroup(child.pid));
    // 'close' waits for the pipes too, so stdout is complete.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - started) });
    });
  });
}
