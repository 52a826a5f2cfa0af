/** The spend-by-model view's data: loaded when the view opens, then refreshed while it stays open. */
import { type RefObject, useEffect, useState } from 'react';
import { messageOf } from '../core/errors.js';
import type { DashboardActions, UsageReport } from '../live/snapshot.js';

/** The spend-by-model view refreshes this often while open. */
const USAGE_REFRESH_MS = 5000;

export function useUsageView(open: boolean, now: number, actions: DashboardActions, mounted: RefObject<boolean>): { report?: UsageReport; error?: string } {
  const [usage, setUsage] = useState<{ report?: UsageReport; error?: string }>({});
  const usageTick = open ? Math.floor(now / USAGE_REFRESH_MS) : undefined;
  useEffect(() => {
    if (usageTick === undefined) return;
    actions.usage().then(
      (report) => {
        if (mounted.current) setUsage({ report });
      },
      (err: unknown) => {
        if (mounted.current) setUsage((u) => ({ ...u, error: `could not load spend by model: ${messageOf(err)}` }));
      },
    );
  }, [usageTick, actions, mounted]);
  return usage;
}
