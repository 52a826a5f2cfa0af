/**
 * The bare relay: the floor any proxy written in Node pays. A `node:http` server in, a keep-alive undici Pool out,
 * and nothing between: no parsing, no metering, no routing. The request body is piped to the upstream and the
 * response sent back chunk by chunk as it arrives, with backpressure in both directions.
 *
 * Run as a child of bench/run.mjs: `fork('bench/relay.mjs', [upstreamOrigin, ...])` listens once per upstream
 * on a free loopback port, forwards every path unchanged, and sends `{ type: 'ready', urls: [...] }` (one
 * origin per upstream, same order). Exits when the parent disconnects.
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and the host, which undici sets from the upstream origin itself. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
/** Same as the gateway's bench config (gateway.max_upstream_connections), so 200 open streams all reach the fake. */
const UPSTREAM_CONNECTIONS = 256;

function endToEnd(headers) {
  const out = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

function relay(pool) {
  return (req, res) => {
    let controller = null;
    // A client that goes away cancels the upstream request, as any proxy must.
    res.once('close', () => {
      if (!res.writableFinished) controller?.abort(new Error('client closed'));
    });
    pool.dispatch(
      { path: req.url, method: req.method, headers: endToEnd(req.headers), body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
      {
        onRequestStart(c) {
          controller = c;
        },
        onResponseStart(c, statusCode, headers) {
          res.writeHead(statusCode, endToEnd(headers));
        },
        onResponseData(c, chunk) {
          if (!res.write(chunk)) {
            c.pause();
            res.once('drain', () => c.resume());
          }
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError(c, err) {
          if (res.headersSent) res.destroy(err);
          else {
            res.writeHead(502, { 'content-type': 'text/plain' });
            res.end(`relay: ${err.message}`);
          }
        },
      },
    );
  };
}

const upstreams = process.argv.slice(2);
const urls = await Promise.all(
  upstreams.map((origin) => {
    const pool = new Pool(origin, { connections: UPSTREAM_CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    const server = createServer({ keepAliveTimeout: 60_000 }, relay(pool));
    return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`)));
  }),
);
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', urls });
