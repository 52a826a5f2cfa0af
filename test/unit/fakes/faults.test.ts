// Faults, scenario selection, validation and request recording, seen from a plain HTTP client.
import { afterEach, describe, expect, it } from 'vitest';
import {
  scenarioDirective,
  scenarioHeaders,
  startFakeAnthropic,
  startFakeOpenAI,
  type FakeServerOptions,
  type FakeUpstream,
  type Scenario,
} from '../../fakes/index.js';

const open: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((f) => f.close()));
});

async function openai(opts: FakeServerOptions = {}): Promise<FakeUpstream> {
  const f = await startFakeOpenAI(opts);
  open.push(f);
  return f;
}
async function anthropic(opts: FakeServerOptions = {}): Promise<FakeUpstream> {
  const f = await startFakeAnthropic(opts);
  open.push(f);
  return f;
}

function chatInit(body: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], ...body }),
    ...(signal ? { signal } : {}),
  };
}
const chat = (f: FakeUpstream, body: Record<string, unknown> = {}, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> =>
  fetch(`${f.baseURL}/chat/completions`, chatInit(body, headers, signal));

const messagesInit = (body: Record<string, unknown> = {}, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
  body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...body }),
});

/** A sleep the test releases by hand, so slow streams never depend on wall-clock time. */
function manualSleep(): { sleep: (ms: number) => Promise<void>; calls: number[]; release: () => void } {
  const calls: number[] = [];
  let wake: Array<() => void> = [];
  return {
    calls,
    sleep: (ms) => {
      calls.push(ms);
      return new Promise<void>((resolve) => wake.push(resolve));
    },
    release: () => {
      const w = wake;
      wake = [];
      for (const f of w) f();
    },
  };
}

