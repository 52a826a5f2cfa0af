/**
 * Load generator, in its own process so its CPU is never the gateway's. Loopback only, bounded in time and
 * count. Two ways to run it:
 *   node bench/load.mjs '<spec JSON>'   one run; progress and the result as JSON lines on stdout
 *   fork('bench/load.mjs')              a worker kept for the whole benchmark (its JIT stays warm): the
 *                                       parent sends `{ type: 'run', id, spec }` and `{ type: 'stop', id }`
 *
 * mode "rate": `connections` keep-alive loops send the same request back to back for `warmupMs` unrecorded,
 *   announce `measure`, then for `durationMs` (or until `maxRequests`), then wait for what is in flight.
 *   Reports count, req/s, latency percentiles and, for streams, time to the first SSE `data:` event and the
 *   body time after it divided by `chunks`.
 * mode "hold": opens `connections` streams at once, announces `open` once every one has its first event,
 *   keeps reading until every stream has ended, it is told to stop, or `holdMs` passes, then aborts what is left
 *   and reports.
 * mode "poll": GETs `url` on one keep-alive connection, `intervalMs` after each answer, announces `polling` at
 *   the first answer, and reports the longest gap between two answers once told to stop (or `holdMs` passes):
 *   a stall detector for the process behind `url`.
 */
import { setMaxListeners } from 'node:events';
import { Pool } from 'undici';
import { summarize } from './lib/stats.mjs';

const DATA = Buffer.from('data:');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MAX_DURATION_MS = 60_000;
const MAX_REQUESTS = 5_000_000;
const MAX_CONNECTIONS = 1000;

const now = () => Number(process.hrtime.bigint()) / 1e3; // µs
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function cpuNow() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Counts `data:` occurrences in a byte stream, including ones split across chunks. */
function dataCounter() {
  let tail = Buffer.alloc(0);
  return (chunk) => {
    let n = 0;
    // Both halves are shorter than the needle, so any hit in the joint straddles the boundary.
    if (tail.length > 0) {
      const joint = Buffer.concat([tail, chunk.subarray(0, DATA.length - 1)]);
      for (let i = joint.indexOf(DATA); i !== -1; i = joint.indexOf(DATA, i + 1)) n++;
    }
    for (let i = chunk.indexOf(DATA); i !== -1; i = chunk.indexOf(DATA, i + 1)) n++;
    // The last needle-length − 1 bytes of the stream so far, which may span several short chunks.
    const keep = DATA.length - 1;
    tail = chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([tail, chunk]).subarray(-keep);
    return n;
  };
}

const TAIL_BYTES = 512;

/**
 * A stream is whole when it ends with the format's terminal event and no error event (OpenAI `{"error":…}`,
 * Anthropic `"type":"error"`) sits among its last events. The bench payload never contains either string.
 */
function streamEndsWell(tail, end) {
  return tail.trimEnd().endsWith(end) && !tail.includes('{"error"') && !tail.includes('"type":"error"');
}

