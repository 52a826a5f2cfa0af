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
  try {
    for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        upstream.body.destroy();
        throw new GatewayError('upstream_error', `provider ${provider} sent a response larger than ${maxBytes} bytes`, { status: 502, code: 'response_too_large' });
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw transportError(err, provider);
  }
  return Buffer.concat(chunks, size).toString('utf8');
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
