import { describe, expect, it } from 'vitest';
import { heldByFlags, restartArgs, wantsArenaCap } from '../../../src/runtime/malloc-arenas.js';

describe('restarting with the malloc arenas capped', () => {
  it('starts the same script with the same Node flags and arguments', () => {
    expect(restartArgs(['/usr/bin/node', '/app/bin/ai-gateway.js', '--no-tui', '-p', '9'], ['--cpu-prof', '--import', 'x.mjs'], '/usr/bin/node', false)).toEqual([
      '/usr/bin/node',
      '--cpu-prof',
      '--import',
      'x.mjs',
      '/app/bin/ai-gateway.js',
      '--no-tui',
      '-p',
      '9',
    ]);
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
    expect(wantsArenaCap({}, 'linux', true, false, glibc)).toBe(true);
    expect(wantsArenaCap({}, 'linux', true, false, () => false)).toBe(false);
    expect(wantsArenaCap({}, 'linux', false, false, glibc)).toBe(false);
    expect(wantsArenaCap({}, 'darwin', true, false, glibc)).toBe(false);
    expect(wantsArenaCap({ MALLOC_ARENA_MAX: '8' }, 'linux', true, false, glibc)).toBe(false);
    // The restarted process has it set, so it does not restart again.
    expect(wantsArenaCap({ MALLOC_ARENA_MAX: '2' }, 'linux', true, false, glibc)).toBe(false);
    expect(wantsArenaCap({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, 'linux', true, false, glibc)).toBe(false);
    // Held by a profiler, a debugger, a preload or a parent's IPC channel.
    expect(wantsArenaCap({}, 'linux', true, true, glibc)).toBe(false);
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
