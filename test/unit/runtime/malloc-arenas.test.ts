import { describe, expect, it } from 'vitest';
import { PROFILER_FLAGS, restartArgs, wantsArenaCap } from '../../../src/runtime/malloc-arenas.js';
import { nodeFlagGiven } from '../../../src/runtime/node-flags.js';

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
    // Under the CPU profiler a pending profiling signal would kill the new image.
    expect(wantsArenaCap({}, 'linux', true, true, glibc)).toBe(false);
    // The report that answers "glibc?" is made only when everything else says yes.
    expect(asked).toBe(1);
  });

  it('recognises the profiler on the command line and in NODE_OPTIONS', () => {
    expect(nodeFlagGiven(PROFILER_FLAGS, ['--cpu-prof-dir=p', '--cpu-prof'], '')).toBe(true);
    expect(nodeFlagGiven(PROFILER_FLAGS, [], '--max-old-space-size=512 --prof')).toBe(true);
    expect(nodeFlagGiven(PROFILER_FLAGS, ['--import', 'x.mjs'], '--enable-source-maps')).toBe(false);
  });
});
