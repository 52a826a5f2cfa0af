/** The bell rings once for each alert that arrives while the dashboard is open (not for those it opened on). */
import { useEffect, useRef } from 'react';
import type { DashboardSnapshot } from '../live/snapshot.js';

const BELL = '\u0007';

export function useAlertBell(snapshot: DashboardSnapshot, signal: (sequence: string) => void): void {
  const alertsSeenUntil = useRef<number | undefined>(undefined);
  useEffect(() => {
    const newest = snapshot.controlEvents.reduce((t, e) => (e.kind === 'alert' && e.bell ? Math.max(t, e.ts) : t), -Infinity);
    if (alertsSeenUntil.current === undefined) alertsSeenUntil.current = newest;
    else if (newest > alertsSeenUntil.current) {
      alertsSeenUntil.current = newest;
      signal(BELL);
    }
  });
}
