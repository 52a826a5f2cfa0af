/**
 * Audit store throughput, in its own process: how many rows per second the batched writer (the gateway's
 * own store module, bundled from src/store by run.mjs) commits to a fresh WAL SQLite file. Rows are
 * recorded in bursts with an event-loop turn between them, as request completions would arrive, for
 * `durationMs`; then the queue is flushed and the elapsed time includes that flush.
 * argv[2]: JSON `{ dbPath, durationMs, burst }`. Prints one JSON line.
 */
import { setImmediate } from 'node:timers';
import { openStore } from '../node_modules/.cache/ai-gateway-bench/store.mjs';

const { dbPath, durationMs = 2000, burst = 500 } = JSON.parse(process.argv[2] ?? '{}');
const turn = () => new Promise((resolve) => setImmediate(resolve));

function row(i, ts) {
  return {
    id: `req_bench_${i.toString(36).padStart(8, '0')}`,
    ts,
    agent: `agent-${i % 8}`,
    provider: 'fake-openai',
    model: 'gpt-4o-mini',
    upstreamModel: 'gpt-4o-mini',
    clientFormat: 'openai-chat',
    upstreamFormat: 'openai-chat',
    stream: i % 2 === 0,
    status: 200,
    errorCode: null,
    inputTokens: 12 + (i % 50),
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 200 + (i % 100),
    reasoningTokens: 0,
    costUsd: 0.000123,
    costInput: 0.000002,
    costCacheRead: 0,
    costCacheWrite: 0,
    costOutput: 0.000121,
    priceVersion: 'bench',
    estimated: false,
    latencyMs: 3.5,
    ttfbMs: 1.2,
    dropped: null,
  };
}

const store = openStore(dbPath);
const start = performance.now();
const deadline = start + durationMs;
let n = 0;
while (performance.now() < deadline) {
  const ts = Date.now();
  for (let k = 0; k < burst; k++) store.sink.record(row(n++, ts));
  await turn();
}
store.sink.flush();
const elapsedMs = performance.now() - start;
const stats = store.sink.stats();
const inDb = store.db.prepare('SELECT count(*) AS c FROM requests').get().c;
store.close();
process.stdout.write(
  `${JSON.stringify({ recorded: n, written: stats.written, dropped: stats.dropped, inDb, elapsedMs, rowsPerSec: inDb / (elapsedMs / 1e3) })}\n`,
);
