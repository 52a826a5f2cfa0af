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
 * meanwhile (its total deadline passed): a client that stops reading must not hold the request forever.
 */
export async function waitForDrain(res: ServerResponse, upstream: Readable, signal: AbortSignal): Promise<void> {
  const cut = new AbortController();
  const onClose = (): void => {
    // The iterator reads ahead, so a body that ended normally may close while its last chunk waits here.
    if (upstream.readableEnded && !upstream.errored) return;
    cut.abort(upstream.errored ?? new Error('the upstream closed while the client was not reading'));
  };
  if (upstream.destroyed) onClose();
  else upstream.once('close', onClose);
  try {
    await once(res, 'drain', { signal: AbortSignal.any([signal, cut.signal]) });
  } catch (err) {
    if (cut.signal.aborted && !signal.aborted) throw cut.signal.reason;
    throw err;
  } finally {
    upstream.off('close', onClose);
  }
}
