/**
 * The dashboard screen. Data comes from the store (published at a bounded frame rate); keys are
 * resolved through the command table and dispatched by name; actions go to the DashboardSource and
 * report back through a transient footer message. Nothing here blocks the gateway.
 */
import { Box, type Key, Text, useApp, useInput, usePaste, useStdout, useWindowSize } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import { AgentDetail } from './agent-detail.js';
import { type AgentSort, nextSort, sortAgents } from './agent-sort.js';
import { AgentsTable } from './agents-table.js';
import { BreakersContent, sortBreakers } from './breakers-panel.js';
import { BudgetEditor } from './budget-editor.js';
import { type BudgetEditorState, editBudget, openBudgetEditor, parseBudget } from './budget-input.js';
import type { DashboardStore } from './dashboard-store.js';
import { Footer, type Flash } from './footer.js';
import { budgetForecasts } from './forecast.js';
import { agentCountsText, Header, headerBanners, headerSegments } from './header.js';
import { HelpOverlay } from './help.js';
import {
  type CommandName,
  isTextContext,
  type KeyContext,
  printableText,
  resolveCommand,
  splitKeys,
  type TextKey,
  textChunkKeys,
  typedText,
} from './keymap.js';
import {
  agentColumns,
  breakersPanelWidth,
  breakersPerLine,
  planBody,
  scrollWindow,
  SIDE_BY_SIDE_MIN_COLUMNS,
} from './layout.js';
import { LogRows, logTitleRight } from './log-panel.js';
import { visibleLog, withHistory } from './log-filter.js';
import { arrivedSince, cursorIndex, foldRejections, type LogLine, moveCursor } from './log-view.js';
import { Panel, panelInnerWidth } from './panel.js';
import { osc52, RequestDetailView } from './request-detail.js';
import type { DashboardActions, DashboardSnapshot, LogEntry, RequestDetail, UsageReport } from '../live/snapshot.js';
import { createTheme, ThemeContext, useTheme } from './theme.js';
import { useCurrentState } from './use-current-state.js';
import { useDashboard } from './use-dashboard.js';
import { UsageView } from './usage-view.js';

export interface AppProps {
  store: DashboardStore;
  actions: DashboardActions;
  /** Shown when the snapshot carries no version. */
  version: string;
  noColor: boolean;
  /** Called when the user quits, just before the app exits. */
  onQuitRequested?: () => void;
  /** How long footer messages stay, ms. */
  flashMs?: number;
  /**
   * Writes a control sequence straight to the terminal (the bell, OSC 52 for the clipboard): nothing visible,
   * so it goes around Ink's frame. Default: Ink's stdout.
   */
  signal?: (sequence: string) => void;
}

export const PAUSE_REASON = 'paused from the dashboard';
const BELL = '\u0007';
/** The spend-by-model view refreshes this often while open. */
const USAGE_REFRESH_MS = 5000;

