/**
 * Pure layout decisions: which agent columns fit a width, and how many rows each panel gets.
 * Narrow terminals lose columns in a fixed order (TOKENS, TOTAL, MODEL shortened, …); wide ones keep
 * everything. The whole screen stays below the terminal height, because output as tall as the
 * terminal makes Ink clear and redraw the screen on every frame (visible flicker).
 */
import { formatCount, formatTokens, formatUsd } from '../core/format.js';
import type { AgentStatus } from '../live/snapshot.js';

/** Cell widths of the agents table; 0 means the column is hidden. */
export interface AgentColumns {
  marker: number;
  agent: number;
  status: number;
  model: number;
  calls: number;
  tokens: number;
  hourly: number;
  /** Whole BUDGET/H cell; `bar` cells of it are the bar. */
  budget: number;
  bar: number;
  /** Compact budget cells show the percentage only, not "of <limit>". */
  budgetCompact: boolean;
  today: number;
  total: number;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const maxLen = (values: readonly string[], floor: number): number => values.reduce((m, v) => Math.max(m, v.length), floor);

export const STATUS_ICON = { active: '●', idle: '○', paused: '‖' } as const;

export function statusText(agent: AgentStatus): string {
  if (agent.status === 'paused') return `${STATUS_ICON.paused} paused${agent.pauseReason ? ` ${agent.pauseReason}` : ''}`;
  return `${STATUS_ICON[agent.status]} ${agent.status}`;
}

export function tokensText(agent: Pick<AgentStatus, 'tokensIn' | 'tokensOut'>): string {
  return `${formatTokens(agent.tokensIn)} / ${formatTokens(agent.tokensOut)}`;
}

/** The text after the bar in the BUDGET/H cell, e.g. "64% of 5.00". */
export function budgetLabel(agent: AgentStatus, compact: boolean): string {
  const limit = agent.budget.hourly;
  if (limit === undefined || limit === null) return '';
  const pct = limit === 0 ? (agent.costHourUsd > 0 ? 100 : 0) : Math.round((agent.costHourUsd / limit) * 100);
  return compact ? `${pct}%` : `${pct}% of ${formatUsd(limit)}`;
}

/** Sum of visible cells plus one space between neighbours. */
export function columnsWidth(c: AgentColumns): number {
  const cells = [c.marker, c.agent, c.status, c.model, c.calls, c.tokens, c.hourly, c.budget, c.today, c.total].filter((w) => w > 0);
  return cells.reduce((a, b) => a + b, 0) + Math.max(0, cells.length - 1);
}

/** Width the status column is planned with, whatever the agents' states: "‖ paused budget:h…". */
const STATUS_PLANNED = 16;

/**
 * Column widths for the agents table at `innerWidth` cells, from the table's content (names, models, numbers)
 * and the width; which columns show never depends on whether an agent is paused.
 */
export function agentColumns(agents: readonly AgentStatus[], innerWidth: number): AgentColumns {
  const fullBar = 10;
  const compactBar = 5;
  const budgetText = (compact: boolean): number => maxLen(agents.map((a) => budgetLabel(a, compact)), 4);
  // The status cell is planned at a fixed width: a pause and its reason come and go, and must not push other
  // columns off the table. The reason takes whatever room is left over (below).
  const c: AgentColumns = {
    marker: 1,
    agent: clamp(maxLen(agents.map((a) => a.id), 5), 5, 16),
    status: STATUS_PLANNED,
    model: clamp(maxLen(agents.map((a) => a.model ?? ''), 5), 5, 22),
    calls: maxLen(agents.map((a) => formatCount(a.calls)), 5),
    tokens: maxLen(agents.map(tokensText), 13),
    hourly: 8,
    budget: Math.max(8, fullBar + 1 + budgetText(false)),
    bar: fullBar,
    budgetCompact: false,
    today: maxLen(agents.map((a) => formatUsd(a.costTodayUsd)), 5),
    total: maxLen(agents.map((a) => formatUsd(a.costTotalUsd)), 5),
  };
  // Degradations in the order the design asks for; each applies only while the row is still too wide.
  const steps: Array<(c: AgentColumns) => void> = [
    (x) => (x.tokens = 0),
    (x) => (x.total = 0),
    (x) => (x.model = Math.min(x.model, 12)),
    (x) => {
      x.bar = compactBar;
      x.budgetCompact = true;
      x.budget = Math.max(8, compactBar + 1 + budgetText(true));
    },
    (x) => {
      x.status = Math.min(x.status, 14);
      x.agent = Math.min(x.agent, 10);
    },
    (x) => (x.model = 0),
    (x) => {
      x.budget = 0;
      x.bar = 0;
    },
    (x) => {
      x.status = Math.min(x.status, 9);
      x.agent = Math.min(x.agent, 8);
    },
  ];
  const natural = { ...c, status: clamp(maxLen(agents.map(statusText), 8), 8, 24) };
  for (const step of steps) {
    if (columnsWidth(c) <= innerWidth) break;
    step(c);
  }
  // Room left over goes to the text columns that were cut, status first (it carries the pause reason); the status
  // column never gets narrower than planned, so the columns after it stay put when an agent pauses or resumes.
  for (const key of ['status', 'agent', 'model'] as const) {
    const spare = innerWidth - columnsWidth(c);
    if (spare <= 0 || c[key] === 0) continue;
    c[key] = Math.max(key === 'status' ? c[key] : 0, Math.min(natural[key], c[key] + spare));
  }
  return c;
}

/** Panels side by side from this width; below it the breakers fold above the log. */
export const SIDE_BY_SIDE_MIN_COLUMNS = 110;

export function breakersPanelWidth(columns: number): number {
  return columns >= 150 ? 44 : 38;
}

/** Width of one breaker cell when breakers fold above the log, several per line. */
export const BREAKER_CELL_WIDTH = 36;

export function breakersPerLine(innerWidth: number): number {
  return Math.max(1, Math.floor((innerWidth + 2) / (BREAKER_CELL_WIDTH + 2)));
}

export interface BodyPlan {
  agentRows: number;
  forecastRows: number;
  breakerRows: number;
  logRows: number;
}

/**
 * Row budget for the body (everything between the header and the footer), `height` rows in total.
 * Agents panel: frame 2 + column header 1 + agent rows + forecast rows.
 * Stacked bottom: frame 2 + divider 1 + breaker rows + log rows. Side by side: frame 2 + log rows.
 */
export function planBody(opts: {
  height: number;
  agentCount: number;
  forecastCount: number;
  /** Lines the breakers need (already divided by breakers per line when stacked). */
  breakerLines: number;
  stacked: boolean;
}): BodyPlan {
  const minLog = 3;
  const agentsWanted = Math.max(1, opts.agentCount);
  const breakerLines = Math.max(1, opts.breakerLines);
  const bottomMin = opts.stacked ? 3 + Math.min(breakerLines, 2) + minLog : 2 + minLog;
  let forecastRows = Math.min(opts.forecastCount, 2);
  // Forecast lines are the first thing to give up when even one agent row would not fit.
  while (forecastRows > 0 && opts.height - 3 - forecastRows - bottomMin < 1) forecastRows -= 1;
  const agentRows = clamp(opts.height - 3 - forecastRows - bottomMin, 1, agentsWanted);
  const remaining = opts.height - (3 + agentRows + forecastRows);
  if (opts.stacked) {
    const breakerRows = clamp(remaining - 3 - minLog, 1, Math.min(breakerLines, 4));
    return { agentRows, forecastRows, breakerRows, logRows: Math.max(1, remaining - 3 - breakerRows) };
  }
  const logRows = Math.max(1, remaining - 2);
  return { agentRows, forecastRows, breakerRows: logRows, logRows };
}

/** First index of a window of `size` rows over `count` items that keeps `selected` visible. */
export function scrollWindow(count: number, size: number, selected: number): number {
  if (count <= size) return 0;
  return clamp(selected - Math.floor(size / 2), 0, count - size);
}
