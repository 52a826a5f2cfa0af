import { afterEach, describe, expect, it } from 'vitest';
import { PAUSE_REASON } from '../../../src/tui/app.js';
import type { AgentStatus } from '../../../src/live/snapshot.js';
import { KEYS, renderApp, type RenderedApp, sampleSnapshot } from './helpers.js';

let app: RenderedApp | undefined;
/** Agents are listed by name; researcher is the fourth. */
const toResearcher = (): Promise<void> => app!.press('j', 'j', 'j');
afterEach(() => {
  app?.unmount();
  app = undefined;
});

const lines = (frame: string): string[] => frame.split('\n');
const maxWidth = (frame: string): number => Math.max(...lines(frame).map((l) => Array.from(l).length));
const rowOf = (frame: string, text: string): string => lines(frame).find((l) => l.includes(text)) ?? '';
/** Log panel lines (below the "Log" frame line). */
const logLines = (frame: string): string[] => {
  const all = lines(frame);
  const start = all.findIndex((l) => l.includes('Log ─') || l.includes('─ Log'));
  return all.slice(start + 1);
};

describe('dashboard at 120 columns', () => {
  it('shows the header, every agent column, breakers and the log', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    const f = app.lastFrame();
    expect(f).toContain('ai-gateway 0.3.0');
    expect(f).toContain('http://127.0.0.1:8080');
    expect(f).toContain('up 1h12m');
    expect(f).toContain('today $18.42');
    expect(f).toMatch(/14\.2 req\/s [▁▂▃▄▅▆▇█]+/);
    expect(f).toContain('export OPENAI_BASE_URL=http://127.0.0.1:8080/v1   ANTHROPIC_BASE_URL=http://127.0.0.1:8080');
    expect(f).toContain('TOKENS in/out');
    expect(f).toContain('TOTAL');
    const researcher = rowOf(f, '│   researcher');
    expect(researcher).toMatch(/● active\s+claude-sonnet-4-5\s+1,204\s+2\.1M \/ 310k\s+3\.21 ██████░░░░ 64% of 5\.00\s+8\.10\s+41\.20/);
    expect(rowOf(f, 'coder ')).toMatch(/‖ paused budget\/h\s+gpt-5-mini\s+880/);
    expect(rowOf(f, '   default')).toMatch(/unpriced.*—\s+—/);
    expect(f).toContain('researcher: hourly budget gone in ~33 min (steady)');
    expect(rowOf(f, 'openai ')).toContain('OPEN      retry 12s');
    expect(f).toContain('HALF-OPEN 1/3 probes');
    expect(rowOf(f, '$0.0087')).toMatch(/researcher\s+anthropic\s+claude-son\S*\s+200 1\.2k→340\s+\$0\.0087\s+820ms stream/);
    expect(rowOf(f, 'reviewer   ')).toBeTruthy();
    expect(f).toContain('drop:n');
    expect(rowOf(f, 'budget_exceeded')).toContain('429');
    expect(maxWidth(f)).toBeLessThanOrEqual(120);
    expect(lines(f).length).toBeLessThanOrEqual(29);
  });

  it('warns in the header while the gateway listens on a network address without an admin token, at any width', async () => {
    for (const columns of [120, 80]) {
      const snapshot = sampleSnapshot();
      snapshot.gateway.exposureWarning = 'listening on the network address 0.0.0.0 without gateway.admin_token: …';
      app = await renderApp({ snapshot, columns, rows: 30 });
      const header = lines(app.lastFrame())[0] ?? '';
      expect(header).toContain('⚠ network address, no admin token');
      expect(maxWidth(app.lastFrame())).toBeLessThanOrEqual(columns);
      app.unmount();
    }
    app = await renderApp({ columns: 120, rows: 30 });
    expect(app.lastFrame()).not.toContain('no admin token');
  });

  it('marks partially unpriced spend', async () => {
    const snapshot = sampleSnapshot();
    snapshot.agents[0] = { ...(snapshot.agents[0] as AgentStatus), unpriced: true };
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    expect(rowOf(app.lastFrame(), '│   researcher')).toContain('3.21+?');
  });

  it('shows a storage banner above a config banner, both under the header, and keeps within the rows', async () => {
    const snapshot = sampleSnapshot();
    snapshot.gateway.storageBanner = 'audit database refuses writes (SQLITE_FULL: database or disk is full); 40 rows held in memory, retrying';
    snapshot.gateway.configBanner = 'config gateway.yaml is invalid; still running the previous config';
    app = await renderApp({ snapshot, columns: 120, rows: 30 });
    const f = lines(app.lastFrame());
    const storage = f.findIndex((l) => l.includes('! audit database refuses writes (SQLITE_FULL'));
    const config = f.findIndex((l) => l.includes('! config gateway.yaml is invalid'));
    expect(storage).toBe(2);
    expect(config).toBe(3);
    expect(f.length).toBeLessThanOrEqual(29);
    app.source.update((s) => {
      const gateway = { ...s.gateway };
      delete gateway.storageBanner;
      return { ...s, gateway };
    });
    await app.tick(100);
    expect(app.lastFrame()).not.toContain('audit database refuses writes');
  });

  it('shows a banner while shared state (Redis) does not answer, and drops it when it does again', async () => {
    const snapshot = sampleSnapshot();
    snapshot.gateway.sharedState = { status: 'down', onOutage: 'open', since: snapshot.gateway.now, reason: 'connect ECONNREFUSED 10.0.0.5:6379', pending: 3 };
    app = await renderApp({ snapshot, columns: 160, rows: 30 });
    expect(app.lastFrame()).toContain(
      "! shared state down: Redis does not answer (connect ECONNREFUSED 10.0.0.5:6379); serving with this instance's own limits; 3 settlements wait to be written",
    );
    app.source.update((s) => ({ ...s, gateway: { ...s.gateway, sharedState: { status: 'up', onOutage: 'open', since: s.gateway.now, pending: 0 } } }));
    await app.tick(100);
    expect(app.lastFrame()).not.toContain('shared state down');
  });

  it('counts the retry countdown down with the injected clock', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    app.clock.advance(5000);
    app.source.update((s) => s);
    await app.tick(100);
    expect(rowOf(app.lastFrame(), 'openai ')).toContain('retry 7s');
  });
});