export function App(props: AppProps) {
  const theme = useMemo(() => createTheme(props.noColor), [props.noColor]);
  return (
    <ThemeContext.Provider value={theme}>
      <Dashboard {...props} />
    </ThemeContext.Provider>
  );
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Focus = 'agents' | 'log' | 'breakers';
const FOCUS_ORDER: readonly Focus[] = ['agents', 'log', 'breakers'];

/** What the keys change. One object, so that every key of a burst sees what the keys before it did. */
interface UiState {
  view: 'main' | 'detail' | 'request' | 'usage';
  helpOpen: boolean;
  filter: string;
  filterEditing: boolean;
  editor: BudgetEditorState | undefined;
  selectedId: string | undefined;
  focus: Focus;
  selectedBreakerKey: string | undefined;
  sort: AgentSort;
  /** The selected log line's key; undefined follows the newest line. */
  logCursor: string | undefined;
  /** The log as it was when frozen; undefined while it is live. */
  frozen: readonly LogEntry[] | undefined;
  /** The request the detail view shows. */
  requestId: string | undefined;
}

const INITIAL_UI: UiState = {
  view: 'main',
  helpOpen: false,
  filter: '',
  filterEditing: false,
  editor: undefined,
  selectedId: undefined,
  focus: 'agents',
  selectedBreakerKey: undefined,
  sort: 'name',
  logCursor: undefined,
  frozen: undefined,
  requestId: undefined,
};

/** The stored history's answer to an applied filter. */
interface HistorySearch {
  filter: string;
  entries: readonly LogEntry[] | undefined;
  error?: string;
}

/** The log's lines for this state: frozen or live, filtered (with the history's answer), folded. */
function logLinesFor(ui: UiState, snapshot: DashboardSnapshot, history: HistorySearch | undefined): { lines: LogLine[]; matched: number } {
  const visible = visibleLog(ui.frozen ?? snapshot.recent, ui.filter);
  const entries = history && ui.filter !== '' && history.filter === ui.filter && history.entries ? withHistory(visible, history.entries) : visible;
  return { lines: foldRejections(entries), matched: entries.length };
}

/** The selections and key context that follow from the UI state and the data. */
function deriveView(ui: UiState, snapshot: DashboardSnapshot) {
  const agents = sortAgents(snapshot.agents, ui.sort);
  const selected = agents.find((a) => a.id === ui.selectedId) ?? agents[0];
  const selectedIndex = selected ? agents.indexOf(selected) : 0;
  const breakers = sortBreakers(snapshot.breakers);
  const selectedBreaker = breakers.find((b) => b.key === ui.selectedBreakerKey) ?? breakers[0];
  const showDetail = ui.view === 'detail' && selected !== undefined;
  const showRequest = ui.view === 'request' && ui.requestId !== undefined;
  const viewContext: KeyContext = showDetail ? 'detail' : showRequest ? 'request' : ui.view === 'usage' ? 'usage' : 'main';
  const context: KeyContext = ui.editor ? 'budget' : ui.filterEditing ? 'filter' : ui.helpOpen ? 'help' : viewContext;
  return { agents, selected, selectedIndex, breakers, selectedBreaker, showDetail, showRequest, context };
}

function Dashboard(props: AppProps) {
  const theme = useTheme();
  const { snapshot, now } = useDashboard(props.store);
  const { columns, rows } = useWindowSize();
  const { exit } = useApp();
  const { stdout } = useStdout();
  const signal = props.signal ?? ((sequence: string) => void stdout.write(sequence));

  // Key handlers read `currentUi()`, not `ui`: see use-current-state.ts.
  const [ui, currentUi, updateUi] = useCurrentState<UiState>(INITIAL_UI);
  const patchUi = (patch: Partial<UiState>): void => updateUi((s) => ({ ...s, ...patch }));
  const [flash, setFlash] = useState<Flash | undefined>(undefined);
  const [history, setHistory] = useState<HistorySearch | undefined>(undefined);
  const [detail, setDetail] = useState<{ id: string; data?: RequestDetail | undefined; error?: string } | undefined>(undefined);
  const [usage, setUsage] = useState<{ report?: UsageReport; error?: string }>({});
  // Page keys move by what the log shows (set from the layout below).
  const pageRows = useRef(1);

  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );
  const flashMs = props.flashMs ?? 4000;
  useEffect(() => {
    if (!flash) return;
    const handle = setTimeout(() => setFlash(undefined), flashMs);
    return () => clearTimeout(handle);
  }, [flash, flashMs]);

  // The bell rings once for each alert that arrives while the dashboard is open (not for those it opened on).
  const alertsSeenUntil = useRef<number | undefined>(undefined);
  useEffect(() => {
    const newest = snapshot.controlEvents.reduce((t, e) => (e.kind === 'alert' && e.bell ? Math.max(t, e.ts) : t), -Infinity);
    if (alertsSeenUntil.current === undefined) alertsSeenUntil.current = newest;
    else if (newest > alertsSeenUntil.current) {
      alertsSeenUntil.current = newest;
      signal(BELL);
    }
  });

  // The request detail loads when it opens.
  const requestId = ui.view === 'request' ? ui.requestId : undefined;
  useEffect(() => {
    if (requestId === undefined) return;
    setDetail({ id: requestId });
    props.actions.requestDetail(requestId).then(
      (data) => {
        if (mounted.current) setDetail(data ? { id: requestId, data } : { id: requestId, error: `the gateway has no request ${requestId}` });
      },
      (err: unknown) => {
        if (mounted.current) setDetail({ id: requestId, error: `could not load ${requestId}: ${errorMessage(err)}` });
      },
    );
  }, [requestId, props.actions]);

  // The spend view loads when it opens, then refreshes while it stays open.
  const usageTick = ui.view === 'usage' ? Math.floor(now / USAGE_REFRESH_MS) : undefined;
  useEffect(() => {
    if (usageTick === undefined) return;
    props.actions.usage().then(
      (report) => {
        if (mounted.current) setUsage({ report });
      },
      (err: unknown) => {
        if (mounted.current) setUsage((u) => ({ ...u, error: `could not load spend by model: ${errorMessage(err)}` }));
      },
    );
  }, [usageTick, props.actions]);

  const { agents, selected, selectedIndex, breakers, selectedBreaker, showDetail, showRequest, context } = deriveView(ui, snapshot);
  const { filter, filterEditing, editor, focus, helpOpen } = ui;

  const runAction = (pending: string, action: () => Promise<void>, done: string): void => {
    setFlash({ text: pending, tone: 'muted' });
    action().then(
      () => {
        if (mounted.current) setFlash({ text: done, tone: 'ok' });
      },
      (err: unknown) => {
        if (mounted.current) setFlash({ text: `${pending.replace(/…$/, '')} failed: ${errorMessage(err)}`, tone: 'error' });
      },
    );
  };

  /** Asks the gateway's stored history for an applied filter; the log shows what memory holds meanwhile. */
  const searchHistory = (text: string): void => {
    if (text === '') return setHistory(undefined);
    setHistory({ filter: text, entries: undefined });
    props.actions.searchLogs(text).then(
      (entries) => {
        if (mounted.current) setHistory((h) => (h?.filter === text ? { filter: text, entries } : h));
      },
      (err: unknown) => {
        if (mounted.current) setHistory((h) => (h?.filter === text ? { filter: text, entries: [], error: errorMessage(err) } : h));
      },
    );
  };

  const setEditor = (change: (editor: BudgetEditorState | undefined) => BudgetEditorState | undefined): void =>
    updateUi((s) => ({ ...s, editor: change(s.editor) }));

  const saveBudget = (state: BudgetEditorState): void => {
    const parsed = parseBudget(state.values);
    if (!parsed.ok) {
      setEditor(() => ({ ...state, error: parsed.message }));
      return;
    }
    setEditor(() => ({ ...state, saving: true }));
    props.actions.setBudget(state.agent, parsed.change).then(
      () => {
        if (!mounted.current) return;
        setEditor(() => undefined);
        setFlash({ text: `budget of ${state.agent} saved`, tone: 'ok' });
      },
      (err: unknown) => {
        if (mounted.current) setEditor((cur) => cur && { ...cur, saving: false, error: `save failed: ${errorMessage(err)}` });
      },
    );
  };

  const applyFilter = (value: string): void => {
    patchUi({ filter: value, filterEditing: false, logCursor: undefined });
    searchHistory(value);
  };

  const dispatch = (command: CommandName): void => {
    const s = currentUi();
    const v = deriveView(s, snapshot);
    const moveLog = (by: number): void => patchUi({ logCursor: moveCursor(logLinesFor(s, snapshot, history).lines, s.logCursor, by) });
    switch (command) {
      case 'nav.up':
      case 'nav.down': {
        const by = command === 'nav.up' ? -1 : 1;
        if (v.context === 'main' && s.focus === 'log') return moveLog(by);
        if (v.context === 'main' && s.focus === 'breakers') {
          if (v.breakers.length === 0) return;
          const index = Math.max(0, v.breakers.findIndex((b) => b.key === v.selectedBreaker?.key));
          const next = v.breakers[Math.min(v.breakers.length - 1, Math.max(0, index + by))];
          if (next) patchUi({ selectedBreakerKey: next.key });
          return;
        }
        const next = v.agents[Math.min(v.agents.length - 1, Math.max(0, v.selectedIndex + by))];
        if (next) patchUi({ selectedId: next.id });
        return;
      }
      case 'nav.pageUp':
      case 'nav.pageDown': {
        const page = Math.max(1, pageRows.current - 1);
        const by = command === 'nav.pageUp' ? -page : page;
        if (s.focus !== 'log') patchUi({ focus: 'log' });
        return moveLog(by);
      }
      case 'focus.next':
        patchUi({ focus: FOCUS_ORDER[(FOCUS_ORDER.indexOf(s.focus) + 1) % FOCUS_ORDER.length] ?? 'agents' });
        return;
      case 'agent.pause': {
        if (!v.selected) return setFlash({ text: 'no agent selected', tone: 'warn' });
        const id = v.selected.id;
        if (v.selected.status === 'paused') return runAction(`resuming ${id}…`, () => props.actions.resume(id), `${id} resumed`);
        return runAction(`pausing ${id}…`, () => props.actions.pause(id, PAUSE_REASON), `${id} paused`);
      }
      case 'agent.budget': {
        const agent = v.selected;
        if (!agent) return setFlash({ text: 'no agent selected', tone: 'warn' });
        setEditor(() => openBudgetEditor(agent.id, agent.budget));
        return;
      }
      case 'view.open': {
        if (s.focus === 'log') {
          const { lines } = logLinesFor(s, snapshot, history);
          const line = lines[cursorIndex(lines, s.logCursor)];
          if (!line) return setFlash({ text: 'no request to show', tone: 'warn' });
          patchUi({ view: 'request', requestId: line.entry.id });
          return;
        }
        if (v.selected) patchUi({ view: 'detail' });
        return;
      }
      case 'breaker.reset': {
        const target = s.focus === 'breakers' && v.selectedBreaker ? v.selectedBreaker : v.breakers.find((b) => b.state !== 'closed');
        if (!target) return setFlash({ text: 'no open breaker to reset', tone: 'warn' });
        return runAction(`resetting breaker ${target.key}…`, () => props.actions.resetBreaker(target.key), `breaker ${target.key} reset`);
      }
      case 'log.filter':
        patchUi({ filterEditing: true });
        return;
      case 'log.freeze':
        patchUi(s.frozen ? { frozen: undefined, logCursor: undefined } : { frozen: [...snapshot.recent] });
        return;
      case 'agents.sort':
        patchUi({ sort: nextSort(s.sort) });
        return;
      case 'view.usage':
        patchUi({ view: s.view === 'usage' ? 'main' : 'usage' });
        return;
      case 'request.copy': {
        if (s.requestId === undefined) return;
        signal(osc52(s.requestId));
        setFlash({ text: `copied ${s.requestId} to the clipboard`, tone: 'ok' });
        return;
      }
      case 'help.toggle':
        patchUi({ helpOpen: !s.helpOpen });
        return;
      case 'view.back':
        if (s.helpOpen) patchUi({ helpOpen: false });
        else patchUi({ view: 'main' });
        return;
      case 'app.quit':
        props.onQuitRequested?.();
        exit();
        return;
      case 'input.submit':
        if (s.editor) return saveBudget(s.editor);
        return applyFilter(s.filter);
      case 'input.cancel':
        if (s.editor) return setEditor(() => undefined);
        return applyFilter('');
      case 'input.erase':
        if (s.editor) return setEditor((e) => e && editBudget(e, { type: 'erase' }));
        patchUi({ filter: Array.from(s.filter).slice(0, -1).join('') });
        return;
      case 'input.next':
        if (s.editor) setEditor((e) => e && editBudget(e, { type: 'move', by: 1 }));
        return;
      case 'input.prev':
        if (s.editor) setEditor((e) => e && editBudget(e, { type: 'move', by: -1 }));
        return;
    }
  };

  /** Text typed or pasted into the open text field (budget editor or log filter). */
  const typeText = (text: string): void => {
    const s = currentUi();
    if (s.editor) {
      if (!s.editor.saving) setEditor((e) => e && editBudget(e, { type: 'type', text }));
    } else if (s.filterEditing) {
      patchUi({ filter: s.filter + text });
    }
  };

  /** Several keys read at once in a text field, applied in order to the field's value. */
  const typeChunk = (keys: TextKey[]): void => {
    const s = currentUi();
    if (s.editor) {
      if (s.editor.saving) return;
      let state = s.editor;
      for (const k of keys) {
        if (k.type === 'submit') return saveBudget(state);
        state = editBudget(state, k.type === 'erase' ? k : k.type === 'next' ? { type: 'move', by: 1 } : k);
      }
      setEditor(() => state);
    } else if (s.filterEditing) {
      let value = s.filter;
      for (const k of keys) {
        if (k.type === 'submit') return applyFilter(value);
        if (k.type === 'erase') value = Array.from(value).slice(0, -1).join('');
        else if (k.type === 'type') value += k.text;
      }
      patchUi({ filter: value });
    }
  };

  const onInput = (input: string, key: Key): void => {
    const inputContext = deriveView(currentUi(), snapshot).context;
    const chunk = isTextContext(inputContext) ? textChunkKeys(input) : undefined;
    if (chunk) return typeChunk(chunk);
    const keys = isTextContext(inputContext) ? undefined : splitKeys(input, key);
    // Each key acts in the context the one before it left (a key may open a text field: the rest is typed there).
    if (keys) return keys.forEach((k) => onInput(k.input, k.key));
    const command = resolveCommand(inputContext, input, key);
    if (command) return dispatch(command);
    const text = typedText(inputContext, input, key);
    if (text !== undefined) typeText(text);
  };

  /** A bracketed paste is text for the open field, whatever it holds: a pasted newline does not save. */
  const onPaste = (pasted: string): void => {
    const text = printableText(pasted);
    if (text !== undefined) typeText(text);
  };

  // Ink re-subscribes a new handler only after the commit's effects run, so the handlers go through a
  // ref to see this render's snapshot and props; the UI state itself comes from currentUi().
  const latestInput = useRef(onInput);
  latestInput.current = onInput;
  useInput((input, key) => latestInput.current(input, key));
  const latestPaste = useRef(onPaste);
  latestPaste.current = onPaste;
  // Bracketed paste only while a text field is open: elsewhere keys keep reaching the terminal as typed.
  usePaste((text) => latestPaste.current(text), { isActive: isTextContext(context) });
  // Layout: header 2 rows, optional banners, footer 1, and one spare row so Ink never treats the
  // output as full-screen (which would clear and redraw the terminal on every frame).
  const { countsShown } = headerSegments(snapshot, now, columns - 1, props.version);
  const banners = headerBanners(snapshot, now);
  const headerRows = 2 + banners.length;
  const bodyHeight = Math.max(6, rows - 1 - headerRows - 1);
  const stacked = columns < SIDE_BY_SIDE_MIN_COLUMNS;
  const inner = panelInnerWidth(columns);
  const perLine = stacked ? breakersPerLine(inner) : 1;
  const forecasts = budgetForecasts(agents, snapshot.gateway.now);
  const plan = planBody({
    height: bodyHeight,
    agentCount: agents.length,
    forecastCount: forecasts.length,
    breakerLines: Math.ceil(Math.max(1, breakers.length) / perLine),
    stacked,
  });
  pageRows.current = plan.logRows;
  const cols = agentColumns(agents, inner);
  const offset = scrollWindow(agents.length, plan.agentRows, selectedIndex);
  const log = logLinesFor(ui, snapshot, history);
  const elapsedMs = now - snapshot.gateway.now;
  const address = snapshot.gateway.address;
  const providersText = `${snapshot.gateway.providers} provider${snapshot.gateway.providers === 1 ? '' : 's'}`;
  const searching = history !== undefined && history.filter === filter && history.entries === undefined;
  const frozenNew = ui.frozen ? arrivedSince(ui.frozen, visibleLog(snapshot.recent, filter)) : undefined;

  const breakersSection = (width: number, height: number) => ({
    title: countsShown ? 'Breakers' : `Breakers · ${providersText}`,
    focused: focus === 'breakers',
    height,
    children: (
      <BreakersContent
        breakers={breakers}
        width={panelInnerWidth(width)}
        rows={height}
        perLine={perLine}
        selectedKey={selectedBreaker?.key}
        focused={focus === 'breakers'}
        elapsedMs={elapsedMs}
      />
    ),
  });
  const logSection = (width: number) => ({
    title: 'Log',
    right: logTitleRight({ filter, editing: filterEditing, matched: log.matched, searching, frozenNew }),
    focused: focus === 'log',
    height: plan.logRows,
    children: (
      <LogRows
        lines={log.lines}
        width={panelInnerWidth(width)}
        rows={plan.logRows}
        cursor={ui.logCursor}
        focused={focus === 'log'}
        emptyText={filter ? (searching ? `searching the history for /${filter}…` : `no requests match /${filter}`) : `waiting for requests at ${address}/v1`}
      />
    ),
  });

  const body = (() => {
    if (showDetail && selected) {
      return (
        <AgentDetail
          agent={selected}
          recent={snapshot.recent}
          controlEvents={snapshot.controlEvents}
          forecast={forecasts.find((f) => f.agent === selected.id)}
          now={now}
          width={columns}
          height={bodyHeight}
        />
      );
    }
    if (showRequest && ui.requestId !== undefined) {
      const current = detail?.id === ui.requestId ? detail : undefined;
      return <RequestDetailView id={ui.requestId} detail={current?.data} error={current?.error} width={columns} height={bodyHeight} />;
    }
    if (ui.view === 'usage') return <UsageView report={usage.report} error={usage.error} width={columns} height={bodyHeight} />;
    const sideBreakersWidth = breakersPanelWidth(columns);
    return (
      <>
        <AgentsTable
          agents={agents}
          selectedId={selected?.id}
          columns={cols}
          width={columns}
          offset={offset}
          rows={plan.agentRows}
          forecasts={forecasts}
          forecastRows={plan.forecastRows}
          focused={focus === 'agents'}
          sort={ui.sort}
          {...(countsShown ? {} : { countsText: agentCountsText(snapshot) })}
          emptyHint={`no agents yet: point a client at ${address}/v1`}
        />
        {stacked ? (
          <Panel width={columns} sections={[breakersSection(columns, plan.breakerRows), logSection(columns)]} />
        ) : (
          <Box flexDirection="row">
            <Panel width={sideBreakersWidth} sections={[breakersSection(sideBreakersWidth, plan.logRows)]} />
            <Panel width={columns - sideBreakersWidth} sections={[logSection(columns - sideBreakersWidth)]} />
          </Box>
        )}
      </>
    );
  })();

  return (
    <Box flexDirection="column" width={columns}>
      <Header snapshot={snapshot} now={now} width={columns} version={props.version} />
      {banners.map((banner, i) => (
        <Box key={i} paddingLeft={1}>
          <Text wrap="truncate-end" bold {...theme.tone('warn')}>
            ! {banner}
          </Text>
        </Box>
      ))}
      {body}
      <Footer context={context} width={columns} flash={flash} />
      {editor ? <BudgetEditor state={editor} agent={agents.find((a) => a.id === editor.agent)} columns={columns} top={headerRows + 2} /> : null}
      {helpOpen ? <HelpOverlay columns={columns} rows={rows} /> : null}
    </Box>
  );
}
