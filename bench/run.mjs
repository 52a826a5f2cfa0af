/**
 * `npm run bench`: the gateway against the same fake providers reached directly, in one run.
 *
 * Layout: fake providers (one child process) and the load generator (a fresh child process per run) share
 * CPU 1; the gateway is alone on CPU 0. Each case runs a short warm-up, then `reps` interleaved repetitions
 * of direct and via-gateway load; medians are reported. Writes bench/results.json and bench/RESULTS.md, and
 * prints the markdown. Every case also runs a bare relay (bench/relay.mjs) on CPU 0 against the same fake: the
 * floor for any Node proxy, and the yardstick for the gateway's CPU per request. Stall probes poll the gateway's
 * /health every 10 ms during inputs that used to freeze it.
 * Flags: --quick (1 s runs, for checking the harness), --direct-only (no gateway, no relay),
 * --only=<keys> (a subset; a partial run still overwrites results.json and RESULTS.md),
 * --profile[=<label>] (a CPU profile of the gateway during the 32-connection passthrough load; its self-time
 * table goes into the "Profile" section under <label>, default "latest", and tables under other labels, e.g.
 * "before" and "after", are kept from the previous results.json), --profile-load=stream (profile the same-format
 * stream of 200 chunks at one connection instead), --profile-load=stream-translated (the same stream, translated).
 */
import { execFileSync, spawn, fork } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { request } from 'undici';
import { GATEWAY_BIN, startGateway, UPSTREAM_CONNECTIONS } from './lib/gateway.mjs';
import { clockTicks, cpuJiffies, cpuTicks, hasScript, hasTaskset, memory, pin, sleep, stopProcess, threadNames } from './lib/proc.mjs';
import { monotonicUs, selfTimeTable } from './lib/profile.mjs';
import { line, renderMarkdown } from './lib/report.mjs';
import { median } from './lib/stats.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const OUT = join(BENCH, 'out');
/** Bundled fakes and store; under node_modules so bare imports resolve and linters skip them. */
const BUNDLES = join(ROOT, 'node_modules/.cache/ai-gateway-bench');
const argv = new Set(process.argv.slice(2));
const QUICK = argv.has('--quick');
const DIRECT_ONLY = argv.has('--direct-only');
/** `--only=pass_32,memory,...`: run a subset (keys: the case keys below, memory, tui, stall, store). */
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const want = (key) => ONLY === undefined || ONLY.includes(key);
const PROFILE_FLAG = process.argv.find((a) => a === '--profile' || a.startsWith('--profile='));
/** Label of the profile table this run writes (`--profile=before`), or null. */
const PROFILE = PROFILE_FLAG === undefined ? null : PROFILE_FLAG.slice('--profile='.length) || 'latest';
/** `--profile-load=stream[-translated]`: the profile's load is a stream at one connection, not passthrough at 32. */
const PROFILE_LOAD = process.argv.find((a) => a.startsWith('--profile-load='))?.slice('--profile-load='.length) ?? 'passthrough';
if (!['passthrough', 'stream', 'stream-translated'].includes(PROFILE_LOAD)) throw new Error(`--profile-load=${PROFILE_LOAD}: expected stream or stream-translated`);
const PROFILE_STREAM = PROFILE_LOAD !== 'passthrough';
/** The model the profiled load asks for: one routed to the fake Anthropic is translated. */
const PROFILE_MODEL = PROFILE_LOAD === 'stream-translated' ? 'claude-sonnet-4-5' : 'gpt-4o-mini';

/** Run lengths; the whole default run fits in about 5 minutes on 2 cores (the limit is 7), --quick in under 2. */
const REPS = QUICK ? 2 : 3;
const SEC_THROUGHPUT = QUICK ? 1 : 4;
const SEC_LATENCY = QUICK ? 1 : 3;
const SEC_WARMUP = QUICK ? 0.3 : 0.5;
const WATCHDOG_MS = QUICK ? 170_000 : 420_000;
const SETTLE_MS = 150;
/** Unrecorded start of every run: a fresh load-generator process needs its JIT warm and its connections open. */
const RUN_WARMUP_MS = QUICK ? 200 : 300;
const OPEN_STREAMS = 200;
/** Stall probes: /health is polled this often, and a gap between answers above the target is a stall. */
const POLL_INTERVAL_MS = 10;
const STALL_TARGET_MS = 50;
/** The very large config of the reload probe, as in test/faults/reload-stall.test.ts. */
const STALL_AGENTS = 2000;
const STALL_MODELS = 700;
/** Held streams must all be open within this, so that none has ended (they last 5 s) by the reading 0.5 s later. */
const HOLD_OPEN_LIMIT_MS = 3000;
/** The token worker stops after 20 s unused; the bench waits up to this long for it. */
const TOKENIZER_STOP_LIMIT_MS = 40_000;
/** The stall poller's niceness during the stall probes (other bench processes run at 0). */
const POLLER_NICE = -10;
/** Share of a pinned CPU taken by other processes above which the report carries a caution. */
const CONTENTION_LIMIT = 0.1;
/** Failed requests above this share void a case's figures. */
const MAX_ERROR_SHARE = 0.01;

const GATEWAY_CPU = 0;
const CLIENT_CPU = 1;

const SCENARIO_SMALL = { kind: 'bench', chunks: 4, chunkSize: 32 };
const SCENARIO_STREAM = { kind: 'bench', chunks: 200, chunkSize: 16 };
// Streams that stay open: 200 frames 100 ms apart last 20 s, far longer than the memory reading needs.
/** Held streams last 5 s and end as streams do, with their usage: the readings come 0.5 s after all are open. */
const SCENARIO_HOLD = { kind: 'bench', chunks: 50, chunkSize: 16, delayMs: 100 };

const PROMPT = [{ role: 'user', content: 'Say hello in one short sentence.' }];
const openaiBody = (model, stream) => ({
  model,
  messages: PROMPT,
  max_tokens: 512,
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
});
/** How a healthy stream's last line ends, per client format. */
const OPENAI_STREAM_END = 'data: [DONE]';
const ANTHROPIC_STREAM_END = '{"type":"message_stop"}';
const anthropicBody = (model, stream) => ({ model, max_tokens: 512, messages: PROMPT, ...(stream ? { stream: true } : {}) });

const children = new Set();
const T0 = Date.now();
const log = (msg) => process.stderr.write(`[bench ${((Date.now() - T0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`);

