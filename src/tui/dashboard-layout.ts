/** How the dashboard's rows and columns are shared out for one frame: header, banners, body panels, footer. */
import type { AgentStatus, BreakerStatus, DashboardSnapshot } from '../live/snapshot.js';
import { budgetForecasts } from './forecast.js';
import { headerBanners, headerSegments } from './header.js';
import { breakersPerLine, planBody, SIDE_BY_SIDE_MIN_COLUMNS } from './layout.js';
import { panelInnerWidth } from './panel.js';

export type DashboardLayout = ReturnType<typeof dashboardLayout>;

export function dashboardLayout(
  snapshot: DashboardSnapshot,
  now: number,
  size: { columns: number; rows: number },
  version: string,
  agents: readonly AgentStatus[],
  breakers: readonly BreakerStatus[],
) {
  const { columns, rows } = size;
  const { countsShown } = headerSegments(snapshot, now, columns - 1, version);
  const banners = headerBanners(snapshot, now);
  // Header 2 rows, optional banners, footer 1, and one spare row so Ink never treats the output as
  // full-screen (which would clear and redraw the terminal on every frame).
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
  return { columns, countsShown, banners, headerRows, bodyHeight, stacked, inner, perLine, forecasts, plan };
}
