/**
 * A hot reload of a very large config must not stall the proxy: the built gateway runs as its own process, a client
 * polls /health every 10 ms, the config file (thousands of agents and routes) is edited, and no two answers may be
 * further apart than 250 ms while the new config is read, validated and applied. A stall detector, not a benchmark:
 * parsing such a file takes seconds of CPU, which used to freeze every request for that long. The standalone binary
 * is held to the same: it reads the config in a worker started from the script it carries.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BUILT_BINARY } from '../helpers/cli.js';
import { hasBuiltCli, SKIP_REASON } from '../helpers/gateway.js';
import { stallGateways } from '../helpers/stall-gateway.js';

const HAVE_BINARY = existsSync(BUILT_BINARY);
if (!hasBuiltCli) console.warn(`[reload stall] skipped: ${SKIP_REASON}`);
if (!HAVE_BINARY) console.warn('[reload stall] the standalone binary is not built (`npm run build:binary`): its case is skipped');

const AGENTS = 2000;
const MODELS = 700;
const MAX_GAP_MS = 250;

/**
 * A config as large as a big fleet might write: every agent with keys, budget, rate limit and breaker, and task
 * routing gateway-wide and for some agents (its background rule holds compiled globs the worker must not send).
 */
function largeConfig(outputCap: number): string {
  const lines = [
    'gateway:',
    `  default_output_cap: ${outputCap}`,
    'providers:',
    '  fo: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-provider-0000000000 }',
    '  fa: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-provider-0000000000 }',
    'models:',
  ];
  for (let i = 0; i < MODELS; i++) lines.push(`  "model-${i}": { provider: fo, model: "upstream-${i}", fallbacks: [fa] }`, `  "family-${i}-*": fa`);
  lines.push('prices:');
  for (let i = 0; i < MODELS; i++) lines.push(`  model-${i}: { input: 1, output: 2 }`);
  lines.push('routing:', '  background: model-1', 'agents:');
  for (let i = 0; i < AGENTS; i++) {
    lines.push(
      `  agent-${i}:`,
      ...(i % 10 === 0 ? ['    routing: { background: { model: model-2, match: ["*-mini"] } }'] : []),
      `    model: model-${i % MODELS}`,
      `    keys: [agent-key-${i}-aaaaaaaa, agent-key-${i}-bbbbbbbb]`,
      '    budget: { max_cost_per_hour: 2, max_cost_per_day: 20 }',
      '    rate_limit: 100/min',
      '    circuit_breaker: { error_threshold: 5, window: 60s, reset_timeout: 30s }',
      `    tags: [team-${i % 7}]`,
    );
  }
  return lines.join('\n') + '\n';
}

function health(url: string, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/health`, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`health answered ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const GATEWAYS = [
  { name: 'the built CLI', command: undefined, skip: !hasBuiltCli },
  { name: 'the standalone binary', command: [BUILT_BINARY], skip: !HAVE_BINARY },
];

describe.each(GATEWAYS)('hot reload of a very large config: $name', ({ name, command, skip }) => {
  const start = stallGateways('reload-stall', command);

  it.skipIf(skip)(`keeps answering: no gap over ${MAX_GAP_MS} ms between /health answers polled every 10 ms`, async () => {
    const { gw: started, config } = await start(largeConfig(4096));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const reloaded = (): boolean => started.stderr().includes('"msg":"config reloaded"');
    const refused = (): boolean => started.stderr().includes('"msg":"config reload rejected');

    const answers: number[] = [];
    let stop = false;
    const polling = (async () => {
      while (!stop) {
        await health(started.url, agent);
        answers.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const editedAt = performance.now();
    writeFileSync(config, largeConfig(2048));
    const deadline = Date.now() + 60_000;
    while (!reloaded() && !refused() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await polling;
    agent.destroy();

    expect(reloaded(), started.stderr().slice(-2000)).toBe(true);
    const during = answers.filter((t) => t >= editedAt);
    let worst = 0;
    for (let i = 1; i < during.length; i++) worst = Math.max(worst, (during[i] ?? 0) - (during[i - 1] ?? 0));
    console.info(`[reload stall] ${name}, ${AGENTS} agents, ${MODELS * 2} routes: reload took ${Math.round(answers.at(-1)! - editedAt - 300)} ms, worst gap between /health answers ${Math.round(worst)} ms over ${during.length} answers`);
    expect(during.length).toBeGreaterThan(10);
    expect(worst).toBeLessThan(MAX_GAP_MS);
  }, 120_000);
});
