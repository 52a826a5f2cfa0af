/**
 * The dashboard screen. Data comes from the store (published at a bounded frame rate); keys are
 * resolved through the command table and dispatched by name; actions go to the DashboardSource and
 * report back through a transient footer message. Nothing here blocks the gateway.
 */
import { Box, type Key, Text, useApp, useInput } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import { AgentDetail } from './agent-detail.js';
import { AgentsTable } from './agents-table.js';
import { BreakersContent, sortBreakers } from './breakers-panel.js';
import { BudgetEditor } from './budget-editor.js';
import { type BudgetEditorState, editBudget, openBudgetEditor, parseBudget } from './budget-input.js';
import type { DashboardStore } from './dashboard-store.js';
import { Footer, type Flash } from './footer.js';
import { budgetForecasts } from './forecast.js';
import { agentCountsText, Header, headerSegments } from './header.js';
import { HelpOverlay } from './help.js';
import { type CommandName, type KeyContext, resolveCommand, type TextKey, textChunkKeys, typedText } from './keymap.js';
import {
  agentColumns,
  breakersPanelWidth,
  breakersPerLine,
  planBody,
  scrollWindow,
  SIDE_BY_SIDE_MIN_COLUMNS,
} from './layout.js';
import { filterLabel, LogRows } from './log-panel.js';
import { visibleLog } from './log-filter.js';
import { Panel, panelInnerWidth } from './panel.js';
import type { DashboardActions } from './source.js';
import { createTheme, ThemeContext, useTheme } from './theme.js';
import { useDashboard } from './use-dashboard.js';
import { useTerminalSize } from './use-terminal-size.js';

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
}

export const PAUSE_REASON = 'paused from the dashboard';

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

