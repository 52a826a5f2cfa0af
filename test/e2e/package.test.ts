/**
 * The packed tarball, as the README's install section uses it: `npm pack` in the checkout, then an install of that
 * tarball in an empty directory and the `ai-gateway` it puts on npx's path. Offline: the tarball's dependencies come
 * from the npm cache that `npm ci` filled, pinned to this checkout's lockfile (npm resolves a bare tarball's
 * dependency ranges against the registry, which a test may not reach).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILD_TIMEOUT_MS, ROOT, cleanEnv, ensureBuilt } from '../helpers/cli.js';

const run = promisify(execFile);

interface Manifest {
  version: string;
  license: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
}

interface LockEntry {
  dev?: boolean;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;

/** A project that depends on the tarball, locked to the versions this checkout tested (production ones only). */
function projectFor(dir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const dependencies = { 'ai-gateway': `file:${tarball}` };
  const packages: Record<string, unknown> = {
    '': { name: 'tarball-check', dependencies },
    'node_modules/ai-gateway': { version: manifest.version, resolved: `file:${tarball}`, license: manifest.license, dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tarball-check', private: true, dependencies }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'tarball-check', lockfileVersion: 3, requires: true, packages }, null, 2));
}

describe('npm pack → install the tarball → npx ai-gateway', () => {
  let dir: string;
  let skipReason: string | undefined;
  let files: string[] = [];

  beforeAll(async () => {
    skipReason = ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'ai-gateway-pack-'));
    if (skipReason) return;
    // prepare runs here and finds dist/ current; its messages go to stderr, so stdout is npm's JSON.
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env: cleanEnv(), timeout: BUILD_TIMEOUT_MS });
    const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
    files = packed!.files.map((f) => f.path);
    expect(packed!.filename).toBe(`ai-gateway-${manifest.version}.tgz`);
    projectFor(dir, packed!.filename);
    try {
      await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], { cwd: dir, env: cleanEnv(), timeout: 120_000 });
    } catch (err) {
      throw new Error(`installing the tarball from the npm cache failed (run \`npm ci\` in the checkout first): ${err instanceof Error ? err.message : String(err)}`);
    }
  }, BUILD_TIMEOUT_MS + 150_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the built CLI and its launcher, not sources, source maps or the standalone binary', (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    for (const f of ['bin/ai-gateway.js', 'dist/cli/main.js', 'dist/cli/statusline.js', 'dist/core/format.js', 'dist/metering/price-table.json', 'README.md', 'gateway.example.yaml', 'package.json']) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/') || f.includes('linux-x64'))).toEqual([]);
  });

  it('prepare leaves a current dist/ alone (npx in a checkout runs it again, behind a silent spinner)', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const main = join(ROOT, 'dist/cli/main.js');
    const before = statSync(main).mtimeMs;
    const started = Date.now();
    const { stderr } = await run(process.execPath, [join(ROOT, 'scripts/prepare.mjs')], { cwd: ROOT, env: cleanEnv() });
    expect(stderr).toContain('dist/ is current');
    expect(statSync(main).mtimeMs).toBe(before);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('npx ai-gateway --version prints the version, offline', async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const { stdout } = await run('npx', ['--offline', 'ai-gateway', '--version'], { cwd: dir, env: cleanEnv(), timeout: 60_000 });
    expect(stdout.trim()).toBe(manifest.version);
  });

  it('the installed gateway opens its SQLite file and listens', { timeout: 30_000 }, async (ctx) => {
    if (skipReason) ctx.skip(skipReason);
    const child = spawn(join(dir, 'node_modules/.bin/ai-gateway'), ['--demo', '--no-tui', '--port', '0', '--db', join(dir, 'demo.db')], { cwd: dir, env: cleanEnv() });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const deadline = Date.now() + 20_000;
    while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/opening .*demo\.db…[\s\S]*listening on http:\/\/127\.0\.0\.1:\d+/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
