/** The agents panel: one row per agent, then budget forecast lines. */
import { Text } from 'ink';
import type { ReactNode } from 'react';
import { budgetBar, fit, formatCount, formatUsd, shortenModel } from '../core/format.js';
import { describeForecast, type BudgetForecast } from './forecast.js';
import { type AgentSort, SORT_LABEL } from './agent-sort.js';
import { type AgentColumns, budgetLabel, statusText, tokensText } from './layout.js';
import { Panel, panelInnerWidth } from './panel.js';
import type { AgentStatus } from '../live/snapshot.js';
import { type Tone, useTheme } from './theme.js';

export const UNPRICED_MARKER = '+?';

function statusTone(agent: AgentStatus): Tone {
  if (agent.status === 'paused') return 'paused';
  if (agent.status === 'active') return 'ok';
  return 'muted';
}

/** $/HOUR cell: "unpriced" when nothing could be priced, a "+?" suffix when only some calls could. */
export function hourlyText(agent: AgentStatus): string {
  if (agent.unpriced && agent.costTotalUsd === 0) return 'unpriced';
  return formatUsd(agent.costHourUsd) + (agent.unpriced ? UNPRICED_MARKER : '');
}

function spendText(agent: AgentStatus, value: number): string {
  if (agent.unpriced && agent.costTotalUsd === 0) return '—';
  return formatUsd(value);
}

function budgetTone(ratio: number): Tone {
  if (ratio >= 1) return 'error';
  if (ratio >= 0.8) return 'warn';
  return 'ok';
}

function Cell(props: { width: number; text: string; align?: 'left' | 'right'; tone?: Tone | undefined; bold?: boolean }) {
  const theme = useTheme();
  return (
    <Text bold={props.bold ?? false} {...theme.tone(props.tone)}>
      {fit(props.text, props.width, props.align ?? 'left')}
    </Text>
  );
}

const GAP = ' ';

/** The column a sort marks in the header (errors has no column: the title says it). */
const SORTED_COLUMN: Record<AgentSort, string | undefined> = { name: 'AGENT', spend: 'TODAY', calls: 'CALLS', errors: undefined, status: 'STATUS' };

function HeaderRow({ c, sort }: { c: AgentColumns; sort: AgentSort }) {
  const theme = useTheme();
  const cells: Array<[number, string, 'left' | 'right']> = [
    [c.marker, '', 'left'],
    [c.agent, 'AGENT', 'left'],
    [c.status, 'STATUS', 'left'],
    [c.model, 'MODEL', 'left'],
    [c.calls, 'CALLS', 'right'],
    [c.tokens, 'TOKENS in/out', 'right'],
    [c.hourly, '$/HOUR', 'right'],
    [c.budget, 'BUDGET/H', 'left'],
    [c.today, 'TODAY', 'right'],
    [c.total, 'TOTAL', 'right'],
  ];
  // The sorted column's arrow takes the place of the space before it: no column gets wider for it.
  const arrow = sort === 'name' || sort === 'status' ? '▲' : '▼';
  const text = cells
    .filter(([w]) => w > 0)
    .map(([w, label, align], i) => (i === 0 ? '' : SORTED_COLUMN[sort] === label ? arrow : GAP) + fit(label, w, align))
    .join('');
  return (
    <Text wrap="truncate-end" bold {...theme.tone('muted')}>
      {text}
    </Text>
  );
}

function BudgetCell({ agent, c }: { agent: AgentStatus; c: AgentColumns }) {
  const theme = useTheme();
  const limit = agent.budget.hourly;
  if (limit === undefined || limit === null) {
    return <Text {...theme.tone('muted')}>{fit('no limit', c.budget)}</Text>;
  }
  const ratio = limit === 0 ? (agent.costHourUsd > 0 ? 1 : 0) : agent.costHourUsd / limit;
  return (
    <Text>
      <Text {...theme.tone(budgetTone(ratio))}>{budgetBar(ratio, c.bar)}</Text>
      <Text>{fit(` ${budgetLabel(agent, c.budgetCompact)}`, c.budget - c.bar)}</Text>
    </Text>
  );
}

function AgentRow({ agent, c, selected, focused }: { agent: AgentStatus; c: AgentColumns; selected: boolean; focused: boolean }) {
  const hourly = hourlyText(agent);
  // Hidden columns have width 0 and vanish together with their separating space.
  const cells: Array<[number, ReactNode]> = [
    [c.marker, <Cell width={c.marker} text={selected ? '▸' : ' '} tone={focused ? 'accent' : 'muted'} />],
    [c.agent, <Cell width={c.agent} text={agent.id} bold={selected} />],
    [c.status, <Cell width={c.status} text={statusText(agent)} tone={statusTone(agent)} />],
    [c.model, <Cell width={c.model} text={shortenModel(agent.model ?? '—', c.model)} />],
    [c.calls, <Cell width={c.calls} text={formatCount(agent.calls)} align="right" />],
    [c.tokens, <Cell width={c.tokens} text={tokensText(agent)} align="right" />],
    [c.hourly, <Cell width={c.hourly} text={hourly} align="right" tone={hourly === 'unpriced' ? 'warn' : undefined} />],
    [c.budget, <BudgetCell agent={agent} c={c} />],
    [c.today, <Cell width={c.today} text={spendText(agent, agent.costTodayUsd)} align="right" />],
    [c.total, <Cell width={c.total} text={spendText(agent, agent.costTotalUsd)} align="right" />],
  ];
  const parts = cells.filter(([w]) => w > 0).map(([, node]) => node);
  return (
    <Text wrap="truncate-end">
      {parts.map((p, i) => (
        <Text key={i}>
          {i > 0 ? GAP : ''}
          {p}
        </Text>
      ))}
    </Text>
  );
}

export interface AgentsTableProps {
  agents: readonly AgentStatus[];
  selectedId: string | undefined;
  columns: AgentColumns;
  width: number;
  /** First agent shown and how many rows are available. */
  offset: number;
  rows: number;
  forecasts: readonly BudgetForecast[];
  forecastRows: number;
  focused: boolean;
  /** The order the agents come in, named in the title and marked on its column. */
  sort: AgentSort;
  /** e.g. "5 agents (1 paused)" when the header had no room for it. */
  countsText?: string;
  emptyHint: string;
}

export function AgentsTable(props: AgentsTableProps) {
  const theme = useTheme();
  const inner = panelInnerWidth(props.width);
  const visible = props.agents.slice(props.offset, props.offset + props.rows);
  const hidden = props.agents.length - visible.length;
  const title = ['Agents', props.countsText, SORT_LABEL[props.sort], hidden > 0 ? `${props.offset + 1}-${props.offset + visible.length} of ${props.agents.length}` : undefined]
    .filter(Boolean)
    .join(' · ');
  return (
    <Panel
      width={props.width}
      sections={[
        {
          title,
          focused: props.focused,
          children: (
            <>
              <HeaderRow c={props.columns} sort={props.sort} />
              {visible.length === 0 ? (
                <Text wrap="truncate-end" {...theme.tone('muted')}>
                  {fit(props.emptyHint, inner)}
                </Text>
              ) : (
                visible.map((agent) => (
                  <AgentRow key={agent.id} agent={agent} c={props.columns} selected={agent.id === props.selectedId} focused={props.focused} />
                ))
              )}
              {props.forecasts.slice(0, props.forecastRows).map((f) => (
                <Text key={`f:${f.agent}`} wrap="truncate-end" {...theme.tone(f.exhausted ? 'error' : 'warn')}>
                  {describeForecast(f)}
                </Text>
              ))}
            </>
          ),
        },
      ]}
    />
  );
}
