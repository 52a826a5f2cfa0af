/**
 * The layer map of src/, enforced (`npm run lint:layers`). Each folder may import only the layers below it, so a
 * change to an outer layer (the dashboard, the HTTP server, the wiring) never ripples into the pure inner ones, and
 * each inner layer can be tested on its own. Type-only imports count: a type is a dependency too.
 * The map itself (which folder may import which) is drawn in docs/architecture.md; the rules below are its
 * forbidden edges, each with the reason it exists.
 */

/** Every folder of src/ but the ones named, as a path pattern. */
const srcExcept = (...folders) => `^src/(?!(${folders.join('|')})/)`;

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'core-imports-nothing',
      comment:
        'core/ is the shared kernel (clock, errors, usage, formatting) every layer uses; if it imported any of them, ' +
        'every layer would depend on every other.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: srcExcept('core') },
    },
    {
      name: 'wire-imports-only-core',
      comment:
        'wire/ is pure translation between wire formats and the canonical form: no I/O, no configuration, no ' +
        'state. It stays testable byte for byte, and reusable by any caller, only while it needs nothing but core/.',
      severity: 'error',
      from: { path: '^src/wire/' },
      to: { path: srcExcept('core', 'wire') },
    },
    {
      name: 'tui-only-from-tui-and-cli',
      comment:
        'tui/ is rendering only (Ink). What the dashboard shows (snapshot types, live counters) lives in live/, so ' +
        'the management API, the API client and the CLI commands never load the UI to get a type. Only the CLI, ' +
        'which starts the dashboard, may import it (this also keeps client/ free of tui/).',
      severity: 'error',
      from: { path: srcExcept('tui', 'cli') },
      to: { path: '^src/tui/' },
    },
    {
      name: 'pipeline-through-ports',
      comment:
        'The request pipeline talks to storage, logging, metrics and the server through its ports (pipeline/ports.ts) ' +
        'only, so its steps can be unit-tested with fake ports and no sockets or files, and app/ decides what ' +
        'implements them.',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(store|server|app|observe)/' },
    },
    {
      name: 'inner-layers-import-no-edge',
      comment:
        'config/, metering/, control/ and store/ hold the rules and the records (configuration, prices, budgets, ' +
        'the audit). They are used by the edge layers (HTTP server, wiring, dashboard, CLI, API client, pipeline), ' +
        'never the reverse, or a change in how requests arrive would reach the ledger.',
      severity: 'error',
      from: { path: '^src/(config|metering|control|store)/' },
      to: { path: '^src/(server|app|tui|cli|client|pipeline)/' },
    },
    {
      name: 'config-imports-only-core-and-wire',
      comment:
        'Configuration is read by every layer above it; it may know the wire types it validates, nothing that runs.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: srcExcept('config', 'core', 'wire') },
    },
    {
      name: 'metering-imports-only-core-and-wire',
      comment: 'Prices, capabilities and token estimates are pure tables and arithmetic over usage and canonical requests.',
      severity: 'error',
      from: { path: '^src/metering/' },
      to: { path: srcExcept('metering', 'core', 'wire') },
    },
    {
      name: 'control-imports-only-core-and-config',
      comment:
        'Budgets, rate limits, breakers and policies are small state machines over an injected clock and their ' +
        'configuration; the pipeline and the management API drive them, they never reach back.',
      severity: 'error',
      from: { path: '^src/control/' },
      to: { path: srcExcept('control', 'core', 'config') },
    },
    {
      name: 'observe-imports-only-core',
      comment: 'Logger, metrics and redaction are used everywhere, so they can depend on nothing but the kernel.',
      severity: 'error',
      from: { path: '^src/observe/' },
      to: { path: srcExcept('observe', 'core') },
    },
    {
      name: 'store-imports-only-core-metering-observe-live',
      comment:
        'The audit store writes and reads rows; it knows prices (to rebuild spend), logging and the live types it ' +
        'feeds, never the request path or the UI.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: srcExcept('store', 'core', 'metering', 'observe', 'live') },
    },
    {
      name: 'tui-imports-only-live-client-core',
      comment:
        'The dashboard renders live state, in process or through the management API client; it never reads the ' +
        'store or drives the gateway directly, so it shows the same thing either way.',
      severity: 'error',
      from: { path: '^src/tui/' },
      to: { path: srcExcept('tui', 'live', 'client', 'core') },
    },
    {
      name: 'server-not-app',
      comment:
        'server/ holds the HTTP server and the route tables over the pipeline and live state; app/ wires them ' +
        'together. If server/ imported app/, the routes could not be built or tested without the whole gateway.',
      severity: 'error',
      from: { path: '^src/server/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'providers-import-only-core-and-wire',
      comment:
        'A provider is an upstream adapter (URL, auth, send, error classification) over core/ and wire/ alone, so a ' +
        'new provider is one folder and cannot reach into budgets, storage or the pipeline.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: srcExcept('core', 'wire', 'providers') },
    },
    {
      name: 'live-imports-only-core-control-config',
      comment:
        'live/ is the dashboard state (snapshot types, live counters, recent rows, the control-event stream) shared by ' +
        'the dashboard, the management API, its client and the CLI; it must stay light enough for all of them to load.',
      severity: 'error',
      from: { path: '^src/live/' },
      to: { path: srcExcept('core', 'control', 'config', 'live') },
    },
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
      comment: 'A module nothing imports is dead code (the entry points and type declarations excepted).',
      severity: 'error',
      from: {
        orphan: true,
        pathNot: ['\\.d\\.ts$', '^src/cli/main\\.ts$'],
      },
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
