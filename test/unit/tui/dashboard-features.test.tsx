/**
 * The dashboard's daily-use features, rendered with ink-testing-library against a fake source: the provider column
 * and fallbacks, folded rejections, a frozen and scrolled log, the request detail and its clipboard copy, the
 * stored-history search, spend by model, sorting, alert banners and the bell, and the agent's last error.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { osc52 } from '../../../src/tui/request-detail.js';
import type { LogEntry, RequestDetail, UsageReport } from '../../../src/live/snapshot.js';
import { KEYS, renderApp, type RenderedApp, sampleSnapshot, T0 } from './helpers.js';

let app: RenderedApp | undefined;
afterEach(() => {
  app?.unmount();
  app = undefined;
});

const lines = (frame: string): string[] => frame.split('\n');
/** Rows of the log panel (side by side at 120 columns: the part right of the breakers). */
const logRows = (frame: string): string[] => {
  const all = lines(frame);
  const top = all.findIndex((l) => l.includes('─ Log '));
  const rows: string[] = [];
  for (const l of all.slice(top + 1)) {
    if (l.includes('└')) break;
    rows.push(l.slice(l.lastIndexOf('││') + 3, -1).trimEnd());
  }
  return rows.filter((r) => r.trim() !== '');
};
const logTitle = (frame: string): string => lines(frame).find((l) => l.includes('─ Log ')) ?? '';

function entry(partial: Partial<LogEntry> & { id: string; ts: number }): LogEntry {
  return {
    agent: 'coder',
    model: 'gpt-4o',
    provider: 'sim-openai',
    status: 200,
    tokensIn: 100,
    tokensOut: 20,
    costUsd: 0.0005,
    latencyMs: 120,
    stream: false,
    estimated: false,
    ...partial,
  };
}

const DETAIL: RequestDetail = {
  id: 'r4',
  ts: T0 - 1000,
  agent: 'researcher',
  provider: 'anthropic',
  fallbackFrom: 'flaky',
  attempts: 3,
  model: 'claude-sonnet-4-5',
  upstreamModel: 'claude-sonnet-4-5-20250929',
  clientFormat: 'openai-chat',
  upstreamFormat: 'anthropic-messages',
  path: '/v1/chat/completions',
  status: 200,
  errorCode: null,
  errorMessage: null,
  stream: true,
  ttfbMs: 310,
  latencyMs: 820,
  tokens: { input: 1000, cacheRead: 200, cacheWrite: 0, output: 340, reasoning: 100 },
  cost: { totalUsd: 0.0087, input: 0.003, cacheRead: 0.0006, cacheWrite: 0, output: 0.0051, reasoning: 0.0015, priceVersion: 'genai-prices@0.1.8', estimated: false },
  dropped: ['n', 'logprobs'],
  adjusted: ['max_completion_tokens:32000->16384'],
  bytesIn: 1200,
  bytesOut: 3400,
};

