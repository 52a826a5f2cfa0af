// The prom-client pieces the gateway loads by module path, against the package's own index.
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectProcessMetrics, Counter, Gauge, Registry } from '../../../src/observe/prom-client.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

const PREFIX = 'ai_gateway_';

/** What a scrape shows of each metric apart from its values (which differ with the moment read). */
function described(registry: client.Registry) {
  return registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; help: string; labelNames: string[] };
    return { name: metric.name, help: metric.help, kind: m.constructor.name, labels: metric.labelNames };
  });
}

describe('prom-client loaded by module path', () => {
  it('is the very registry, counter and gauge the package exports', () => {
    expect(Registry).toBe(client.Registry);
    expect(Counter).toBe(client.Counter);
    expect(Gauge).toBe(client.Gauge);
  });

  it('registers the process metrics collectDefaultMetrics does, in its order, with the same help, kinds and labels', () => {
    const ours = new Registry();
    collectProcessMetrics(ours, PREFIX);
    const theirs = new client.Registry();
    client.collectDefaultMetrics({ register: theirs, prefix: PREFIX });
    expect(described(ours).length).toBeGreaterThan(10);
    expect(described(ours)).toEqual(described(theirs));
    ours.clear();
    theirs.clear();
  });

  it('adds the CPU time used between two scrapes, user, system and their sum', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry, PREFIX);
    const read = async () => {
      const text = parsePrometheusText(await registry.metrics());
      const value = (name: string) => sampleValue(text, `${PREFIX}${name}`) ?? Number.NaN;
      return { user: value('process_cpu_user_seconds_total'), system: value('process_cpu_system_seconds_total'), total: value('process_cpu_seconds_total') };
    };
    const first = await read();
    const start = process.cpuUsage();
    // About 50 ms of CPU, so the second scrape must see it.
    for (const until = Date.now() + 50; Date.now() < until; );
    const burnt = process.cpuUsage(start);
    const second = await read();
    expect(second.user).toBeGreaterThanOrEqual(first.user + (burnt.user / 1e6) * 0.9);
    expect(second.total).toBeCloseTo(second.user + second.system, 9);
    expect(second.system).toBeGreaterThanOrEqual(first.system);
    registry.clear();
  });
});
