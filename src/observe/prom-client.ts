/**
 * prom-client's registry, its counter and gauge, and the process metrics its collectDefaultMetrics registers, loaded
 * from their own modules. The package's index also loads its Summary, Pushgateway and cluster aggregation, and its
 * process CPU metric loads the OpenTelemetry API for exemplars, none of which the gateway uses: measured on an idle
 * gateway, about 0.6 MB of RSS over eight interleaved starts. The CPU counters are therefore our own, the same three
 * series under the same names.
 * test/unit/observe/prom-client.test.ts checks that these are the very classes the index exports and that the
 * process metrics are the ones collectDefaultMetrics registers, so a prom-client release that moves or adds one
 * fails a test rather than a scrape.
 */
import Counter from 'prom-client/lib/counter.js';
import Gauge from 'prom-client/lib/gauge.js';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag.js';
import gc from 'prom-client/lib/metrics/gc.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processHandles from 'prom-client/lib/metrics/processHandles.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processRequests from 'prom-client/lib/metrics/processRequests.js';
import processResources from 'prom-client/lib/metrics/processResources.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import version from 'prom-client/lib/metrics/version.js';
import Registry from 'prom-client/lib/registry.js';

export { Counter, Gauge, Registry };

/** collectDefaultMetrics' own list, in its order, apart from the CPU counters (processCpu below). */
const PROCESS_METRICS = [
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLag,
  processResources, // its index checks for process.getActiveResourcesInfo, which every supported Node has
  processHandles,
  processRequests,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
  gc,
];

/** The process metrics collectDefaultMetrics would register, with the same names, help and values. */
export function collectProcessMetrics(registry: Registry, prefix: string): void {
  processCpu(registry, prefix);
  // collectDefaultMetrics' default precision for the event-loop lag histogram.
  for (const metric of PROCESS_METRICS) metric(registry, { prefix, eventLoopMonitoringPrecision: 10 });
}

/** prom-client's process CPU counters without exemplars: user, system and both, read at each scrape. */
function processCpu(registry: Registry, prefix: string): void {
  let last = process.cpuUsage();
  const registers = [registry];
  const user = new Counter({
    name: `${prefix}process_cpu_user_seconds_total`,
    help: 'Total user CPU time spent in seconds.',
    registers,
    // One metric's collect sets all three, as prom-client's does.
    collect() {
      const now = process.cpuUsage();
      const userMicros = now.user - last.user;
      const systemMicros = now.system - last.system;
      last = now;
      user.inc(userMicros / 1e6);
      system.inc(systemMicros / 1e6);
      total.inc((userMicros + systemMicros) / 1e6);
    },
  });
  const system = new Counter({ name: `${prefix}process_cpu_system_seconds_total`, help: 'Total system CPU time spent in seconds.', registers });
  const total = new Counter({ name: `${prefix}process_cpu_seconds_total`, help: 'Total user and system CPU time spent in seconds.', registers });
}
