/** Self time by function from a V8 `.cpuprofile` (what `node --cpu-prof` writes), for the `--profile` table. */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Entries V8 adds that are no JavaScript function: shown apart from the table. */
const IDLE = '(idle)';

/** Monotonic clock in µs: the clock V8 stamps profile samples with (CLOCK_MONOTONIC on Linux). */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const sourceMaps = new Map();

/** The TypeScript line of a built file's position, through the `.js.map` the build writes beside it. */
function original(file, line, column, root) {
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null);
  }
  const entry = sourceMaps.get(file)?.findEntry(line, column);
  if (!entry?.originalSource) return null;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : join(dirname(file), entry.originalSource);
  return `${relative(root, source)}:${entry.originalLine + 1}`;
}

/**
 * Where a function lives: the source file and line for the gateway's own code, the path from `node_modules/` for
 * dependencies, `(native)` for C++.
 */
function where(callFrame, root) {
  const { url, lineNumber, columnNumber, functionName } = callFrame;
  if (!url) return functionName.startsWith('(') ? '' : '(native)';
  if (!url.startsWith('file://')) return lineNumber >= 0 ? `${url}:${lineNumber + 1}` : url;
  const file = fileURLToPath(url);
  const mapped = lineNumber >= 0 && !file.includes('/node_modules/') ? original(file, lineNumber, columnNumber, root) : null;
  if (mapped) return mapped;
  let path = relative(root, file);
  // node_modules may be a link to another checkout's; the package path is what identifies the code.
  const modules = path.lastIndexOf('node_modules/');
  if (modules !== -1) path = path.slice(modules);
  return lineNumber >= 0 ? `${path}:${lineNumber + 1}` : path;
}

/**
 * Sums self time per function (name and file:line; V8 has one node per call path, so one function appears under
 * many nodes) over the samples inside [fromUs, toUs]. A sample stands for the time until the next one. Returns
 * the `top` functions by self time, as shares of the busy (non-idle) time in the window.
 */
export function selfTimeTable(profile, { fromUs = -Infinity, toUs = Infinity, top = 12, root }) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map();
  let t = profile.startTime;
  let busyUs = 0;
  let idleUs = 0;
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const next = i + 1 < profile.samples.length ? t + profile.timeDeltas[i + 1] : profile.endTime;
    if (t < fromUs || t >= toUs) continue;
    const dt = Math.max(0, next - t);
    const frame = frames.get(profile.samples[i]);
    samples++;
    if (frame.functionName === IDLE) {
      idleUs += dt;
      continue;
    }
    busyUs += dt;
    const key = `${frame.functionName || '(anonymous)'}\u0000${where(frame, root)}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const rows = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => {
      const [fn, at] = key.split('\u0000');
      return { function: fn, where: at, selfMs: us / 1e3, selfPct: busyUs > 0 ? (us / busyUs) * 100 : Number.NaN };
    });
  return { samples, busyMs: busyUs / 1e3, idleMs: idleUs / 1e3, rows };
}
