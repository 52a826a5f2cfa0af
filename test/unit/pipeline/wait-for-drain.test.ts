/**
 * waitForDrain holds a relay back while the client is not reading. It must end when the client can take more, when
 * the client leaves, when the upstream is cut, and also once the upstream has ended: nothing more is held back
 * then, and waiting on a client that may never read again would keep the answer from being metered and recorded.
 */
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { waitForDrain } from '../../../src/pipeline/steps/upstream-body.js';

/** A response whose socket buffer is full: only 'drain' matters to the wait. */
const fullResponse = (): ServerResponse => new EventEmitter() as unknown as ServerResponse;

/** An upstream body with its data read out, still open until the test ends or breaks it. */
async function openUpstream(): Promise<Readable> {
  const upstream = new Readable({ read() {} });
  upstream.push('last chunk');
  upstream.on('data', () => undefined);
  // The relay's reader listens for errors; so does this one.
  upstream.on('error', () => undefined);
  await new Promise((r) => setImmediate(r));
  return upstream;
}

const pending = (p: Promise<unknown>): Promise<boolean> => Promise.race([p.then(() => false, () => false), new Promise<boolean>((r) => setTimeout(() => r(true), 50))]);

describe('waitForDrain', () => {
  it('ends when the client drains', async () => {
    const res = fullResponse();
    const wait = waitForDrain(res, await openUpstream(), new AbortController().signal);
    expect(await pending(wait)).toBe(true);
    res.emit('drain');
    await expect(wait).resolves.toBeUndefined();
  });

  it('ends, without an error, once the upstream has ended normally while the client still does not read', async () => {
    const upstream = await openUpstream();
    const wait = waitForDrain(fullResponse(), upstream, new AbortController().signal);
    expect(await pending(wait)).toBe(true);
    upstream.push(null);
    await expect(wait).resolves.toBeUndefined();
    // And at once when it had ended before.
    await expect(waitForDrain(fullResponse(), upstream, new AbortController().signal)).resolves.toBeUndefined();
  });

  it('fails when the upstream is cut meanwhile', async () => {
    const upstream = await openUpstream();
    const wait = waitForDrain(fullResponse(), upstream, new AbortController().signal);
    upstream.destroy(new Error('deadline passed'));
    await expect(wait).rejects.toThrow('deadline passed');
  });

  it('fails when the client leaves', async () => {
    const client = new AbortController();
    const wait = waitForDrain(fullResponse(), await openUpstream(), client.signal);
    client.abort(new Error('client left'));
    await expect(wait).rejects.toThrow();
  });
});
