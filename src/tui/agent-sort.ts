/** The orders the agents table can be sorted in (`s` cycles them), and the column each one marks. */
import type { AgentStatus } from '../live/snapshot.js';

export type AgentSort = 'name' | 'spend' | 'calls' | 'errors' | 'status';

export const AGENT_SORTS: readonly AgentSort[] = ['name', 'spend', 'calls', 'errors', 'status'];

export function nextSort(sort: AgentSort): AgentSort {
  return AGENT_SORTS[(AGENT_SORTS.indexOf(sort) + 1) % AGENT_SORTS.length] ?? 'name';
}

/** What the table title says: "by spend today". */
export const SORT_LABEL: Record<AgentSort, string> = {
  name: 'by name',
  spend: 'by spend today',
  calls: 'by calls',
  errors: 'by errors',
  status: 'by status',
};

const STATUS_ORDER: Record<AgentStatus['status'], number> = { paused: 0, active: 1, idle: 2 };

/** A sorted copy: names ascending, numbers largest first, paused agents first; ties by name. */
export function sortAgents(agents: readonly AgentStatus[], sort: AgentSort): AgentStatus[] {
  const key = (a: AgentStatus): number => {
    switch (sort) {
      case 'spend':
        return -a.costTodayUsd;
      case 'calls':
        return -a.calls;
      case 'errors':
        return -a.errors;
      case 'status':
        return STATUS_ORDER[a.status];
      case 'name':
        return 0;
    }
  };
  return [...agents].sort((a, b) => key(a) - key(b) || a.id.localeCompare(b.id));
}
