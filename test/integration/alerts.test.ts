/**
 * Alerts reach a person: a real webhook receiver on 127.0.0.1 gets exactly one JSON POST per threshold an agent's
 * spend crosses and per `alert` policy firing, with a `text` Slack and Discord show; a fake `notify-send` on PATH
 * records the desktop notifications; each delivery is an `alert` control event in the audit; a restart does not
 * send again what went out; a webhook that fails or hangs is logged, not retried, and never holds up a request.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';

interface Receiver {
  url: string;
  posts: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[];
  /** How the next requests are answered. */
  answer: (res: ServerResponse) => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const posts: Receiver['posts'] = [];
  const receiver: Partial<Receiver> = { posts, answer: (res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok') };
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
      held.push(res);
      receiver.answer?.(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.url = `http://127.0.0.1:${port}/hooks/T000/B000/secret-token`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      for (const res of held) res.destroy();
      server.close(() => resolve());
    });
  return receiver as Receiver;
}

/** $1000 per 1M output tokens: 10 output tokens cost exactly $0.01; input is free. */
const PRICE = 'prices:\n  gpt-alert: { input: 0, output: 1000 }';

let fake: FakeUpstream;
let receiver: Receiver;
let gw: TestGateway | undefined;
let binDir: string;
let notifyLog: string;
const savedEnv = { PATH: process.env['PATH'], NOTIFY_LOG: process.env['NOTIFY_LOG'] };

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setScenario({ kind: 'text', usage: { input: 5, output: 10 } });
  // A notify-send that writes its arguments, one per line, then a separator.
  binDir = mkdtempSync(join(tmpdir(), 'ai-gateway-notify-'));
  notifyLog = join(binDir, 'notify.log');
  const script = join(binDir, 'notify-send');
  writeFileSync(script, '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a" >> "$NOTIFY_LOG"; done\nprintf -- \'---\\n\' >> "$NOTIFY_LOG"\n');
  chmodSync(script, 0o755);
  process.env['PATH'] = `${binDir}${delimiter}${savedEnv.PATH ?? ''}`;
  process.env['NOTIFY_LOG'] = notifyLog;
});

afterAll(async () => {
  process.env['PATH'] = savedEnv.PATH;
  if (savedEnv.NOTIFY_LOG === undefined) delete process.env['NOTIFY_LOG'];
  else process.env['NOTIFY_LOG'] = savedEnv.NOTIFY_LOG;
  await fake.close();
  rmSync(binDir, { recursive: true, force: true });
});

afterEach(async () => {
  await gw?.stop();
  gw = undefined;
  await receiver?.close();
  rmSync(notifyLog, { force: true });
});

function yaml(extra: string[]): string {
  return [
    'gateway: { embedded_defaults: false }',
    'providers:',
    `  fo: { type: openai, base_url: ${fake.baseURL}, api_key: sk-x }`,
    'models:',
    '  "gpt-*": fo',
    PRICE,
    ...extra,
  ].join('\n');
}

