/** Starts the gateway under test as a real process: headless (`--no-tui`) or with the TUI in a pseudo-terminal. */
import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, findDescendant, freePort, sleep, stopProcess } from './proc.mjs';

export const GATEWAY_BIN = 'bin/ai-gateway.js';
const READY_TIMEOUT_MS = 20_000;

/**
 * The bench config: both fakes, `gpt-*` to the OpenAI fake and `claude-*` to the Anthropic fake. The upstream
 * pool is raised above its default (128 per provider) so 200 concurrent streams all reach the provider.
 */
export const UPSTREAM_CONNECTIONS = 256;

/** `extra`: more config lines, appended after the `models:` block (so they may continue it). */
export function benchConfig({ port, dbPath, openaiURL, anthropicURL, extra = [] }) {
  return [
    `gateway: { host: 127.0.0.1, port: ${port}, max_upstream_connections: ${UPSTREAM_CONNECTIONS} }`,
    `storage: { path: ${JSON.stringify(dbPath)} }`,
    'providers:',
    `  fake-openai: { type: openai, base_url: ${JSON.stringify(openaiURL)}, api_key: sk-bench }`,
    `  fake-anthropic: { type: anthropic, base_url: ${JSON.stringify(anthropicURL)}, api_key: sk-ant-bench }`,
    'models:',
    '  "gpt-*": { provider: fake-openai }',
    '  "claude-*": { provider: fake-anthropic }',
    ...extra,
    '',
  ].join('\n');
}

async function waitReady(url, isAlive, logPath) {
  const until = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < until) {
    if (!isAlive()) throw new Error(`gateway exited during start-up; see ${logPath}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  throw new Error(`gateway not ready after ${READY_TIMEOUT_MS} ms (${last}); see ${logPath}`);
}

/**
 * Starts one gateway. `tui: true` runs it inside `script` so Ink renders into a real pseudo-terminal of
 * `cols`×`rows`; the terminal's output goes to a file under `outDir` (kept, to show it rendered).
 * `extra` adds config lines (see benchConfig); `nodeArgs` go to node before the script (e.g. `--cpu-prof`).
 * Returns `{ pid, pids, url, dbPath, configPath, logPath, writeConfig(extra), stop() }`; `pid` is the gateway's
 * own node process; `writeConfig` rewrites its config file, which the gateway watches and reloads.
 */
export async function startGateway({ root, outDir, name, openaiURL, anthropicURL, cpu, tui = false, cols = 120, rows = 40, extra = [], nodeArgs = [] }) {
  const port = await freePort();
  const dbPath = join(outDir, `${name}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  const configPath = join(outDir, `${name}.yaml`);
  const writeConfig = (lines) => writeFileSync(configPath, benchConfig({ port, dbPath, openaiURL, anthropicURL, extra: lines }));
  writeConfig(extra);
  const logPath = join(outDir, tui ? `${name}.tty.log` : `${name}.log`);
  const logFd = openSync(logPath, 'w');
  const args = [...nodeArgs, GATEWAY_BIN, ...(tui ? [] : ['--no-tui']), '-c', configPath, '--db', dbPath];
  const pinned = cpu === undefined ? [process.execPath, ...args] : ['taskset', '-c', String(cpu), process.execPath, ...args];
  const env = { ...process.env, NODE_ENV: 'production' };
  delete env.NO_COLOR;

  let child;
  let pid;
  if (tui) {
    const quoted = pinned.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const inner = `stty cols ${cols} rows ${rows}; exec ${quoted}`;
    // stdin stays an open pipe: `script` ends the session when its input reaches EOF.
    child = spawn('script', ['-qfec', inner, '/dev/null'], {
      cwd: root,
      env: { ...env, TERM: 'xterm-256color', COLUMNS: String(cols), LINES: String(rows) },
      stdio: ['pipe', logFd, logFd],
    });
    const until = Date.now() + 5000;
    while (pid === undefined && Date.now() < until) {
      await sleep(20);
      pid = findDescendant(child.pid, GATEWAY_BIN);
    }
    if (pid === undefined) throw new Error(`TUI gateway process not found under script (pid ${child.pid})`);
  } else {
    const [cmd, ...rest] = pinned;
    child = spawn(cmd, rest, { cwd: root, env, stdio: ['ignore', logFd, logFd] });
    pid = child.pid;
  }
  closeSync(logFd);
  const exited = { done: false };
  child.once('exit', () => {
    exited.done = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcess(pid);
    if (!exited.done && child.pid !== undefined && alive(child.pid)) {
      child.stdin?.end();
      await stopProcess(child.pid, 2000);
    }
  };
  try {
    await waitReady(url, () => !exited.done && alive(pid), logPath);
  } catch (err) {
    await stop();
    throw err;
  }
  // Every process to kill if the benchmark has to give up: the gateway, and `script` around a TUI one.
  const pids = child.pid !== undefined && child.pid !== pid ? [pid, child.pid] : [pid];
  return { pid, pids, url, port, dbPath, configPath, logPath, writeConfig, stop };
}
