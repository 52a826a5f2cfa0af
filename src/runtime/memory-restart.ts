/**
 * Restarts the long-running gateway once under two memory settings that glibc and V8 read only at start-up.
 *
 * V8 optimizes hot functions on background threads, and glibc gives each thread that allocates an arena of its
 * own (up to eight per core). The optimizing compilers' scratch memory is allocated and freed there, but an arena
 * seldom hands freed pages back to the system: after the bench's load the gateway kept about 25 MB more RSS than
 * with the arenas capped at two (MALLOC_ARENA_MAX). With the compilers on the main thread as well
 * (`--no-concurrent-recompilation`), that scratch memory is freed into the main arena and reused by the next
 * compilation: V8's peak of it fell from 16-33 to 10 MB and RSS after the bench's load by 5-10 MB more, at no
 * cost per request measured (the compilations are the same work, and the gateway's hot code is compiled within
 * its first seconds of traffic; the longest took 6 ms, on the event loop now).
 *
 * `start` replaces its process with itself, once, with both set: `process.execve` keeps the pid, the terminal and
 * every descriptor, and costs one more Node start-up (about 40 ms). The standalone binary carries the V8 flag in
 * its own execution arguments.
 *
 * Whoever passes the V8 flag either way keeps it. Whoever sets MALLOC_ARENA_MAX or GLIBC_TUNABLES has chosen how
 * the process uses memory: it is not restarted, so neither setting is added. Other allocators (musl, macOS,
 * Windows) and Node versions without `process.execve` are left as they are. So is a process that something else
 * holds on to: V8's CPU profiler, whose signal, still pending at the exec, killed the new image before it could
 * handle it (2 starts in 30), and which a preloaded module may have started too; a debugger; a parent's IPC
 * channel, which the new image would not inherit.
 */
import { isSea } from './sea.js';

const ARENA_MAX = '2';
/** V8 optimizes on the main thread: see above. Also in the binary's execution arguments (scripts/binary/sea.mjs). */
const COMPILE_ON_MAIN_THREAD = '--no-concurrent-recompilation';

/** The argument vector that starts this same program again, compiling on the main thread unless told otherwise. */
export function restartArgs(argv: readonly string[], execArgv: readonly string[], execPath: string, sea: boolean): string[] {
  // Inside the binary argv[1] repeats the binary's path, and its execArgv are applied by the binary itself.
  if (sea) return [execPath, ...argv.slice(2)];
  const chosen = execArgv.some((arg) => arg.includes('concurrent-recompilation') || arg.includes('concurrent_recompilation'));
  return [execPath, ...execArgv, ...(chosen ? [] : [COMPILE_ON_MAIN_THREAD]), ...argv.slice(1)];
}

/** Node flags under which the process is not restarted: V8's profilers, the inspector, and preloaded modules. */
const HELD_BY_FLAGS = ['--cpu-prof', '--prof', '--inspect', '--require', '-r', '--import', '--loader', '--experimental-loader'] as const;

/** Whether a flag of HELD_BY_FLAGS is among Node's options: whole options, so that `-r` is not found in `--report…`. */
export function heldByFlags(execArgv: readonly string[], nodeOptions: string): boolean {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)];
  return given.some((arg) => HELD_BY_FLAGS.some((flag) => arg === flag || arg.startsWith(`${flag}=`) || (flag.length > 2 && arg.startsWith(`${flag}-`))));
}

/** Whether this process should restart itself under the settings (`glibc` is asked last: it costs a report). */
export function wantsRestart(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, canExec: boolean, held: boolean, glibc: () => boolean): boolean {
  return platform === 'linux' && canExec && !held && env['MALLOC_ARENA_MAX'] === undefined && env['GLIBC_TUNABLES'] === undefined && glibc();
}

/** Replaces the process with itself under the memory settings when that helps; returns only when it does not. */
export function restartForMemory(): void {
  const held = process.channel !== undefined || heldByFlags(process.execArgv, process.env['NODE_OPTIONS'] ?? '');
  if (!wantsRestart(process.env, process.platform, typeof process.execve === 'function', held, runsOnGlibc)) return;
  const args = restartArgs(process.argv, process.execArgv, process.execPath, isSea());
  try {
    process.execve!(process.execPath, args, { ...process.env, MALLOC_ARENA_MAX: ARENA_MAX });
  } catch {
    // The gateway runs as well without the settings; it only keeps more memory after load.
  }
}

function runsOnGlibc(): boolean {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: unknown } };
  return typeof report.header?.glibcVersionRuntime === 'string';
}
