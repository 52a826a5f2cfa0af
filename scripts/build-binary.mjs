#!/usr/bin/env node
// Builds the standalone Linux x64 binary: dist/ai-gateway-linux-x64.
// Node's single executable application (SEA) with a pinned Node 26 LTS runtime from the npm registry,
// injected with postject. Needs only the npm registry; re-runs reuse build/toolchain and build/addon.
//
//   node scripts/build-binary.mjs [--entry path/to/entry.ts] [--output path]
import console from 'node:console';
import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureSqliteAddon } from './binary/addon.mjs';
import { bundleCli, bundleWorker } from './binary/bundle.mjs';
import { generateSeaBlob, injectSeaBlob } from './binary/sea.mjs';
import { ensureRuntime } from './binary/toolchain.mjs';
import { capture, formatBytes, log, readJson } from './binary/util.mjs';

const projectDir = resolve(fileURLToPath(new URL('..', import.meta.url)));
const buildDir = join(projectDir, 'build');
// The SEA asset keys; src/runtime/sea.ts reads the addon and the worker script back under the same names.
const SQLITE_ADDON_ASSET = 'better_sqlite3.node';
const TOKEN_WORKER_ASSET = 'token-worker.cjs';
const CONFIG_WORKER_ASSET = 'config-worker.cjs';

async function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the binary build targets linux-x64 and must run there (this is ${process.platform}-${process.arch})`);
  }
  const { values } = parseArgs({
    options: { entry: { type: 'string' }, output: { type: 'string' } },
  });
  const entry = resolve(projectDir, values.entry ?? 'src/cli/main.ts');
  const outputPath = resolve(projectDir, values.output ?? 'dist/ai-gateway-linux-x64');
  if (!existsSync(entry)) throw new Error(`entry ${relative(projectDir, entry)} does not exist`);
  const { version } = readJson(join(projectDir, 'package.json'));

  // A failed build must not leave the previous binary behind for tests to pick up as current.
  rmSync(outputPath, { force: true });
  const started = performance.now();
  const runtime = timed('runtime', () => ensureRuntime(buildDir));
  const addonPath = timed('addon', () => ensureSqliteAddon({ projectDir, buildDir, runtime }));
  const bundle = await timedAsync('bundle', () =>
    bundleCli({ projectDir, buildDir, entry, version, nodeVersion: runtime.version }),
  );
  // The tokenizer runs in a worker thread (src/app/token-counter.ts); the binary starts it from this source.
  const tokenWorker = await timedAsync('worker', () =>
    bundleWorker({ projectDir, buildDir, entry: join(projectDir, 'src/app/token-worker.ts'), name: TOKEN_WORKER_ASSET, version, nodeVersion: runtime.version }),
  );
  // A config reload is read and validated in a worker thread too (src/app/config-loader.ts).
  const configWorker = await timedAsync('worker', () =>
    bundleWorker({ projectDir, buildDir, entry: join(projectDir, 'src/app/config-worker.ts'), name: CONFIG_WORKER_ASSET, version, nodeVersion: runtime.version }),
  );
  const assets = { [SQLITE_ADDON_ASSET]: addonPath, [TOKEN_WORKER_ASSET]: tokenWorker, [CONFIG_WORKER_ASSET]: configWorker };
  const blobPath = timed('blob', () => generateSeaBlob({ buildDir, runtime, bundlePath: bundle.outfile, assets }));
  const stagingPath = `${outputPath}.partial`;
  timed('inject', () => injectSeaBlob({ projectDir, runtime, blobPath, stagingPath }));

  // A binary that cannot even print its version must not count as built; the staged file stays
  // for a look at why.
  const printed = capture(stagingPath, ['--version'], { env: { PATH: '/nonexistent' } });
  if (printed !== version) {
    throw new Error(`${relative(projectDir, stagingPath)} --version printed ${JSON.stringify(printed)}, expected ${version}`);
  }
  renameSync(stagingPath, outputPath);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  log('done', `${relative(projectDir, outputPath)} ${formatBytes(statSync(outputPath).size)} (ai-gateway ${version}, node ${runtime.version}) in ${seconds}s`);
}

function timed(step, fn) {
  const started = performance.now();
  const result = fn();
  log(step, `${((performance.now() - started) / 1000).toFixed(1)}s`);
  return result;
}

async function timedAsync(step, fn) {
  const started = performance.now();
  const result = await fn();
  log(step, `${((performance.now() - started) / 1000).toFixed(1)}s`);
  return result;
}

main().catch((error) => {
  console.error(`[build-binary] FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
