/**
 * A client that stops reading a long stream must stop the gateway reading upstream: the provider's writes stall
 * once the socket buffers between it and the client are full, instead of the gateway buffering the stream.
 * Measured: the fake's bytes written against the client's bytes read while the client is paused. Then the
 * client reads on and must receive every byte, in order.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatBody, chatPath, startFaultBed, type ClientFormat, type FaultBed } from './bed.js';

const CHUNKS = 2000;
const CHUNK_SIZE = 16 * 1024;
/** Reply text in all: ~31 MiB, far more than the socket buffers between the fake and the client. */
const TOTAL_TEXT = CHUNKS * CHUNK_SIZE;
/** What may sit between the fake and the paused client: kernel socket buffers on two hops plus stream buffers. */
const SLACK_BYTES = 24 * 1024 * 1024;

function open(bed: FaultBed, format: ClientFormat, model: string): Promise<{ res: IncomingMessage; destroy(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(chatPath(format, 'a0'), bed.gw.url),
      { method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' }, agent: false },
      (res) => resolve({ res, destroy: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end(chatBody(format, model, true, { kind: 'bench', chunks: CHUNKS, chunkSize: CHUNK_SIZE, delayMs: 1 }));
  });
}

/** Waits until `value()` has not changed for `quietMs`, polling; bounded by `timeoutMs`. */
async function settle(value: () => number, quietMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = value();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  throw new Error(`still moving after ${timeoutMs} ms (at ${last})`);
}

/** Characters of delta text in an SSE body, OpenAI or Anthropic, counted without parsing every frame. */
function countText(body: string, format: ClientFormat): number {
  const re = format === 'openai' ? /"delta":\{"content":"([^"]*)"/g : /"text_delta","text":"([^"]*)"/g;
  let n = 0;
  for (const m of body.matchAll(re)) n += m[1]!.length;
  return n;
}

describe('back-pressure from a slow client', () => {
  let bed: FaultBed;
  beforeAll(async () => {
    // The idle timeout is shorter than the pause: a paused reader is not silence, so it must not fire. The total
    // upstream timeout is what bounds a client that never reads again.
    bed = await startFaultBed({ agents: 1, timeouts: '{ upstream: 60s, idle: 300ms }' });
  });
  afterAll(async () => {
    await bed?.close();
  });

  it.each([
    { format: 'openai' as const, model: 'gpt-4o-mini', fake: 'openai' as const, mode: 'same format, bytes passed through' },
    { format: 'anthropic' as const, model: 'gpt-4o-mini', fake: 'openai' as const, mode: 'translated OpenAI → Anthropic' },
  ])('$mode: the provider stalls while the client does not read, and nothing is lost', async ({ format, model, fake }) => {
    const upstream = bed[fake];
    const index = upstream.requests.length;
    const { res, destroy } = await open(bed, format, model);
    expect(res.statusCode).toBe(200);
    const parts: Buffer[] = [];
    let read = 0;
    // Read the first MiB, then stop reading.
    await new Promise<void>((resolve) => {
      const onData = (c: Buffer): void => {
        parts.push(c);
        read += c.length;
        if (read >= 1024 * 1024) {
          res.pause();
          res.off('data', onData);
          resolve();
        }
      };
      res.on('data', onData);
    });
    const record = upstream.requests[index]!;
    const written = await settle(() => record.responseBytes.length, 600, 15_000);
    const totalUpstream = TOTAL_TEXT; // lower bound of the fake's whole body
    console.log(`[back-pressure ${format}] client read ${(read / 2 ** 20).toFixed(1)} MiB, provider wrote ${(written / 2 ** 20).toFixed(1)} MiB of ≥ ${(totalUpstream / 2 ** 20).toFixed(0)} MiB, gap ${((written - read) / 2 ** 20).toFixed(1)} MiB`);
    expect(record.settled).toBe(false);
    expect(written).toBeLessThan(totalUpstream);
    expect(written - read).toBeLessThan(SLACK_BYTES);

    // Reading again drains the stream to its end, every byte intact.
    const done = new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve());
      res.on('error', reject);
    });
    res.resume();
    await done;
    destroy();
    const body = Buffer.concat(parts).toString('utf8');
    expect(countText(body, format)).toBe(TOTAL_TEXT);
    expect(body.endsWith(format === 'openai' ? 'data: [DONE]\n\n' : 'data: {"type":"message_stop"}\n\n')).toBe(true);
    await upstream.whenSettled(index);
    expect(record.completed).toBe(true);
  }, 30_000);

  it('a client that never reads again is cut at the total upstream timeout: upstream aborted, row written, without waiting for the client', async () => {
    const short = await startFaultBed({ agents: 1, timeouts: '{ upstream: 1500ms, idle: 300ms }' });
    try {
      const { res, destroy } = await open(short, 'openai', 'gpt-4o-mini');
      const requestId = String(res.headers['x-request-id']);
      res.pause();
      const record = await short.openai.whenSettled(0, 10_000);
      expect(record.aborted).toBe(true);
      expect(record.completed).toBe(false);
      // The gateway gives up on its own: the row is written while the client still holds the connection open.
      const deadline = Date.now() + 5000;
      while (!short.gw.rows().some((r) => r.id === requestId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const row = short.gw.rows().find((r) => r.id === requestId);
      destroy();
      expect(row?.status).toBe(504);
      expect(row?.error_code).toBe('upstream_timeout');
      // What was relayed before the cut is billed.
      expect(Number(row?.output_tokens)).toBeGreaterThan(0);
    } finally {
      await short.close();
    }
  });
});
