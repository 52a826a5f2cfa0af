import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Pool, poolRequest, undiciErrors } from '../../../src/providers/undici-pool.js';

describe('undici loaded by module path', () => {
  it('is the very Pool and error classes the package exports', () => {
    expect(Pool).toBe(undici.Pool);
    expect(undiciErrors).toBe(undici.errors);
    expect(undiciErrors.HeadersTimeoutError).toBe(undici.errors.HeadersTimeoutError);
  });

  it('sends a request through a pool and reads its answer', async () => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(201, { 'x-seen': `${req.method} ${req.url} ${body}` }).end('done'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const res = await poolRequest(pool, { path: '/v1/x?a=1', method: 'POST', body: 'hello' });
      expect(res.statusCode).toBe(201);
      expect(res.headers['x-seen']).toBe('POST /v1/x?a=1 hello');
      expect(await res.body.text()).toBe('done');
    } finally {
      await pool.close();
      server.close();
    }
  });
});
