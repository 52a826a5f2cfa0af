/** React binding of the dashboard store: re-renders only when the store publishes a frame. */
import { useSyncExternalStore } from 'react';
import type { DashboardFrame, DashboardStore } from './dashboard-store.js';

export function useDashboard(store: DashboardStore): DashboardFrame {
  return useSyncExternalStore(store.subscribe, store.getFrame, store.getFrame);
}
