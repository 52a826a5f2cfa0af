/**
 * The dashboard screen. Data comes from the store (published at a bounded frame rate); keys are
 * resolved through the command table and dispatched by name (use-dashboard-keys.ts, dashboard-commands.ts);
 * actions go to the DashboardSource and report back through a transient footer message. Nothing here blocks
 * the gateway. Each panel gets its data from its own hook; this file only composes them.
 */
import { Box, Text, useApp, useStdout, useWindowSize } from 'ink';
import { useMemo } from 'react';
import type { DashboardActions } from '../live/snapshot.js';
import { AgentDetail } from './agent-detail.js';
import { BudgetEditor } from './budget-editor.js';
import { dashboardLayout } from './dashboard-layout.js';
import type { DashboardStore } from './dashboard-store.js';
import { Footer } from './footer.js';
import { Header } from './header.js';
import { HelpOverlay } from './help.js';
import { MainBody, type MainBodyProps } from './main-body.js';
import { RequestDetailView } from './request-detail.js';
import { createTheme, ThemeContext, useTheme } from './theme.js';
import { deriveView, INITIAL_UI, type UiState } from './ui-state.js';
import { useAlertBell } from './use-alert-bell.js';
import { useCurrentState } from './use-current-state.js';
import { useDashboard } from './use-dashboard.js';
import { useDashboardActions } from './use-dashboard-actions.js';
import { useDashboardKeys } from './use-dashboard-keys.js';
import { useFlash } from './use-flash.js';
import { useLogHistory } from './use-log-history.js';
import { useMounted } from './use-mounted.js';
import { type LoadedDetail, useRequestDetail } from './use-request-detail.js';
import { useUsageView } from './use-usage-view.js';
import { UsageView } from './usage-view.js';

export { PAUSE_REASON } from './dashboard-commands.js';

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

export function App(props: AppProps) {
  const theme = useMemo(() => createTheme(props.noColor), [props.noColor]);
  return (
    <ThemeContext.Provider value={theme}>
      <Dashboard {...props} />
    </ThemeContext.Provider>
  );
}

interface BodyProps extends MainBodyProps {
  detail: LoadedDetail | undefined;
  usage: ReturnType<typeof useUsageView>;
}

/** The body under the header: an agent's detail, a request's detail, spend by model, or the main panels. */
function DashboardBody({ snapshot, now, ui, view, layout, history, detail, usage }: BodyProps) {
  const { columns, bodyHeight } = layout;
  if (view.showDetail && view.selected) {
    const agent = view.selected;
    const forecast = layout.forecasts.find((f) => f.agent === agent.id);
    return <AgentDetail agent={agent} recent={snapshot.recent} controlEvents={snapshot.controlEvents} forecast={forecast} now={now} width={columns} height={bodyHeight} />;
  }
  if (view.showRequest && ui.requestId !== undefined) {
    const current = detail?.id === ui.requestId ? detail : undefined;
    return <RequestDetailView id={ui.requestId} detail={current?.data} error={current?.error} width={columns} height={bodyHeight} />;
  }
  if (ui.view === 'usage') return <UsageView report={usage.report} error={usage.error} width={columns} height={bodyHeight} />;
  return <MainBody snapshot={snapshot} now={now} ui={ui} view={view} layout={layout} history={history} />;
}

function Dashboard(props: AppProps) {
  const theme = useTheme();
  const { snapshot, now } = useDashboard(props.store);
  const { columns, rows } = useWindowSize();
  const { exit } = useApp();
  const { stdout } = useStdout();
  const signal = props.signal ?? ((sequence: string) => void stdout.write(sequence));
  const { actions } = props;

  // Key handlers read `currentUi()`, not `ui`: see use-current-state.ts.
  const [ui, currentUi, updateUi] = useCurrentState<UiState>(INITIAL_UI);
  const mounted = useMounted();
  const [flash, setFlash] = useFlash(props.flashMs ?? 4000);
  const [history, searchHistory] = useLogHistory(actions, mounted);
  const ops = useDashboardActions({ actions, mounted, updateUi, setFlash, searchHistory });
  useAlertBell(snapshot, signal);
  const detail = useRequestDetail(ui.view === 'request' ? ui.requestId : undefined, actions, mounted);
  const usage = useUsageView(ui.view === 'usage', now, actions, mounted);

  const view = deriveView(ui, snapshot);
  const layout = dashboardLayout(snapshot, now, { columns, rows }, props.version, view.agents, view.breakers);
  const quit = (): void => {
    props.onQuitRequested?.();
    exit();
  };
  // Page keys move by what the log shows.
  useDashboardKeys({ currentUi, snapshot, history, pageRows: layout.plan.logRows, ops, actions, setFlash, signal, quit }, view.context);

  const { editor } = ui;
  return (
    <Box flexDirection="column" width={columns}>
      <Header snapshot={snapshot} now={now} width={columns} version={props.version} />
      {layout.banners.map((banner, i) => (
        <Box key={i} paddingLeft={1}>
          <Text wrap="truncate-end" bold {...theme.tone('warn')}>
            ! {banner}
          </Text>
        </Box>
      ))}
      <DashboardBody snapshot={snapshot} now={now} ui={ui} view={view} layout={layout} history={history} detail={detail} usage={usage} />
      <Footer context={view.context} width={columns} flash={flash} />
      {editor ? <BudgetEditor state={editor} agent={view.agents.find((a) => a.id === editor.agent)} columns={columns} top={layout.headerRows + 2} /> : null}
      {ui.helpOpen ? <HelpOverlay columns={columns} rows={rows} /> : null}
    </Box>
  );
}