describe('log lines', () => {
  it('name the provider, and mark a fallback with the provider it stood in for', async () => {
    const snapshot = sampleSnapshot();
    snapshot.recent.push(entry({ id: 'fb', ts: T0 - 500, agent: 'summarizer', provider: 'sim-openai', fallbackFrom: 'flaky', model: 'gpt-4.1-mini', attempts: 3 }));
    app = await renderApp({ snapshot, columns: 150, rows: 30 });
    const rows = logRows(app.lastFrame());
    expect(rows[0]).toMatch(/summarizer +flaky↩sim-openai +gpt-4\.1-mini +200/);
    expect(rows.find((r) => r.includes('researcher'))).toMatch(/researcher +anthropic +claude-sonnet-4-5 +200/);
    // At 120 columns the column is narrower: the mark and the answering provider stay.
    app.unmount();
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    expect(logRows(app.lastFrame())[0]).toMatch(/summarizer ↩sim-ope… gpt-4\.1-mi… 200/);
    // The upstream requests it took (retries and the fallback) are flagged when more than one.
    app.unmount();
    app = await renderApp({ snapshot, columns: 220, rows: 30 });
    const wide = logRows(app.lastFrame());
    expect(wide[0]).toMatch(/120ms +attempts:3$/);
    expect(wide.find((r) => r.includes('researcher'))).not.toContain('attempts');
  });

  it('fold a run of the same rejection into one line with its count, and show the error text of failures', async () => {
    const snapshot = sampleSnapshot();
    snapshot.recent = [
      ...Array.from({ length: 12 }, (_, i) => entry({ id: `b${i}`, ts: T0 - 10_000 + i, status: 429, errorCode: 'budget_exceeded', costUsd: null })),
      entry({ id: 'ok', ts: T0 - 5000 }),
      entry({ id: 'x1', ts: T0 - 4000, status: 429, errorCode: 'budget_exceeded', costUsd: null }),
      entry({ id: 'x2', ts: T0 - 3000, status: 429, errorCode: 'rate_limited', costUsd: null }),
      entry({ id: 'u', ts: T0 - 2000, agent: 'default', status: 502, errorCode: 'upstream_unreachable', errorMessage: 'getaddrinfo ENOTFOUND api.example.invalid', costUsd: null }),
    ];
    app = await renderApp({ snapshot, columns: 150, rows: 30 });
    const rows = logRows(app.lastFrame());
    expect(rows).toHaveLength(5);
    // The error text follows as far as the line goes.
    expect(rows[0]).toMatch(/502 upstream_unreachable 120ms +geta…$/);
    expect(rows[1]).toMatch(/429 rate_limited 120ms$/);
    expect(rows[2]).toMatch(/429 budget_exceeded 120ms$/);
    expect(rows[3]).toContain('200');
    expect(rows[4]).toMatch(/429 budget_exceeded ×12 120ms$/);
  });
});

describe('the log panel', () => {
  it('f freezes the log: it stops moving, says how many arrived, and f again shows them', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    const before = logRows(app.lastFrame());
    await app.press('f');
    expect(logTitle(app.lastFrame())).toContain('‖ frozen');
    app.source.update((s) => ({ ...s, recent: [...s.recent, entry({ id: 'n1', ts: T0 + 1000 }), entry({ id: 'n2', ts: T0 + 2000, agent: 'reviewer' })] }));
    await app.tick();
    expect(logRows(app.lastFrame())).toEqual(before);
    expect(logTitle(app.lastFrame())).toContain('‖ frozen · 2 new');
    await app.press('f');
    expect(logTitle(app.lastFrame())).not.toContain('frozen');
    expect(logRows(app.lastFrame())[0]).toContain('reviewer');
  });

  it('tab gives the log focus; ↑↓ and PgUp/PgDn move through it, and the selection stays on its line as new ones arrive', async () => {
    const snapshot = sampleSnapshot();
    snapshot.recent = Array.from({ length: 40 }, (_, i) => entry({ id: `e${i}`, ts: T0 - 100_000 + i * 1000, agent: `agent-${String(i).padStart(2, '0')}` }));
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    const selected = (): string => logRows(app!.lastFrame()).find((r) => r.startsWith('▸')) ?? '';
    expect(selected()).toBe('');
    await app.press(KEYS.tab);
    expect(selected()).toContain('agent-39');
    await app.press(KEYS.down, 'j');
    expect(selected()).toContain('agent-37');
    await app.press(KEYS.pageDown);
    const paged = selected();
    expect(paged).toMatch(/agent-(\d\d)/);
    expect(Number(/agent-(\d\d)/.exec(paged)?.[1])).toBeLessThan(30);
    // The selected line stays selected and in view while newer lines arrive above it.
    app.source.update((s) => ({ ...s, recent: [...s.recent, entry({ id: 'late', ts: T0 + 5000, agent: 'latecomer' })] }));
    await app.tick();
    expect(selected()).toBe(paged);
    await app.press(KEYS.pageUp, KEYS.pageUp, KEYS.up);
    expect(selected()).toContain('latecomer');
    // Agents keep their own selection: tab twice more brings the focus back there.
    await app.press(KEYS.tab, KEYS.tab, 'j');
    expect(app.lastFrame()).toContain('▸ default');
  });

  it('a filter applied with ⏎ asks the stored history and shows what it found beside what memory holds', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    const old = entry({ id: 'old', ts: T0 - 86_400_000, agent: 'coder', status: 502, errorCode: 'upstream_timeout', costUsd: null });
    let answer: (entries: LogEntry[]) => void = () => {};
    app.source.actions.searchLogs.mockImplementationOnce(() => new Promise<LogEntry[]>((resolve) => (answer = resolve)));
    await app.press('/', 'c', 'o', 'd', 'e', 'r', KEYS.enter);
    expect(app.source.actions.searchLogs).toHaveBeenCalledWith('coder');
    expect(logTitle(app.lastFrame())).toContain('/coder (1, searching history…)');
    answer([old, sampleSnapshot().recent.find((e) => e.id === 'r3')!]);
    await app.tick();
    const rows = logRows(app.lastFrame());
    expect(logTitle(app.lastFrame())).toContain('/coder (2)');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatch(/coder .* 502 upstream_timeout/);
    // esc while editing clears the filter and the history's answer.
    await app.press('/', KEYS.esc);
    expect(logRows(app.lastFrame())).toHaveLength(4);
  });
});