async function chat(url: string, agent: string, model = 'gpt-alert'): Promise<number> {
  const res = await fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Notifications notify-send was started with: its argument lists. */
function notifications(): string[][] {
  if (!existsSync(notifyLog)) return [];
  return readFileSync(notifyLog, 'utf8')
    .split('---\n')
    .filter((block) => block !== '')
    .map((block) => block.replace(/\n$/, '').split('\n'));
}

/** Lets setImmediate deliveries and the receiver's answers happen. */
const settle = (ms = 150): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('alerts', () => {
  it('budget thresholds: one webhook POST and one notification per threshold crossed, each an alert event', async () => {
    receiver = await startReceiver();
    gw = await startTestGateway({
      yaml: yaml([
        'agents:',
        '  bot: { budget: { max_cost_per_hour: 0.05 } }',
        `alerts: { budget_thresholds: [0.5, 0.8, 1], webhook: "\${HOOK}", desktop: true, bell: true }`,
      ]),
      env: { HOOK: receiver.url },
    });
    const g = gw;
    // $0.01 a call against $0.05: 20%, 40%, 60% (50% crossed), 80%, 100%; then the budget refuses.
    const statuses: number[] = [];
    const postsAfter: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(await chat(g.url, 'bot'));
      await settle();
      postsAfter.push(receiver.posts.length);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(postsAfter).toEqual([0, 0, 1, 2, 3, 3]);
    await settle(300);
    expect(receiver.posts).toHaveLength(3);

    const texts = receiver.posts.map((p) => p.body['text']);
    expect(texts).toEqual([
      'ai-gateway: agent bot has used 50% of its hourly budget ($0.03 of $0.05)',
      'ai-gateway: agent bot has used 80% of its hourly budget ($0.04 of $0.05)',
      'ai-gateway: agent bot has used its whole hourly budget ($0.05 of $0.05); its calls are refused until there is room',
    ]);
    for (const p of receiver.posts) {
      expect(p.headers['content-type']).toBe('application/json');
      expect(p.body['content']).toBe(p.body['text']);
    }
    expect(receiver.posts[1]?.body['alert']).toEqual({
      kind: 'budget',
      agent: 'bot',
      rule: 'budget:hourly:80%',
      window: 'hourly',
      threshold: 0.8,
      spent_usd: 0.04,
      limit_usd: 0.05,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      gateway: g.url,
    });

    await eventually(() => notifications().length === 3);
    const shown = notifications();
    expect(shown.map((args) => args.at(-1))).toEqual(texts.map((t) => String(t).replace(/^ai-gateway: /, '')));
    expect(shown[0]).toEqual(['--app-name=ai-gateway', '--urgency=normal', 'ai-gateway', expect.stringContaining('50%')]);
    expect(shown[2]?.[1]).toBe('--urgency=critical');

    const alerts = g.controlEvents().filter((e) => e.kind === 'alert');
    expect(alerts.map((e) => [e.agent, e.actor, e.reason])).toEqual(texts.map((t) => ['bot', 'budget', String(t).replace(/^ai-gateway: /, '')]));
    expect(JSON.parse(String(alerts[0]?.new_value))).toMatchObject({ channels: ['webhook', 'desktop', 'bell'], threshold: 0.5, window: 'hourly' });
    // The webhook's address (its path holds a token) appears in no log line.
    expect(g.logs.join('\n')).not.toContain('secret-token');
  });

  it('an alert policy: one POST when it fires, none while it holds; a restart sends nothing already sent', async () => {
    receiver = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-alerts-'));
    const config = yaml([
      'agents:',
      '  flaky: {}',
      '  saver: { budget: { max_cost_per_day: 0.1 } }',
      'policies:',
      '  - { name: noisy, condition: "error_count >= 1", action: alert }',
      `alerts: { webhook: "\${HOOK}", bell: false }`,
    ]);
    try {
      gw = await startTestGateway({ yaml: config, env: { HOOK: receiver.url }, dir });
      fake.setScenario({ kind: 'error', status: 500 });
      expect(await chat(gw.url, 'flaky')).toBe(500);
      await settle();
      expect(await chat(gw.url, 'flaky')).toBe(500);
      fake.setScenario({ kind: 'text', usage: { input: 5, output: 10 } });
      // saver: $0.06 of $0.10 a day crosses 50%.
      for (let i = 0; i < 6; i++) expect(await chat(gw.url, 'saver')).toBe(200);
      await settle(300);
      expect(receiver.posts.map((p) => p.body['text'])).toEqual([
        'ai-gateway: agent flaky: policy noisy fired (error_count >= 1)',
        'ai-gateway: agent saver has used 50% of its daily budget ($0.05 of $0.10)',
      ]);
      expect(receiver.posts[0]?.body['alert']).toMatchObject({ kind: 'policy', agent: 'flaky', rule: 'policy:noisy', policy: 'noisy', condition: 'error_count >= 1' });
      const events = gw.controlEvents().filter((e) => e.kind === 'alert');
      expect(events.map((e) => [e.agent, e.actor])).toEqual([
        ['flaky', 'policy:noisy'],
        ['saver', 'budget'],
      ]);
      expect(JSON.parse(String(events[0]?.new_value)).channels).toEqual(['webhook']);
      await gw.stop();

      // Same day, same database: saver spends on within the 50% band; nothing is sent again.
      gw = await startTestGateway({ yaml: config, env: { HOOK: receiver.url }, dir });
      expect(await chat(gw.url, 'saver')).toBe(200);
      await settle(300);
      expect(receiver.posts).toHaveLength(2);
      // Crossing 80% is new.
      expect(await chat(gw.url, 'saver')).toBe(200);
      await eventually(() => receiver.posts.length === 3);
      expect(receiver.posts[2]?.body['text']).toBe('ai-gateway: agent saver has used 80% of its daily budget ($0.08 of $0.10)');
    } finally {
      await gw?.stop();
      gw = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a webhook that fails or hangs is logged once, not retried, and never holds up a request', async () => {
    receiver = await startReceiver();
    let answers = 0;
    receiver.answer = (res) => {
      answers += 1;
      // The first call gets a 500; the second is never answered.
      if (answers === 1) res.writeHead(500).end('boom');
    };
    gw = await startTestGateway({
      yaml: yaml(['agents:', '  bot: { budget: { max_cost_per_hour: 0.02 } }', `alerts: { webhook: "\${HOOK}", webhook_timeout: 300ms }`]),
      env: { HOOK: receiver.url },
    });
    const g = gw;
    expect(await chat(g.url, 'bot')).toBe(200);
    await settle();
    const started = Date.now();
    expect(await chat(g.url, 'bot')).toBe(200);
    expect(Date.now() - started).toBeLessThan(300);
    await eventually(() => g.logs.filter((l) => l.includes('alert webhook failed')).length === 2, 3000);
    const failures = g.logs.filter((l) => l.includes('alert webhook failed'));
    expect(failures[0]).toContain('the webhook answered 500');
    expect(failures[1]).toContain('the webhook did not answer within 300 ms');
    for (const line of failures) expect(line).not.toContain('secret-token');
    await settle(500);
    expect(receiver.posts).toHaveLength(2);
    expect(g.controlEvents().filter((e) => e.kind === 'alert')).toHaveLength(2);
  });
});
