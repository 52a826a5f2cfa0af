/** What the e2e terminal tests read back from a running gateway: `/api/status` over HTTP and the SQLite file. */
import Database from 'better-sqlite3';

export interface StatusAgent {
  id: string;
  status: string;
  calls: number;
  budget: { hourly: number | null; daily: number | null; total: number | null };
  pauseReason?: string;
  pausedBy?: string;
}

export interface GatewayStatus {
  gateway: { version: string; address: string };
  agents: StatusAgent[];
}

export async function fetchStatus(base: string): Promise<GatewayStatus> {
  const res = await fetch(`${base}/api/status`, { signal: AbortSignal.timeout(3000) });
  if (res.status !== 200) throw new Error(`GET /api/status: ${res.status}`);
  return (await res.json()) as GatewayStatus;
}

export async function fetchAgent(base: string, id: string): Promise<StatusAgent> {
  const agent = (await fetchStatus(base)).agents.find((a) => a.id === id);
  if (!agent) throw new Error(`no agent ${id} in /api/status`);
  return agent;
}

export interface ControlEventRow {
  id: number;
  ts: number;
  agent: string | null;
  kind: string;
  actor: string;
  old_value: string | null;
  new_value: string | null;
  reason: string | null;
}

/** Reads through a separate read-only connection, as an operator's sqlite3 would while the gateway runs. */
export function readControlEvents(dbPath: string): ControlEventRow[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT * FROM control_events ORDER BY id').all() as ControlEventRow[];
  } finally {
    db.close();
  }
}

/** Request rows of one agent newer than `sinceTs` with this status. */
export function countRequests(dbPath: string, agent: string, status: number, sinceTs: number): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT COUNT(*) AS n FROM requests WHERE agent = ? AND status = ? AND ts >= ?').get(agent, status, sinceTs) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
