/** Spend and request history are private: the store creates its files 0600 and its directories 0700. */
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/index.js';
import { FakeScheduler, RecordingLogger, makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
const mode = (path: string): number => statSync(path).mode & 0o777;

beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('store file modes', () => {
  it('database, -wal, -shm, JSONL mirror and dead-letter file are 0600; a directory it creates is 0700', () => {
    const db = join(t.dir, 'data', 'audit.db');
    const jsonl = join(t.dir, 'logs', 'audit.jsonl');
    const store = openStore(db, { scheduler: new FakeScheduler(), jsonlPath: jsonl });
    try {
      store.db.exec(`CREATE TRIGGER reject_poison BEFORE INSERT ON requests WHEN NEW.agent = 'poison'
        BEGIN SELECT RAISE(ABORT, 'poison row'); END`);
      for (let i = 0; i < 20; i++) store.sink.record(makeRow());
      store.sink.record(makeRow({ agent: 'poison' }));
      store.sink.flush();
      for (const file of [db, `${db}-wal`, `${db}-shm`, jsonl, `${db}-unwritten.jsonl`]) {
        expect(existsSync(file), file).toBe(true);
        expect(mode(file).toString(8), file).toBe('600');
      }
      expect(mode(join(t.dir, 'data')).toString(8)).toBe('700');
      expect(mode(join(t.dir, 'logs')).toString(8)).toBe('700');
    } finally {
      store.close();
    }
  });

  it('an existing database others can read keeps its mode, with a warning that says how to fix it', () => {
    openStore(t.dbPath, { scheduler: new FakeScheduler() }).close();
    chmodSync(t.dbPath, 0o644);
    const logger = new RecordingLogger();
    openStore(t.dbPath, { scheduler: new FakeScheduler(), logger }).close();
    expect(mode(t.dbPath).toString(8)).toBe('644');
    const warning = logger.lines.find((l) => l.level === 'warn');
    expect(warning?.msg).toContain('chmod 600');
    expect(warning?.fields).toMatchObject({ path: t.dbPath, mode: '0644' });
  });
});
