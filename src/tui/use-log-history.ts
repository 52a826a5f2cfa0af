/** The log filter's search of the gateway's stored history; the log shows what memory holds meanwhile. */
import { type RefObject, useState } from 'react';
import { messageOf } from '../core/errors.js';
import type { DashboardActions } from '../live/snapshot.js';
import type { HistorySearch } from './ui-state.js';

export function useLogHistory(actions: DashboardActions, mounted: RefObject<boolean>): [history: HistorySearch | undefined, search: (filter: string) => void] {
  const [history, setHistory] = useState<HistorySearch | undefined>(undefined);
  const search = (text: string): void => {
    if (text === '') return setHistory(undefined);
    setHistory({ filter: text, entries: undefined });
    actions.searchLogs(text).then(
      (entries) => {
        if (mounted.current) setHistory((h) => (h?.filter === text ? { filter: text, entries } : h));
      },
      (err: unknown) => {
        if (mounted.current) setHistory((h) => (h?.filter === text ? { filter: text, entries: [], error: messageOf(err) } : h));
      },
    );
  };
  return [history, search];
}