describe('request detail', () => {
  it('⏎ on a log line opens the request in full; c copies its id through OSC 52; esc goes back', async () => {
    app = await renderApp({ columns: 160, rows: 30 });
    app.source.actions.requestDetail.mockResolvedValueOnce(DETAIL);
    await app.press(KEYS.tab, KEYS.enter);
    expect(app.source.actions.requestDetail).toHaveBeenCalledWith('r4');
    await app.tick();
    const f = app.lastFrame();
    expect(f).toContain('Request · r4');
    expect(f).toMatch(/id +r4 .* agent researcher/);
    expect(f).toMatch(/route +anthropic \(fallback for flaky\) · model claude-sonnet-4-5 → claude-sonnet-4-5-20250929 · openai-chat → anthropic-messages · \/v1\/chat\/completions/);
    expect(f).toMatch(/status +200/);
    expect(f).toMatch(/time +ttfb 310ms · latency 820ms · streamed · 3 attempts/);
    expect(f).toMatch(/tokens +input 1,000 · cache read 200 · cache write 0 · output 340 \(reasoning 100\)/);
    expect(f).toMatch(/cost +\$0\.0087 = input \$0\.003 \+ cache read \$0\.0006 \+ output \$0\.0051 \(reasoning \$0\.0015\)/);
    expect(f).toMatch(/priced +prices genai-prices@0\.1\.8/);
    expect(f).toMatch(/dropped +n, logprobs/);
    expect(f).toMatch(/adjusted +max_completion_tokens:32000->16384/);
    expect(f).toMatch(/error +none/);
    await app.press('c');
    expect(app.signals).toEqual([`\u001B]52;c;${Buffer.from('r4').toString('base64')}\u0007`]);
    expect(osc52('r4')).toBe('\u001B]52;c;cjQ=\u0007');
    expect(app.lastFrame()).toContain('copied r4 to the clipboard');
    await app.press(KEYS.esc);
    expect(app.lastFrame()).not.toContain('Request · r4');
    expect(app.lastFrame()).toContain('─ Log');
  });

  it('names the routing rule that chose the model', async () => {
    app = await renderApp({ columns: 160, rows: 30 });
    app.source.actions.requestDetail.mockResolvedValueOnce({ ...DETAIL, fallbackFrom: null, model: 'claude-3-5-haiku-20241022', upstreamModel: 'gpt-4o-mini', routeRule: 'background' });
    await app.press(KEYS.tab, KEYS.enter);
    await app.tick();
    expect(app.lastFrame()).toMatch(/route +anthropic · model claude-3-5-haiku-20241022 → gpt-4o-mini \(rule background\) · openai-chat/);
  });

  it('shows a failed request\'s error text, and says so when the gateway no longer has the request', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    app.source.actions.requestDetail.mockResolvedValueOnce({
      ...DETAIL,
      id: 'r1',
      provider: 'openai',
      fallbackFrom: null,
      status: 502,
      errorCode: 'upstream_unreachable',
      errorMessage: 'provider openai is unreachable: getaddrinfo ENOTFOUND api.example.invalid',
      ttfbMs: null,
      tokens: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 },
      cost: { ...DETAIL.cost, totalUsd: null, input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, priceVersion: null },
      dropped: [],
      adjusted: [],
    });
    await app.press(KEYS.tab, KEYS.down, KEYS.down, KEYS.down, KEYS.enter);
    await app.tick();
    const f = app.lastFrame();
    expect(f).toMatch(/status +502 upstream_unreachable/);
    expect(f).toMatch(/error +provider openai is unreachable: getaddrinfo ENOTFOUND api\.example\.invalid/);
    expect(f).toMatch(/time +ttfb — · latency/);
    expect(f).toMatch(/cost +unpriced \(the model has no price\)/);
    await app.press(KEYS.esc, KEYS.enter);
    await app.tick();
    expect(app.lastFrame()).toContain('the gateway has no request r1');
  });
});

