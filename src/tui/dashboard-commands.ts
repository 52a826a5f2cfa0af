/**
 * What each command of the key table does on the dashboard, one small function per command. A command reads the
 * UI state as the keys before it left it (`ui`), the view derived from that state, and acts through `ops`.
 */
import type { DashboardActions, DashboardSnapshot } from '../live/snapshot.js';
import { nextSort } from './agent-sort.js';
import { editBudget, openBudgetEditor } from './budget-input.js';
import type { Flash } from './footer.js';
import type { CommandName } from './keymap.js';
import { cursorIndex, moveCursor } from './log-view.js';
import { osc52 } from './request-detail.js';
import { type DerivedView, FOCUS_ORDER, type HistorySearch, logLinesFor, type UiState } from './ui-state.js';
import type { DashboardOps } from './use-dashboard-actions.js';

export const PAUSE_REASON = 'paused from the dashboard';

export interface CommandContext {
  ui: UiState;
  view: DerivedView;
  snapshot: DashboardSnapshot;
  history: HistorySearch | undefined;
  /** Log lines a page key moves by (what the log shows). */
  pageRows: number;
  ops: DashboardOps;
  actions: DashboardActions;
  setFlash: (flash: Flash) => void;
  signal: (sequence: string) => void;
  quit: () => void;
}

type Command = (c: CommandContext) => void;

function moveLog(c: CommandContext, by: number): void {
  c.ops.patchUi({ logCursor: moveCursor(logLinesFor(c.ui, c.snapshot, c.history).lines, c.ui.logCursor, by) });
}

/** Up and down move the focused panel's selection: log line, breaker or agent. */
function move(by: number): Command {
  return (c) => {
    const { ui, view: v } = c;
    if (v.context === 'main' && ui.focus === 'log') return moveLog(c, by);
    if (v.context === 'main' && ui.focus === 'breakers') {
      if (v.breakers.length === 0) return;
      const index = Math.max(0, v.breakers.findIndex((b) => b.key === v.selectedBreaker?.key));
      const next = v.breakers[Math.min(v.breakers.length - 1, Math.max(0, index + by))];
      if (next) c.ops.patchUi({ selectedBreakerKey: next.key });
      return;
    }
    const next = v.agents[Math.min(v.agents.length - 1, Math.max(0, v.selectedIndex + by))];
    if (next) c.ops.patchUi({ selectedId: next.id });
  };
}

/** Page keys always page the log, focusing it first. */
function page(direction: -1 | 1): Command {
  return (c) => {
    if (c.ui.focus !== 'log') c.ops.patchUi({ focus: 'log' });
    moveLog(c, direction * Math.max(1, c.pageRows - 1));
  };
}

const togglePause: Command = (c) => {
  const agent = c.view.selected;
  if (!agent) return c.setFlash({ text: 'no agent selected', tone: 'warn' });
  const id = agent.id;
  if (agent.status === 'paused') return c.ops.runAction(`resuming ${id}…`, () => c.actions.resume(id), `${id} resumed`);
  c.ops.runAction(`pausing ${id}…`, () => c.actions.pause(id, PAUSE_REASON), `${id} paused`);
};

const editAgentBudget: Command = (c) => {
  const agent = c.view.selected;
  if (!agent) return c.setFlash({ text: 'no agent selected', tone: 'warn' });
  c.ops.setEditor(() => openBudgetEditor(agent.id, agent.budget));
};

/** Enter opens the selected log line's request, or the selected agent's detail. */
const open: Command = (c) => {
  if (c.ui.focus === 'log') {
    const { lines } = logLinesFor(c.ui, c.snapshot, c.history);
    const line = lines[cursorIndex(lines, c.ui.logCursor)];
    if (!line) return c.setFlash({ text: 'no request to show', tone: 'warn' });
    return c.ops.patchUi({ view: 'request', requestId: line.entry.id });
  }
  if (c.view.selected) c.ops.patchUi({ view: 'detail' });
};

/** Resets the selected breaker when the breakers have focus, else the first one not closed. */
const resetBreaker: Command = (c) => {
  const v = c.view;
  const target = c.ui.focus === 'breakers' && v.selectedBreaker ? v.selectedBreaker : v.breakers.find((b) => b.state !== 'closed');
  if (!target) return c.setFlash({ text: 'no open breaker to reset', tone: 'warn' });
  c.ops.runAction(`resetting breaker ${target.key}…`, () => c.actions.resetBreaker(target.key), `breaker ${target.key} reset`);
};

const copyRequestId: Command = (c) => {
  const id = c.ui.requestId;
  if (id === undefined) return;
  c.signal(osc52(id));
  c.setFlash({ text: `copied ${id} to the clipboard`, tone: 'ok' });
};

/** The keys of an open text field: the budget editor's when it is open, else the log filter's. */
const inputCommands: Record<'input.submit' | 'input.cancel' | 'input.erase' | 'input.next' | 'input.prev', Command> = {
  'input.submit': ({ ui, ops }) => (ui.editor ? ops.saveBudget(ui.editor) : ops.applyFilter(ui.filter)),
  'input.cancel': ({ ui, ops }) => (ui.editor ? ops.setEditor(() => undefined) : ops.applyFilter('')),
  'input.erase': ({ ui, ops }) => {
    if (ui.editor) return ops.setEditor((e) => e && editBudget(e, { type: 'erase' }));
    ops.patchUi({ filter: Array.from(ui.filter).slice(0, -1).join('') });
  },
  'input.next': ({ ui, ops }) => {
    if (ui.editor) ops.setEditor((e) => e && editBudget(e, { type: 'move', by: 1 }));
  },
  'input.prev': ({ ui, ops }) => {
    if (ui.editor) ops.setEditor((e) => e && editBudget(e, { type: 'move', by: -1 }));
  },
};

export const COMMANDS: Record<CommandName, Command> = {
  'nav.up': move(-1),
  'nav.down': move(1),
  'nav.pageUp': page(-1),
  'nav.pageDown': page(1),
  'focus.next': ({ ui, ops }) => ops.patchUi({ focus: FOCUS_ORDER[(FOCUS_ORDER.indexOf(ui.focus) + 1) % FOCUS_ORDER.length] ?? 'agents' }),
  'agent.pause': togglePause,
  'agent.budget': editAgentBudget,
  'view.open': open,
  'breaker.reset': resetBreaker,
  'log.filter': ({ ops }) => ops.patchUi({ filterEditing: true }),
  'log.freeze': ({ ui, ops, snapshot }) => ops.patchUi(ui.frozen ? { frozen: undefined, logCursor: undefined } : { frozen: [...snapshot.recent] }),
  'agents.sort': ({ ui, ops }) => ops.patchUi({ sort: nextSort(ui.sort) }),
  'view.usage': ({ ui, ops }) => ops.patchUi({ view: ui.view === 'usage' ? 'main' : 'usage' }),
  'request.copy': copyRequestId,
  'help.toggle': ({ ui, ops }) => ops.patchUi({ helpOpen: !ui.helpOpen }),
  'view.back': ({ ui, ops }) => ops.patchUi(ui.helpOpen ? { helpOpen: false } : { view: 'main' }),
  'app.quit': ({ quit }) => quit(),
  ...inputCommands,
};
