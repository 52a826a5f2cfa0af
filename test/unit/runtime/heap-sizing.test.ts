import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A fresh process each: the young generation of this test worker has long grown.
const MODULE = fileURLToPath(new URL('../../../dist/runtime/heap-sizing.js', import.meta.url));
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
// Traffic: turns of the event loop, each much garbage and a few survivors that live for a while (requests in
// flight), like a proxy's.
let largest = 0;
const inFlight = [];
for (let turn = 0; turn < 400; turn++) {
  let garbage = [];
  for (let i = 0; i < 20000; i++) garbage.push({ i, s: 'y' + i });
  inFlight[turn % 50] = garbage.slice(0, 2000);
  garbage = null;
  largest = Math.max(largest, young());
  await new Promise((resolve) => setTimeout(resolve, 0));
}
process.stdout.write(JSON.stringify({ held, largest }));
`;

const MB = 1024 * 1024;

interface YoungSizes {
  held: number;
  largest: number;
}

function youngSizes(nodeFlags: string[] = []): YoungSizes {
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
  return JSON.parse(out) as YoungSizes;
}

/**
 * The first of up to three fresh processes whose sizes pass `within`, or the last one. With the test suite busy on
 * the other cores, V8 now and then grows the young generation past what the growth factor allows (seen in about
 * one run in ten: 12 MB held, 30 MB under traffic), never in a process run alone; without the policy every run is
 * far past the bounds, so the best of three still tells the two apart.
 */
function bestYoungSizes(within: (sizes: YoungSizes) => boolean): YoungSizes {
  let sizes = youngSizes();
  for (let attempt = 1; attempt < 3 && !within(sizes); attempt++) sizes = youngSizes();
  return sizes;
}

describe('young generation sizing', () => {
  it('keeps the young generation small under a start-up burst, lets it grow again once released, and caps it under traffic', () => {
    const heldMax = 4 * MB;
    const grownMin = 8 * MB;
    // V8 alone grows it to about 56 MB under the same traffic on a machine with this much memory; a step past
    // the cap is allowed for (growth is checked after a collection, not before).
    const cappedMax = 24 * MB;
    const { held, largest } = bestYoungSizes((s) => s.held <= heldMax && s.largest > grownMin && s.largest <= cappedMax);
    expect(held).toBeLessThanOrEqual(heldMax);
    expect(largest).toBeGreaterThan(grownMin);
    expect(largest).toBeLessThanOrEqual(cappedMax);
  });

  it('leaves sizes given on the command line alone', () => {
    const { held } = youngSizes(['--semi-space-growth-factor=2']);
    expect(held).toBeGreaterThan(8 * MB);
    const { largest } = youngSizes(['--max-semi-space-size=32']);
    expect(largest).toBeGreaterThan(16 * MB);
  });
});

// A live set like the gateway's tables, and batches that live across several turns (requests in flight): they are
// promoted, then die in the old generation, which V8 alone lets grow to several times what is live.
const OLD_SCRIPT = (bound: boolean) => `
const { boundOldGeneration } = await import(${JSON.stringify(MODULE)});
const v8 = await import('node:v8');
const old = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size;
if (${bound}) boundOldGeneration();
const live = [];
for (let i = 0; i < 200000; i++) live.push({ i, s: 'live' + i });
let largest = 0;
const inFlight = [];
for (let turn = 0; turn < 600; turn++) {
  const batch = [];
  for (let i = 0; i < 5000; i++) batch.push({ i, s: 'req' + i, turn });
  inFlight[turn % 40] = batch;
  largest = Math.max(largest, old());
  if (turn % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
}
process.stdout.write(JSON.stringify({ largest }));
`;

function largestOldSpace(bound: boolean, nodeFlags: string[] = []): number {
  const out = execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', OLD_SCRIPT(bound)], { encoding: 'utf8' });
  return (JSON.parse(out) as { largest: number }).largest;
}

describe('old generation growth', () => {
  it('keeps the old generation near what is live, where V8 alone lets promoted garbage pile up', () => {
    const bounded = largestOldSpace(true);
    const unbounded = largestOldSpace(false);
    // About 20 MB is live. Measured: 46–59 MB bounded, 90–120 MB left to V8, on Node 26 and 22.
    expect(bounded).toBeLessThanOrEqual(75 * MB);
    expect(bounded).toBeLessThan(unbounded * 0.75);
  });

  it('leaves a growth factor given on the command line alone', () => {
    const given = largestOldSpace(true, ['--heap-growing-percent=300']);
    expect(given).toBeGreaterThan(largestOldSpace(true) * 1.3);
  });
});