describe('spend by model and provider', () => {
  it('m shows the last hour and today per provider and per model, refreshing while open', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    const report: UsageReport = {
      now: T0,
      dayFrom: T0 - 12 * 3_600_000,
      hour: [
        { provider: 'anthropic', model: 'claude-sonnet-4-5', calls: 40, errors: 1, tokensIn: 120_000, tokensOut: 9_000, costUsd: 0.5, unpricedCalls: 0 },
        { provider: 'sim-openai', model: 'gpt-4o', calls: 10, errors: 0, tokensIn: 1_000, tokensOut: 200, costUsd: 0.02, unpricedCalls: 0 },
      ],
      day: [
        { provider: 'anthropic', model: 'claude-sonnet-4-5', calls: 400, errors: 3, tokensIn: 1_200_000, tokensOut: 90_000, costUsd: 5.25, unpricedCalls: 0 },
        { provider: 'anthropic', model: 'claude-haiku-4-5', calls: 50, errors: 0, tokensIn: 50_000, tokensOut: 4_000, costUsd: 0.25, unpricedCalls: 0 },
        { provider: 'sim-openai', model: 'gpt-4o', calls: 100, errors: 2, tokensIn: 10_000, tokensOut: 2_000, costUsd: 0.2, unpricedCalls: 0 },
        { provider: 'ollama', model: 'llama3.1:8b', calls: 7, errors: 0, tokensIn: 700, tokensOut: 70, costUsd: 0, unpricedCalls: 7 },
      ],
    };
    app.source.actions.usage.mockResolvedValue(report);
    await app.press('m');
    await app.tick();
    const f = app.lastFrame();
    expect(f).toContain('Spend by provider');
    expect(f).toContain('── last hour');
    expect(f).toContain('── today');
    const row = (text: string): string => lines(f).find((l) => l.includes(text)) ?? '';
    expect(row('│ anthropic ')).toMatch(/anthropic +40 +120k \/ 9k +\$0\.50 +1 +450 +1\.3M \/ 94k +\$5\.50 +3/);
    expect(row('│ ollama')).toMatch(/ollama +— +7 +700 \/ 70 +unpriced +0/);
    expect(row('claude-haiku-4-5 · anthropic')).toMatch(/— +50 +50k \/ 4k +\$0\.25 +0/);
    expect(row('gpt-4o · sim-openai')).toMatch(/10 +1k \/ 200 +\$0\.02 +0 +100 +10k \/ 2k +\$0\.20 +2/);
    const calls = app.source.actions.usage.mock.calls.length;
    app.clock.advance(5000);
    app.source.update((s) => ({ ...s }));
    await app.tick(1000);
    expect(app.source.actions.usage.mock.calls.length).toBeGreaterThan(calls);
    await app.press('m');
    expect(app.lastFrame()).not.toContain('Spend by provider');
  });
});

