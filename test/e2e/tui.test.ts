/**
 * The dashboard in a real terminal: `ai-gateway --demo` (and `ai-gateway tui --url`) run inside detached
 * tmux sessions; the tests read the screen with capture-pane, press keys with send-keys, and check the
 * effects where an operator would: /api/status over HTTP and the SQLite file. Runs the built CLI
 * (`npm test` builds first). Skipped when tmux is missing (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countRequests, fetchAgent, fetchStatus, readControlEvents } from './helpers/gateway-http.js';
import { freePort, pollUntil } from './helpers/poll.js';
import { HAVE_TMUX, shellQuote, TmuxServer, type TmuxSession } from './helpers/tmux.js';

const PROJECT_DIR = join(import.meta.dirname, '..', '..');
const BIN = join(PROJECT_DIR, 'bin', 'ai-gateway.js');
const BUILT = existsSync(join(PROJECT_DIR, 'dist', 'cli', 'main.js'));
const DEMO_AGENTS = ['coder', 'local-eval', 'researcher', 'reviewer', 'summarizer'];
/** The reason the dashboard gives for a pause made with `p` (src/tui/app.tsx PAUSE_REASON). */
const TUI_PAUSE_REASON = 'paused from the dashboard';
const ESC = '\u001B';
/** Startup of a fresh process (module load, SQLite, first frame) on a busy CI machine. */
const START_TIMEOUT_MS = 20_000;

if (!HAVE_TMUX) console.warn('[tui e2e] skipped: tmux is not installed (.ci/run installs it; or apt-get install tmux)');
else if (!BUILT) console.warn('[tui e2e] skipped: dist/ is not built; run `npm run build` (npm test does)');

/** The agents-table row of one agent: `│ ▸ coder  ‖ paused …` (▸ marks the selection). */
function agentRow(screen: string, id: string): string | undefined {
  return screen.split('\n').find((line) => new RegExp(`^│ [▸ ] ${id} `).test(line));
}

function selectedAgent(screen: string): string | undefined {
  return /^│ ▸ (\S+) /m.exec(screen)?.[1];
}

/** Every SGR sequence's parameters that set a foreground or background colour (not resets to default). */
function colourEscapes(screen: string): string[] {
  const found: string[] = [];
  for (const match of screen.matchAll(new RegExp(`${ESC}\\[([0-9;:]*)m`, 'g'))) {
    const params = (match[1] ?? '').split(/[;:]/).map(Number);
    const colour = params.some((p) => (p >= 30 && p <= 38) || (p >= 40 && p <= 48) || (p >= 90 && p <= 97) || (p >= 100 && p <= 107));
    if (colour) found.push(match[0]);
  }
  return found;
}

/** Width of the widest screen line, in characters (every glyph the dashboard draws is one cell wide). */
function widest(screen: string): number {
  return Math.max(...screen.split('\n').map((line) => Array.from(line.trimEnd()).length));
}

/** The screen's rows, without capture-pane's final newline. */
function rowsOf(screen: string): string[] {
  return screen.replace(/\n$/, '').split('\n');
}

/** The last row with something on it (the dashboard keeps one spare row under its footer). */
function lastRow(screen: string): { index: number; text: string } {
  const rows = rowsOf(screen);
  for (let i = rows.length - 1; i >= 0; i--) if ((rows[i] ?? '').trim() !== '') return { index: i, text: rows[i] ?? '' };
  return { index: -1, text: '' };
}

const describeTui = describe.skipIf(!HAVE_TMUX || !BUILT);