/** Validated run parameters and the pool that serves them. */
function prepare(spec) {
  const url = new URL(spec.url);
  if (!LOOPBACK.has(url.hostname)) throw new Error(`load generator: refusing non-loopback target ${url.hostname}`);
  const connections = Math.max(1, Math.min(MAX_CONNECTIONS, spec.connections ?? 1));
  const pool = new Pool(url.origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  return {
    pool,
    connections,
    path: url.pathname + url.search,
    stream: spec.stream === true,
    /** What the last line of a healthy stream ends with, e.g. `[DONE]`; unchecked when absent. */
    streamEnd: spec.stream === true && typeof spec.streamEnd === 'string' ? spec.streamEnd : null,
    chunks: spec.chunks ?? 1,
    durationMs: Math.min(MAX_DURATION_MS, spec.durationMs ?? 1000),
    warmupMs: Math.min(MAX_DURATION_MS, spec.warmupMs ?? 0),
    holdMs: Math.min(MAX_DURATION_MS, spec.holdMs ?? 10_000),
    maxRequests: Math.min(MAX_REQUESTS, spec.maxRequests ?? MAX_REQUESTS),
    body: JSON.stringify(spec.body),
    headers: { 'content-type': 'application/json', ...spec.headers },
  };
}

/**
 * One request through the pool's raw dispatch API (cheaper per request than `request`, whose stream wrapper
 * would otherwise be a visible share of the client CPU). Resolves with timings in µs; rejects on a non-200.
 * `onFirstEvent` fires once, when the first SSE event arrives.
 */
function once(run, signal, onFirstEvent) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let tFirst = Number.NaN;
    let status = 0;
    let events = 0;
    let bytes = 0;
    let tail = Buffer.alloc(0);
    const errorParts = [];
    const count = run.stream ? dataCounter() : null;
    run.pool.dispatch(
      { path: run.path, method: 'POST', headers: run.headers, body: run.body },
      {
        onRequestStart(controller) {
          // Raw dispatch takes no signal; aborting goes through the controller.
          if (!signal) return;
          const abort = () => controller.abort(new Error('aborted by the load generator'));
          if (signal.aborted) abort();
          else signal.addEventListener('abort', abort, { once: true });
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          bytes += chunk.length;
          if (status !== 200) {
            errorParts.push(chunk);
            return;
          }
          if (count) {
            // The end of the stream, to check it closed with its terminal event and no error after it.
            tail = Buffer.concat([tail, chunk.subarray(-TAIL_BYTES)]).subarray(-TAIL_BYTES);
            const n = count(chunk);
            if (n > 0 && events === 0) {
              tFirst = now();
              onFirstEvent?.();
            }
            events += n;
          }
        },
        onResponseEnd() {
          const tEnd = now();
          if (status !== 200) {
            reject(new Error(`HTTP ${status}: ${Buffer.concat(errorParts).toString('utf8').slice(0, 300)}`));
            return;
          }
          if (run.streamEnd && !streamEndsWell(tail.toString('utf8'), run.streamEnd)) {
            reject(new Error(`stream did not end cleanly with ${run.streamEnd}: …${tail.toString('utf8').slice(-300)}`));
            return;
          }
          resolve({ t0, tFirst, tEnd, events, bytes });
        },
        onResponseError(_controller, err) {
          reject(err);
        },
      },
    );
  });
}

async function rate(run, announce) {
  const lat = [];
  const firstEvent = [];
  const perChunk = [];
  let count = 0;
  let errors = 0;
  let firstError = null;
  let minEvents = Infinity;
  let maxEvents = 0;
  let bytes = 0;
  let started = 0;
  // Warm the connections (and, in a fresh process, the JIT) before the window that counts.
  const warmUntil = now() + run.warmupMs * 1e3;
  async function warm() {
    while (now() < warmUntil) {
      try {
        await once(run);
      } catch {
        await pause(5);
      }
    }
  }
  if (run.warmupMs > 0) await Promise.all(Array.from({ length: run.connections }, warm));
  announce({ phase: 'measure' });
  const cpu0 = cpuNow();
  const t0 = now();
  const deadline = t0 + run.durationMs * 1e3;
  async function loop() {
    while (now() < deadline && started < run.maxRequests) {
      started++;
      try {
        const r = await once(run);
        count++;
        bytes += r.bytes;
        lat.push(r.tEnd - r.t0);
        if (run.stream) {
          firstEvent.push(r.tFirst - r.t0);
          perChunk.push((r.tEnd - r.tFirst) / run.chunks);
          minEvents = Math.min(minEvents, r.events);
          maxEvents = Math.max(maxEvents, r.events);
        }
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
        // A failing target must not turn into a hot loop.
        await pause(5);
      }
    }
  }
  await Promise.all(Array.from({ length: run.connections }, loop));
  const elapsedUs = now() - t0;
  return {
    mode: 'rate',
    connections: run.connections,
    count,
    errors,
    firstError,
    elapsedMs: elapsedUs / 1e3,
    rps: count / (elapsedUs / 1e6),
    bytes,
    latencyUs: summarize(lat),
    firstEventUs: run.stream ? summarize(firstEvent) : null,
    perChunkUs: run.stream ? summarize(perChunk) : null,
    events: run.stream ? { min: count ? minEvents : 0, max: maxEvents } : null,
    loadCpuUs: cpuNow() - cpu0,
  };
}

