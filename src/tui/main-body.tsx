/** The main view's body: the agents table above the breakers and the log (side by side, or stacked when narrow). */
import { Box } from 'ink';
import type { DashboardSnapshot } from '../live/snapshot.js';
import { AgentsTable } from './agents-table.js';
import { BreakersContent } from './breakers-panel.js';
import type { DashboardLayout } from './dashboard-layout.js';
import { agentCountsText } from './header.js';
import { agentColumns, breakersPanelWidth, scrollWindow } from './layout.js';
import { visibleLog } from './log-filter.js';
import { LogRows, logTitleRight } from './log-panel.js';
import { arrivedSince } from './log-view.js';
import { Panel, panelInnerWidth, type PanelSection } from './panel.js';
import { type DerivedView, type HistorySearch, logLinesFor, type UiState } from './ui-state.js';

export interface MainBodyProps {
  snapshot: DashboardSnapshot;
  now: number;
  ui: UiState;
  view: DerivedView;
  layout: DashboardLayout;
  history: HistorySearch | undefined;
}

function breakersSection(p: MainBodyProps, width: number, height: number): PanelSection {
  const providers = p.snapshot.gateway.providers;
  const providersText = `${providers} provider${providers === 1 ? '' : 's'}`;
  const focused = p.ui.focus === 'breakers';
  return {
    title: p.layout.countsShown ? 'Breakers' : `Breakers · ${providersText}`,
    focused,
    height,
    children: (
      <BreakersContent
        breakers={p.view.breakers}
        width={panelInnerWidth(width)}
        rows={height}
        perLine={p.layout.perLine}
        selectedKey={p.view.selectedBreaker?.key}
        focused={focused}
        elapsedMs={p.now - p.snapshot.gateway.now}
      />
    ),
  };
}

function logSection(p: MainBodyProps, width: number): PanelSection {
  const { ui, history, snapshot } = p;
  const { filter } = ui;
  const log = logLinesFor(ui, snapshot, history);
  const searching = history !== undefined && history.filter === filter && history.entries === undefined;
  const frozenNew = ui.frozen ? arrivedSince(ui.frozen, visibleLog(snapshot.recent, filter)) : undefined;
  const rows = p.layout.plan.logRows;
  const emptyText = filter ? (searching ? `searching the history for /${filter}…` : `no requests match /${filter}`) : `waiting for requests at ${snapshot.gateway.address}/v1`;
  return {
    title: 'Log',
    right: logTitleRight({ filter, editing: ui.filterEditing, matched: log.matched, searching, frozenNew }),
    focused: ui.focus === 'log',
    height: rows,
    children: <LogRows lines={log.lines} width={panelInnerWidth(width)} rows={rows} cursor={ui.logCursor} focused={ui.focus === 'log'} emptyText={emptyText} />,
  };
}

export function MainBody(p: MainBodyProps) {
  const { layout, view, snapshot } = p;
  const { columns, plan } = layout;
  const sideBreakersWidth = breakersPanelWidth(columns);
  return (
    <>
      <AgentsTable
        agents={view.agents}
        selectedId={view.selected?.id}
        columns={agentColumns(view.agents, layout.inner)}
        width={columns}
        offset={scrollWindow(view.agents.length, plan.agentRows, view.selectedIndex)}
        rows={plan.agentRows}
        forecasts={layout.forecasts}
        forecastRows={plan.forecastRows}
        focused={p.ui.focus === 'agents'}
        sort={p.ui.sort}
        {...(layout.countsShown ? {} : { countsText: agentCountsText(snapshot) })}
        emptyHint={`no agents yet: point a client at ${snapshot.gateway.address}/v1`}
      />
      {layout.stacked ? (
        <Panel width={columns} sections={[breakersSection(p, columns, plan.breakerRows), logSection(p, columns)]} />
      ) : (
        <Box flexDirection="row">
          <Panel width={sideBreakersWidth} sections={[breakersSection(p, sideBreakersWidth, plan.logRows)]} />
          <Panel width={columns - sideBreakersWidth} sections={[logSection(p, columns - sideBreakersWidth)]} />
        </Box>
      )}
    </>
  );
}
