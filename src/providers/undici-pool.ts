/**
 * undici's Pool, its request call and its error classes, loaded from their own modules. The package's index also
 * loads fetch, WebSocket, EventSource, the caches and the mocks, none of which the gateway uses: measured on an idle
 * gateway, 2.4 MB of heap and 2.5 MB of RSS. test/unit/providers/undici-pool.test.ts checks that these are the very
 * values the index exports, so an undici release that moves them fails a test rather than a request.
 */
import Pool from 'undici/lib/dispatcher/pool.js';
import request from 'undici/lib/api/api-request.js';
import undiciErrors from 'undici/lib/core/errors.js';
import type { Dispatcher } from 'undici';

export { Pool, undiciErrors };

/** `pool.request(options)`, which the index would add to every dispatcher. */
export function poolRequest(pool: Pool, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return request.call(pool, options);
}
