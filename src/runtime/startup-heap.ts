/**
 * Keeps V8's young generation from growing while the gateway starts. Loading the modules, the price table and the
 * config is a burst of allocations that nearly all live on: every scavenge in it sees a high survival rate and
 * doubles the young generation, which then stays committed at idle (about 12 MB) although what it held has moved
 * to the old generation. Growth is allowed again once the gateway listens, so real traffic still sizes it.
 */
import { setFlagsFromString } from 'node:v8';

const FLAG = 'semi-space-growth-factor';
/** V8's own default for the flag. */
const DEFAULT_GROWTH = 2;

let held = false;

/** From here until releaseYoungGeneration(), the young generation keeps its initial size. */
export function holdYoungGeneration(): void {
  // Whoever tunes the flag themselves keeps their value.
  if (held || setByUser()) return;
  setFlagsFromString(`--${FLAG}=1`);
  held = true;
}

export function releaseYoungGeneration(): void {
  if (!held) return;
  setFlagsFromString(`--${FLAG}=${DEFAULT_GROWTH}`);
  held = false;
}

function setByUser(): boolean {
  const given = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ');
  return given.includes(FLAG) || given.includes(FLAG.replaceAll('-', '_'));
}
