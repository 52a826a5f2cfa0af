import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION, migrate, openReadonlyStore, openStore, userVersion } from '../../../src/store/index.js';
import { makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
beforeEach(() => {
  t = tempDir();
});
afterEach(() => t.cleanup());

describe('opening and migrating', () => {
  it('creates the schema, sets user_version, WAL and synchronous=NORMAL', () => {
    const store = openStore(join(t.dir, 'nested', 'dir', 'gw.db'));
    try {
      expect(userVersion(store.db)).toBe(SCHEMA_VERSION);
      expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
      expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
      expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
      const tables = store.db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => r.name);
      expect(tables).toEqual(['agent_overrides', 'control_events', 'pruned_totals', 'requests']);
      const indexes = store.db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all()
        .map((r) => r.name);
      expect(indexes).toEqual(['control_events_agent', 'requests_agent_ts', 'requests_ts']);
    } finally {
      store.close();
    }
  });

  it('reopening is idempotent and keeps data', () => {
    const a = openStore(t.dbPath);
    a.sink.record(makeRow({ id: 'keep-me' }));
    a.close();
    const b = openStore(t.dbPath);
    try {
      expect(userVersion(b.db)).toBe(SCHEMA_VERSION);
      expect(b.queries.requestById('keep-me')?.id).toBe('keep-me');
      expect(migrate(b.db)).toBe(SCHEMA_VERSION);
    } finally {
      b.close();
    }
  });

  it('a file written before requests had an adjusted column gains it, and its rows read back with none', () => {
    const old = new Database(t.dbPath);
    migrate(old, MIGRATIONS.slice(0, 2));
    old
      .prepare('INSERT INTO requests (id, ts, agent, model, client_format, status) VALUES (?, ?, ?, ?, ?, ?)')
      .run('before', 1_700_000_000_000, 'coder', 'gpt-4o-mini', 'openai-chat', 200);
    old.close();
    const store = openStore(t.dbPath);
    try {
      expect(userVersion(store.db)).toBe(SCHEMA_VERSION);
      expect(store.queries.requestById('before')?.adjusted).toBeNull();
      store.sink.record(makeRow({ id: 'after', adjusted: 'max_tokens:128000->64000' }));
      store.sink.flush();
      expect(store.queries.requestById('after')?.adjusted).toBe('max_tokens:128000->64000');
    } finally {
      store.close();
    }
  });

  it('runs only the missing steps, in order', () => {
    const db = new Database(t.dbPath);
    try {
      const steps = ['CREATE TABLE a (x INTEGER)', 'INSERT INTO a VALUES (1)', 'INSERT INTO a VALUES (2)'];
      migrate(db, steps.slice(0, 2));
      expect(userVersion(db)).toBe(2);
      migrate(db, steps);
      expect(userVersion(db)).toBe(3);
      migrate(db, steps);
      expect(db.prepare('SELECT x FROM a ORDER BY x').pluck().all()).toEqual([1, 2]);
    } finally {
      db.close();
    }
  });

  it('a failing step leaves the version where it was', () => {
    const db = new Database(t.dbPath);
    try {
      expect(() => migrate(db, ['CREATE TABLE a (x)', 'CREATE TABLE b (y); THIS IS NOT SQL'])).toThrow();
      expect(userVersion(db)).toBe(1);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'b'").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  it('refuses a file written by a newer schema', () => {
    const db = new Database(t.dbPath);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => openStore(t.dbPath)).toThrow(/newer/);
    expect(() => openReadonlyStore(t.dbPath)).toThrow(/newer/);
  });

  it('read-only open needs an existing ai-gateway database and never creates one', () => {
    expect(() => openReadonlyStore(t.dbPath)).toThrow(/no ai-gateway database/);
    const other = join(t.dir, 'other.db');
    new Database(other).exec('CREATE TABLE x (y)').close();
    expect(() => openReadonlyStore(other)).toThrow(/not an ai-gateway database/);
    const junk = join(t.dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just text '.repeat(100));
    expect(() => openReadonlyStore(junk)).toThrow();
  });
});
