import { describe, expect, it } from 'vitest';
import { heldByFlags, restartArgs, wantsRestart } from '../../../src/runtime/memory-restart.js';

describe('restarting under the memory settings', () => {
  it('starts the same script with the same Node flags and arguments, and V8 compiling on the main thread', () => {
    expect(restartArgs(['/usr/bin/node', '/app/bin/ai-gateway.js', '--no-tui', '-p', '9'], ['--cpu-prof', '--import', 'x.mjs'], '/usr/bin/node', false)).toEqual([
      '/usr/bin/node',
      '--cpu-prof',
      '--import',
      'x.mjs',
      '--no-concurrent-recompilation',
      '/app/bin/ai-gateway.js',
      '--no-tui',
      '-p',
      '9',
    ]);
  });

  it("keeps the user's own choice of the compile flag, either way", () => {
    for (const flag of ['--concurrent-recompilation', '--no-concurrent-recompilation', '--concurrent_recompilation']) {
      const args = restartArgs(['/usr/bin/node', '/app/bin/ai-gateway.js'], [flag], '/usr/bin/node', false);
      expect(args).toEqual(['/usr/bin/node', flag, '/app/bin/ai-gateway.js']);
    }
  });

  it('inside the binary, argv[1] repeats the binary and its own flags are not passed again', () => {
    expect(restartArgs(['/opt/ai-gateway', '/opt/ai-gateway', 'start', '--demo'], ['--no-warnings'], '/opt/ai-gateway', true)).toEqual(['/opt/ai-gateway', 'start', '--demo']);
  });

  it('only on Linux with glibc and execve, and never over a setting of the user', () => {
    let asked = 0;
    const glibc = (): boolean => {
      asked++;
      return true;
    };
    expect(wantsRestart({}, 'linux', true, false, glibc)).toBe(true);
    expect(wantsRestart({}, 'linux', true, false, () => false)).toBe(false);
    expect(wantsRestart({}, 'linux', false, false, glibc)).toBe(false);
    expect(wantsRestart({}, 'darwin', true, false, glibc)).toBe(false);
    expect(wantsRestart({ MALLOC_ARENA_MAX: '8' }, 'linux', true, false, glibc)).toBe(false);
    // The restarted process has it set, so it does not restart again.
    expect(wantsRestart({ MALLOC_ARENA_MAX: '2' }, 'linux', true, false, glibc)).toBe(false);
    expect(wantsRestart({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, 'linux', true, false, glibc)).toBe(false);
    // Held by a profiler, a debugger, a preload or a parent's IPC channel.
    expect(wantsRestart({}, 'linux', true, true, glibc)).toBe(false);
    // The report that answers "glibc?" is made only when everything else says yes.
    expect(asked).toBe(1);
  });

  it('stays put under a profiler, a debugger or a preloaded module, on the command line or in NODE_OPTIONS', () => {
    expect(heldByFlags(['--cpu-prof-dir=p', '--cpu-prof'], '')).toBe(true);
    expect(heldByFlags([], '--max-old-space-size=512 --prof')).toBe(true);
    expect(heldByFlags(['--inspect-brk=9230'], '')).toBe(true);
    expect(heldByFlags(['-r', 'dd-trace/init'], '')).toBe(true);
    expect(heldByFlags([], '--require ./otel.js')).toBe(true);
    expect(heldByFlags(['--import=./hooks.mjs'], '')).toBe(true);
    // Whole options only: these hold nothing.
    expect(heldByFlags(['--report-on-signal', '--enable-source-maps'], '--max-old-space-size=512')).toBe(false);
    expect(heldByFlags([], '')).toBe(false);
  });
});
