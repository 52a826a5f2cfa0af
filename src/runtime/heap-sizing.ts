/**
 * Sizes V8's heap for a long-running proxy, where its default growth only costs memory.
 *
 * Young generation.
 * At start-up: loading the modules, the price table and the config is a burst of allocations that nearly all live
 * on, so every scavenge in it sees a high survival rate and doubles the young generation, which then stays
 * committed at idle (about 12 MB) although what it held has moved to the old generation. It is held at its
 * initial size until the gateway listens.
 *
 * Under traffic: V8 grows it up to a limit derived from the machine's memory (56 MB here on 24 GB), and never
 * gives it back. Past CAP_BYTES, a larger young generation measured no cheaper per request for the gateway's
 * short-lived garbage but kept RSS 30–40 MB higher after load, so growth stops there. `--max-semi-space-size`
 * would say the same but only on the command line, which `npx`, the launcher and the binary do not share; the
 * growth factor is read at each growth step, so it can be switched at run time.
 *
 * Old generation. After each full collection V8 lets it grow to what survived times a factor it picks between
 * 1.1 and 4 from how fast collections run. Under a proxy's load it picks high, the old generation fills with the
 * load's promoted garbage, and an idle gateway keeps that memory until V8's memory reducer runs, about 100 s
 * later. From the time the gateway listens the factor is 1.6 (OLD_GROWTH_PERCENT): after the bench's load the old
 * generation held about 32 MB instead of 67, at a cost per request within the noise of interleaved runs. The flag
 * is read at each limit computation, so it too can be set at run time.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const FLAG = 'semi-space-growth-factor';
const OLD_FLAG = 'heap-growing-percent';
/** The old generation may grow to 1.6 times what survived the last full collection. */
const OLD_GROWTH_PERCENT = 60;
/** V8's own default for the flag. */
const DEFAULT_GROWTH = 2;
/** Both semi-spaces together. Growth is checked after each collection, so it can pass this by a step. */
const CAP_BYTES = 16 * 1024 * 1024;

let growth = DEFAULT_GROWTH;
let capping: PerformanceObserver | undefined;

/** From here until releaseYoungGeneration(), the young generation keeps its initial size. */
export function holdYoungGeneration(): void {
  if (capping !== undefined || setByUser(['semi-space', 'semi_space'])) return;
  setGrowth(1);
}

/** From here on the old generation grows by at most OLD_GROWTH_PERCENT past what survives a full collection. */
export function boundOldGeneration(): void {
  if (setByUser(['heap-growing', 'heap_growing'])) return;
  setFlagsFromString(`--${OLD_FLAG}=${OLD_GROWTH_PERCENT}`);
}

/** From here on the young generation grows with traffic, up to CAP_BYTES. */
export function releaseYoungGeneration(): void {
  if (growth === DEFAULT_GROWTH || capping !== undefined) return;
  capYoungGeneration();
  // Growth happens in a scavenge, so the size is checked after each collection (a timer lets it double several
  // times in between under a burst).
  capping = new PerformanceObserver(capYoungGeneration);
  capping.observe({ entryTypes: ['gc'] });
}

function capYoungGeneration(): void {
  const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  if (young === undefined) return;
  // The next growth step multiplies the size by the factor: allow only a step that stays within the cap.
  setGrowth(Math.max(1, Math.min(DEFAULT_GROWTH, Math.floor(CAP_BYTES / young.space_size))));
}

function setGrowth(factor: number): void {
  if (factor === growth) return;
  setFlagsFromString(`--${FLAG}=${factor}`);
  growth = factor;
}

/** Whoever sets these flags on the command line or in NODE_OPTIONS keeps their settings. */
function setByUser(names: readonly string[]): boolean {
  const given = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  return names.some((name) => given.includes(name));
}
