// Small process/file helpers shared by the binary build steps.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

/** Runs a command, streaming its output; throws with the command line when it fails. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return result;
}

/**
 * Runs a noisy command with its output in `logPath`; on failure the log's tail is printed, so the
 * cause shows without scrolling through a compiler's warnings.
 */
export function runLogged(command, args, logPath, options = {}) {
  const fd = openSync(logPath, 'w');
  let result;
  try {
    result = spawnSync(command, args, { stdio: ['ignore', fd, fd], ...options });
  } finally {
    closeSync(fd);
  }
  if (result.error || result.status !== 0) {
    const tail = readFileSync(logPath, 'utf8').split('\n').slice(-40).join('\n');
    console.error(tail);
    const why = result.error ? result.error.message : `exited with ${result.status ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')} ${why} (full log: ${logPath})`);
  }
}

/** Runs a command and returns its trimmed stdout. */
export function capture(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  }
  return result.stdout.trim();
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

export function readJsonIfExists(path) {
  return existsSync(path) ? readJson(path) : undefined;
}

export function log(step, message) {
  console.log(`[build-binary] ${step}: ${message}`);
}

export function formatBytes(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
