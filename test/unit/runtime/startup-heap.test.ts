import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A fresh process each: the young generation of this test worker has long grown.
const MODULE = fileURLToPath(new URL('../../../dist/runtime/startup-heap.js', import.meta.url));
const SCRIPT = `
const { holdYoungGeneration, releaseYoungGeneration } = await import(${JSON.stringify(MODULE)});
const v8 = await import('node:v8');
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const kept = [];
// Objects that all survive, like the modules and tables loaded at start.
const load = (n) => { for (let i = 0; i < n; i++) kept.push({ i, s: 'x' + i }); };
holdYoungGeneration();
load(300000);
const held = young();
releaseYoungGeneration();
load(300000);
process.stdout.write(JSON.stringify({ held, released: young() }));
`;

const MB = 1024 * 1024;

function youngSizes(nodeFlags: string[] = []): { held: number; released: number } {
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
  return JSON.parse(out) as { held: number; released: number };
}

describe('holdYoungGeneration', () => {
  it('keeps the young generation small under a start-up burst, and lets it grow again once released', () => {
    const { held, released } = youngSizes();
    expect(held).toBeLessThanOrEqual(4 * MB);
    expect(released).toBeGreaterThan(8 * MB);
  });

  it('leaves a growth factor given on the command line alone', () => {
    const { held } = youngSizes(['--semi-space-growth-factor=2']);
    expect(held).toBeGreaterThan(8 * MB);
  });
});
