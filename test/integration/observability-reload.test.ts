/**
 * Hot reload through the real file watcher: a valid edit lands while a slow stream is in flight (the stream
 * finishes on the old provider settings, the next requests see the new route, key and rate limit); an invalid
 * edit keeps the running config, records why, and sets the dashboard banner until the file is fixed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEXT, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { deferAfterEach } from './fakes-gateway.js';
import type { ControlRecord } from '../../src/store/index.js';

interface Harness {
  gw: TestGateway;
  dir: string;
  reloads: ControlRecord[];
  /** Rewrites gateway.yaml with this body (the storage block the harness added is kept). */
  write(yaml: string): void;
  /** Resolves when the n-th config_reload event (1-based) has been emitted. */
  reload(n: number): Promise<ControlRecord>;
}

const defer = deferAfterEach();

async function fake(): Promise<FakeUpstream> {
  const f = await startFakeOpenAI();
  defer(() => f.close());
  return f;
}

async function watched(yaml: string): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-reload-'));
  defer(async () => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'gateway.yaml');
  // The harness writes the YAML (plus a storage block) to <dir>/gateway.yaml; the gateway watches that file.
  const gw = await startTestGateway({ yaml, dir, extra: { configPath } });
  defer(() => gw.stop());
  expect(gw.configPath).toBe(configPath);
  const reloads: ControlRecord[] = [];
  gw.gateway.bus.on('control', (e) => {
    if (e.kind === 'config_reload') reloads.push(e);
  });
  return {
    gw,
    dir,
    reloads,
    write: (body) => writeFileSync(configPath, `${body}\nstorage:\n  path: ${JSON.stringify(gw.dbPath)}\n`),
    async reload(n) {
      await eventually(() => reloads.length >= n, 8000);
      return reloads[n - 1]!;
    },
  };
}