describe('dashboard at 80 columns', () => {
  it('drops TOKENS and TOTAL, shortens MODEL, folds breakers above the log, fits 80×24', async () => {
    app = await renderApp({ columns: 80, rows: 24 });
    const f = app.lastFrame();
    expect(maxWidth(f)).toBeLessThanOrEqual(80);
    expect(lines(f).length).toBeLessThanOrEqual(23);
    expect(f).not.toContain('TOKENS');
    expect(f).not.toContain('TOTAL');
    expect(f).not.toContain('41.20');
    expect(rowOf(f, '│   researcher')).toMatch(/claude-sonn[a-z-]*…\s+1,204\s+3\.21 ███░░ 64%\s+8\.10/);
    expect(rowOf(f, '▸ coder ')).toContain('‖ paused budget/h');
    expect(rowOf(f, '   default')).toContain('unpriced');
    // Breakers share lines and come before the log, in one panel.
    const all = lines(f);
    const breakersAt = all.findIndex((l) => l.includes('Breakers'));
    const logAt = all.findIndex((l) => l.includes('─ Log'));
    expect(breakersAt).toBeGreaterThan(0);
    expect(logAt).toBeGreaterThan(breakersAt);
    expect(rowOf(f, 'openai ')).toContain('ollama');
    expect(f).toContain('$0.0087');
    expect(f).toContain('q quit');
  });

  it('follows a resize', async () => {
    app = await renderApp({ columns: 120, rows: 30 });
    expect(app.lastFrame()).toContain('TOKENS');
    await app.resize(80, 24);
    expect(app.lastFrame()).not.toContain('TOKENS');
    expect(maxWidth(app.lastFrame())).toBeLessThanOrEqual(80);
    await app.resize(140, 30);
    expect(app.lastFrame()).toContain('TOKENS');
  });
});

