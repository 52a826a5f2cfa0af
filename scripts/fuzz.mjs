#!/usr/bin/env node
// `npm run fuzz`: the fuzz suite with many more cases than CI runs. Usage: node scripts/fuzz.mjs [total-cases] [seed]
// FUZZ_RUNS is per property; the suite has 7 properties, so the default of 10 000 cases is 1 429 runs each.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const PROPERTIES = 7;
const total = Number(process.argv[2] ?? process.env.FUZZ_TOTAL ?? 10_000);
if (!Number.isInteger(total) || total < PROPERTIES) {
  process.stderr.write(`fuzz: total cases must be a whole number of at least ${PROPERTIES}\n`);
  process.exit(2);
}
const runs = Math.ceil(total / PROPERTIES);
const seed = process.argv[3] ?? process.env.FUZZ_SEED;
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
process.stdout.write(`fuzz: ${runs * PROPERTIES} cases (${runs} per endpoint group)${seed ? `, seed ${seed}` : ''}\n`);
const result = spawnSync(process.execPath, [vitest, 'run', 'test/fuzz', '--testTimeout=3600000'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: String(runs), ...(seed ? { FUZZ_SEED: String(seed) } : {}) },
});
process.exit(result.status ?? 1);
