// better-sqlite3's native addon for the binary. Since version 13 the package ships N-API prebuilds
// (ABI-stable across Node releases), so the linux-x64 prebuild is embedded as it is; nothing is compiled.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { capture, log, readJson } from './util.mjs';

/** Copies the package's linux-x64 prebuild to build/addon, checks it loads under `runtime`, returns its path. */
export function ensureSqliteAddon({ projectDir, buildDir, runtime }) {
  const sourceDir = join(projectDir, 'node_modules', 'better-sqlite3');
  const { version: libraryVersion } = readJson(join(sourceDir, 'package.json'));
  const prebuild = join(sourceDir, 'prebuilds', 'linux-x64.node');
  if (!existsSync(prebuild)) {
    throw new Error(`better-sqlite3@${libraryVersion} has no prebuilds/linux-x64.node; the binary build expects the N-API prebuilds of version 13 or later`);
  }
  const addonDir = join(buildDir, 'addon');
  const addonPath = join(addonDir, 'better_sqlite3.node');
  mkdirSync(addonDir, { recursive: true });
  copyFileSync(prebuild, addonPath);
  verifyAddon(runtime.nodeBinary, sourceDir, addonPath);
  return addonPath;
}

/** Loads the addon with process.dlopen under the embedded runtime and runs one query. */
function verifyAddon(nodeBinary, libraryDir, addonPath) {
  const probe = `
    const addon = { exports: {} };
    process.dlopen(addon, ${JSON.stringify(addonPath)});
    const Database = require(${JSON.stringify(join(libraryDir, 'lib', 'index.js'))});
    const db = new Database(':memory:', { nativeBinding: addon.exports });
    process.stdout.write(db.prepare('select sqlite_version() as v').get().v);
  `;
  let sqliteVersion;
  try {
    sqliteVersion = capture(nodeBinary, ['-e', probe]);
  } catch (error) {
    throw new Error(`the better-sqlite3 addon does not load under the embedded runtime: ${error.message}`);
  }
  log('addon', `better-sqlite3 prebuild loads under the embedded runtime, SQLite ${sqliteVersion}`);
}