describe('scenario selection', () => {
  it('header beats directive beats queue beats default', async () => {
    const f = await openai({ scenario: { kind: 'text', text: 'default' } });
    f.queueScenarios({ kind: 'text', text: 'queued' });
    const text = async (res: Response): Promise<string> =>
      ((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content ?? '';

    const viaHeader = await chat(f, {}, scenarioHeaders({ kind: 'text', text: 'header' }));
    expect(await text(viaHeader)).toBe('header');
    const directive = `${scenarioDirective({ kind: 'text', text: 'directive' })} hi`;
    expect(await text(await chat(f, { messages: [{ role: 'user', content: directive }] }))).toBe('directive');
    expect(await text(await chat(f))).toBe('queued');
    expect(await text(await chat(f))).toBe('default');
    expect(f.requests.map((r) => (r.scenario?.kind === 'text' ? r.scenario.text : null))).toEqual(['header', 'directive', 'queued', 'default']);
  });

  it('echo strips the directive from the text it returns', async () => {
    const f = await anthropic();
    const res = await fetch(`${f.url}/v1/messages`, messagesInit({ messages: [{ role: 'user', content: `${scenarioDirective('echo')} ping` }] }));
    expect(((await res.json()) as { content: Array<{ text: string }> }).content[0]?.text).toBe('ping');
  });

  it('an unparseable scenario header is a 400 in the provider shape', async () => {
    const f = await anthropic();
    const res = await fetch(`${f.url}/v1/messages`, messagesInit({}, { 'x-fake-scenario': '{"kind":"nope"}' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('queued scenarios are not used by non-generation endpoints', async () => {
    const f = await openai();
    f.queueScenarios({ kind: 'error', status: 500 });
    expect((await fetch(`${f.baseURL}/models`)).status).toBe(200);
    expect((await chat(f)).status).toBe(500);
  });

  it('a default error scenario applies to every endpoint', async () => {
    const f = await anthropic({ scenario: { kind: 'error', status: 529 } });
    expect((await fetch(`${f.url}/v1/models`)).status).toBe(529);
    expect((await fetch(`${f.url}/v1/messages/count_tokens`, messagesInit())).status).toBe(529);
  });
});

describe('validation like the real APIs', () => {
  it('OpenAI: unparseable body, missing messages, stream_options without stream, unknown path', async () => {
    const f = await openai();
    const bad = await fetch(`${f.baseURL}/chat/completions`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/could not parse the JSON body/);
    const noMessages = await fetch(`${f.baseURL}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'x' }) });
    expect(await noMessages.json()).toMatchObject({ error: { param: 'messages', code: 'missing_required_parameter' } });
    const opts = await chat(f, { stream_options: { include_usage: true } });
    expect(opts.status).toBe(400);
    const unknown = await fetch(`${f.baseURL}/engines/davinci/completions`, { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { message: 'Invalid URL (POST /v1/engines/davinci/completions)' } });
    expect(f.requests.every((r) => r.scenario === null)).toBe(true);
  });

  it('Anthropic: anthropic-version and max_tokens are required', async () => {
    const f = await anthropic();
    const noVersion = await fetch(`${f.url}/v1/messages`, { ...messagesInit(), headers: { 'content-type': 'application/json' } });
    expect(await noVersion.json()).toMatchObject({ error: { message: 'anthropic-version: header is required' } });
    const noMax = await fetch(`${f.url}/v1/messages`, messagesInit({ max_tokens: undefined }));
    expect(noMax.status).toBe(400);
    expect(await noMax.json()).toMatchObject({ error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
  });

  it('validate:false lets anything through', async () => {
    const f = await anthropic({ validate: false });
    const res = await fetch(`${f.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ messages: [] }) });
    expect(res.status).toBe(200);
  });
});

describe('faults', () => {
  it('timeout_before_headers never answers; a client abort is recorded', async () => {
    const f = await openai({ scenario: 'timeout_before_headers' });
    const ctl = new AbortController();
    const pending = chat(f, {}, {}, ctl.signal);
    await f.waitForRequests(1);
    ctl.abort();
    await expect(pending).rejects.toThrow();
    const rec = await f.whenSettled(0);
    expect(rec).toMatchObject({ status: null, aborted: true, completed: false, resetByServer: false });
  });

  it('stall_body sends headers and the first frames, then nothing; abort is recorded', async () => {
    const f = await anthropic({ scenario: { kind: 'stall_body', afterFrames: 3 } });
    const ctl = new AbortController();
    const res = await fetch(`${f.url}/v1/messages`, { ...messagesInit({ stream: true }), signal: ctl.signal });
    expect(res.status).toBe(200);
    const reader = res.body?.getReader();
    let got = '';
    while (!got.includes('event: ping')) {
      const { value } = (await reader?.read()) ?? {};
      got += Buffer.from(value ?? new Uint8Array()).toString('utf8');
    }
    expect(got.match(/^event: /gm)).toHaveLength(3); // message_start, content_block_start, ping
    ctl.abort();
    const rec = await f.whenSettled(0);
    expect(rec.aborted).toBe(true);
    expect(rec.responseBytes.toString('utf8')).toBe(got);
  });

  it('stall_body on a non-stream request announces the full length and sends half', async () => {
    const f = await openai({ scenario: 'stall_body' });
    const ctl = new AbortController();
    const res = await chat(f, {}, {}, ctl.signal);
    const announced = Number(res.headers.get('content-length'));
    await f.waitForRequests(1);
    expect(f.requests[0]?.responseBytes.length).toBe(Math.floor(announced / 2));
    ctl.abort();
    expect((await f.whenSettled(0)).aborted).toBe(true);
  });

  it('reset_before destroys the socket before any byte', async () => {
    const f = await openai({ scenario: 'reset_before' });
    await expect(chat(f)).rejects.toThrow(/fetch failed/);
    const rec = await f.whenSettled(0);
    expect(rec).toMatchObject({ status: null, resetByServer: true, aborted: false, completed: false });
  });

  it('reset_mid_stream sends headers and frames, then the read fails', async () => {
    const f = await openai({ scenario: { kind: 'reset_mid_stream', afterFrames: 2 } });
    const res = await chat(f, { stream: true });
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    const rec = await f.whenSettled(0);
    expect(rec.resetByServer).toBe(true);
    expect(rec.responseBytes.toString('utf8').match(/^data: /gm)).toHaveLength(2);
  });

  it('malformed_sse sends non-SSE bytes and no terminal event', async () => {
    const f = await openai({ scenario: 'malformed_sse' });
    const text = await (await chat(f, { stream: true })).text();
    expect(text).toContain('<html>');
    expect(text).not.toContain('[DONE]');
    const g = await anthropic({ scenario: 'malformed_sse' });
    const atext = await (await fetch(`${g.url}/v1/messages`, messagesInit({ stream: true }))).text();
    expect(atext).toContain('<html>');
    expect(atext).not.toContain('message_stop');
  });

  it('malformed_json on a non-stream request sends a truncated body', async () => {
    const f = await anthropic({ scenario: 'malformed_json' });
    const res = await fetch(`${f.url}/v1/messages`, messagesInit());
    await expect(res.json()).rejects.toThrow(SyntaxError);
  });

  it('oversized sends a valid body of the requested size', async () => {
    const f = await openai({ scenario: { kind: 'oversized', bytes: 300_000 } });
    const body = (await (await chat(f)).json()) as { choices: Array<{ message: { content: string } }> };
    expect(body.choices[0]?.message.content).toHaveLength(300_000);
    const streamed = await (await chat(f, { stream: true })).text();
    const content = streamed
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toHaveLength(300_000);
  });

  it('slow_chunks waits between frames using the injected sleep', async () => {
    const calls: number[] = [];
    const f = await openai({ scenario: { kind: 'slow_chunks', chunks: 3 }, sleep: (ms) => (calls.push(ms), Promise.resolve()) });
    const text = await (await chat(f, { stream: true })).text();
    const frames = text.split('\n\n').filter((x) => x.length > 0);
    expect(frames).toHaveLength(6); // role, 3 deltas, finish, [DONE]
    expect(calls).toEqual([250, 250, 250, 250, 250]);
  });

  it('a client leaving mid-stream is recorded as aborted and the fake stops writing', async () => {
    const gate = manualSleep();
    const f = await anthropic({ scenario: { kind: 'text', chunks: 4, delayMs: 10 }, sleep: gate.sleep });
    const ctl = new AbortController();
    const res = await fetch(`${f.url}/v1/messages`, { ...messagesInit({ stream: true }), signal: ctl.signal });
    const reader = res.body?.getReader();
    const first = await reader?.read();
    expect(Buffer.from(first?.value ?? new Uint8Array()).toString('utf8')).toMatch(/^event: message_start/);
    ctl.abort();
    const rec = await f.whenSettled(0);
    gate.release();
    expect(rec).toMatchObject({ aborted: true, completed: false });
    expect(rec.responseBytes.toString('utf8')).not.toContain('message_stop');
  });

  it('close() ends hanging requests without calling them aborted', async () => {
    const f = await startFakeOpenAI({ scenario: 'timeout_before_headers' });
    const pending = chat(f).catch((e: unknown) => e);
    await f.waitForRequests(1);
    await f.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(f.requests[0]).toMatchObject({ settled: true, aborted: false });
  });
});

describe('recorded bytes', () => {
  it('lastResponseBytes is exactly what the client received, stream and not', async () => {
    const f = await openai();
    for (const stream of [true, false]) {
      const received = Buffer.from(await (await chat(f, { stream, stream_options: stream ? { include_usage: true } : undefined })).arrayBuffer());
      expect(f.lastResponseBytes?.equals(received)).toBe(true);
    }
  });

  it('ids are reproducible for the same seed and request order', async () => {
    const a = await openai({ seed: 7, now: () => 1_700_000_000_000 });
    const b = await openai({ seed: 7, now: () => 1_700_000_000_000 });
    await (await chat(a, { stream: true })).text();
    await (await chat(b, { stream: true })).text();
    expect(a.lastResponseBytes?.equals(b.lastResponseBytes ?? Buffer.alloc(0))).toBe(true);
    expect(a.lastResponseBytes?.toString()).toContain('"created":1700000000');
  });

  it('recordResponses:false keeps no bodies', async () => {
    const f = await openai({ recordResponses: false });
    await (await chat(f)).text();
    expect(f.lastResponseBytes?.length).toBe(0);
    expect(f.lastRequest?.completed).toBe(true);
  });
});

describe('bench', () => {
  const bench: Scenario = { kind: 'bench', chunks: 500, chunkSize: 64 };

  it('streams N chunks of the given size, identical bytes on every request', async () => {
    const f = await openai({ scenario: bench });
    const first = Buffer.from(await (await chat(f, { stream: true })).arrayBuffer());
    const second = Buffer.from(await (await chat(f, { stream: true })).arrayBuffer());
    expect(first.equals(second)).toBe(true);
    const deltas = first
      .toString('utf8')
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content)
      .filter((c): c is string => c !== undefined && c.length > 0);
    expect(deltas).toHaveLength(500);
    expect(deltas.every((d) => d.length === 64)).toBe(true);
  });

  it('works for Anthropic too', async () => {
    const f = await anthropic({ scenario: bench });
    const text = await (await fetch(`${f.url}/v1/messages`, messagesInit({ stream: true }))).text();
    expect(text.match(/"type":"text_delta"/g)).toHaveLength(500);
    expect(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
  });
});
