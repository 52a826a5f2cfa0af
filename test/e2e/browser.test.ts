/**
 * A real browser against a real gateway: headless Chromium opens a page served from another localhost port, and
 * the page tries to spend through the gateway the way an attacker's page would, with a `no-cors` POST of a blob
 * (no content type, no preflight) and a CORS JSON POST. The fake provider must receive nothing, while the gateway's
 * audit shows both attempts arrived and were refused. A page from a listed origin, by contrast, gets its answer and
 * can read the exposed headers. Skipped, with a message, where Chromium is not installed (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (CHROMIUM === undefined) console.warn('[browser e2e] skipped: Chromium is not installed (.ci/run installs it; or apt-get install chromium)');

const CHAT = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'spend the owner’s key' }] });

/** A page that runs `script` (with GATEWAY defined) and reports its outcome to its own server at /report. */
function page(gateway: string, script: string): string {
  return `<!doctype html><meta charset="utf-8"><title>page</title><script>
const GATEWAY = ${JSON.stringify(gateway)};
const report = (what) => fetch('/report', { method: 'POST', body: JSON.stringify(what) });
(async () => { try { await report(await (${script})()); } catch (e) { await report({ thrown: String(e) }); } })();
</script>`;
}

const ATTACK = `async () => {
  const out = {};
  // What a cross-site page can send without any CORS permission: no content type, an opaque answer.
  try { const r = await fetch(GATEWAY + '/v1/chat/completions', { mode: 'no-cors', method: 'POST', body: new Blob([${JSON.stringify(CHAT)}]) }); out.noCors = r.type; }
  catch (e) { out.noCors = 'failed: ' + e; }
  // A CORS request with JSON needs a preflight, which an unlisted origin does not pass.
  try { await fetch(GATEWAY + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(CHAT)} }); out.cors = 'answered'; }
  catch (e) { out.cors = 'blocked'; }
  return out;
}`;

const FRIENDLY = `async () => {
  const r = await fetch(GATEWAY + '/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' }, body: ${JSON.stringify(CHAT)} });
  const body = await r.json();
  return { status: r.status, requestId: r.headers.get('x-request-id'), agent: r.headers.get('x-ai-gateway-agent'), content: body.choices?.[0]?.message?.content ?? null };
}`;

interface PageServer {
  server: Server;
  origin: string;
  reports: unknown[];
}

async function servePage(host: string, html: () => string): Promise<PageServer> {
  const reports: unknown[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/report') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        reports.push(JSON.parse(body) as unknown);
        res.end('ok');
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://${host}:${(server.address() as AddressInfo).port}`, reports };
}

/** Headless Chromium on `url`, with the flags a closed network needs (no background connections). */
function openInChromium(url: string, profile: string): ChildProcess {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
  // Its own process group, so the renderer and helper processes go with it.
  return spawn(CHROMIUM!, [...flags, url], { stdio: 'ignore', detached: true });
}

describe.skipIf(CHROMIUM === undefined)('a web page in a real browser', () => {
  let fake: FakeUpstream;
  let gw: TestGateway;
  let attacker: PageServer;
  let friend: PageServer;
  let profile: string;
  const browsers: ChildProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    let gateway = '';
    attacker = await servePage('127.0.0.1', () => page(gateway, ATTACK));
    friend = await servePage('localhost', () => page(gateway, FRIENDLY));
    gw = await startTestGateway({
      yaml: [
        'gateway:',
        '  embedded_defaults: false',
        `  allowed_origins: ["${friend.origin}"]`,
        'providers:',
        `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-provider-key-0123456789 }`,
        'models:',
        '  "gpt-*": fo',
      ].join('\n'),
    });
    gateway = gw.url;
    profile = mkdtempSync(join(tmpdir(), 'ai-gateway-chromium-'));
  });

  afterAll(async () => {
    for (const b of browsers) {
      if (b.pid === undefined || b.exitCode !== null) continue;
      const gone = new Promise((resolve) => b.once('exit', resolve));
      process.kill(-b.pid, 'SIGKILL');
      await gone;
    }
    await gw?.stop();
    await fake?.close();
    attacker?.server.close();
    friend?.server.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('a cross-site no-cors fetch and a CORS JSON fetch reach the gateway and are refused; the provider gets nothing', async () => {
    browsers.push(openInChromium(attacker.origin, join(profile, 'attacker')));
    await eventually(() => attacker.reports.length > 0, 30_000, 50);
    expect(attacker.reports[0]).toEqual({ noCors: 'opaque', cors: 'blocked' });
    // Both arrived (the POST and the preflight), carrying the page's origin, and were refused before any upstream contact.
    await eventually(() => gw.rows().some((r) => r.error_code === 'origin_not_allowed'), 5_000);
    expect(gw.rows().filter((r) => r.error_code === 'origin_not_allowed').length).toBeGreaterThanOrEqual(2);
    expect(fake.requests).toHaveLength(0);
  });

  it('a page from a listed origin gets its answer and reads the exposed headers', async () => {
    browsers.push(openInChromium(friend.origin, join(profile, 'friend')));
    await eventually(() => friend.reports.length > 0, 30_000, 50);
    expect(friend.reports[0]).toMatchObject({ status: 200, agent: 'default', requestId: expect.stringMatching(/^req_/), content: expect.any(String) });
    expect(fake.requests).toHaveLength(1);
  });
});
