/**
 * The layer map of src/, enforced (`npm run lint:layers`). Each folder may import only the layers below it, so a
 * change to an outer layer (the dashboard, the HTTP server, the wiring) never ripples into the pure inner ones, and
 * each inner layer can be tested on its own. Type-only imports count: a type is a dependency too.
 * The map itself (which folder may import which) is drawn in docs/architecture.md; the rules below are its
 * forbidden edges, each with the reason it exists.
 */

/** A path pattern for every folder of src/ but the ones named. */
const srcExcept = (...folders) => `^src/(?!(${folders.join('|')})/)`;

/** Forbids imports from the `from` paths to the `to` paths. */
const forbid = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

/** `layer` may import only itself and the layers named. */
const importsOnly = (layer, allowed, comment) =>
  forbid(`${layer}${allowed.length === 0 ? '-imports-nothing' : `-imports-only-${allowed.join('-')}`}`, comment, `^src/${layer}/`, srcExcept(layer, ...allowed));

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    importsOnly(
      'core',
      [],
      'core/ is the shared kernel (clock, errors, usage, formatting) every layer uses; if it imported any of them, ' +
        'every layer would depend on every other.',
    ),
    importsOnly(
      'wire',
      ['core'],
      'wire/ is pure translation between wire formats and the canonical form: no I/O, no configuration, no state. It ' +
        'stays testable byte for byte, and usable by any caller, only while it needs nothing but core/.',
    ),
    forbid(
      'tui-only-from-tui-and-cli',
      'tui/ is rendering only (Ink). What the dashboard shows (snapshot types, live counters) lives in live/, so the ' +
        'management API, the API client and the CLI commands never load the UI to get a type. Only the CLI, which ' +
        'starts the dashboard, may import it (so client/ never does).',
      srcExcept('tui', 'cli'),
      '^src/tui/',
    ),
    forbid(
      'pipeline-through-ports',
      'The request pipeline reaches storage, logging, metrics and the server through its ports (pipeline/ports.ts) ' +
        'only, so its steps can be unit-tested with fake ports and no sockets or files, and app/ decides what ' +
        'implements them.',
      '^src/pipeline/',
      '^src/(store|server|app|observe)/',
    ),
    forbid(
      'inner-layers-import-no-edge',
      'config/, metering/, control/ and store/ hold the rules and the records (configuration, prices, budgets, the ' +
        'audit). The edge layers (HTTP server, wiring, dashboard, CLI, API client, pipeline) use them, never the ' +
        'reverse, or a change in how requests arrive would reach the ledger.',
      '^src/(config|metering|control|store)/',
      '^src/(server|app|tui|cli|client|pipeline)/',
    ),
    importsOnly(
      'config',
      ['core', 'wire'],
      'Configuration is read by every layer above it; it may know the wire types it validates, nothing that runs.',
    ),
    importsOnly(
      'metering',
      ['core', 'wire'],
      'Prices, capabilities and token estimates are tables and arithmetic over usage and canonical requests.',
    ),
    importsOnly(
      'control',
      ['core', 'config'],
      'Budgets, rate limits, breakers and policies are small state machines over an injected clock and their ' +
        'configuration; the pipeline and the management API drive them, they never reach back.',
    ),
    importsOnly(
      'observe',
      ['core'],
      'Logger, metrics and redaction are used everywhere, so they depend on nothing but the kernel.',
    ),
    importsOnly(
      'store',
      ['core', 'metering', 'observe', 'live'],
      'The audit store writes and reads rows; it knows prices (to rebuild spend), logging and the live types it ' +
        'feeds, never the request path or the UI.',
    ),
    importsOnly(
      'tui',
      ['live', 'client', 'core'],
      'The dashboard renders live state, in process or through the management API client; it never reads the store ' +
        'or drives the gateway directly, so it shows the same thing either way.',
    ),
    forbid(
      'server-not-app',
      'server/ holds the HTTP server and the route tables over the pipeline and live state; app/ wires them ' +
        'together. If server/ imported app/, the routes could not be built or tested without the whole gateway.',
      '^src/server/',
      '^src/app/',
    ),
    importsOnly(
      'providers',
      ['core', 'wire'],
      'A provider is an upstream adapter (URL, auth, send, error classification) over core/ and wire/ alone, so a ' +
        'new provider is one folder and cannot reach into budgets, storage or the pipeline.',
    ),
    importsOnly(
      'live',
      ['core', 'control', 'config'],
      'live/ is the dashboard state (snapshot types, live counters, recent rows, the control-event stream) shared by ' +
        'the dashboard, the management API, its client and the CLI; it must stay light enough for all of them to load.',
    ),
    importsOnly(
      'pipeline',
      ['core', 'wire', 'metering', 'providers'],
      'The pipeline composes pure parts (codecs, prices, provider adapters) and reaches everything stateful through ' +
        'its ports; this allow-list is the same rule seen from the other side, so a new import has to be a decision.',
    ),
    importsOnly(
      'server',
      ['core', 'wire', 'pipeline', 'live'],
      'The HTTP server and its route tables run the pipeline and read live state through interfaces; what backs ' +
        'them (store, controls, config) is chosen in app/.',
    ),
    importsOnly(
      'client',
      ['core', 'live'],
      'The management API client speaks HTTP and returns live types; the CLI and a remote dashboard load it alone.',
    ),
    importsOnly(
      'state',
      ['core', 'pipeline', 'control'],
      'State behind the ports: the in-memory Responses store implements a pipeline port, and the shared state keeps ' +
        'the controls\' decisions in Redis for every instance; neither knows the server, the store or the wiring.',
    ),
    {
      name: 'no-circular',
      comment:
        'A cycle makes modules load in an order that depends on who imports first, and two modules that need each ' +
        'other are one module in two files. Cycles made only of type imports are erased at run time and not counted.',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only', 'type-import'] } },
    },
    {
      name: 'no-orphans',
      comment: 'A module nothing imports is dead code (the entry point and type declarations excepted).',
      severity: 'error',
      from: { orphan: true, pathNot: ['\\.d\\.ts$', '^src/cli/main\\.ts$'] },
      to: {},
    },
  ],
  options: {
    // Only the product's own code: tests and scripts may reach into any layer.
    includeOnly: '^src/',
    // Type-only imports are dependencies too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
