import { describe, expect, it } from 'vitest';
import { restartArgs, wantsArenaCap } from '../../../src/runtime/malloc-arenas.js';

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
    expect(wantsArenaCap({}, 'linux', true, glibc)).toBe(true);
    expect(wantsArenaCap({}, 'linux', true, () => false)).toBe(false);
    expect(wantsArenaCap({}, 'linux', false, glibc)).toBe(false);
    expect(wantsArenaCap({}, 'darwin', true, glibc)).toBe(false);
    expect(wantsArenaCap({ MALLOC_ARENA_MAX: '8' }, 'linux', true, glibc)).toBe(false);
    // The restarted process has it set, so it does not restart again.
    expect(wantsArenaCap({ MALLOC_ARENA_MAX: '2' }, 'linux', true, glibc)).toBe(false);
    expect(wantsArenaCap({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' }, 'linux', true, glibc)).toBe(false);
    // The report that answers "glibc?" is made only when everything else says yes.
    expect(asked).toBe(1);
  });
});
