/**
 * Retention: removes audit rows older than a cutoff in small transactions, so the writer is never blocked for
 * long, and folds each removed batch into `pruned_totals` first, so lifetime spend and counts stay right.
 */
import type Database from 'better-sqlite3';
import { IS_CALL_SQL, IS_ERROR_SQL } from './schema.js';

export class Retention {
  private readonly selectBatch: Database.Statement<[number, number]>;
  private readonly fold: Database.Statement<[]>;
  private readonly deleteBatch: Database.Statement<[]>;
  private readonly clearBatch: Database.Statement<[]>;
  private readonly pruneTx: (cutoffMs: number, batchSize: number) => number;

  constructor(db: Database.Database) {
    db.exec('CREATE TEMP TABLE IF NOT EXISTS prune_batch (rid INTEGER PRIMARY KEY)');
    this.selectBatch = db.prepare<[number, number]>(
      'INSERT INTO prune_batch (rid) SELECT rowid FROM requests WHERE ts < ? ORDER BY ts LIMIT ?',
    );
    this.fold = db.prepare<[]>(
      `INSERT INTO pruned_totals (agent, calls, errors, unpriced_calls, cost_usd, input_tokens, cache_read_tokens,
         cache_write_tokens, output_tokens, reasoning_tokens, last_ts)
       SELECT agent, SUM(CASE WHEN ${IS_CALL_SQL} THEN 1 ELSE 0 END), SUM(CASE WHEN ${IS_CALL_SQL} AND ${IS_ERROR_SQL} THEN 1 ELSE 0 END),
         SUM(CASE WHEN ${IS_CALL_SQL} AND cost_usd IS NULL THEN 1 ELSE 0 END),
         TOTAL(cost_usd), SUM(input_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens), SUM(output_tokens),
         SUM(reasoning_tokens), MAX(ts)
       FROM requests WHERE rowid IN (SELECT rid FROM prune_batch) GROUP BY agent
       ON CONFLICT (agent) DO UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,
         unpriced_calls = unpriced_calls + excluded.unpriced_calls, cost_usd = cost_usd + excluded.cost_usd,
         input_tokens = input_tokens + excluded.input_tokens, cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
         cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, output_tokens = output_tokens + excluded.output_tokens,
         reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, last_ts = MAX(COALESCE(last_ts, 0), excluded.last_ts)`,
    );
    this.deleteBatch = db.prepare<[]>('DELETE FROM requests WHERE rowid IN (SELECT rid FROM prune_batch)');
    this.clearBatch = db.prepare<[]>('DELETE FROM prune_batch');
    this.pruneTx = db.transaction((cutoffMs: number, batchSize: number) => {
      this.clearBatch.run();
      const selected = this.selectBatch.run(cutoffMs, batchSize).changes;
      if (selected > 0) {
        this.fold.run();
        this.deleteBatch.run();
      }
      this.clearBatch.run();
      return selected;
    });
  }

  /** Removes at most `batchSize` rows with ts < cutoffMs in one transaction; returns how many. */
  pruneBatch(cutoffMs: number, batchSize = 1000): number {
    return this.pruneTx(cutoffMs, Math.max(1, Math.floor(batchSize)));
  }

  /** Removes all rows with ts < cutoffMs, one batch per event-loop turn so requests keep flowing. */
  async pruneOlderThan(cutoffMs: number, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = this.pruneBatch(cutoffMs, batchSize);
      total += n;
      if (n < batchSize) return total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
