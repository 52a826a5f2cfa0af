// better-sqlite3's native addon rebuilt against the embedded runtime's headers. The dev tree
// keeps its own build for the host Node; this copy lives under build/addon only.
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import process from 'node:process';
import { withoutNpmLifecycleVars } from './toolchain.mjs';
import { capture, log, readJson, readJsonIfExists, runLogged } from './util.mjs';

/** Bump when the way the addon is built changes, so cached builds are redone. */
const ADDON_RECIPE = 2;

/**
 * Ensures build/addon/better_sqlite3.node exists for `runtime` and loads under it.
 * Cached on (better-sqlite3 version, runtime version); returns the addon path.
 */
export function ensureSqliteAddon({ projectDir, buildDir, runtime }) {
  const sourceDir = join(projectDir, 'node_modules', 'better-sqlite3');
  const { version: libraryVersion } = readJson(join(sourceDir, 'package.json'));
  const addonDir = join(buildDir, 'addon');
  const workDir = join(addonDir, 'better-sqlite3');
  const addonPath = join(addonDir, 'better_sqlite3.node');
  const stampPath = join(addonDir, 'stamp.json');
  const key = {
    recipe: ADDON_RECIPE,
    betterSqlite3: libraryVersion,
    node: runtime.version,
    platform: process.platform,
    arch: process.arch,
  };

  const stamp = readJsonIfExists(stampPath);
  if (existsSync(addonPath) && JSON.stringify(stamp) === JSON.stringify(key)) {
    try {
      verifyAddon(runtime.nodeBinary, workDir, addonPath);
      log('addon', `cached better-sqlite3@${libraryVersion} for node ${runtime.version}`);
      return addonPath;
    } catch (error) {
      log('addon', `cached addon unusable, rebuilding (${error.message})`);
    }
  }

  log('addon', `rebuilding better-sqlite3@${libraryVersion} against node ${runtime.version} headers (about a minute)`);
  rmSync(addonDir, { recursive: true, force: true });
  const hostBuildDir = join(sourceDir, 'build');
  cpSync(sourceDir, workDir, {
    recursive: true,
    // The host build is for the host Node's ABI; node-gyp must start from nothing.
    filter: (path) => {
      const rel = relative(hostBuildDir, path);
      return rel === '..' || rel.startsWith(`..${sep}`);
    },
  });
  const nodeDir = prepareNodeHeaders(runtime.packageDir, join(addonDir, 'node-headers'));
  const logPath = join(addonDir, 'build.log');
  runLogged('npm', ['run', 'build-release'], logPath, {
    cwd: workDir,
    env: {
      ...withoutNpmLifecycleVars(process.env),
      npm_config_nodedir: nodeDir,
      JOBS: 'max',
    },
  });
  log('addon', `compiled (log: ${relative(projectDir, logPath)})`);
  copyFileSync(join(workDir, 'build', 'Release', 'better_sqlite3.node'), addonPath);
  assertNoObjectWrapCleanupHooks(addonPath);
  verifyAddon(runtime.nodeBinary, workDir, addonPath);
  writeFileSync(stampPath, `${JSON.stringify(key)}\n`);
  return addonPath;
}

/**
 * Node 24.19 made the header-only `node::ObjectWrap` register an environment cleanup hook in its
 * constructor and remove it in its destructor. better-sqlite3 12 derives Statement and Database
 * from it, and a Statement finalised by a garbage collection that runs with no context entered
 * then aborts the process (`RemoveEnvironmentCleanupHook: Assertion failed: (env) != nullptr`);
 * the demo hits it within a second. The class is compiled into the addon, not linked from Node,
 * so building against a copy of the headers without those two calls restores the behaviour of
 * every earlier release without touching the ABI.
 */
function prepareNodeHeaders(packageDir, nodeDir) {
  rmSync(nodeDir, { recursive: true, force: true });
  cpSync(join(packageDir, 'include'), join(nodeDir, 'include'), { recursive: true });
  const headerPath = join(nodeDir, 'include', 'node', 'node_object_wrap.h');
  const header = readFileSync(headerPath, 'utf8');
  if (!header.includes('CleanupHook')) return nodeDir; // a runtime without the hooks needs nothing
  const patched = removeExactlyOnce(
    removeExactlyOnce(header, 'refs_ = 0;\n    AddCleanupHook();\n', 'refs_ = 0;\n', headerPath),
    'virtual ~ObjectWrap() {\n    RemoveCleanupHook();\n',
    'virtual ~ObjectWrap() {\n',
    headerPath,
  );
  writeFileSync(headerPath, patched);
  return nodeDir;
}

function removeExactlyOnce(source, expected, replacement, path) {
  const count = source.split(expected).length - 1;
  if (count !== 1) {
    throw new Error(
      `binary build: cannot patch ${path}: expected 1 occurrence of ${JSON.stringify(expected)}, found ${count}. ` +
        'node::ObjectWrap changed shape; update scripts/binary/addon.mjs for this Node release.',
    );
  }
  return source.replace(expected, replacement);
}

/** The built addon must not call the hook removal that aborts on a context-less GC. */
function assertNoObjectWrapCleanupHooks(addonPath) {
  if (readFileSync(addonPath).includes('RemoveEnvironmentCleanupHook')) {
    throw new Error(`binary build: ${addonPath} still calls node::RemoveEnvironmentCleanupHook (see prepareNodeHeaders)`);
  }
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
    throw new Error(`the rebuilt addon does not load under the embedded runtime: ${error.message}`);
  }
  log('addon', `verified: loads under the embedded runtime, SQLite ${sqliteVersion}`);
}
