/**
 * `start` replaces its process with itself once, with glibc's malloc arenas capped and V8 compiling on the main thread
 * (src/runtime/memory-restart.ts). The process a supervisor started is the one that serves, with its arguments, and
 * a user's own setting is kept.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { hasBuiltCli, SKIP_REASON, spawnGateway, type SpawnedGateway } from '../helpers/gateway.js';

const glibc = typeof (process.report.getReport() as { header?: { glibcVersionRuntime?: unknown } }).header?.glibcVersionRuntime === 'string';
const skip = !hasBuiltCli
  ? SKIP_REASON
  : process.platform !== 'linux' || !glibc
    ? 'needs Linux with glibc'
    : process.env['MALLOC_ARENA_MAX'] !== undefined || process.env['GLIBC_TUNABLES'] !== undefined
      ? 'MALLOC_ARENA_MAX or GLIBC_TUNABLES is set in this environment'
      : undefined;
if (skip !== undefined) console.warn(`memory restart test skipped: ${skip}`);

function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

describe.skipIf(skip !== undefined)('the gateway process restarts under its memory settings', () => {
  let dir: string;
  let config: string;
  const children: SpawnedGateway[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ai-gateway-arenas-'));
    config = join(dir, 'gateway.yaml');
    writeFileSync(config, 'gateway: { embedded_defaults: false }\n');
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the process that was started serves, now with MALLOC_ARENA_MAX=2, V8 compiling on the main thread, and the same arguments', async () => {
    const gw = await spawnGateway({ cwd: dir, config, db: join(dir, 'a.db') });
    children.push(gw);
    expect(environOf(gw.child.pid!).get('MALLOC_ARENA_MAX')).toBe('2');
    const argv = readFileSync(`/proc/${gw.child.pid}/cmdline`, 'utf8').split('\0');
    expect(argv).toEqual(expect.arrayContaining(['--no-concurrent-recompilation', '--no-tui', '-c', config, '--log-format', 'json']));
    // Node's own flags come before the script.
    expect(argv.indexOf('--no-concurrent-recompilation')).toBeLessThan(argv.indexOf(BIN));
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });

  it("keeps the user's own setting", async () => {
    const gw = await spawnGateway({ cwd: dir, config, db: join(dir, 'b.db'), env: { MALLOC_ARENA_MAX: '6' } });
    children.push(gw);
    expect(environOf(gw.child.pid!).get('MALLOC_ARENA_MAX')).toBe('6');
    // Not restarted, so V8 keeps its default as well.
    expect(readFileSync(`/proc/${gw.child.pid}/cmdline`, 'utf8').split('\0')).not.toContain('--no-concurrent-recompilation');
  });

  it('leaves a pipe it shares with its parent blocking when it exits, as it found it', () => {
    // stdout and stderr made non-blocking before the restart would be taken by the new image for their original
    // state, and left so at its exit for whoever shares the pipe (here the shell's grep).
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'gateway: [\n');
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --no-tui -c ${JSON.stringify(broken)} 2>&1; grep '^flags' /proc/self/fdinfo/1`;
    const out = execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(out).toMatch(/broken\.yaml/);
    const flags = Number.parseInt(/^flags:\s+([0-7]+)/m.exec(out)![1]!, 8);
    expect(flags & 0o4000).toBe(0);
  });
});