describe('agents table', () => {
  it('s cycles the sort: name, spend today, calls, errors, status; the header says which', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    const ids = new Set(sampleSnapshot().agents.map((a) => a.id));
    const order = (): string[] =>
      lines(app!.lastFrame())
        .map((l) => /^│ [▸ ] (\S+) /.exec(l)?.[1])
        .filter((id): id is string => id !== undefined && ids.has(id));
    const title = (): string => lines(app!.lastFrame()).find((l) => l.includes('─ Agents')) ?? '';
    const header = (): string => lines(app!.lastFrame()).find((l) => l.includes('STATUS')) ?? '';
    expect(order()).toEqual(['coder', 'default', 'local-eval', 'researcher', 'reviewer']);
    expect(title()).toContain('by name');
    expect(header()).toContain('▲AGENT');
    await app.press('s');
    expect(order()).toEqual(['researcher', 'coder', 'reviewer', 'default', 'local-eval']);
    expect(title()).toContain('by spend today');
    expect(header()).toContain('▼TODAY');
    await app.press('s');
    expect(order()).toEqual(['researcher', 'coder', 'reviewer', 'local-eval', 'default']);
    expect(header()).toContain('▼CALLS');
    await app.press('s');
    expect(order()).toEqual(['coder', 'researcher', 'default', 'local-eval', 'reviewer']);
    expect(title()).toContain('by errors');
    await app.press('s');
    expect(order()[0]).toBe('coder');
    expect(order().at(-1)).toBe('local-eval');
    expect(header()).toContain('▲STATUS');
    await app.press('s');
    expect(title()).toContain('by name');
  });

  it('breakers of one agent keep the part that differs when their names are cut', async () => {
    const snapshot = sampleSnapshot();
    snapshot.breakers = [
      { key: 'summarizer:flaky', state: 'open', errorRate: 1, retryInMs: 9000 },
      { key: 'summarizer:sim-openai', state: 'closed', errorRate: 0 },
    ];
    app = await renderApp({ snapshot, columns: 150, rows: 30 });
    let f = app.lastFrame();
    expect(f).toContain('summarizer:flaky ');
    expect(f).toContain('summa…r:sim-openai ');
    app.unmount();
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    f = app.lastFrame();
    expect(f).toContain('summ…r:flaky ');
    expect(f).toContain('…:sim-openai ');
    expect(f).not.toMatch(/summarize…/);
  });
});

describe('alerts on screen', () => {
  it('an alert that arrives shows a banner and rings the bell once; one present at start only shows', async () => {
    const snapshot = sampleSnapshot();
    snapshot.controlEvents.push({ ts: T0 - 30_000, agent: 'reviewer', kind: 'alert', actor: 'budget', detail: 'agent reviewer has used 50% of its hourly budget ($0.50 of $1)', bell: true });
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    expect(lines(app.lastFrame())[2]).toContain('! alert: agent reviewer has used 50% of its hourly budget');
    expect(app.signals).toEqual([]);
    app.source.update((s) => ({
      ...s,
      controlEvents: [...s.controlEvents, { ts: T0 + 1000, agent: 'coder', kind: 'alert', actor: 'budget', detail: 'agent coder has used 80% of its hourly budget ($0.008 of $0.01)', bell: true }],
    }));
    await app.tick();
    expect(lines(app.lastFrame())[2]).toContain('! alert: agent coder has used 80% of its hourly budget');
    expect(app.signals).toEqual(['\u0007']);
    // Nothing new: no second bell.
    app.source.update((s) => ({ ...s }));
    await app.tick();
    expect(app.signals).toEqual(['\u0007']);
    // An alert without the bell channel neither rings nor shows; after five minutes the banner goes.
    app.source.update((s) => ({ ...s, controlEvents: [...s.controlEvents, { ts: T0 + 2000, agent: 'x', kind: 'alert', actor: 'budget', detail: 'quiet one' }] }));
    await app.tick();
    expect(app.signals).toHaveLength(1);
    expect(app.lastFrame()).not.toContain('quiet one');
    app.clock.advance(6 * 60_000);
    app.source.update((s) => ({ ...s }));
    await app.tick();
    expect(app.lastFrame()).not.toContain('! alert:');
  });
});

describe('agent detail', () => {
  it('shows the agent\'s last error and its reason', async () => {
    const snapshot = sampleSnapshot();
    const coder = snapshot.agents.find((a) => a.id === 'coder')!;
    coder.lastError = { ts: T0 - 4000, status: 502, code: 'upstream_unreachable', message: 'provider sim-openai is unreachable: getaddrinfo ENOTFOUND sim.invalid' };
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    await app.press(KEYS.enter);
    expect(app.lastFrame()).toMatch(/last error \d\d:\d\d:\d\d 502 upstream_unreachable provider sim-openai is unreachable: getaddrinfo ENOTFOUND sim\.invalid/);
    await app.press(KEYS.esc, 'j', KEYS.enter);
    expect(app.lastFrame()).toContain('Agent · default');
    expect(app.lastFrame()).toContain('no errors');
  });
});
