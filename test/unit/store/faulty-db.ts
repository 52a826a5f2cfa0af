/**
 * A real SQLite connection behind a switchboard of environmental faults, the way better-sqlite3 reports them
 * (a SqliteError with the extended result code): a disk that holds only so many audit rows, or every statement
 * failing with a given code for a while. Statements still run against the real file, so transactions roll back
 * and rows that land are really there.
 */
import Database from 'better-sqlite3';

export class FaultyDb {
  /** Rows the `requests` table may hold before inserts fail with SQLITE_FULL; undefined = no limit. */
  capacity: number | undefined;
  private failing: { code: string; message: string; remaining: number } | undefined;
  /** Statement runs attempted (including failed ones). */
  runs = 0;

  constructor(readonly real: Database.Database) {}

  get open(): boolean {
    return this.real.open;
  }

  /** The next `times` statement runs throw SqliteError(code). */
  failNext(code: string, times = Number.POSITIVE_INFINITY, message = `simulated ${code}`): void {
    this.failing = { code, message, remaining: times };
  }

  heal(): void {
    this.failing = undefined;
    this.capacity = undefined;
  }

  prepare(sql: string): { run(params: object): unknown } {
    const stmt = this.real.prepare(sql);
    const isRequestInsert = /^\s*INSERT INTO requests/i.test(sql);
    const count = this.real.prepare('SELECT count(*) FROM requests').pluck();
    return {
      run: (params: object) => {
        this.runs++;
        if (this.failing && this.failing.remaining > 0) {
          this.failing.remaining--;
          throw new Database.SqliteError(this.failing.message, this.failing.code);
        }
        if (isRequestInsert && this.capacity !== undefined && (count.get() as number) >= this.capacity) {
          throw new Database.SqliteError('database or disk is full', 'SQLITE_FULL');
        }
        return stmt.run(params);
      },
    };
  }

  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    return this.real.transaction(fn);
  }
}
