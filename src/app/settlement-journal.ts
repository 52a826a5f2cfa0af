/**
 * The file beside the audit database where settlements Redis has not taken (shared_state during an outage) survive
 * a stop or a crash: `<db>.shared-pending.json`, written whole through a temporary file and a rename, removed once
 * Redis took everything. Read once, at start.
 */
import { readFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { SettlementJournal, WaitingSettlements } from '../state/shared/shared-controls.js';

const EMPTY: WaitingSettlements = { pending: [], unanswered: [] };

export function settlementJournal(dbPath: string): SettlementJournal {
  const path = `${dbPath}.shared-pending.json`;
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
        throw err;
      }
      const parsed = JSON.parse(text) as Partial<WaitingSettlements>;
      if (!Array.isArray(parsed.pending) || !Array.isArray(parsed.unanswered)) throw new Error(`${path} is not a settlement journal`);
      return { pending: parsed.pending, unanswered: parsed.unanswered };
    },
    async save(waiting) {
      if (waiting.pending.length === 0 && waiting.unanswered.length === 0) {
        await rm(path, { force: true });
        return;
      }
      const tmp = `${path}.tmp`;
      await writeFile(tmp, JSON.stringify(waiting));
      await rename(tmp, path);
    },
  };
}