describe('keys', () => {
  it('moves the selection with j/k and the arrows', async () => {
    app = await renderApp();
    // Agents come sorted by name: coder, default, local-eval, researcher, reviewer.
    expect(app.lastFrame()).toContain('▸ coder');
    await app.press('j');
    expect(app.lastFrame()).toContain('▸ default');
    await app.press(KEYS.down, KEYS.down);
    expect(app.lastFrame()).toContain('▸ researcher');
    await app.press('k', KEYS.up);
    expect(app.lastFrame()).toContain('▸ default');
    await app.press('k', 'k', 'k');
    expect(app.lastFrame()).toContain('▸ coder');
  });

  it('p pauses the selected agent, and resumes it once paused', async () => {
    app = await renderApp();
    await toResearcher();
    await app.press('p');
    expect(app.source.actions.pause).toHaveBeenCalledWith('researcher', PAUSE_REASON);
    expect(app.lastFrame()).toContain('researcher paused');
    app.source.update((s) => ({ ...s, agents: s.agents.map((a) => (a.id === 'researcher' ? { ...a, status: 'paused' as const, pauseReason: 'manual' } : a)) }));
    await app.tick();
    expect(rowOf(app.lastFrame(), '▸ researcher')).toContain('‖ paused manual');
    await app.press('p');
    expect(app.source.actions.resume).toHaveBeenCalledWith('researcher');
    expect(app.source.actions.pause).toHaveBeenCalledTimes(1);
  });

  it('reports a failed action in the footer', async () => {
    app = await renderApp();
    app.source.actions.pause.mockRejectedValueOnce(new Error('agent is unknown'));
    await toResearcher();
    await app.press('p');
    expect(app.lastFrame()).toContain('pausing researcher failed: agent is unknown');
  });

  it('/ filters the log as you type; esc clears it; letters are text while filtering', async () => {
    app = await renderApp();
    await app.press('/', 'c', 'o', 'd', 'e', 'r');
    const filtered = logLines(app.lastFrame()).join('\n');
    expect(filtered).toContain('budget_exceeded');
    expect(filtered).not.toContain('$0.0087');
    expect(filtered).not.toContain('upstream_unreachable');
    expect(app.lastFrame()).toContain('/coder▏');
    await app.press('q', 'p');
    expect(app.source.actions.pause).not.toHaveBeenCalled();
    expect(app.lastFrame()).toContain('no requests match /coderqp');
    await app.press(KEYS.backspace, KEYS.backspace, KEYS.enter);
    expect(app.lastFrame()).toContain('/coder (1)');
    await app.press('/', KEYS.esc);
    expect(logLines(app.lastFrame()).join('\n')).toContain('$0.0087');
  });

  it('? toggles help, listing the key table', async () => {
    app = await renderApp();
    await app.press('?');
    expect(app.lastFrame()).toContain('Keys · esc or ? to close');
    expect(app.lastFrame()).toContain('pause/resume');
    await app.press('?');
    expect(app.lastFrame()).not.toContain('Keys · esc or ? to close');
    await app.press('?', KEYS.esc);
    expect(app.lastFrame()).not.toContain('Keys · esc or ? to close');
  });

  it('r resets the first open breaker, or the selected one', async () => {
    app = await renderApp();
    await app.press('r');
    expect(app.source.actions.resetBreaker).toHaveBeenLastCalledWith('openai');
    // Tab moves the focus from the agents to the log, then to the breakers.
    await app.press(KEYS.tab, KEYS.tab, 'j', 'r');
    expect(app.source.actions.resetBreaker).toHaveBeenLastCalledWith('ollama');
  });

  it('enter opens the agent detail, esc goes back', async () => {
    app = await renderApp();
    await app.press(KEYS.enter);
    const f = app.lastFrame();
    expect(f).toContain('Agent · coder');
    expect(f).toContain('paused by budget');
    expect(f).toContain('pause by budget — hourly budget $1.00 reached');
    expect(f).toContain('hourly  $1.00 of $1.00');
    expect(f).toContain('budget_exceeded');
    expect(f).not.toContain('$0.0087');
    await app.press(KEYS.esc);
    expect(app.lastFrame()).toContain('▸ coder');
    expect(app.lastFrame()).not.toContain('Agent · coder');
  });

  it('keys of one read each move from where the previous one left the selection', async () => {
    app = await renderApp();
    await app.send(`j${KEYS.down}${KEYS.down}`);
    expect(app.lastFrame()).toContain('▸ researcher');
    await app.send(`${KEYS.up}${KEYS.up}${KEYS.up}`);
    expect(app.lastFrame()).toContain('▸ coder');
  });

  it('splits a run of plain keys read at once, each acting where the one before left off', async () => {
    app = await renderApp();
    await app.send('jj');
    expect(app.lastFrame()).toContain('▸ local-eval');
    // "/" opens the filter: what follows in the same read is typed into it.
    await app.send('/cod');
    expect(app.lastFrame()).toContain('/cod▏');
    await app.send(`${KEYS.esc}`);
    await app.send('m\t');
    expect(app.lastFrame()).toContain('Spend by provider');
  });

  it('takes a paste in the filter as text', async () => {
    app = await renderApp();
    await app.press('/');
    await app.send('\u001B[200~cod\ner\u001B[201~');
    expect(app.lastFrame()).toContain('/coder▏');
    expect(logLines(app.lastFrame()).join('\n')).not.toContain('$0.0087');
  });

  it('q quits', async () => {
    app = await renderApp();
    await app.press('q');
    expect(app.quitRequested()).toBe(1);
  });
});