async function chat(url: string, agent: string, model: string): Promise<Response> {
  return fetch(`${url}/agents/${agent}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

async function status(url: string): Promise<{ gateway: { configBanner?: string } }> {
  const res = await fetch(`${url}/api/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as { gateway: { configBanner?: string } };
}

/** The text of an OpenAI chat stream, from its content deltas. */
function streamedText(sse: string): string {
  let text = '';
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    const chunk = JSON.parse(line.slice(6)) as { choices?: { delta?: { content?: string } }[] };
    text += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return text;
}

const providers = (a: FakeUpstream, b: FakeUpstream, aKey: string): string =>
  ['providers:', `  fa: { type: openai, base_url: ${a.baseURL}, api_key: ${aKey} }`, `  fb: { type: openai, base_url: ${b.baseURL}, api_key: sk-provider-b-000000 }`].join('\n');

describe('hot reload of the config file', () => {
  it('applies a valid edit mid-stream: the stream completes, later requests see the new route, key and limit', async () => {
    const a = await fake();
    const b = await fake();
    const h = await watched(`${providers(a, b, 'sk-old-key-aaaaaaaa')}\nmodels:\n  "gpt-*": fa\nagents:\n  alice: {}\n`);

    // 10 frames 120 ms apart: about 1.3 s, far longer than the watcher's 200 ms debounce.
    a.queueScenarios({ kind: 'slow_chunks', chunks: 10, delayMs: 120 });
    const res = await fetch(`${h.gw.url}/agents/alice/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let sse = '';
    let finished = false;
    const first = await reader.read();
    sse += decoder.decode(first.value, { stream: true });
    const rest = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        sse += decoder.decode(value, { stream: true });
      }
      finished = true;
    })();

    h.write(
      `${providers(a, b, 'sk-new-key-aaaaaaaa')}\nmodels:\n  gpt-routed: fb\n  "gpt-*": fa\nagents:\n  alice: { rate_limit: 1/min }\n`,
    );
    const event = await h.reload(1);
    expect(finished).toBe(false); // the reload really happened while the stream was open
    expect(event).toMatchObject({ kind: 'config_reload', actor: 'config', newValue: { ok: true } });
    expect(event.reason).toBe(`reloaded ${h.gw.configPath}`);

    await rest;
    expect(streamedText(sse)).toBe(DEFAULT_TEXT);
    expect(sse.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(a.requests[0]?.headers.authorization).toBe('Bearer sk-old-key-aaaaaaaa');

    // New provider key on fa; new route to fb; new rate limit for alice.
    expect((await chat(h.gw.url, 'bob', 'gpt-4o')).status).toBe(200);
    expect(a.lastRequest?.headers.authorization).toBe('Bearer sk-new-key-aaaaaaaa');
    expect((await chat(h.gw.url, 'alice', 'gpt-routed')).status).toBe(200);
    expect(b.requests).toHaveLength(1);
    const limited = await chat(h.gw.url, 'alice', 'gpt-routed');
    expect(limited.status).toBe(429);
    expect(b.requests).toHaveLength(1);

    await eventually(() => h.gw.rows().length === 4);
    const rows = h.gw.rows();
    expect(rows.map((r) => [r.agent, r.provider, r.status])).toEqual([
      ['alice', 'fa', 200],
      ['bob', 'fa', 200],
      ['alice', 'fb', 200],
      ['alice', null, 429],
    ]);
    // The stream that straddled the reload was metered from the provider's usage, not estimated.
    expect(rows[0]).toMatchObject({ stream: 1, input_tokens: 12, output_tokens: 8, estimated: 0 });
    expect(h.gw.controlEvents().filter((e) => e.kind === 'config_reload')).toHaveLength(1);
    expect((await status(h.gw.url)).gateway.configBanner).toBeUndefined();
    expect(h.gw.logs.some((l) => l.includes('"msg":"config reloaded"'))).toBe(true);
  });

  it('keeps the running config on an invalid edit, says why (file, line, path), shows a banner, and recovers', async () => {
    const a = await fake();
    const b = await fake();
    const valid = `${providers(a, b, 'sk-key-aaaaaaaaaaaa')}\nmodels:\n  "gpt-*": fa\nagents:\n  alice: {}\n`;
    const h = await watched(valid);
    const before = h.gw.gateway.config();

    // Line 7 holds the bad rate limit; the route to fb on line 5 must not take effect either.
    h.write(`${providers(a, b, 'sk-key-aaaaaaaaaaaa')}\nmodels:\n  "gpt-*": fb\nagents:\n  alice: { rate_limit: 100/mn }\n`);
    const rejected = await h.reload(1);
    expect(rejected).toMatchObject({ kind: 'config_reload', agent: null, actor: 'config', newValue: { ok: false } });
    expect(rejected.reason).toContain(`${h.gw.configPath}:7:`);
    expect(rejected.reason).toContain('agents.alice.rate_limit');
    expect(rejected.reason).toMatch(/still running the previous config/);
    expect(h.gw.gateway.config()).toBe(before);

    const banner = (await status(h.gw.url)).gateway.configBanner;
    expect(banner).toBe(rejected.reason);
    const stored = h.gw.controlEvents().filter((e) => e.kind === 'config_reload');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ actor: 'config', reason: rejected.reason });
    expect(JSON.parse(String(stored[0]!.new_value))).toEqual({ ok: false });
    const warning = h.gw.logs.find((l) => l.includes('config reload rejected'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', file: h.gw.configPath });
    expect(JSON.parse(warning!).problems).toContain('agents.alice.rate_limit');

    // The old config is still the one in force: no rate limit, route to fa.
    for (let i = 0; i < 3; i++) expect((await chat(h.gw.url, 'alice', 'gpt-4o')).status).toBe(200);
    expect(a.requests).toHaveLength(3);
    expect(b.requests).toHaveLength(0);

    // A YAML syntax error is reported with its line too.
    h.write(`${providers(a, b, 'sk-key-aaaaaaaaaaaa')}\nmodels:\n  "gpt-*": [fa\nagents:\n  alice: {}\n`);
    const syntax = await h.reload(2);
    expect(syntax.newValue).toEqual({ ok: false });
    expect(syntax.reason).toMatch(new RegExp(`${h.gw.configPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+`));
    expect((await status(h.gw.url)).gateway.configBanner).toBe(syntax.reason);
    expect(h.gw.gateway.config()).toBe(before);

    // Fixing the file clears the banner and applies the edit.
    h.write(`${providers(a, b, 'sk-key-aaaaaaaaaaaa')}\nmodels:\n  "gpt-*": fb\nagents:\n  alice: {}\n`);
    const fixed = await h.reload(3);
    expect(fixed.newValue).toEqual({ ok: true });
    expect((await status(h.gw.url)).gateway.configBanner).toBeUndefined();
    expect((await chat(h.gw.url, 'alice', 'gpt-4o')).status).toBe(200);
    expect(b.requests).toHaveLength(1);
  });

  it('ignores a save that does not change the file', async () => {
    const a = await fake();
    const b = await fake();
    const body = `${providers(a, b, 'sk-key-aaaaaaaaaaaa')}\nmodels:\n  "gpt-*": fa\n`;
    const h = await watched(body);
    h.write(body);
    // Nothing may happen, so this waits: well past the 200 ms debounce.
    await new Promise((r) => setTimeout(r, 600));
    expect(h.reloads).toHaveLength(0);
    h.write(body.replace('"gpt-*": fa', '"gpt-*": fb'));
    expect((await h.reload(1)).newValue).toEqual({ ok: true });
  });
});
