/** The request detail's data: loaded from the gateway when the view opens on a request. */
import { type RefObject, useEffect, useState } from 'react';
import { messageOf } from '../core/errors.js';
import type { DashboardActions, RequestDetail } from '../live/snapshot.js';

export interface LoadedDetail {
  id: string;
  data?: RequestDetail | undefined;
  error?: string;
}

/** `requestId` is the request on screen, or undefined while the view is closed. */
export function useRequestDetail(requestId: string | undefined, actions: DashboardActions, mounted: RefObject<boolean>): LoadedDetail | undefined {
  const [detail, setDetail] = useState<LoadedDetail | undefined>(undefined);
  useEffect(() => {
    if (requestId === undefined) return;
    setDetail({ id: requestId });
    actions.requestDetail(requestId).then(
      (data) => {
        if (mounted.current) setDetail(data ? { id: requestId, data } : { id: requestId, error: `the gateway has no request ${requestId}` });
      },
      (err: unknown) => {
        if (mounted.current) setDetail({ id: requestId, error: `could not load ${requestId}: ${messageOf(err)}` });
      },
    );
  }, [requestId, actions, mounted]);
  return detail;
}
