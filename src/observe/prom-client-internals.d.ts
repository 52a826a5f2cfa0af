// Types for the prom-client modules src/observe/prom-client.ts loads by path: each module's export is the value the
// package's index re-exports under the name used here, or one of the process metrics its collectDefaultMetrics runs.
declare module 'prom-client/lib/registry.js' {
  import { Registry } from 'prom-client';
  export default Registry;
}

declare module 'prom-client/lib/counter.js' {
  import { Counter } from 'prom-client';
  export default Counter;
}

declare module 'prom-client/lib/gauge.js' {
  import { Gauge } from 'prom-client';
  export default Gauge;
}

declare module 'prom-client/lib/metrics/*' {
  import type { Registry } from 'prom-client';
  /** Registers the metric on the registry, its name prefixed. */
  function collect(registry: Registry, config: { prefix?: string; eventLoopMonitoringPrecision?: number }): void;
  export default collect;
}
