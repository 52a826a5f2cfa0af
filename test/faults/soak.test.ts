/**
 * Memory under faults: a long run of mixed faulty requests (upstream errors, resets, malformed streams, clients
 * that leave, oversized and broken requests) must leave the gateway's memory flat. The count comes from
 * FAULT_SOAK_COUNT: 1000 in CI, 10000 when run by hand (`FAULT_SOAK_COUNT=10000 npx vitest run test/faults/soak.test.ts`).
 * Memory is read after a forced GC, once after a warm-up and once at the end; the figures are printed.
 */
import { request as httpRequest } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../fakes/index.js';
import { eventually } from '../helpers/gateway.js';
import { chatBody, chatPath, send, sendChat, startFaultBed, type ClientFormat, type FaultBed } from './bed.js';

const COUNT = Math.max(100, Number(process.env.FAULT_SOAK_COUNT ?? 1000) || 1000);
const WARMUP = Math.min(300, Math.floor(COUNT / 5));
const CONCURRENCY = 32;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function settleHeap(): NodeJS.MemoryUsage {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage();
}

type Kind = { name: string; run: (bed: FaultBed, i: number) => Promise<number> };

const scenario = (format: ClientFormat, model: string, stream: boolean, s: Scenario | 'text') => (bed: FaultBed, i: number) =>
  sendChat(bed, format, `a${i % 4}`, model, stream, s).then((r) => r.status);

/** A client that leaves after the first bytes of a stream. */
function leaver(format: ClientFormat, model: string) {
  return (bed: FaultBed, i: number) =>
    new Promise<number>((resolve) => {
      const req = httpRequest(
        new URL(chatPath(format, `a${i % 4}`), bed.gw.url),
        { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, agent: false },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve(499);
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', () => resolve(499));
      req.end(chatBody(format, model, true, { kind: 'slow_chunks', chunks: 6, delayMs: 20 }));
    });
}

const KINDS: Kind[] = [
  { name: '500', run: scenario('openai', 'gpt-4o-mini', false, { kind: 'error', status: 500 }) },
  { name: '529 stream', run: scenario('anthropic', 'claude-haiku-4-5', true, { kind: 'error', status: 529 }) },
  { name: '429', run: scenario('openai', 'claude-haiku-4-5', false, { kind: 'error', status: 429, retryAfter: 3 }) },
  { name: 'reset before', run: scenario('anthropic', 'gpt-4o-mini', true, { kind: 'reset_before' }) },
  { name: 'reset mid-stream', run: scenario('openai', 'gpt-4o-mini', true, { kind: 'reset_mid_stream' }) },
  { name: 'reset mid-stream, translated', run: scenario('openai', 'claude-haiku-4-5', true, { kind: 'reset_mid_stream' }) },
  { name: 'malformed SSE', run: scenario('anthropic', 'claude-haiku-4-5', true, { kind: 'malformed_sse' }) },
  { name: 'malformed JSON', run: scenario('anthropic', 'gpt-4o-mini', false, { kind: 'malformed_json' }) },
  { name: 'error mid-stream', run: scenario('openai', 'claude-haiku-4-5', true, { kind: 'midstream_error' }) },
  { name: 'oversized whole body', run: scenario('openai', 'gpt-4o-mini', false, { kind: 'oversized', bytes: 40_000 }) },
  { name: 'client leaves', run: leaver('openai', 'gpt-4o-mini') },
  { name: 'client leaves, translated', run: leaver('anthropic', 'gpt-4o-mini') },
  { name: 'broken JSON body', run: (bed) => send(bed.gw.url, '/v1/chat/completions', { body: '{"model": "gpt-4o-mini", "messages": [' }).then((r) => r.status) },
  { name: 'body over max_body', run: (bed) => send(bed.gw.url, '/v1/messages', { body: chatBody('anthropic', 'claude-haiku-4-5', false, { kind: 'echo', text: 'x'.repeat(20_000) }) }).then((r) => r.status) },
  { name: 'ok', run: scenario('anthropic', 'claude-haiku-4-5', true, 'text') },
];

describe(`memory under ${COUNT} mixed faulty requests`, () => {
  let bed: FaultBed;
  beforeAll(async () => {
    bed = await startFaultBed({ agents: 4, gateway: 'max_body: 16kb', extra: { maxResponseBytes: 20_000 }, fakes: { recordResponses: false } });
  });
  afterAll(async () => {
    await bed?.close();
  });

  async function run(from: number, to: number, statuses: Map<number, number>): Promise<void> {
    let next = from;
    const worker = async (): Promise<void> => {
      while (next < to) {
        const i = next++;
        const status = await KINDS[i % KINDS.length]!.run(bed, i);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        // The test's own bookkeeping must not grow with the run: the fakes' request logs and captured log lines.
        if (i % 200 === 0) {
          bed.openai.reset();
          bed.anthropic.reset();
          bed.gw.logs.length = 0;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  it('RSS and heap stay flat, and every request got an answer', async () => {
    const statuses = new Map<number, number>();
    await run(0, WARMUP, statuses);
    bed.gw.gateway.store.sink.flush();
    const before = settleHeap();
    const started = performance.now();
    await run(WARMUP, COUNT, statuses);
    const seconds = (performance.now() - started) / 1000;
    bed.openai.reset();
    bed.anthropic.reset();
    bed.gw.logs.length = 0;
    bed.gw.gateway.store.sink.flush();
    const after = settleHeap();
    const mib = (n: number): string => (n / 2 ** 20).toFixed(1);
    console.log(
      `[soak] ${COUNT - WARMUP} faulty requests after ${WARMUP} warm-up in ${seconds.toFixed(1)} s: ` +
        `RSS ${mib(before.rss)} → ${mib(after.rss)} MiB (${mib(after.rss - before.rss)}), heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)} MiB (${mib(after.heapUsed - before.heapUsed)}); ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );

    // No request was left without an answer, and no handler failed inside the gateway.
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(COUNT);
    expect(statuses.get(0) ?? 0).toBe(0);
    expect(bed.gw.logs.filter((l) => l.includes('unhandled error') || l.includes('request failed'))).toEqual([]);
    // Every request has its audit row, faulty or not.
    await eventually(() => bed.gw.rows().length === COUNT, 10_000);
    // Flat: what the run leaves behind is noise, not a per-request leak (1 KiB per request would show as 10 MiB at 10 000).
    expect(after.heapUsed - before.heapUsed).toBeLessThan(8 * 2 ** 20);
    expect(after.rss - before.rss).toBeLessThan(48 * 2 ** 20);
    // The gateway still answers.
    expect((await sendChat(bed, 'openai', 'a0', 'gpt-4o-mini', false, 'text')).status).toBe(200);
  }, 120_000);
});