const watchdog = setTimeout(() => {
  log(`over the ${WATCHDOG_MS / 1000} s limit; stopping`);
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

// ---------- set-up ----------

async function bundle() {
  mkdirSync(OUT, { recursive: true });
  mkdirSync(BUNDLES, { recursive: true });
  const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' };
  await build({ ...common, entryPoints: [join(ROOT, 'test/fakes/index.ts')], outfile: join(BUNDLES, 'fakes.mjs') });
  await build({ ...common, entryPoints: [join(ROOT, 'src/store/index.ts')], outfile: join(BUNDLES, 'store.mjs') });
}

function machineInfo(pinned) {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()}-${os.arch()}`,
    kernel: os.release(),
    totalMemoryMB: Math.round(os.totalmem() / 1e6),
    // Other work on the machine skews every figure; a 1-minute load above ~0.5 before the run is a warning.
    loadAverageAtStart: os.loadavg()[0],
    clockTicks: clockTicks(),
    pinning: pinned
      ? `gateway on CPU ${GATEWAY_CPU}; load generator, fake providers and this orchestrator on CPU ${CLIENT_CPU} (taskset). ` +
        'The load generator is not subtracted: it shares CPU 1 with the fakes in both the direct and the gateway runs, ' +
        'and each run reports how busy CPU 1 was (load generator + fakes CPU time ÷ wall time), so a client-bound ' +
        'baseline is visible.'
      : 'no pinning (taskset missing or fewer than 2 cores): every process shares all cores, so ratios are conservative.',
  };
}

async function startFakes(pinned) {
  const child = fork(join(BENCH, 'fake-server.mjs'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child.pid);
  if (pinned) pin(child.pid, CLIENT_CPU);
  const ready = await new Promise((resolvePromise, reject) => {
    child.once('message', resolvePromise);
    child.once('exit', (code) => reject(new Error(`fake providers exited (${code})`)));
  });
  let pending = null;
  child.on('message', (msg) => {
    if (msg?.type === 'ok' && pending) {
      const done = pending;
      pending = null;
      done();
    }
  });
  return {
    pid: child.pid,
    openai: ready.openai,
    anthropic: ready.anthropic,
    setScenario(scenario) {
      return new Promise((done) => {
        pending = done;
        child.send({ type: 'scenario', scenario });
      });
    },
    async close() {
      child.send({ type: 'close' });
      await stopProcess(child.pid, 3000);
      children.delete(child.pid);
    },
  };
}

/** The bare relay (bench/relay.mjs) on the gateway's CPU: one listener per upstream origin, in that order. */
async function startRelay(pinned, origins) {
  const child = fork(join(BENCH, 'relay.mjs'), origins, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child.pid);
  if (pinned) pin(child.pid, GATEWAY_CPU);
  const ready = await new Promise((resolvePromise, reject) => {
    child.once('message', resolvePromise);
    child.once('exit', (code) => reject(new Error(`relay exited (${code})`)));
  });
  return {
    pid: child.pid,
    urls: ready.urls,
    async close() {
      child.disconnect();
      await stopProcess(child.pid, 2000);
      children.delete(child.pid);
    },
  };
}

// ---------- load runs ----------

/** The load generator: one worker process for the whole run, pinned beside the fakes. */
/** Sets a process's niceness; false where that is not allowed (a negative one needs root). */
function setNice(pid, nice) {
  try {
    os.setPriority(pid, nice);
    return true;
  } catch {
    return false;
  }
}

async function startLoadWorker(pinned) {
  const child = fork(join(BENCH, 'load.mjs'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child.pid);
  if (pinned) pin(child.pid, CLIENT_CPU);
  const waiting = new Map();
  let nextId = 1;
  child.on('message', (msg) => {
    const w = waiting.get(msg?.id);
    if (!w) return;
    if (msg.type === 'progress') w.onProgress(msg);
    else {
      waiting.delete(msg.id);
      if (msg.type === 'result') w.resolve(msg.result);
      else w.reject(new Error(`load generator: ${msg.message}`));
    }
  });
  child.once('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`load generator exited (${code})`));
    waiting.clear();
  });
  return {
    pid: child.pid,
    /** Starts a run; `onProgress` sees `measure` (rate) or `open` (hold). Returns `{ id, done }`. */
    start(spec, onProgress = () => undefined) {
      const id = nextId++;
      const done = new Promise((resolvePromise, reject) => waiting.set(id, { resolve: resolvePromise, reject, onProgress }));
      child.send({ type: 'run', id, spec });
      return { id, done };
    },
    run(spec, onProgress) {
      return this.start(spec, onProgress).done;
    },
    stop(id) {
      child.send({ type: 'stop', id });
    },
    async close() {
      child.disconnect();
      await stopProcess(child.pid, 2000);
      children.delete(child.pid);
    },
  };
}

/** Opens `n` streams through `target` and holds them; `read()` runs once all have their first event. */
/** Opens `n` streams at once, calls `read` once all have their first event, then lets them run to their end. */
async function holdStreams(ctx, target, n, read) {
  const spec = { mode: 'hold', url: target.url, headers: target.headers, body: target.body, connections: n, holdMs: 15_000 };
  let opened = null;
  let onOpen;
  const openPromise = new Promise((resolvePromise) => (onOpen = resolvePromise));
  const { done } = ctx.load.start(spec, (p) => {
    if (p.phase === 'open') {
      opened = p;
      onOpen();
    }
  });
  const t0 = Date.now();
  await Promise.race([openPromise, done]);
  const tOpen = Date.now() - t0;
  const reading = opened ? await read(opened) : null;
  const final = await done;
  log(`  ${opened?.open ?? 0} streams open after ${tOpen} ms; ended ${Date.now() - t0 - tOpen} ms later${final.open > 0 ? ` (${final.open} cut off at ${spec.holdMs} ms)` : ''}`);
  return { opened, final, reading, openMs: tOpen };
}

function dbRows(dbPath) {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT count(*) AS c FROM requests').get().c;
    } finally {
      db.close();
    }
  } catch {
    return Number.NaN;
  }
}

/**
 * One measured run against `target`. For a target with a `server` on CPU 0 (the gateway or the relay), also that
 * process's CPU time over the run, and for the gateway its audit rows (read after a short settle, so the batched
 * flush that the run caused is included).
 */
async function measure(target, load, ctx) {
  const server = target.server;
  const before = { fake: 0, server: 0, rows: Number.NaN, cpu0: null, cpu1: null };
  const onMeasure = () => {
    before.cpu0 = cpuJiffies(GATEWAY_CPU);
    before.cpu1 = cpuJiffies(CLIENT_CPU);
    before.fake = cpuTicks(ctx.fakes.pid);
    if (server) before.server = cpuTicks(server.pid);
    if (server && target.countRows) before.rows = dbRows(server.dbPath);
  };
  const spec = { ...load, warmupMs: RUN_WARMUP_MS, url: target.url, headers: target.headers, body: target.body, streamEnd: target.streamEnd };
  const r = await ctx.load.run(spec, (p) => {
    if (p.phase === 'measure') onMeasure();
  });
  const fakeCpuUs = ((cpuTicks(ctx.fakes.pid) - before.fake) / ctx.ticks) * 1e6;
  const cpu1 = cpuJiffies(CLIENT_CPU);
  let gatewayTicks = 0;
  let rows = Number.NaN;
  if (server) {
    await sleep(SETTLE_MS);
    gatewayTicks = cpuTicks(server.pid) - before.server;
    if (target.countRows) rows = dbRows(server.dbPath) - before.rows;
  }
  const cpu0 = cpuJiffies(GATEWAY_CPU);
  const gatewayCpuUs = server ? (gatewayTicks / ctx.ticks) * 1e6 : Number.NaN;
  if (r.errors > 0) log(`  ${target.name}: ${r.errors} errors, first: ${r.firstError}`);
  const wallUs = r.elapsedMs * 1e3;
  const clientCpuShare = (r.loadCpuUs + fakeCpuUs) / wallUs;
  // Whole-CPU fractions from /proc/stat; process time our own processes do not explain is other work on the
  // machine, and steal is time the hypervisor took.
  const share = (key, a, b) => (a ? (b[key] - a[key]) / (b.total - a.total) : Number.NaN);
  const cpu0Busy = share('task', before.cpu0, cpu0);
  const cpu1Busy = share('task', before.cpu1, cpu1);
  return {
    count: r.count,
    errors: r.errors,
    firstError: r.firstError,
    rps: r.rps,
    elapsedMs: r.elapsedMs,
    p50Ms: num(r.latencyUs.p50) / 1e3,
    p99Ms: num(r.latencyUs.p99) / 1e3,
    firstEventMs: num(r.firstEventUs?.p50) / 1e3,
    firstEventP99Ms: num(r.firstEventUs?.p99) / 1e3,
    perChunkUs: num(r.perChunkUs?.p50),
    events: r.events,
    clientCpuShare,
    cpu0Busy,
    cpu1Busy,
    // On CPU 0 nothing of ours but the gateway runs; on CPU 1 the load generator, the fakes and this script.
    // /proc/stat counts in the same clock ticks as /proc/<pid>/stat, over the same window.
    foreignCpu0: cpu0Busy - (before.cpu0 ? gatewayTicks / (cpu0.total - before.cpu0.total) : 0),
    foreignCpu1: cpu1Busy - clientCpuShare,
    irqCpu0: share('irq', before.cpu0, cpu0),
    irqCpu1: share('irq', before.cpu1, cpu1),
    stealCpu0: share('steal', before.cpu0, cpu0),
    stealCpu1: share('steal', before.cpu1, cpu1),
    loadCpuUs: r.loadCpuUs,
    fakeCpuUs,
    gatewayCpuUs,
    gatewayCpuShare: gatewayCpuUs / wallUs,
    cpuPerRequestUs: gatewayCpuUs / (r.count + r.errors),
    auditRows: rows,
    auditRowsPerSec: rows / (r.elapsedMs / 1e3),
  };
}

/** JSON turns NaN (no samples) into null; make it NaN again so it never reads as 0. */
const num = (v) => (typeof v === 'number' ? v : Number.NaN);

const MEDIAN_KEYS = [
  'rps', 'p50Ms', 'p99Ms', 'firstEventMs', 'firstEventP99Ms', 'perChunkUs', 'clientCpuShare', 'gatewayCpuShare',
  'cpuPerRequestUs', 'auditRowsPerSec', 'cpu0Busy', 'cpu1Busy', 'foreignCpu0', 'foreignCpu1', 'irqCpu0', 'irqCpu1',
  'stealCpu0', 'stealCpu1',
];

function medians(reps) {
  const out = {};
  for (const k of MEDIAN_KEYS) out[k] = median(reps.map((r) => r[k]));
  out.errors = reps.reduce((a, r) => a + r.errors, 0);
  out.count = reps.reduce((a, r) => a + r.count, 0);
  return out;
}

/**
 * A case: `a` (the baseline), `r` (the bare relay, optional) and `b` measured in interleaved repetitions after
 * one warm-up each. Ratios and added times are medians of per-repetition pairs, so slow drift of the machine
 * cancels.
 */
async function runCase(ctx, { key, label, a, r, b, scenario, connections, seconds, stream = false, chunks = 1 }) {
  log(`${label}`);
  await ctx.fakes.setScenario(scenario);
  const load = { mode: 'rate', connections, stream, chunks };
  const targets = [a, r, b].filter(Boolean);
  const warmupErrors = [];
  for (const t of targets) {
    const w = await ctx.load.run({ ...load, durationMs: SEC_WARMUP * 1e3, url: t.url, headers: t.headers, body: t.body, streamEnd: t.streamEnd });
    // The first failure often comes here, and later ones are its consequences (an open circuit breaker, say).
    if (w.errors > 0) {
      warmupErrors.push({ target: t.name, errors: w.errors, firstError: w.firstError });
      log(`  warm-up ${t.name}: ${w.errors} errors, first: ${w.firstError}`);
    }
  }
  const repsA = [];
  const repsR = [];
  const repsB = [];
  for (let i = 0; i < REPS; i++) {
    repsA.push(await measure(a, { ...load, durationMs: seconds * 1e3 }, ctx));
    if (r) repsR.push(await measure(r, { ...load, durationMs: seconds * 1e3 }, ctx));
    if (b) repsB.push(await measure(b, { ...load, durationMs: seconds * 1e3 }, ctx));
  }
  const pair = (xs, ys, f) => (ys.length > 0 && xs.length > 0 ? median(ys.map((y, i) => f(xs[i], y))) : Number.NaN);
  const result = {
    key,
    label,
    connections,
    stream,
    direct: medians(repsA),
    relay: r ? medians(repsR) : null,
    gateway: b ? medians(repsB) : null,
    ratio: pair(repsA, repsB, (x, y) => y.rps / x.rps),
    addedP50Ms: pair(repsA, repsB, (x, y) => y.p50Ms - x.p50Ms),
    addedP99Ms: pair(repsA, repsB, (x, y) => y.p99Ms - x.p99Ms),
    addedFirstEventMs: stream ? pair(repsA, repsB, (x, y) => y.firstEventMs - x.firstEventMs) : Number.NaN,
    addedPerChunkUs: stream ? pair(repsA, repsB, (x, y) => y.perChunkUs - x.perChunkUs) : Number.NaN,
    relayRatio: pair(repsA, repsR, (x, y) => y.rps / x.rps),
    relayAddedP99Ms: pair(repsA, repsR, (x, y) => y.p99Ms - x.p99Ms),
    relayAddedFirstEventMs: stream ? pair(repsA, repsR, (x, y) => y.firstEventMs - x.firstEventMs) : Number.NaN,
    /** Gateway CPU per request ÷ relay CPU per request, paired by repetition. */
    cpuVsRelay: pair(repsR, repsB, (x, y) => y.cpuPerRequestUs / x.cpuPerRequestUs),
    reps: { direct: repsA, relay: repsR, gateway: repsB },
    warmupErrors,
  };
  const fmtSide = (name, m) => `${name} ${m.rps.toFixed(0)} req/s p50 ${m.p50Ms.toFixed(3)} ms${m === result.direct ? '' : `, ${m.cpuPerRequestUs.toFixed(1)} µs CPU/req`}`;
  log(`  ${[['direct', result.direct], ['relay', result.relay], ['gateway', result.gateway]].filter(([, m]) => m).map(([n, m]) => fmtSide(n, m)).join(' | ')}`);
  return result;
}

// ---------- stall probes ----------

async function post(url, body, headers = {}) {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.statusCode, text: await res.body.text() };
}

/** The error code of a JSON error answer, for the probe's log line. */
function errorCode(text) {
  try {
    return JSON.parse(text)?.error?.code ?? '';
  } catch {
    return '';
  }
}

/**
 * Config lines that make the bench config as large as a big fleet's (as test/faults/reload-stall.test.ts builds
 * it): thousands of routes, prices and agents with keys, budgets, rate limits and breakers. `output` (a price)
 * tells two versions apart, so writing the other one is an edit the gateway must reload.
 */
function largeConfigLines(output) {
  const lines = [];
  for (let i = 0; i < STALL_MODELS; i++) {
    lines.push(`  "model-${i}": { provider: fake-openai, model: "upstream-${i}", fallbacks: [fake-anthropic] }`, `  "family-${i}-*": fake-anthropic`);
  }
  lines.push('prices:');
  for (let i = 0; i < STALL_MODELS; i++) lines.push(`  model-${i}: { input: 1, output: ${output} }`);
  lines.push('agents:');
  for (let i = 0; i < STALL_AGENTS; i++) {
    lines.push(
      `  agent-${i}:`,
      `    model: model-${i % STALL_MODELS}`,
      `    keys: [agent-key-${i}-aaaaaaaa, agent-key-${i}-bbbbbbbb]`,
      '    budget: { max_cost_per_hour: 2, max_cost_per_day: 20 }',
      '    rate_limit: 100/min',
      '    circuit_breaker: { error_threshold: 5, window: 60s, reset_timeout: 30s }',
      `    tags: [team-${i % 7}]`,
    );
  }
  return lines;
}

/**
 * Polls the gateway's /health every POLL_INTERVAL_MS from the load-generator process while `action` runs, and
 * returns the longest gap between two answers: how long the gateway's event loop was unable to answer.
 */
async function stallProbe(ctx, gw, name, action) {
  // The scrapes that read the gateway's own delay come before and after the polling: a scrape is work of its own.
  await eventLoopDelayMaxMs(gw);
  await sleep(50);
  let onPolling;
  const polling = new Promise((resolvePromise) => (onPolling = resolvePromise));
  const spec = { mode: 'poll', url: `${gw.url}/health`, intervalMs: POLL_INTERVAL_MS, holdMs: 60_000 };
  const { id, done } = ctx.load.start(spec, (p) => p.phase === 'polling' && onPolling());
  await Promise.race([polling, done]);
  await sleep(100);
  const t0 = performance.now();
  const cpu0Before = cpuJiffies(GATEWAY_CPU);
  const gwBefore = cpuTicks(gw.pid);
  let outcome;
  try {
    outcome = await action();
  } catch (err) {
    outcome = { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
  const tookMs = performance.now() - t0;
  // A gap can also be other work taking CPU 0 from the gateway: how much, while the input was handled.
  const cpu0 = cpuJiffies(GATEWAY_CPU);
  const foreignCpu0 = (cpu0.task - cpu0Before.task - (cpuTicks(gw.pid) - gwBefore) + cpu0.steal - cpu0Before.steal) / (cpu0.total - cpu0Before.total);
  await sleep(100);
  ctx.load.stop(id);
  const r = await done;
  const loopDelayMs = await eventLoopDelayMaxMs(gw);
  log(`  ${name}: longest gap ${num(r.longestGapMs).toFixed(1)} ms over ${r.answers} answers (event loop delayed at most ${loopDelayMs.toFixed(1)} ms); ${outcome.detail} after ${tookMs.toFixed(0)} ms`);
  return { name, gapMs: num(r.longestGapMs), loopDelayMs, answers: r.answers, pollErrors: r.errors, firstPollError: r.firstError, tookMs, foreignCpu0, ok: outcome.ok, detail: outcome.detail };
}

/**
 * The gateway's own longest event-loop delay since its metrics were last read (its process metrics sample the loop
 * every 10 ms and start over at each scrape), in ms. Seen from inside, it does not include the poller's own wait
 * for CPU 1, which it shares with the fakes and the orchestrator moving the 50 MB answers. A scrape's own work
 * comes before it reads the delay, so it is not in the reading it returns.
 */
async function eventLoopDelayMaxMs(gw) {
  const res = await fetch(`${gw.url}/metrics`);
  const text = await res.text();
  const match = /^ai_gateway_nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : Number.NaN;
}

/** The gateway's log lines about config reloads, accepted or refused. */
const reloadLines = (gw) => readFileSync(gw.logPath, 'utf8').split('\n').filter((l) => l.includes('config reload') || l.includes('was not applied'));

/** Waits (up to 60 s) for the gateway to log the outcome of a reload after `seen` earlier ones; null if none. */
async function reloadOutcome(gw, seen) {
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const lines = reloadLines(gw);
    if (lines.length > seen) return lines[seen];
    await sleep(20);
  }
  return null;
}

/**
 * A count_tokens request the gateway answers itself: the gpt-* route goes to an OpenAI provider, which has no
 * count_tokens, so the o200k tables load on the gateway's token worker.
 */
async function countLocally(gw) {
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count the tokens of this sentence, please. '.repeat(100) }] });
  const r = await post(`${gw.url}/v1/messages/count_tokens`, body, { 'x-api-key': 'sk-bench-client', 'anthropic-version': '2023-06-01' });
  const tokens = r.status === 200 ? JSON.parse(r.text).input_tokens : undefined;
  return { ok: r.status === 200 && tokens > 0, tokens, status: r.status, text: r.text };
}

/**
 * The stall probes, on a fresh gateway (its tokenizer not yet loaded) started with the very large config:
 * (a) the first local token count, (b) an 8 MB body of nested arrays, (c) an 8 MB prompt forwarded upstream,
 * (d) a 50 MB non-streamed upstream answer in the client's format and one to translate, (e) a hot reload of the large config. The reload comes last.
 */
async function stallProbes(ctx, fakes, startProbeGateway) {
  const gw = await startProbeGateway(largeConfigLines(2));
  await fakes.setScenario(SCENARIO_SMALL);
  const probes = [];
  const chat = (body) => post(`${gw.url}/v1/chat/completions`, body, { authorization: 'Bearer sk-bench-client' });

  probes.push(
    await stallProbe(ctx, gw, 'First local token count (tokenizer load)', async () => {
      const { ok, tokens, status, text } = await countLocally(gw);
      return { ok, detail: `HTTP ${status}${ok ? `, ${tokens} input tokens` : ` ${text.slice(0, 200)}`}` };
    }),
  );

  const depth = 4 * 1024 * 1024 - 20;
  const deep = `{"model":"gpt-4o-mini","messages":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  probes.push(
    await stallProbe(ctx, gw, '8 MB request body of nested arrays', async () => {
      const r = await chat(deep);
      return { ok: r.status === 400, detail: `HTTP ${r.status} ${errorCode(r.text)}`.trim() };
    }),
  );

  const prompt = JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'A long document, line after line. '.repeat(240_000) }] });
  probes.push(
    await stallProbe(ctx, gw, `${(prompt.length / 1e6).toFixed(0)} MB request body (one long prompt, forwarded)`, async () => {
      const r = await chat(prompt);
      return { ok: r.status === 200, detail: `HTTP ${r.status} ${errorCode(r.text)}`.trim() };
    }),
  );

  await fakes.setScenario({ kind: 'oversized', bytes: 50 * 1024 * 1024, chunks: 1 });
  const small = JSON.stringify({ model: 'gpt-4o-mini', messages: PROMPT });
  // The fake renders the 50 MB reply once and replays it: render it now, directly, so the probe costs it nothing.
  await post(`${fakes.openai}/chat/completions`, small, { authorization: 'Bearer sk-bench' });
  probes.push(
    await stallProbe(ctx, gw, '50 MB non-streamed upstream answer, same format (relayed as it arrives)', async () => {
      const r = await chat(small);
      return { ok: r.status === 200 && r.text.length > 50 * 1024 * 1024, detail: `HTTP ${r.status}, ${(r.text.length / 1e6).toFixed(1)} MB`.trim() };
    }),
  );
  const toTranslate = JSON.stringify({ model: 'claude-sonnet-4-5', messages: PROMPT });
  probes.push(
    await stallProbe(ctx, gw, '50 MB non-streamed upstream answer to translate (refused)', async () => {
      const r = await chat(toTranslate);
      return { ok: r.status === 502, detail: `HTTP ${r.status} ${errorCode(r.text)}`.trim() };
    }),
  );
  await fakes.setScenario(SCENARIO_SMALL);

  probes.push(
    await stallProbe(ctx, gw, `Hot reload of a large config (${STALL_AGENTS} agents, ${STALL_MODELS * 2} routes)`, async () => {
      const seen = reloadLines(gw).length;
      gw.writeConfig(largeConfigLines(3));
      const outcome = await reloadOutcome(gw, seen);
      await sleep(300);
      const ok = outcome?.includes('config reloaded') ?? false;
      return { ok, detail: outcome === null ? 'no reload logged within 60 s' : ok ? 'config reloaded' : outcome.slice(0, 200) };
    }),
  );
  return probes;
}

