/**
 * An upstream body on its way in: read whole under a size cap (answers that must be decoded, error bodies), or
 * relayed to a client that may read slower than the upstream sends.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { GatewayError } from '../../core/errors.js';
import { transportError } from '../../providers/http-upstream.js';
import type { UpstreamResponse } from '../../providers/provider.js';

/** The whole body as text; a 502 `response_too_large` once it passes `maxBytes`, read no further. */
export async function readUpstreamText(upstream: UpstreamResponse, maxBytes: number, provider: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  try {
    await eachChunk(upstream.body, (chunk) => {
      size += chunk.length;
      if (size > maxBytes) {
        tooLarge = true;
        return false;
      }
      chunks.push(chunk);
      return true;
    });
  } catch (err) {
    throw transportError(err, provider);
  }
  if (tooLarge) throw new GatewayError('upstream_error', `provider ${provider} sent a response larger than ${maxBytes} bytes`, { status: 502, code: 'response_too_large' });
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * Reads an upstream body chunk by chunk. `onChunk` says whether to go on, or returns a promise of it, and the body
 * is paused while that waits (for a slow client, a token count). Stopping early destroys the body, as leaving a
 * `for await` loop does: an answer no longer wanted stops costing. Plain listeners rather than `for await`, whose
 * iterator costs a promise per chunk and a set of closures per body, on every request and every stream event.
 * Rejects with the body's error, or with ERR_STREAM_PREMATURE_CLOSE when it closes before its end.
 */
export function eachChunk(body: Readable, onChunk: (chunk: Buffer) => boolean | Promise<boolean>): Promise<void> {
  // A body that already closed sends no more events.
  if (body.readableEnded) return Promise.resolve();
  if (body.destroyed) return Promise.reject(body.errored ?? prematureClose());
  return new Promise((resolve, reject) => {
    let settled = false;
    // While `onChunk` waits, the body's end (or failure) is held back until its verdict: a stream cut on its last
    // chunk is still cut, as it is with `for await`.
    let waiting = false;
    let ended: { err: unknown } | undefined;
    // Listeners other than 'data' stay: an error after the end must still find one.
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      if (err === undefined) resolve();
      else reject(err as Error);
    };
    const end = (err?: unknown): void => {
      if (waiting) ended ??= { err };
      else finish(err);
    };
    const stop = (): void => {
      body.destroy();
      finish();
    };
    const fail = (err: unknown): void => {
      body.destroy();
      finish(err);
    };
    const onData = (chunk: Buffer): void => {
      let next: boolean | Promise<boolean>;
      try {
        next = onChunk(chunk);
      } catch (err) {
        fail(err);
        return;
      }
      if (next === true) return;
      if (next === false) return stop();
      body.pause();
      waiting = true;
      next.then(
        (goOn) => {
          waiting = false;
          if (!goOn) stop();
          else if (ended) finish(ended.err);
          else if (!settled) body.resume();
        },
        (err: unknown) => {
          waiting = false;
          fail(err);
        },
      );
    };
    body.on('data', onData);
    body.once('end', () => end());
    body.on('error', end);
    body.once('close', () => end(body.readableEnded ? undefined : (body.errored ?? prematureClose())));
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

/** For an `eachChunk` reader whose write found the client full: read on once it has drained (see waitForDrain). */
export async function readOnWhenDrained(res: ServerResponse, upstream: Readable, signal: AbortSignal): Promise<true> {
  await waitForDrain(res, upstream, signal);
  return true;
}

/**
 * Waits until the client can take more. Gives up when the client leaves (the signal) or when the upstream is cut
 * meanwhile (its total deadline passed): a client that stops reading must not hold the request forever. Once the
 * upstream has ended there is nothing more to hold back, so the wait ends too: the rest is already in memory, and
 * the answer is metered, settled and recorded instead of waiting on a client that may never read again.
 */
export async function waitForDrain(res: ServerResponse, upstream: Readable, signal: AbortSignal): Promise<void> {
  const endedNormally = (): boolean => upstream.readableEnded && !upstream.errored;
  if (endedNormally()) return;
  const cut = new AbortController();
  let ended = false;
  const onClose = (): void => {
    ended = endedNormally();
    cut.abort(ended ? undefined : (upstream.errored ?? new Error('the upstream closed while the client was not reading')));
  };
  if (upstream.destroyed) onClose();
  else upstream.once('close', onClose);
  try {
    await once(res, 'drain', { signal: AbortSignal.any([signal, cut.signal]) });
  } catch (err) {
    if (signal.aborted) throw err;
    if (ended) return;
    if (cut.signal.aborted) throw cut.signal.reason;
    throw err;
  } finally {
    upstream.off('close', onClose);
  }
}
