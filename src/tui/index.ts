export { runDashboard, type RunDashboardOptions } from './run.js';
export { RemoteDashboardSource, type RemoteClient, type RemoteSourceOptions } from './remote-source.js';
export { createDashboardStore, realTimers, type DashboardFrame, type DashboardStore, type DashboardStoreOptions, type Timers } from './dashboard-store.js';
export {
  emptySnapshot,
  type AgentState,
  type AgentStatus,
  type BreakerState,
  type BreakerStatus,
  type BudgetChange,
  type BudgetLimits,
  type ControlEvent,
  type DashboardActions,
  type DashboardSnapshot,
  type DashboardSource,
  type GatewayInfo,
  type LogEntry,
} from './source.js';