function Dashboard(props: AppProps) {
  const theme = useTheme();
  const { snapshot, now } = useDashboard(props.store);
  const { columns, rows } = useTerminalSize();
  const { exit } = useApp();

  const [view, setView] = useState<'main' | 'detail'>('main');
  const [helpOpen, setHelpOpen] = useState(false);
  const [filter, setFilter] = useState('');
  const [filterEditing, setFilterEditing] = useState(false);
  const [editor, setEditor] = useState<BudgetEditorState | undefined>(undefined);
  const [selectedId, setSelectedId] = useState<string | undefined>(undefined);
  const [focus, setFocus] = useState<'agents' | 'breakers'>('agents');
  const [selectedBreakerKey, setSelectedBreakerKey] = useState<string | undefined>(undefined);
  const [flash, setFlash] = useState<Flash | undefined>(undefined);

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

  const agents = snapshot.agents;
  const selected = agents.find((a) => a.id === selectedId) ?? agents[0];
  const selectedIndex = selected ? agents.indexOf(selected) : 0;
  const breakers = sortBreakers(snapshot.breakers);
  const selectedBreaker = breakers.find((b) => b.key === selectedBreakerKey) ?? breakers[0];
  const showDetail = view === 'detail' && selected !== undefined;
  const context: KeyContext = editor ? 'budget' : filterEditing ? 'filter' : helpOpen ? 'help' : showDetail ? 'detail' : 'main';

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

  const moveSelection = (by: number): void => {
    if (context === 'main' && focus === 'breakers') {
      if (breakers.length === 0) return;
      const index = Math.max(0, breakers.findIndex((b) => b.key === selectedBreaker?.key));
      const next = breakers[Math.min(breakers.length - 1, Math.max(0, index + by))];
      if (next) setSelectedBreakerKey(next.key);
      return;
    }
    const next = agents[Math.min(agents.length - 1, Math.max(0, selectedIndex + by))];
    if (next) setSelectedId(next.id);
  };

  const saveBudget = (state: BudgetEditorState): void => {
    const parsed = parseBudget(state.values);
    if (!parsed.ok) {
      setEditor({ ...state, error: parsed.message });
      return;
    }
    setEditor({ ...state, saving: true });
    props.actions.setBudget(state.agent, parsed.change).then(
      () => {
        if (!mounted.current) return;
        setEditor(undefined);
        setFlash({ text: `budget of ${state.agent} saved`, tone: 'ok' });
      },
      (err: unknown) => {
        if (mounted.current) setEditor((cur) => cur && { ...cur, saving: false, error: `save failed: ${errorMessage(err)}` });
      },
    );
  };

  const dispatch = (command: CommandName): void => {
    switch (command) {
      case 'nav.up':
        return moveSelection(-1);
      case 'nav.down':
        return moveSelection(1);
      case 'focus.next':
        setFocus((f) => (f === 'agents' ? 'breakers' : 'agents'));
        return;
      case 'agent.pause':
        if (!selected) return setFlash({ text: 'no agent selected', tone: 'warn' });
        if (selected.status === 'paused') {
          const id = selected.id;
          return runAction(`resuming ${id}…`, () => props.actions.resume(id), `${id} resumed`);
        } else {
          const id = selected.id;
          return runAction(`pausing ${id}…`, () => props.actions.pause(id, PAUSE_REASON), `${id} paused`);
        }
      case 'agent.budget':
        if (!selected) return setFlash({ text: 'no agent selected', tone: 'warn' });
        setEditor(openBudgetEditor(selected.id, selected.budget));
        return;
      case 'agent.detail':
        if (selected) setView('detail');
        return;
      case 'breaker.reset': {
        const target = focus === 'breakers' && selectedBreaker ? selectedBreaker : breakers.find((b) => b.state !== 'closed');
        if (!target) return setFlash({ text: 'no open breaker to reset', tone: 'warn' });
        return runAction(`resetting breaker ${target.key}…`, () => props.actions.resetBreaker(target.key), `breaker ${target.key} reset`);
      }
      case 'log.filter':
        setFilterEditing(true);
        return;
      case 'help.toggle':
        setHelpOpen((open) => !open);
        return;
      case 'view.back':
        if (helpOpen) setHelpOpen(false);
        else setView('main');
        return;
      case 'app.quit':
        props.onQuitRequested?.();
        exit();
        return;
      case 'input.submit':
        if (editor) return saveBudget(editor);
        setFilterEditing(false);
        return;
      case 'input.cancel':
        if (editor) return setEditor(undefined);
        setFilter('');
        setFilterEditing(false);
        return;
      case 'input.erase':
        if (editor) return setEditor(editBudget(editor, { type: 'erase' }));
        setFilter((f) => Array.from(f).slice(0, -1).join(''));
        return;
      case 'input.next':
        if (editor) setEditor(editBudget(editor, { type: 'move', by: 1 }));
        return;
      case 'input.prev':
        if (editor) setEditor(editBudget(editor, { type: 'move', by: -1 }));
        return;
    }
  };

  /** Several keys read at once in a text field, applied in order to the field's value. */
  const typeChunk = (keys: TextKey[]): void => {
    if (editor) {
      if (editor.saving) return;
      let state = editor;
      for (const k of keys) {
        if (k.type === 'submit') return saveBudget(state);
        state = editBudget(state, k.type === 'erase' ? k : k.type === 'next' ? { type: 'move', by: 1 } : k);
      }
      setEditor(state);
    } else if (filterEditing) {
      let value = filter;
      for (const k of keys) {
        if (k.type === 'submit') {
          setFilter(value);
          setFilterEditing(false);
          return;
        }
        if (k.type === 'erase') value = Array.from(value).slice(0, -1).join('');
        else if (k.type === 'type') value += k.text;
      }
      setFilter(value);
    }
  };

  const onInput = (input: string, key: Key): void => {
    const chunk = editor || filterEditing ? textChunkKeys(input) : undefined;
    if (chunk) return typeChunk(chunk);
    const command = resolveCommand(context, input, key);
    if (command) return dispatch(command);
    const text = typedText(context, input, key);
    if (text === undefined) return;
    if (editor) {
      if (!editor.saving) setEditor(editBudget(editor, { type: 'type', text }));
    } else if (filterEditing) {
      setFilter((f) => f + text);
    }
  };
  // Ink re-subscribes a new handler only after the commit's effects run; a key read in between (two
  // keys in one chunk, e.g. "b" then Escape) would otherwise see the state before the previous key.
  const latestInput = useRef(onInput);
  latestInput.current = onInput;
  useInput((input, key) => latestInput.current(input, key));

  // Layout: header 2 rows, optional banner, footer 1, and one spare row so Ink never treats the
  // output as full-screen (which would clear and redraw the terminal on every frame).
  const { countsShown } = headerSegments(snapshot, now, columns - 1, props.version);
  const banner = snapshot.gateway.configBanner;
  const headerRows = 2 + (banner ? 1 : 0);
  const bodyHeight = Math.max(6, rows - 1 - headerRows - 1);
  const stacked = columns < SIDE_BY_SIDE_MIN_COLUMNS;
  const inner = panelInnerWidth(columns);
  const perLine = stacked ? breakersPerLine(inner) : 1;
  const forecasts = budgetForecasts(agents, now);
  const plan = planBody({
    height: bodyHeight,
    agentCount: agents.length,
    forecastCount: forecasts.length,
    breakerLines: Math.ceil(Math.max(1, breakers.length) / perLine),
    stacked,
  });
  const cols = agentColumns(agents, inner);
  const offset = scrollWindow(agents.length, plan.agentRows, selectedIndex);
  const log = visibleLog(snapshot.recent, filter);
  const elapsedMs = now - snapshot.gateway.now;
  const address = snapshot.gateway.address;
  const providersText = `${snapshot.gateway.providers} provider${snapshot.gateway.providers === 1 ? '' : 's'}`;

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
    right: filterLabel(filter, filterEditing, log.length),
    height: plan.logRows,
    children: (
      <LogRows
        entries={log}
        width={panelInnerWidth(width)}
        rows={plan.logRows}
        emptyText={filter ? `no requests match /${filter}` : `waiting for requests at ${address}/v1`}
      />
    ),
  });

  const sideBreakersWidth = breakersPanelWidth(columns);
  return (
    <Box flexDirection="column" width={columns}>
      <Header snapshot={snapshot} now={now} width={columns} version={props.version} />
      {banner ? (
        <Box paddingLeft={1}>
          <Text wrap="truncate-end" bold {...theme.tone('warn')}>
            ! {banner}
          </Text>
        </Box>
      ) : null}
      {showDetail && selected ? (
        <AgentDetail
          agent={selected}
          recent={snapshot.recent}
          controlEvents={snapshot.controlEvents}
          forecast={forecasts.find((f) => f.agent === selected.id)}
          now={now}
          width={columns}
          height={bodyHeight}
        />
      ) : (
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
      )}
      <Footer context={context} width={columns} flash={flash} />
      {editor ? <BudgetEditor state={editor} agent={agents.find((a) => a.id === editor.agent)} columns={columns} top={headerRows + 2} /> : null}
      {helpOpen ? <HelpOverlay columns={columns} rows={rows} /> : null}
    </Box>
  );
}