describe('budget editor', () => {
  const clear = (n: number): string[] => new Array<string>(n).fill(KEYS.backspace);

  it('rejects "abc" and "-1" inline and saves nothing', async () => {
    app = await renderApp();
    await toResearcher();
    await app.press('b');
    expect(app.lastFrame()).toContain('Budget · researcher');
    expect(app.lastFrame()).toContain('spent 3.21 in the last hour');
    await app.press(...clear(1), 'a', 'b', 'c', KEYS.enter);
    expect(app.lastFrame()).toContain('hourly: "abc" is not a number ≥ 0');
    await app.press(...clear(3), '-', '1', KEYS.enter);
    expect(app.lastFrame()).toContain('hourly: "-1" is not a number ≥ 0');
    expect(app.source.actions.setBudget).not.toHaveBeenCalled();
  });

  it('accepts "2.5", moves with tab, treats empty as no limit, saves on enter', async () => {
    app = await renderApp();
    await toResearcher();
    await app.press('b', ...clear(1), '2', '.', '5', KEYS.tab, ...clear(2), KEYS.tab, KEYS.enter);
    expect(app.source.actions.setBudget).toHaveBeenCalledWith('researcher', { hourly: 2.5, daily: null, total: 100 });
    expect(app.lastFrame()).not.toContain('Budget · researcher');
    expect(app.lastFrame()).toContain('budget of researcher saved');
  });

  it('esc cancels without saving', async () => {
    app = await renderApp();
    await toResearcher();
    await app.press('b', '9', KEYS.esc);
    expect(app.lastFrame()).not.toContain('Budget · researcher');
    expect(app.source.actions.setBudget).not.toHaveBeenCalled();
  });

  it('applies every key of one read in order: fast typing on a busy loop', async () => {
    app = await renderApp();
    await toResearcher();
    // Ink hands these over as "b", "\u007f", "7.25\r" in one tick, before React renders any of them.
    await app.send(`b${KEYS.backspace}7.25${KEYS.tab}${KEYS.backspace}${KEYS.backspace}3\r`);
    expect(app.source.actions.setBudget).toHaveBeenCalledWith('researcher', { hourly: 7.25, daily: 3, total: 100 });
    expect(app.lastFrame()).toContain('budget of researcher saved');
  });

  it('takes a bracketed paste as text for the field: a pasted newline or tab does not save or move', async () => {
    app = await renderApp();
    await toResearcher();
    await app.press('b', ...clear(1));
    await app.send('\u001B[200~12.5\r\n\t\u001B[201~');
    expect(app.lastFrame()).toContain('hourly $[12.5▏');
    expect(app.source.actions.setBudget).not.toHaveBeenCalled();
    await app.send('\u001B[200~q\u001B[201~');
    expect(app.quitRequested()).toBe(0);
    expect(app.lastFrame()).toContain('hourly $[12.5q▏');
    await app.press(KEYS.backspace, KEYS.enter);
    expect(app.source.actions.setBudget).toHaveBeenCalledWith('researcher', { hourly: 12.5, daily: 20, total: 100 });
  });

  it('shows a failed save inline and stays open', async () => {
    app = await renderApp();
    app.source.actions.setBudget.mockRejectedValueOnce(new Error('gateway said no'));
    await toResearcher();
    await app.press('b', KEYS.enter);
    expect(app.lastFrame()).toContain('save failed: gateway said no');
    expect(app.lastFrame()).toContain('Budget · researcher');
  });
});

describe('frame throttling', () => {
  it('renders once for a burst of source updates', async () => {
    app = await renderApp();
    const before = app.frames.length;
    for (let i = 0; i < 500; i++) app.source.update((s) => ({ ...s, gateway: { ...s.gateway, spendTodayUsd: i } }));
    await app.tick(0);
    expect(app.frames.length).toBe(before);
    await app.tick(100);
    expect(app.frames.length - before).toBe(1);
    expect(app.lastFrame()).toContain('today $499.00');
  });
});
