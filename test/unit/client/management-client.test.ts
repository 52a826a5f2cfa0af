import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayNotRunningError, ManagementApiError } from '../../../src/client/errors.js';
import { ManagementClient } from '../../../src/client/management-client.js';
import type { LogEntry } from '../../../src/live/snapshot.js';
import { sampleSnapshot } from '../tui/helpers.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server | undefined;
let client: ManagementClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const entry = (id: string): LogEntry => ({
  id, ts: 1, agent: 'a', model: 'm', provider: 'p', status: 200, tokensIn: 1, tokensOut: 2, costUsd: 0.01, latencyMs: 5, stream: false, estimated: false,
});

describe('ManagementClient', () => {
  it('fetches the status with the admin token', async () => {
    const snapshot = sampleSnapshot();
    const { url, seen } = await serve((_req, res) => json(res, 200, snapshot));
    client = new ManagementClient({ baseUrl: `${url}/`, token: 's3cret' });
    expect(await client.getStatus()).toEqual(snapshot);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/status', authorization: 'Bearer s3cret' });
  });

  it('sends no authorization header without a token', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, []));
    client = new ManagementClient({ baseUrl: url });
    await client.getBreakers();
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it('calls each control endpoint with the right method, path and body', async () => {
    const { url, seen } = await serve((req, res) => {
      if (req.url?.startsWith('/api/logs')) return json(res, 200, [entry('x')]);
      if (req.url === '/api/breakers') return json(res, 200, { breakers: [{ key: 'openai', state: 'open', errorRate: 1 }] });
      if (req.url?.startsWith('/api/agents/re%20s')) return json(res, 200, { id: 're s' });
      res.writeHead(204).end();
    });
    client = new ManagementClient({ baseUrl: url });
    await client.pause('researcher', 'too expensive');
    await client.resume('researcher');
    await client.setBudget('researcher', { hourly: 2.5, daily: null, total: 100 });
    await client.resetBreaker('coder/openai');
    expect(await client.getAgent('re s')).toEqual({ id: 're s' });
    expect(await client.getLogs({ agent: 'coder', since: '1h', limit: 5 })).toEqual([entry('x')]);
    expect(await client.getBreakers()).toEqual([{ key: 'openai', state: 'open', errorRate: 1 }]);
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'POST /api/agents/researcher/pause {"reason":"too expensive"}',
      'POST /api/agents/researcher/resume {}',
      'PUT /api/agents/researcher/budget {"hourly":2.5,"daily":null,"total":100}',
      'POST /api/breakers/coder%2Fopenai/reset {}',
      'GET /api/agents/re%20s ',
      'GET /api/logs?agent=coder&since=1h&limit=5 ',
      'GET /api/breakers ',
    ]);
  });

  it('turns error responses into ManagementApiError with the server message', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/api/agents/ghost') return json(res, 404, { error: { message: 'unknown agent "ghost"', code: 'not_found' } });
      json(res, 401, { error: 'bad token' });
    });
    client = new ManagementClient({ baseUrl: url, token: 'wrong-token-value' });
    const notFound = await client.getAgent('ghost').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ManagementApiError);
    expect(notFound).toMatchObject({ status: 404, code: 'not_found', message: 'unknown agent "ghost"' });
    const denied = await client.getStatus().catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 401 });
    expect((denied as Error).message).toContain('AI_GATEWAY_ADMIN_TOKEN');
    expect((denied as Error).message).not.toContain('wrong-token-value');
  });

  it('reports a gateway that is not running as GatewayNotRunningError', async () => {
    const { url } = await serve(() => {});
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
    client = new ManagementClient({ baseUrl: url });
    const err = await client.getStatus().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayNotRunningError);
    expect((err as Error).message).toContain(url);
    const streamErr = await client.streamLogs({}, () => {}).catch((e: unknown) => e);
    expect(streamErr).toBeInstanceOf(GatewayNotRunningError);
  });

  it('streams log entries over SSE, across chunk boundaries, skipping comments and bad events', async () => {
    const { url, seen } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const first = `data: ${JSON.stringify(entry('1'))}\n\n`;
      res.write(': keep-alive\n\n');
      res.write(first.slice(0, 20));
      setImmediate(() => {
        res.write(first.slice(20));
        res.write('data: {not json\n\n');
        res.write(`event: log\ndata: ${JSON.stringify(entry('2'))}\n\n`);
        res.write(`event: other\ndata: ${JSON.stringify(entry('3'))}\n\n`);
        res.end();
      });
    });
    client = new ManagementClient({ baseUrl: url, token: 't' });
    const got: string[] = [];
    await client.streamLogs({ agent: 'a', status: '5xx' }, (e) => got.push(e.id));
    expect(got).toEqual(['1', '2']);
    expect(seen[0]).toMatchObject({ url: '/api/logs/stream?agent=a&status=5xx', authorization: 'Bearer t' });
  });

  it('stops streaming quietly when aborted', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify(entry('1'))}\n\n`);
      // and keeps the connection open
    });
    client = new ManagementClient({ baseUrl: url });
    const abort = new AbortController();
    const got: string[] = [];
    await client.streamLogs({}, (e) => {
      got.push(e.id);
      abort.abort();
    }, abort.signal);
    expect(got).toEqual(['1']);
  });
});