// ---------- profile ----------

function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    // The bench's own output files do not make the code under test uncommitted.
    const status = ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/RESULTS.md', ':!bench/results.json'];
    const dirty = execFileSync('git', status, { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} with uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * A gateway started with `--cpu-prof`, loaded like the 32-connection passthrough case, or with --profile-load=stream
 * like the one-connection same-format stream (warm-up, then one measured run); the self-time table covers the
 * samples of the measured run only, not start-up or warm-up.
 */
async function profileRun(ctx, gateway, target) {
  const dir = join(OUT, 'profile');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const gw = await gateway.start(['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-name=gateway.cpuprofile']);
  const t = target(gw);
  await ctx.fakes.setScenario(PROFILE_STREAM ? SCENARIO_STREAM : SCENARIO_SMALL);
  const shape = PROFILE_STREAM ? { connections: 1, stream: true, chunks: SCENARIO_STREAM.chunks } : { connections: 32, stream: false, chunks: 1 };
  const load = { mode: 'rate', ...shape, url: t.url, headers: t.headers, body: t.body };
  await ctx.load.run({ ...load, durationMs: SEC_WARMUP * 1e3 });
  let fromUs = Number.NaN;
  const r = await ctx.load.run({ ...load, warmupMs: RUN_WARMUP_MS, durationMs: SEC_THROUGHPUT * 1e3 }, (p) => {
    if (p.phase === 'measure') fromUs = monotonicUs();
  });
  const toUs = monotonicUs();
  // The profile is written when the process exits.
  await gateway.stop(gw);
  const file = join(dir, 'gateway.cpuprofile');
  const table = selfTimeTable(JSON.parse(readFileSync(file, 'utf8')), { fromUs, toUs, root: ROOT });
  log(`  profile: ${table.samples} samples in the measured ${(r.elapsedMs / 1e3).toFixed(1)} s (${r.rps.toFixed(0)} req/s, ${r.errors} errors); ${relative(ROOT, file)}`);
  return {
    generatedAt: new Date().toISOString(),
    commit: gitCommit(),
    load: PROFILE_STREAM
      ? `streaming ${PROFILE_LOAD === 'stream' ? 'passthrough' : 'translated (OpenAI → Anthropic)'}, ${SCENARIO_STREAM.chunks} chunks, 1 connection, ${SEC_THROUGHPUT} s`
      : `non-streaming passthrough, 32 connections, ${SEC_THROUGHPUT} s`,
    rps: r.rps,
    errors: r.errors,
    ...table,
  };
}

/** Profile tables of earlier runs (e.g. "before"), kept beside this run's. */
function previousProfiles() {
  try {
    return JSON.parse(readFileSync(join(BENCH, 'results.json'), 'utf8')).profiles ?? {};
  } catch {
    return {};
  }
}

// ---------- main ----------

function gatewayBuilt() {
  try {
    readFileSync(join(ROOT, 'dist/cli/main.js'));
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const t0 = Date.now();
  const pinned = hasTaskset() && os.cpus().length >= 2;
  if (pinned) pin(process.pid, CLIENT_CPU);
  await bundle();
  const machine = machineInfo(pinned);
  const fakes = await startFakes(pinned);
  const load = await startLoadWorker(pinned);
  const ctx = { fakes, load, pinned, ticks: machine.clockTicks };
  const notes = [];
  const cases = [];
  const memoryReadings = {};
  let tuiCase = null;
  let stalls = [];
  let profile = null;
  const gateways = [];

  const useGateway = !DIRECT_ONLY && gatewayBuilt();
  if (!useGateway) notes.push(DIRECT_ONLY ? 'Run with --direct-only: the gateway and the relay were not started.' : `Gateway not built (${GATEWAY_BIN} needs dist/): direct baselines only.`);
  const relay = DIRECT_ONLY ? null : await startRelay(pinned, [new URL(fakes.openai).origin, new URL(fakes.anthropic).origin]);

  try {
    let gw = null;
    /** A gateway on CPU 0 with the bench config (plus `extra` lines), stopped by `stopGateway` or at the end. */
    const launch = async (name, opts = {}) => {
      const g = await startGateway({ root: ROOT, outDir: OUT, name, openaiURL: fakes.openai, anthropicURL: fakes.anthropic, cpu: pinned ? GATEWAY_CPU : undefined, ...opts });
      gateways.push(g);
      for (const pid of g.pids) children.add(pid);
      return g;
    };
    const stopGateway = async (g) => {
      await g.stop();
      for (const pid of g.pids) children.delete(pid);
      gateways.splice(gateways.indexOf(g), 1);
    };
    const startHeadless = () => launch('gateway');
    if (useGateway) {
      log('starting the gateway (--no-tui)');
      gw = await startHeadless();
      await sleep(1000);
      memoryReadings.idleStartMB = memory(gw.pid).rss / 1e6;
      const c0 = cpuTicks(gw.pid);
      await sleep(1000);
      memoryReadings.idleCpuPerSecMs = ((cpuTicks(gw.pid) - c0) / ctx.ticks) * 1e3;
    }

    const directOpenAI = (stream) => ({
      name: 'direct openai',
      streamEnd: OPENAI_STREAM_END,
      url: `${fakes.openai}/chat/completions`,
      headers: { authorization: 'Bearer sk-bench' },
      body: openaiBody('gpt-4o-mini', stream),
    });
    const directAnthropic = (stream) => ({
      name: 'direct anthropic',
      streamEnd: ANTHROPIC_STREAM_END,
      url: `${fakes.anthropic}/v1/messages`,
      headers: { 'x-api-key': 'sk-ant-bench', 'anthropic-version': '2023-06-01' },
      body: anthropicBody('claude-sonnet-4-5', stream),
    });
    const via = (g, model, stream, name = 'gateway') =>
      g && {
        name,
        streamEnd: OPENAI_STREAM_END,
        url: `${g.url}/v1/chat/completions`,
        headers: { authorization: 'Bearer sk-bench-client' },
        body: openaiBody(model, stream),
        server: g,
        countRows: true,
      };
    // The relay cannot translate: it carries the direct request, to the same fake, byte for byte.
    const relayOf = new Map(relay ? [[new URL(fakes.openai).origin, relay.urls[0]], [new URL(fakes.anthropic).origin, relay.urls[1]]] : []);
    const viaRelay = (direct) => {
      if (!relay) return null;
      const url = new URL(direct.url);
      return { ...direct, name: direct.name.replace('direct', 'relay'), url: `${relayOf.get(url.origin)}${url.pathname}`, server: relay };
    };

    const CASES = [
      { key: 'pass_32', label: 'Non-streaming passthrough', a: directOpenAI(false), b: () => via(gw, 'gpt-4o-mini', false), scenario: SCENARIO_SMALL, connections: 32, seconds: SEC_THROUGHPUT },
      { key: 'pass_1', label: 'Non-streaming passthrough', a: directOpenAI(false), b: () => via(gw, 'gpt-4o-mini', false), scenario: SCENARIO_SMALL, connections: 1, seconds: SEC_LATENCY },
      { key: 'trans_32', label: 'Non-streaming translated (OpenAI → Anthropic)', a: directAnthropic(false), b: () => via(gw, 'claude-sonnet-4-5', false), scenario: SCENARIO_SMALL, connections: 32, seconds: SEC_THROUGHPUT },
      { key: 'trans_1', label: 'Non-streaming translated (OpenAI → Anthropic)', a: directAnthropic(false), b: () => via(gw, 'claude-sonnet-4-5', false), scenario: SCENARIO_SMALL, connections: 1, seconds: SEC_LATENCY },
      { key: 'stream_pass_1', label: 'Streaming passthrough, 200 chunks', a: directOpenAI(true), b: () => via(gw, 'gpt-4o-mini', true), scenario: SCENARIO_STREAM, connections: 1, seconds: SEC_LATENCY, stream: true, chunks: SCENARIO_STREAM.chunks },
      { key: 'stream_trans_1', label: 'Streaming translated (OpenAI → Anthropic), 200 chunks', a: directAnthropic(true), b: () => via(gw, 'claude-sonnet-4-5', true), scenario: SCENARIO_STREAM, connections: 1, seconds: SEC_LATENCY, stream: true, chunks: SCENARIO_STREAM.chunks },
    ];
    for (const c of CASES) {
      if (!want(c.key)) continue;
      const result = await runCase(ctx, { ...c, r: viaRelay(c.a), b: c.b() });
      cases.push(result);
      // A failing case can leave state behind (an open circuit breaker, say) that would void the next ones:
      // start a fresh gateway, and say so.
      if (gw && result.gateway && result.gateway.errors > 0) {
        log('  restarting the gateway so the next case starts clean');
        notes.push(`The gateway was restarted after "${result.label}" (${result.gateway.errors} failed requests), so later cases start clean.`);
        await stopGateway(gw);
        gw = await startHeadless();
      }
    }

    if (gw && want('memory')) {
      await fakes.setScenario(SCENARIO_HOLD);
      /** RSS of `g` with OPEN_STREAMS streams open, passthrough then translated, into `<prefix>PassMB` / `<prefix>TransMB`. */
      const readStreams = async (g, prefix) => {
        for (const [kind, model] of [['Pass', 'gpt-4o-mini'], ['Trans', 'claude-sonnet-4-5']]) {
          const key = `${prefix}${kind}MB`;
          const held = await holdStreams(ctx, via(g, model, true), OPEN_STREAMS, async () => {
            await sleep(500);
            return memory(g.pid).rss / 1e6;
          });
          // A reading counts only if every stream is open at once.
          const valid = held.opened?.open === OPEN_STREAMS && held.openMs < HOLD_OPEN_LIMIT_MS;
          memoryReadings[key] = valid ? held.reading : Number.NaN;
          memoryReadings[`${key}Open`] = held.opened?.open ?? 0;
          memoryReadings[`${key}OpenMs`] = held.openMs;
          if (!valid) {
            const why = `${held.opened?.open ?? 0} of ${OPEN_STREAMS} streams open after ${held.openMs} ms ${held.final.firstError ?? ''}`.trim();
            log(`  no valid reading: ${why}`);
            notes.push(`Memory with open streams (${model}, ${prefix}): no valid reading, ${why}.`);
          }
          await sleep(300);
        }
      };
      log(`memory with ${OPEN_STREAMS} open streams, on a fresh gateway`);
      const fresh = await launch('gateway-memory');
      await sleep(1000);
      await readStreams(fresh, 'freshStreams');
      await stopGateway(fresh);
      log(`memory with ${OPEN_STREAMS} open streams, after all load`);
      await readStreams(gw, 'streams');
      await sleep(1500);
      memoryReadings.idleAfterMB = memory(gw.pid).rss / 1e6;
      memoryReadings.peakMB = memory(gw.pid).hwm / 1e6;

      // The tokenizer's worker (estimates, local counts, the stream guard): loaded, then stopped once idle.
      log('memory with the tokenizer loaded, and once its worker has stopped');
      const count = await countLocally(gw);
      if (count.ok) {
        await sleep(500);
        memoryReadings.tokenizerMB = memory(gw.pid).rss / 1e6;
        const t0 = Date.now();
        while (threadNames(gw.pid).includes('WorkerThread') && Date.now() - t0 < TOKENIZER_STOP_LIMIT_MS) await sleep(250);
        const stopped = !threadNames(gw.pid).includes('WorkerThread');
        memoryReadings.tokenizerStopMs = stopped ? Date.now() - t0 : Number.NaN;
        memoryReadings.tokenizerStoppedMB = stopped ? memory(gw.pid).rss / 1e6 : Number.NaN;
        if (!stopped) notes.push(`The tokenizer's worker was still running ${TOKENIZER_STOP_LIMIT_MS / 1000} s after the last count.`);
      } else {
        notes.push(`Memory with the tokenizer: the local count failed (HTTP ${count.status}), no reading.`);
      }
    }
    if (gw && want('tui')) {
      if (hasScript()) {
        log('starting a second gateway with the TUI in a pseudo-terminal');
        const tui = await launch('gateway-tui', { tui: true });
        await sleep(1000);
        memoryReadings.tuiIdleMB = memory(tui.pid).rss / 1e6;
        const off = via(gw, 'gpt-4o-mini', false, 'TUI off');
        const on = via(tui, 'gpt-4o-mini', false, 'TUI on');
        tuiCase = await runCase(ctx, { key: 'tui', label: 'TUI on (baseline: TUI off), non-streaming passthrough', a: off, b: on, scenario: SCENARIO_SMALL, connections: 32, seconds: SEC_THROUGHPUT });
        let ttyBytes = 0;
        try {
          ttyBytes = readFileSync(tui.logPath).length;
        } catch {
          ttyBytes = 0;
        }
        tuiCase.terminalBytes = ttyBytes;
        // A dashboard at 120×40 redrawn for several seconds writes far more than this; less means it never drew.
        if (ttyBytes < 2000) notes.push(`The TUI gateway wrote only ${ttyBytes} bytes to its terminal: it may not have rendered (see ${relative(ROOT, tui.logPath)}).`);
        await stopGateway(tui);
      } else {
        notes.push('`script` (util-linux) is missing: the TUI case was skipped.');
      }
    }
    if (useGateway && want('stall')) {
      log(`stall probes: /health polled every ${POLL_INTERVAL_MS} ms on a fresh gateway with a large config`);
      let probeGateway = null;
      // The poller shares CPU 1 with the fake providers and with this process, which write and read the 50 MB
      // answers: raised above them, its gaps are the gateway's and not its own wait for the CPU.
      const raised = setNice(load.pid, POLLER_NICE);
      if (!raised) notes.push(`The stall poller could not be given a higher priority (nice ${POLLER_NICE} needs root): its gaps include its own wait for CPU 1 while the fakes and the orchestrator move the 50 MB answers.`);
      stalls = await stallProbes(ctx, fakes, async (extra) => (probeGateway = await launch('gateway-stall', { extra })));
      if (raised) setNice(load.pid, 0);
      if (probeGateway) await stopGateway(probeGateway);
    }
    if (useGateway && PROFILE) {
      log(`CPU profile "${PROFILE}": a gateway with --cpu-prof under the ${PROFILE_STREAM ? `one-connection ${PROFILE_LOAD}` : '32-connection passthrough'} load`);
      const start = (nodeArgs) => launch('gateway-profile', { nodeArgs });
      profile = await profileRun(ctx, { start, stop: stopGateway }, (g) => via(g, PROFILE_MODEL, PROFILE_STREAM));
    }
  } finally {
    for (const g of gateways) {
      await g.stop();
      for (const pid of g.pids) children.delete(pid);
    }
    await relay?.close();
    await load.close();
    await fakes.close();
  }

  const storeRuns = [];
  if (want('store')) log('audit store: batched writer rows/s');
  for (let i = 0; i < (want('store') ? REPS : 0); i++) {
    const dbPath = join(OUT, `store-bench-${i}.db`);
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
    const spec = JSON.stringify({ dbPath, durationMs: QUICK ? 500 : 2000 });
    const args = [join(BENCH, 'store-bench.mjs'), spec];
    const r = await new Promise((resolvePromise, reject) => {
      const [cmd, a] = pinned ? ['taskset', ['-c', String(GATEWAY_CPU), process.execPath, ...args]] : [process.execPath, args];
      const child = spawn(cmd, a, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.once('exit', (code) => {
        try {
          resolvePromise(JSON.parse(out.trim().split('\n').at(-1)));
        } catch {
          reject(new Error(`store bench failed (exit ${code}): ${out}`));
        }
      });
    });
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
    storeRuns.push(r);
  }
  const storeBench = { rowsPerSec: median(storeRuns.map((r) => r.rowsPerSec)), runs: storeRuns };

  // ---------- headline ----------
  // A case where more than 1 % of requests failed has no meaningful figures: the headline shows n/a and the
  // notes say why.
  const failed = (side) => side && side.errors > MAX_ERROR_SHARE * (side.count + side.errors);
  const usable = (c) => !failed(c.direct) && !failed(c.gateway) && !failed(c.relay);
  const byKey = Object.fromEntries(cases.filter(usable).map((c) => [c.key, c]));
  const us = (v) => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
  const ms = (v) => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  const rps = (v) => (Number.isFinite(v) ? v.toFixed(0) : 'n/a');
  const cpuRow = (label, key, max) => {
    const c = byKey[key];
    return line(`CPU per request ÷ relay, ${label}`, c?.cpuVsRelay, '×', 2, { max }, `gateway ${us(c?.gateway?.cpuPerRequestUs)} µs, relay ${us(c?.relay?.cpuPerRequestUs)} µs`);
  };
  const throughputRow = (label, key, side) => {
    const c = byKey[key];
    const ratio = side === 'gateway' ? c?.ratio : c?.relayRatio;
    const figures = `${side} ${rps(c?.[side]?.rps)} req/s, direct ${rps(c?.direct.rps)} req/s`;
    return line(`Throughput ${side === 'gateway' ? '' : 'of the bare relay '}vs direct, ${label}, 32 connections`, ratio * 100, '%', 1, side === 'gateway' ? { min: 45 } : undefined, figures);
  };
  const addedRow = (what, label, key, field, relayField, max) => {
    const c = byKey[key];
    return line(`Added ${what}, ${label}`, c?.[field], 'ms', 3, { max }, `bare relay adds ${ms(c?.[relayField])} ms`);
  };
  const stallRow = (p) => line(`Longest /health gap: ${p.name}`, p.ok && p.answers > 1 ? p.gapMs : Number.NaN, 'ms', 1, { max: STALL_TARGET_MS }, `${p.detail}, after ${p.tookMs.toFixed(0)} ms; ${p.answers} answers; the gateway's event loop delayed at most ${num(p.loopDelayMs).toFixed(1)} ms`);
  const headline = [
    cpuRow('non-streaming passthrough (32 connections)', 'pass_32', 2),
    cpuRow('non-streaming translated (32 connections)', 'trans_32', 2.5),
    cpuRow('streaming passthrough (200 chunks)', 'stream_pass_1', 2),
    cpuRow('streaming translated (200 chunks)', 'stream_trans_1', 2.5),
    throughputRow('passthrough', 'pass_32', 'gateway'),
    throughputRow('translated', 'trans_32', 'gateway'),
    throughputRow('passthrough', 'pass_32', 'relay'),
    throughputRow('translated (relay carries the direct Anthropic request)', 'trans_32', 'relay'),
    addedRow('p99', 'passthrough, 1 connection', 'pass_1', 'addedP99Ms', 'relayAddedP99Ms', 1),
    addedRow('p99', 'translated, 1 connection', 'trans_1', 'addedP99Ms', 'relayAddedP99Ms', 1),
    addedRow('first-event time', 'streaming passthrough', 'stream_pass_1', 'addedFirstEventMs', 'relayAddedFirstEventMs', 0.3),
    addedRow('first-event time', 'streaming translated', 'stream_trans_1', 'addedFirstEventMs', 'relayAddedFirstEventMs', 0.3),
    line('RSS idle (fresh)', memoryReadings.idleStartMB, 'MB', 1, { max: 90 }),
    line('RSS idle (after all load)', memoryReadings.idleAfterMB, 'MB', 1, { max: 90 }, `peak ${Number.isFinite(memoryReadings.peakMB) ? memoryReadings.peakMB.toFixed(1) : 'n/a'} MB`),
    line(`RSS with ${OPEN_STREAMS} open streams, passthrough (fresh gateway)`, memoryReadings.freshStreamsPassMB, 'MB', 1, { max: 150 }),
    line(`RSS with ${OPEN_STREAMS} open streams, translated (fresh gateway)`, memoryReadings.freshStreamsTransMB, 'MB', 1, { max: 150 }),
    line(`RSS with ${OPEN_STREAMS} open streams, passthrough (after all load)`, memoryReadings.streamsPassMB, 'MB', 1, { max: 150 }),
    line(`RSS with ${OPEN_STREAMS} open streams, translated (after all load)`, memoryReadings.streamsTransMB, 'MB', 1, { max: 150 }),
    line("RSS with the tokenizer's worker loaded (after all load)", memoryReadings.tokenizerMB, 'MB', 1),
    line("RSS once the tokenizer's worker has stopped", memoryReadings.tokenizerStoppedMB, 'MB', 1, undefined, Number.isFinite(memoryReadings.tokenizerStopMs) ? `stopped ${(memoryReadings.tokenizerStopMs / 1000).toFixed(1)} s after the reading above` : ''),
    ...stalls.map(stallRow),
    line('TUI on vs off, throughput', tuiCase && usable(tuiCase) ? tuiCase.ratio * 100 : Number.NaN, '%', 1, { min: 90 }),
    line('Added p50, passthrough, 1 connection', byKey.pass_1?.addedP50Ms, 'ms', 3),
    line('Added p50, translated, 1 connection', byKey.trans_1?.addedP50Ms, 'ms', 3),
    line('Added per-chunk time, streaming passthrough', byKey.stream_pass_1?.addedPerChunkUs, 'µs', 2),
    line('Added per-chunk time, streaming translated', byKey.stream_trans_1?.addedPerChunkUs, 'µs', 2),
    line('RSS idle, TUI gateway (fresh)', memoryReadings.tuiIdleMB, 'MB', 1),
    line(`Time until all ${OPEN_STREAMS} streams had their first event, passthrough`, memoryReadings.streamsPassMBOpenMs, 'ms', 0),
    line(`Time until all ${OPEN_STREAMS} streams had their first event, translated`, memoryReadings.streamsTransMBOpenMs, 'ms', 0),
    line('Audit store, batched writer (in-process)', storeBench.rowsPerSec, 'rows/s', 0),
    line('Audit rows written by the gateway, passthrough 32 connections', byKey.pass_32?.gateway?.auditRowsPerSec, 'rows/s', 0),
  ];
  for (const p of stalls) {
    if (!p.ok) notes.push(`Stall probe "${p.name}": unexpected answer (${p.detail}), so its gap is not reported.`);
    if (p.pollErrors > 0) notes.push(`Stall probe "${p.name}": ${p.pollErrors} /health polls failed (first: ${p.firstPollError}).`);
  }

  notes.push(
    `Load: one load-generator worker process for the whole run (bench/load.mjs: undici Pool dispatch, keep-alive, one loop per connection, a new pool per run), ${SEC_THROUGHPUT} s runs at 32 connections and ${SEC_LATENCY} s at 1 connection, each after ${RUN_WARMUP_MS} ms unrecorded, plus a ${SEC_WARMUP} s warm-up per target and case; ${REPS} repetitions, direct, relay and gateway interleaved.`,
    'Bare relay (bench/relay.mjs): a node:http server in, a keep-alive undici Pool out, nothing parsed or metered; request and response piped chunk by chunk with backpressure. It runs alone on CPU 0 like the gateway, against the same fakes, with the same load generator, in every case. A relay cannot translate: in the translated cases it carries the direct Anthropic request to the fake Anthropic, so it moves the same upstream bytes the gateway receives. CPU per request ÷ relay = gateway CPU per request over relay CPU per request, median of per-repetition pairs.',
    'Passthrough: OpenAI client → gateway (gpt-4o-mini) → fake OpenAI, against the fake OpenAI directly. Translated: OpenAI client → gateway (claude-sonnet-4-5) → fake Anthropic, against an Anthropic request to the fake Anthropic directly.',
    `Fake replies: non-streaming ${SCENARIO_SMALL.chunks}×${SCENARIO_SMALL.chunkSize} characters; streams ${SCENARIO_STREAM.chunks} content deltas of ${SCENARIO_STREAM.chunkSize} characters sent back to back (pre-rendered, one write), so the per-chunk figure is the gateway's own processing per chunk: (last byte − first event) ÷ ${SCENARIO_STREAM.chunks}.`,
    'First event: time from sending the request to the first SSE `data:` line. Added figures are medians of per-repetition differences (gateway − direct, and relay − direct for the relay\'s).',
    'CPU per request: the gateway\'s (or the relay\'s) process utime + stime from /proc/<pid>/stat (all threads, in clock ticks) over a run, read 150 ms after the load ends so the audit flush it caused is counted, divided by the requests it served.',
    `Memory: VmRSS from /proc/<pid>/status; idle = 1 s after start-up and again after all load; the idle targets apply to both idle readings; open streams = read 0.5 s after ${OPEN_STREAMS} concurrent streams through the gateway have each received their first event, once on a gateway started for it (1 s after its start) and once on the gateway that carried every case before (V8 keeps the heap that load grew, garbage included, until its memory reducer runs: on an idle gateway that took about 100 s) (the fake sends a frame every ${SCENARIO_HOLD.delayMs} ms for ${(SCENARIO_HOLD.chunks * SCENARIO_HOLD.delayMs) / 1000} s, so none ends before the reading; each then ends with its usage, so the gateway has nothing to estimate); tokenizer = read 0.5 s after a local count_tokens, and again once the token worker's thread has ended (it stops after 20 s unused). The bench config sets gateway.max_upstream_connections: ${UPSTREAM_CONNECTIONS}; with the default (128 per provider) streams beyond the 128th wait for a free upstream connection.`,
    'TUI: a second gateway started without --no-tui inside `script` (a pseudo-terminal, 120×40), pinned to the same CPU, loaded alternately with the headless one; the headless one is idle while the TUI one is measured and vice versa.',
    `Stall probes: a fresh gateway on CPU 0 (tokenizer not yet loaded) with the bench config grown to ${STALL_AGENTS} agents and ${STALL_MODELS * 2} routes; the load-generator process (raised to nice ${POLLER_NICE} for these probes, above the fakes and the orchestrator that share CPU 1 with it) polls its /health on one keep-alive connection, ${POLL_INTERVAL_MS} ms after each answer, from 100 ms before to 100 ms after each input, and reports the longest gap between two answers. Inputs, in order: a count_tokens request for an OpenAI-routed model (counted locally, so the o200k tables load); an 8 MB body of nested arrays (refused with a 400); an 8 MB prompt (forwarded and answered); a 50 MB non-streamed answer from the fake in the client's format (relayed as it arrives, metered from its end; the fake has rendered it beforehand), and one the gateway would have to translate (refused with a 502 past gateway.max_response_body); a rewrite of the config file, which the gateway watches and reloads (the probe waits for its log line, then 300 ms).`,
    'Audit store: the gateway\'s store module (bundled from src/store) in its own process on the gateway\'s CPU, recording rows in bursts of 500 with an event-loop turn between bursts for 2 s into a fresh WAL file, flush included. The gateway figure is audit rows committed per second during the passthrough runs.',
  );

  for (const c of [...cases, ...(tuiCase ? [tuiCase] : [])]) {
    for (const side of ['direct', 'relay', 'gateway']) {
      const m = c[side];
      if (m && m.errors > 0) {
        const first = c.reps[side].find((r) => r.firstError)?.firstError ?? '';
        const prefix = { direct: ['direct', 'TUI off'], relay: ['relay'], gateway: ['gateway', 'TUI on'] }[side];
        const warm = c.warmupErrors.find((w) => prefix.some((p) => w.target.startsWith(p)));
        const cause = warm ? `; first failure, during the warm-up: ${warm.firstError.slice(0, 240)}` : '';
        notes.push(`${c.label}, ${c.connections} connection(s), ${side === 'direct' ? 'baseline' : side}: ${m.errors} failed requests (first: ${first.slice(0, 160)})${cause}.`);
      }
    }
  }

  // Other processes on the pinned CPUs take time from the gateway or the clients; say so beside the figures.
  const foreign = [
    ...cases.filter((c) => c.gateway).map((c) => Math.max(c.gateway.foreignCpu0 + c.gateway.stealCpu0, c.gateway.foreignCpu1 + c.gateway.stealCpu1)),
    ...stalls.map((p) => p.foreignCpu0).filter(Number.isFinite),
  ];
  const worst = foreign.length ? Math.max(...foreign) : 0;
  const contention =
    worst > CONTENTION_LIMIT
      ? `other work (processes outside the benchmark, or hypervisor steal) took up to ${(worst * 100).toFixed(0)} % of a benchmark CPU during the gateway runs (load average ${machine.loadAverageAtStart.toFixed(2)} before the run). ` +
        'Throughput, latency and stall figures understate the gateway; CPU per request is less affected. Re-run on a quiet machine.'
      : null;
  if (contention) log(`caution: ${contention}`);

  const results = {
    contention,
    generatedAt: new Date().toISOString(),
    durationSec: Math.round((Date.now() - t0) / 1000),
    machine,
    settings: { reps: REPS, secondsThroughput: SEC_THROUGHPUT, secondsLatency: SEC_LATENCY, secondsWarmup: SEC_WARMUP, quick: QUICK, gateway: useGateway },
    headline,
    cases: tuiCase ? [...cases, tuiCase] : cases,
    memory: memoryReadings,
    stalls,
    store: storeBench,
    profiles: profile ? { ...previousProfiles(), [PROFILE]: profile } : previousProfiles(),
    notes,
  };
  const md = renderMarkdown(results);
  writeFileSync(join(BENCH, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(BENCH, 'RESULTS.md'), md);
  console.log(md);
  log(`done in ${results.durationSec} s`);
}

main().then(
  () => process.exit(0),
  async (err) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    for (const pid of children) await stopProcess(pid, 1000);
    process.exit(1);
  },
);