describeTui.sequential('dashboard in a real terminal (tmux)', () => {
  let tmux: TmuxServer;
  let work: string;
  const sessions: TmuxSession[] = [];
  const children: ChildProcess[] = [];
  let sessionCount = 0;

  beforeAll(() => {
    tmux = new TmuxServer();
    work = mkdtempSync(join(tmpdir(), 'ai-gateway-tui-e2e-'));
  });

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.kill();
    await Promise.all(children.splice(0).map(stopChild));
  });

  afterAll(() => {
    tmux?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  interface Launched {
    session: TmuxSession;
    base: string;
    dbPath: string;
    startedAt: number;
  }

  /** `ai-gateway <args>` in a new W×H session; the shell reports the exit code as `EXIT=<n>` afterwards. */
  function launch(args: string[], size: { width: number; height: number }, env: Record<string, string> = {}): TmuxSession {
    const assignments = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
    const command = `${assignments}${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}; echo "EXIT=$?"`;
    const session = tmux.newSession(`s${++sessionCount}`, { ...size, shellCommand: command, cwd: work });
    sessions.push(session);
    return session;
  }

  async function launchDemo(size: { width: number; height: number }, options: { env?: Record<string, string>; dbPath?: string } = {}): Promise<Launched> {
    const port = await freePort();
    const dbPath = options.dbPath ?? join(work, `demo-${sessionCount + 1}.db`);
    const startedAt = Date.now();
    const session = launch(['--demo', '--port', String(port), '--db', dbPath], size, options.env);
    // Every configured agent has a row from the start; a priced request in the log means traffic flows.
    await session.waitForScreen((s) => DEMO_AGENTS.every((id) => agentRow(s, id) !== undefined) && /\$\d+\.\d{4}/.test(s), 'the five demo agents and a priced log line', {
      timeoutMs: START_TIMEOUT_MS,
    });
    return { session, base: `http://127.0.0.1:${port}`, dbPath, startedAt };
  }

  /** Moves the selection down to `id`, one key press at a time, each confirmed on screen. */
  async function select(session: TmuxSession, id: string): Promise<void> {
    for (let presses = 0; presses <= DEMO_AGENTS.length; presses++) {
      const current = selectedAgent(session.capture());
      if (current === id) return;
      session.sendKeys('Down');
      await session.waitForScreen((s) => selectedAgent(s) !== current, `the selection to move off ${String(current)}`);
    }
    throw new Error(`could not select ${id}`);
  }

  /** Presses q and waits for the shell's report; returns the screen left behind. */
  async function quit(session: TmuxSession): Promise<string> {
    session.sendKeys('q');
    return session.waitForText(/^EXIT=\d+$/m, { timeoutMs: 15_000 });
  }

  function expectTerminalRestored(session: TmuxSession, screen: string): void {
    expect(screen).toMatch(/^EXIT=0$/m);
    // The frame lived on the alternate screen; leaving it gives back the (empty) shell screen.
    expect(screen).not.toMatch(/Agents|Breakers|q quit|[┌└│]/);
    expect(session.display('#{alternate_on}')).toBe('0');
    expect(session.display('#{cursor_flag}')).toBe('1');
  }

  it('120×40: agent rows and dollar amounts in colour; re-lays out at 80×24; q exits 0 and restores the terminal', { timeout: 45_000 }, async () => {
    const t0 = Date.now();
    const { session, base } = await launchDemo({ width: 120, height: 40 });
    console.log(`[tui e2e] 120×40 first full frame: ${Date.now() - t0} ms`);
    expect(session.display('#{alternate_on}')).toBe('1');

    const wide = session.capture();
    const lines = wide.split('\n');
    expect(lines[0]).toContain(`ai-gateway `);
    expect(lines[0]).toContain(base);
    expect(lines[0]).toMatch(/today \$<?\d+\.\d\d/);
    expect(lines[1]).toContain(`OPENAI_BASE_URL=${base}/v1`);
    expect(agentRow(wide, 'researcher')).toMatch(/claude-sonnet-4-5 .*of 5\.00/);
    expect(agentRow(wide, 'local-eval')).toContain('no limit');
    // Side by side at 120 columns: the breakers and log panels open on the same line.
    expect(wide).toMatch(/┌─ Breakers.*┐┌─ Log/);
    expect(rowsOf(wide)).toHaveLength(40);
    // The footer is the frame's last line, on the screen's second-to-last row (Ink keeps one spare).
    expect(lastRow(wide)).toEqual({ index: 38, text: expect.stringMatching(/p pause\/resume .* q quit/) });
    expect(widest(wide)).toBe(120);
    expect(colourEscapes(session.capture({ escapes: true })).length).toBeGreaterThan(0);

    session.resize(80, 24);
    const narrow = await session.waitForScreen((s) => widest(s) <= 80 && /^├─ Log/m.test(s), 'the 80×24 layout (log folded under breakers)');
    expect(widest(narrow)).toBe(80);
    for (const id of DEMO_AGENTS) expect(agentRow(narrow, id)).toBeDefined();
    expect(narrow).not.toContain('TOKENS');
    expect(narrow).toMatch(/┌─ Breakers/);
    expect(rowsOf(narrow)).toHaveLength(24);
    expect(lastRow(narrow)).toEqual({ index: 22, text: expect.stringMatching(/p pause .* q quit/) });

    const after = await quit(session);
    expectTerminalRestored(session, after);
    // The shell's own output follows what the start printed before the dashboard took the screen (the shrink to
    // 24 rows may have scrolled the first of those lines away).
    // Then the session's summary, printed after the dashboard left the screen.
    const rows = after.split('\n');
    const listening = rows.findIndex((r) => r === `ai-gateway: listening on ${base}; opening the dashboard…`);
    const summary = rows.slice(listening + 1, rows.indexOf('EXIT=0'));
    expect(listening).toBeGreaterThanOrEqual(0);
    expect(summary[0]).toMatch(/^ai-gateway: session \d+s · [\d,]+ requests? · (\$[\d.]+|<\$0\.0001) spent$/);
    // The agents that called in those seconds (coder calls several times a second), then the total.
    expect(summary.slice(1, -1).length).toBeGreaterThan(0);
    for (const r of summary.slice(1, -1)) expect(r).toMatch(/^ {2}[a-z-]+ +\d+ calls? +(\$|<\$)/);
    expect(summary.at(-1)).toMatch(/^ {2}total +\$/);
    await expect(fetchStatus(base)).rejects.toThrow();
  });

  it('80×24 with NO_COLOR=1: everything fits, agents and dollars show, and no colour escapes', { timeout: 45_000 }, async () => {
    const { session, base } = await launchDemo({ width: 80, height: 24 }, { env: { NO_COLOR: '1' } });
    const screen = session.capture();
    expect(widest(screen)).toBeLessThanOrEqual(80);
    expect(screen.split('\n')[0]).toMatch(/today \$<?\d+\.\d\d/);
    expect(screen).toMatch(/\$\d+\.\d{4}/);
    expect(lastRow(screen)).toEqual({ index: 22, text: expect.stringMatching(/q quit/) });
    const escaped = session.capture({ escapes: true });
    // Bold and other attributes may remain; colours must not.
    expect(colourEscapes(escaped)).toEqual([]);
    const after = await quit(session);
    expectTerminalRestored(session, after);
    // Before the dashboard took the screen, the start said what it was doing; the shell's output follows.
    const rows = after.split('\n');
    expect(rows.slice(0, 3)).toEqual([
      expect.stringMatching(/^ai-gateway: opening \.\/demo-\d+\.db…$/),
      expect.stringMatching(new RegExp(`^ai-gateway: listening on ${base}; opening the dashboard…$`)),
      expect.stringMatching(/^ai-gateway: session \d+s · /),
    ]);
    expect(rows).toContain('EXIT=0');
  });

  it('p pauses the selected agent: /api/status and a control event with actor tui; p again resumes', { timeout: 45_000 }, async () => {
    const { session, base, dbPath } = await launchDemo({ width: 120, height: 40 });
    await select(session, 'researcher');
    const before = await fetchAgent(base, 'researcher');
    expect(before.status).not.toBe('paused');

    const pressedAt = Date.now();
    session.sendKeys('p');
    const paused = await pollUntil('researcher paused in /api/status', async () => {
      const a = await fetchAgent(base, 'researcher');
      return a.status === 'paused' ? a : undefined;
    });
    expect(paused).toMatchObject({ status: 'paused', pausedBy: 'tui', pauseReason: TUI_PAUSE_REASON });
    const screen = await session.waitForScreen((s) => /paused/.test(agentRow(s, 'researcher') ?? ''), 'the researcher row to say paused');
    expect(screen).toContain('researcher paused');

    const event = await pollUntil('the pause in control_events', () => readControlEvents(dbPath).find((e) => e.agent === 'researcher' && e.kind === 'pause'));
    expect(event).toMatchObject({ agent: 'researcher', kind: 'pause', actor: 'tui', reason: TUI_PAUSE_REASON });
    expect(event.ts).toBeGreaterThanOrEqual(pressedAt - 1000);
    // The pause is real: the simulated researcher's next calls are refused.
    await pollUntil('a 403 for researcher', () => (countRequests(dbPath, 'researcher', 403, pressedAt) > 0 ? true : undefined), { timeoutMs: 15_000 });

    session.sendKeys('p');
    await pollUntil('researcher active again', async () => ((await fetchAgent(base, 'researcher')).status === 'paused' ? undefined : true));
    const resumed = await pollUntil('the resume in control_events', () => readControlEvents(dbPath).find((e) => e.agent === 'researcher' && e.kind === 'resume'));
    expect(resumed.actor).toBe('tui');

    expectTerminalRestored(session, await quit(session));
  });

  it('b edits a budget that survives a restart on the same --db', { timeout: 60_000 }, async () => {
    const dbPath = join(work, 'budget.db');
    const first = await launchDemo({ width: 120, height: 40 }, { dbPath });
    const { session } = first;
    expect((await fetchAgent(first.base, 'reviewer')).budget).toEqual({ hourly: 1, daily: null, total: null });
    await select(session, 'reviewer');

    session.sendKeys('b');
    await session.waitForText('Budget · reviewer');
    await session.waitForText('hourly $[1▏');
    session.sendKeys('BSpace');
    await session.waitForText('hourly $[▏');
    session.sendText('2.5');
    await session.waitForText('hourly $[2.5▏');
    session.sendKeys('Enter');
    await session.waitForText('budget of reviewer saved');
    await session.waitForNoText('Budget · reviewer');
    expect((await fetchAgent(first.base, 'reviewer')).budget).toEqual({ hourly: 2.5, daily: null, total: null });
    const event = await pollUntil('the budget change in control_events', () => readControlEvents(dbPath).find((e) => e.agent === 'reviewer' && e.kind === 'budget_change'));
    expect(event.actor).toBe('tui');
    expect(JSON.parse(event.new_value ?? 'null')).toMatchObject({ hourly: 2.5 });
    expectTerminalRestored(session, await quit(session));

    const second = await launchDemo({ width: 120, height: 40 }, { dbPath });
    expect((await fetchAgent(second.base, 'reviewer')).budget).toEqual({ hourly: 2.5, daily: null, total: null });
    expect(agentRow(second.session.capture(), 'reviewer')).toContain('of 2.50');
    expectTerminalRestored(second.session, await quit(second.session));
  });

  it('keys that arrive in one read (fast typing on a busy loop, a paste) all count in the budget editor', { timeout: 45_000 }, async () => {
    const { session, base } = await launchDemo({ width: 120, height: 40 });
    await select(session, 'researcher');
    session.sendKeys('b');
    await session.waitForText('hourly $[5▏');
    // One send-keys call writes every key at once: the dashboard reads "\x7f7.25\r" in a single chunk.
    session.sendKeys('BSpace', '7', '.', '2', '5', 'Enter');
    await session.waitForText('budget of researcher saved');
    expect((await fetchAgent(base, 'researcher')).budget).toEqual({ hourly: 7.25, daily: 20, total: null });
    expectTerminalRestored(session, await quit(session));
  });

  it('a paste into a budget field is text: its newline neither saves nor leaves the editor', { timeout: 45_000 }, async () => {
    const { session, base } = await launchDemo({ width: 120, height: 40 });
    await select(session, 'researcher');
    session.sendKeys('b');
    await session.waitForText('hourly $[5▏');
    session.sendKeys('BSpace');
    await session.waitForText('hourly $[▏');
    session.paste('7.25\n');
    await session.waitForText('hourly $[7.25▏');
    // Still editing: a key typed now lands in the same field.
    session.sendText('5');
    await session.waitForText('hourly $[7.255▏');
    expect((await fetchAgent(base, 'researcher')).budget).toEqual({ hourly: 5, daily: 20, total: null });
    session.sendKeys('BSpace', 'Enter');
    await session.waitForText('budget of researcher saved');
    expect((await fetchAgent(base, 'researcher')).budget).toEqual({ hourly: 7.25, daily: 20, total: null });
    expectTerminalRestored(session, await quit(session));
  });

  it('the demo shows coder paused by its hourly budget within 30 s: a forecast that says how sure it is, a true req/s, alerts with banner and bell, folded rejections, columns that stay', { timeout: 60_000 }, async () => {
    const { session, base, dbPath, startedAt } = await launchDemo({ width: 120, height: 40 });
    const output = join(work, `bell-${sessionCount}.out`);
    session.recordOutput(output);
    // While coder runs into its budget: every header rate and every forecast line the screen shows.
    const rates: number[] = [];
    const forecasts = new Set<string>();
    const coder = await pollUntil(
      'coder paused by its budget',
      async () => {
        const screen = session.capture();
        const rate = /─ (\d+\.\d) req\/s/.exec(screen.split('\n')[0] ?? '')?.[1];
        if (rate !== undefined) rates.push(Number(rate));
        for (const line of screen.split('\n')) {
          const f = /coder: hourly budget [^│]*/.exec(line)?.[0];
          if (f) forecasts.add(f.trim());
        }
        const a = await fetchAgent(base, 'coder');
        return a.status === 'paused' ? a : undefined;
      },
      { timeoutMs: 40_000, everyMs: 250 },
    );
    const seconds = (Date.now() - startedAt) / 1000;
    console.log(`[tui e2e] demo: coder paused by budget:hourly ${seconds.toFixed(1)} s after launch; req/s samples ${rates.join(' ')}; forecasts: ${[...forecasts].join(' | ')}`);
    expect(coder).toMatchObject({ status: 'paused', pauseReason: 'budget:hourly', pausedBy: 'budget' });
    expect(seconds).toBeLessThan(35);
    // Traffic flows all along: the rate over the last seconds never reads 0.0 (the partial second did).
    expect(rates.length).toBeGreaterThan(10);
    expect(rates.filter((r) => r === 0)).toEqual([]);
    // Coder spends its hour's budget in seconds: the forecast says so, never "gone in ~15 min".
    expect(forecasts.size).toBeGreaterThan(0);
    for (const f of forecasts) expect(f).toMatch(/gone in <1 min \((steady|bursty|early estimate)\)|gone \(\$|% used; not enough data/);
    const screen = await session.waitForScreen((s) => /paused budget:hou/.test(agentRow(s, 'coder') ?? ''), 'the coder row to show the budget pause');
    expect(agentRow(screen, 'coder')).toMatch(/\d+% of 0\.01/);
    expect(screen).toMatch(/5 agents \(1 paused\)/);
    // The paused agent's longer status takes no column away.
    expect(screen).toContain('TOKENS in/out');
    expect(screen).toContain('TOTAL');
    // The refusals that follow fold into counted lines.
    await session.waitForText(/coder +— +gpt-4o +429 budget_exceeded ×\d+/);
    // Each threshold crossed is one alert in the audit, one banner, one bell.
    await session.waitForText('! alert: agent coder has used its whole hourly budget');
    const alerts = readControlEvents(dbPath).filter((e) => e.kind === 'alert' && e.agent === 'coder');
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts.length).toBeLessThanOrEqual(3);
    expect(alerts.at(-1)?.reason).toMatch(/^agent coder has used its whole hourly budget/);
    const bells = await pollUntil('the bells in the terminal output', () => {
      const n = readFileSync(output, 'latin1').split('\u0007').length - 1;
      return n >= alerts.length ? n : undefined;
    });
    expect(bells).toBe(alerts.length);
    expect(session.display('#{window_bell_flag}')).toBe('1');
    expectTerminalRestored(session, await quit(session));
  });

  it('the log freezes, scrolls and sorts; the spend view shows providers and models', { timeout: 45_000 }, async () => {
    const { session } = await launchDemo({ width: 120, height: 40 });
    const logLines = (screen: string): string[] =>
      screen
        .split('\n')
        .filter((l) => /││ .\d\d:\d\d:\d\d /.test(l))
        .map((l) => l.slice(l.indexOf('││') + 2));
    session.sendKeys('f');
    const frozen = await session.waitForText('‖ frozen');
    await session.waitForText(/‖ frozen · \d+ new/);
    expect(logLines(session.capture())).toEqual(logLines(frozen));
    session.sendKeys('f');
    await session.waitForNoText('‖ frozen');

    // Focus on the log: the newest line is selected; ↓ and PgDn move down it.
    await session.waitForScreen((s) => logLines(s).length >= 8, 'eight lines in the log');
    session.sendKeys('Tab');
    const marked = (screen: string): number => logLines(screen).findIndex((l) => l.startsWith(' ▸'));
    await session.waitForScreen((s) => marked(s) === 0, 'the newest log line selected');
    session.sendKeys('f');
    await session.waitForText('‖ frozen');
    session.sendKeys('Down');
    await session.waitForScreen((s) => marked(s) === 1, 'the selection one line down');
    session.sendKeys('NPage');
    await session.waitForScreen((s) => marked(s) > 1, 'the selection a page down');
    session.sendKeys('f');

    session.sendKeys('s');
    const sorted = await session.waitForText('by spend today');
    expect(sorted).toContain('▼TODAY');

    session.sendKeys('m');
    const spend = await session.waitForText(/│ sim-anthropic +\d+/);
    expect(spend).toContain('Spend by provider');
    expect(spend).toContain('Spend by model');
    // Which Claude model the demo's agents have used by now varies; one of them has, since sim-anthropic has calls.
    expect(spend).toMatch(/│ claude-[\w.-]+ · sim-anthropic +\d+/);
    session.sendKeys('m');
    await session.waitForNoText('Spend by provider');
    expectTerminalRestored(session, await quit(session));
  });

  it('a configured gateway: fallbacks in the log, an unreachable provider counted with its reason, the request detail copies its id, breaker names stay apart, the filter searches the stored history', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const dead = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dbPath = join(work, 'configured.db');
    const configPath = join(work, 'configured.yaml');
    writeFileSync(
      configPath,
      [
        'gateway: { embedded_defaults: false }',
        'providers:',
        `  dead: { type: openai, base_url: "http://127.0.0.1:${dead}/v1", api_key: sk-dead-0000000000 }`,
        '  sim: { type: mock, wire: openai }',
        'models:',
        '  "spare-*": { provider: dead, model: gpt-4o-mini, fallbacks: [sim] }',
        '  "gone-*": { provider: dead, model: gpt-4o-mini }',
        'agents:',
        '  summarizer: { circuit_breaker: { error_threshold: 3 } }',
      ].join('\n'),
    );
    const chat = async (agent: string, model: string): Promise<{ status: number; id: string }> => {
      const res = await fetch(`${base}/agents/${agent}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
      return { status: res.status, id: res.headers.get('x-request-id') ?? '' };
    };
    const start = async (): Promise<TmuxSession> => {
      const session = launch(['--config', configPath, '--port', String(port), '--db', dbPath], { width: 120, height: 40 });
      await session.waitForText(`waiting for requests at ${base}/v1`, { timeoutMs: START_TIMEOUT_MS });
      return session;
    };

    let session = await start();
    const fallback = await chat('summarizer', 'spare-1');
    const failed = await chat('lost', 'gone-1');
    expect([fallback.status, failed.status]).toEqual([200, 502]);
    const screen = await session.waitForScreen((s) => /summarizer +dead↩sim /.test(s) && /lost +dead .* 502 upstream_unreachable/.test(s), 'the fallback and the failure in the log');
    // summarizer has its own breakers for both providers; their cut names still differ.
    const labels = [...screen.matchAll(/│ {2}(\S*:\S*) +(CLOSED|OPEN|HALF-OPEN)/g)].map((m) => m[1]);
    expect(labels).toHaveLength(2);
    expect(new Set(labels).size).toBe(2);
    expect(labels.some((l) => l?.endsWith(':dead'))).toBe(true);
    expect(labels.some((l) => l?.endsWith(':sim'))).toBe(true);

    // lost is first by name: its detail counts the failure and says why.
    session.sendKeys('Enter');
    const detail = await session.waitForText('Agent · lost');
    expect(detail).toMatch(/calls 1 +errors 1 \(100%\)/);
    expect(detail).toMatch(/last error \d\d:\d\d:\d\d 502 upstream_unreachable provider dead is unreachable \(ECONNREFUSED\)/);
    session.sendKeys('Escape');
    await session.waitForNoText('Agent · lost');

    // The newest log line in full; c puts its id on the clipboard.
    session.sendKeys('Tab');
    await session.waitForText(/▸\d\d:\d\d:\d\d lost/);
    session.sendKeys('Enter');
    await session.waitForText(`Request · ${failed.id}`);
    const request = await session.waitForText(/status +502 upstream_unreachable/);
    expect(request).toMatch(/error +provider dead is unreachable \(ECONNREFUSED\)/);
    expect(request).toMatch(/route +no provider|route +dead/);
    session.sendKeys('c');
    await session.waitForText(`copied ${failed.id} to the clipboard`);
    expect(session.clipboard()).toBe(failed.id);
    session.sendKeys('Escape');
    await session.waitForNoText('Request ·');

    const after = await quit(session);
    expectTerminalRestored(session, after);
    expect(after).toMatch(/^ai-gateway: session \d+s · 2 requests · /m);
    expect(after).toMatch(/^ {2}summarizer +1 call /m);

    // A new run holds nothing in memory; the filter finds the fallback's row in the database.
    session = await start();
    session.sendKeys('/');
    await session.waitForText('/▏');
    session.sendText(fallback.id);
    session.sendKeys('Enter');
    await session.waitForText(`/${fallback.id} (1)`);
    await session.waitForText(/summarizer +dead↩sim /);
    expectTerminalRestored(session, await quit(session));
  });

  it('tui --url attaches to a --no-tui gateway, shows its agents, and p pauses through the management API', { timeout: 45_000 }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dbPath = join(work, 'remote.db');
    const gateway = spawn(process.execPath, [BIN, '--demo', '--no-tui', '--port', String(port), '--db', dbPath], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(gateway);
    let output = '';
    gateway.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    gateway.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await pollUntil('the --no-tui gateway to answer', () => fetchStatus(base), { timeoutMs: START_TIMEOUT_MS }).catch((err: unknown) => {
      throw new Error(`${String(err)}\ngateway output:\n${output}`);
    });

    const session = launch(['tui', '--url', base], { width: 120, height: 40 });
    const screen = await session.waitForScreen((s) => DEMO_AGENTS.every((id) => agentRow(s, id) !== undefined) && s.includes(base), 'the remote dashboard with the five agents', {
      timeoutMs: START_TIMEOUT_MS,
    });
    expect(screen.split('\n')[0]).toMatch(/today \$<?\d+\.\d\d/);

    await select(session, 'summarizer');
    session.sendKeys('p');
    const paused = await pollUntil('summarizer paused in /api/status', async () => {
      const a = await fetchAgent(base, 'summarizer');
      return a.status === 'paused' ? a : undefined;
    });
    expect(paused).toMatchObject({ pausedBy: 'tui', pauseReason: TUI_PAUSE_REASON });
    await session.waitForScreen((s) => /paused/.test(agentRow(s, 'summarizer') ?? ''), 'the summarizer row to say paused');
    const event = await pollUntil('the pause in control_events', () => readControlEvents(dbPath).find((e) => e.agent === 'summarizer' && e.kind === 'pause'));
    expect(event).toMatchObject({ actor: 'tui', reason: TUI_PAUSE_REASON });

    expectTerminalRestored(session, await quit(session));
    // Quitting the remote dashboard leaves the gateway running.
    expect((await fetchAgent(base, 'summarizer')).status).toBe('paused');
  });
});

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
