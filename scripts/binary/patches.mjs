// Source patches applied while bundling. CommonJS output cannot hold top-level `await`, and the
// SEA main script must not depend on files next to it. Every patch names the exact text it
// expects; if a dependency upgrade changes that text the build stops here, instead of producing
// a binary that crashes at start.
import { readFileSync } from 'node:fs';
import { pathToFileURL, URL } from 'node:url';

const YOGA_WASM_EXPORT = '__aiGatewayYogaWasmBase64';

/**
 * Each patch: `filter` (esbuild onLoad path regexp) and `transform(source, path)` returning the
 * new source. `describe` explains why, for the error message.
 */
export const SOURCE_PATCHES = [
  {
    name: 'yoga-layout wasm loader: expose the embedded wasm bytes',
    filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/,
    transform(source, path) {
      // The Emscripten loader keeps its wasm as a base64 data URI in one minified variable.
      const pattern = /([A-Za-z_$][\w$]*)="data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/g;
      const matches = [...source.matchAll(pattern)];
      expectCount(path, 'the base64 wasm data URI', matches.length, 1);
      const [literal, variable, base64] = matches[0];
      expectText(path, source, 'export default loadYoga;');
      return (
        source.replace(literal, `${variable}="data:application/octet-stream;base64,"+${YOGA_WASM_EXPORT}`) +
        `\nexport const ${YOGA_WASM_EXPORT} = ${JSON.stringify(base64)};\n`
      );
    },
  },
  {
    name: 'yoga-layout entry: initialise synchronously instead of top-level await',
    filter: /[\\/]yoga-layout[\\/]dist[\\/]src[\\/]index\.js$/,
    transform(source, path) {
      const awaited = 'const Yoga = wrapAssembly(await loadYoga());';
      expectText(path, source, "import loadYoga from '../binaries/yoga-wasm-base64-esm.js';");
      expectText(path, source, awaited);
      expectText(path, source, 'export default Yoga;');
      return source
        .replace(
          "import loadYoga from '../binaries/yoga-wasm-base64-esm.js';",
          `import loadYoga, { ${YOGA_WASM_EXPORT} } from '../binaries/yoga-wasm-base64-esm.js';`,
        )
        .replace(awaited, SYNC_YOGA_INIT);
    },
  },
  {
    name: 'ink reconciler: drop the dev-only top-level awaits',
    filter: /[\\/]ink[\\/]build[\\/]reconciler\.js$/,
    transform(source, path) {
      // Dev mode (DEV=true) would connect React devtools, which the binary does not ship.
      const devtoolsImport = "await import('./devtools.js');";
      const packageJsonRead = 'const loaded = await loadPackageJson();';
      expectText(path, source, devtoolsImport);
      expectText(path, source, packageJsonRead);
      const manifest = JSON.parse(readFileSync(new URL('../package.json', pathToFileURL(path)), 'utf8'));
      const identity = JSON.stringify({ name: manifest.name, version: manifest.version });
      // Any top-level await left over makes esbuild refuse the CommonJS output, so the build
      // still fails loudly if a new one appears.
      return source.replace(devtoolsImport, 'void 0;').replace(packageJsonRead, `const loaded = ${identity};`);
    },
  },
];

// The Emscripten loader finishes synchronously when `instantiateWasm` hands it a ready instance;
// the module object it was given is then fully initialised (its `ready` promise is not needed).
const SYNC_YOGA_INIT = `
const yogaModule = {
  instantiateWasm(imports, receive) {
    const bytes = Buffer.from(${YOGA_WASM_EXPORT}, 'base64');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
    receive(instance);
    return instance.exports;
  },
};
loadYoga(yogaModule);
if (!yogaModule.calledRun) throw new Error('yoga-layout did not initialise synchronously');
const Yoga = wrapAssembly(yogaModule);
`;

function expectText(path, source, text) {
  const count = source.split(text).length - 1;
  expectCount(path, JSON.stringify(text), count, 1);
}

function expectCount(path, what, actual, expected) {
  if (actual !== expected) {
    throw patchError(path, `expected ${expected} occurrence(s) of ${what}, found ${actual}`);
  }
}

function patchError(path, detail) {
  return new Error(
    `binary build: cannot patch ${path}: ${detail}. The dependency changed shape; ` +
      'update scripts/binary/patches.mjs for the new version before building the binary.',
  );
}
