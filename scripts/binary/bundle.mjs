// One CommonJS file holding the CLI and every dependency, for the SEA main script. Inside a SEA
// `require` reaches only built-in modules, so nothing may be left for run-time resolution.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { build } from 'esbuild';
import { SOURCE_PATCHES } from './patches.mjs';
import { formatBytes, log } from './util.mjs';

const IMPORT_META_URL = '__aiGatewayImportMetaUrl';

/** Bundles `entry` to build/bundle/ai-gateway.cjs; returns `{ outfile, metafile }`. */
export async function bundleCli({ projectDir, buildDir, entry, version, nodeVersion }) {
  const outfile = join(buildDir, 'bundle', 'ai-gateway.cjs');
  const result = await bundle({ projectDir, entry, outfile, version, nodeVersion });
  writeFileSync(join(buildDir, 'bundle', 'meta.json'), JSON.stringify(result.metafile));
  log('bundle', `largest packages: ${largestPackages(result.metafile, 6)}`);
  return { outfile, metafile: result.metafile };
}

/**
 * Bundles a worker thread's script (`entry`) to build/bundle/`name`, for a SEA asset: the binary starts the worker
 * from this source, and like the main script it may require nothing but built-in modules. Returns its path.
 */
export async function bundleWorker({ projectDir, buildDir, entry, name, version, nodeVersion }) {
  const outfile = join(buildDir, 'bundle', name);
  await bundle({ projectDir, entry, outfile, version, nodeVersion });
  return outfile;
}

/** One CommonJS file for `entry`, checked to load nothing at run time. */
async function bundle({ projectDir, entry, outfile, version, nodeVersion }) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    absWorkingDir: projectDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${nodeVersion.split('.')[0]}`,
    minify: true,
    // Function and class names survive minifying: error names and `constructor.name` checks.
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
    define: {
      'process.env.NODE_ENV': '"production"',
      'import.meta.url': IMPORT_META_URL,
      __AI_GATEWAY_VERSION__: JSON.stringify(version),
    },
    // import.meta has no CommonJS equivalent; in a SEA __filename is the executable, which is
    // what file-relative lookups that survive bundling should see.
    banner: { js: `var ${IMPORT_META_URL} = require("node:url").pathToFileURL(__filename).href;` },
    plugins: [emptyModulesPlugin(['react-devtools-core']), sourcePatchPlugin(SOURCE_PATCHES)],
  });
  for (const warning of result.warnings) {
    log('bundle', `warning: ${formatMessage(warning)}`);
  }
  assertNoRuntimeImports(outfile);
  log('bundle', `${relative(projectDir, outfile)} ${formatBytes(statSync(outfile).size)}, ${Object.keys(result.metafile.inputs).length} modules`);
  return result;
}

/** Resolves dev-only packages to an empty module instead of bundling (or missing) them. */
function emptyModulesPlugin(names) {
  const filter = new RegExp(`^(?:${names.map(escapeRegExp).join('|')})(?:/.*)?$`);
  return {
    name: 'empty-modules',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'empty-module' }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'empty-module' }, () => ({
        contents: 'module.exports = {};',
        loader: 'js',
      }));
    },
  };
}

function sourcePatchPlugin(patches) {
  return {
    name: 'source-patches',
    setup(pluginBuild) {
      for (const patch of patches) {
        pluginBuild.onLoad({ filter: patch.filter }, (args) => {
          const source = readFileSync(args.path, 'utf8');
          return { contents: patch.transform(source, args.path), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
        });
      }
    },
  };
}

/**
 * An import() esbuild could not inline would load a file from disk at run time, and none exists
 * next to the binary (Node 20's SEA code cache even breaks import() outright). Literal import()s
 * of bundled modules become lazy initialisers and import() of a built-in module works, so the
 * check reads the output itself: import(variable) leaves no trace in the metafile.
 */
function assertNoRuntimeImports(outfile) {
  const code = readFileSync(outfile, 'utf8');
  const builtins = new Set(builtinModules);
  const leftovers = [];
  for (const match of code.matchAll(/(?<![\w$.])import\s*\(\s*(?:(["'`])([^"'`]*)\1)?/g)) {
    const specifier = match[2];
    const isBuiltin = specifier !== undefined && (specifier.startsWith('node:') || builtins.has(specifier));
    if (!isBuiltin) leftovers.push(code.slice(match.index, match.index + 80).split('\n')[0]);
  }
  if (leftovers.length > 0) {
    throw new Error(
      `binary build: the bundle still loads modules with import() at run time; make these static:\n  ${leftovers.join('\n  ')}`,
    );
  }
}

/** "name size, ..." of the packages that take most room in the bundle (start-up work). */
function largestPackages(metafile, count) {
  const sizes = new Map();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match ? match[1] : '(app)';
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, bytes]) => `${name} ${formatBytes(bytes)}`)
    .join(', ');
}

function formatMessage(message) {
  const where = message.location ? `${message.location.file}:${message.location.line}: ` : '';
  return `${where}${message.text}`;
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