async function hold(run, announce, stopSignal) {
  const controller = new AbortController();
  // One listener per held stream.
  setMaxListeners(MAX_CONNECTIONS + 1, controller.signal);
  let open = 0;
  let ended = 0;
  let errors = 0;
  let firstError = null;
  let announced = false;
  const settle = () => {
    if (announced || open + errors < run.connections) return;
    announced = true;
    announce({ phase: 'open', open, errors });
  };
  const streams = Array.from({ length: run.connections }, async () => {
    try {
      await once({ ...run, stream: true }, controller.signal, () => {
        open++;
        settle();
      });
      ended++;
    } catch (err) {
      if (controller.signal.aborted) return;
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
      settle();
    }
  });
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, run.holdMs);
    const finish = () => {
      clearTimeout(timer);
      resolve();
    };
    stopSignal.then(finish);
    void Promise.allSettled(streams).then(finish);
  });
  const stillOpen = open - ended;
  controller.abort();
  await Promise.allSettled(streams);
  return { mode: 'hold', connections: run.connections, open: stillOpen, errors, firstError };
}

async function poll(run, announce, stopSignal, intervalMs) {
  let stopped = false;
  stopSignal.then(() => (stopped = true));
  const until = now() + run.holdMs * 1e3;
  let answers = 0;
  let errors = 0;
  let firstError = null;
  let last = Number.NaN;
  let longestGapUs = 0;
  while (!stopped && now() < until) {
    try {
      const res = await run.pool.request({ path: run.path, method: 'GET' });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      const t = now();
      // Gaps count from the first answer on: the first request also opens the connection.
      if (answers === 0) announce({ phase: 'polling' });
      else longestGapUs = Math.max(longestGapUs, t - last);
      last = t;
      answers++;
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
    }
    await pause(intervalMs);
  }
  return { mode: 'poll', answers, errors, firstError, longestGapMs: answers > 1 ? longestGapUs / 1e3 : Number.NaN };
}

async function execute(spec, announce, stopSignal) {
  const run = prepare(spec);
  try {
    if (spec.mode === 'poll') return await poll(run, announce, stopSignal, Math.max(1, spec.intervalMs ?? 10));
    return spec.mode === 'hold' ? await hold(run, announce, stopSignal) : await rate(run, announce);
  } finally {
    await run.pool.destroy();
  }
}

if (process.send) {
  const stops = new Map();
  process.on('message', (msg) => {
    if (msg?.type === 'stop') {
      stops.get(msg.id)?.();
      return;
    }
    if (msg?.type !== 'run') return;
    const { id, spec } = msg;
    const stopSignal = new Promise((resolve) => stops.set(id, resolve));
    execute(spec, (progress) => process.send({ type: 'progress', id, ...progress }), stopSignal).then(
      (result) => {
        stops.delete(id);
        process.send({ type: 'result', id, result });
      },
      (err) => {
        stops.delete(id);
        process.send({ type: 'error', id, message: err instanceof Error ? err.message : String(err) });
      },
    );
  });
  process.on('disconnect', () => process.exit(0));
} else {
  const spec = JSON.parse(process.argv[2] ?? '{}');
  const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  // From a terminal, a hold run ends on its timer or on Ctrl-D.
  const stopSignal = new Promise((resolve) => process.stdin.once('end', resolve));
  if (spec.mode === 'hold' || spec.mode === 'poll') process.stdin.resume();
  const result = await execute(spec, print, stopSignal);
  print(result);
  process.exit(0);
}
