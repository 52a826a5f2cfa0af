/**
 * What the dashboard's keys change, and what follows from it and the data: the selections, the key context and
 * the log's lines. Pure, so every key of a burst can derive its view from the state the keys before it left.
 */
import { type AgentSort, sortAgents } from './agent-sort.js';
import { sortBreakers } from './breakers-panel.js';
import type { BudgetEditorState } from './budget-input.js';
import type { KeyContext } from './keymap.js';
import { visibleLog, withHistory } from './log-filter.js';
import { foldRejections, type LogLine } from './log-view.js';
import type { DashboardSnapshot, LogEntry } from '../live/snapshot.js';

export type Focus = 'agents' | 'log' | 'breakers';
export const FOCUS_ORDER: readonly Focus[] = ['agents', 'log', 'breakers'];

/** What the keys change. One object, so that every key of a burst sees what the keys before it did. */
export interface UiState {
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

export const INITIAL_UI: UiState = {
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
export interface HistorySearch {
  filter: string;
  entries: readonly LogEntry[] | undefined;
  error?: string;
}

/** The log's lines for this state: frozen or live, filtered (with the history's answer), folded. */
export function logLinesFor(ui: UiState, snapshot: DashboardSnapshot, history: HistorySearch | undefined): { lines: LogLine[]; matched: number } {
  const visible = visibleLog(ui.frozen ?? snapshot.recent, ui.filter);
  const entries = history && ui.filter !== '' && history.filter === ui.filter && history.entries ? withHistory(visible, history.entries) : visible;
  return { lines: foldRejections(entries), matched: entries.length };
}

export type DerivedView = ReturnType<typeof deriveView>;

/** The selections and key context that follow from the UI state and the data. */
export function deriveView(ui: UiState, snapshot: DashboardSnapshot) {
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
