/**
 * The JSONL mirror keeps every row it could not append and writes it later, whole lines only, in order; its
 * files are private. The full-disk case runs on a real tmpfs (skipped where one cannot be mounted).
 */
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JsonlMirror } from '../../../src/store/index.js';
import { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '../../helpers/tmpfs.js';
import { FakeScheduler, RecordingLogger, makeRow, tempDir } from './helpers.js';

let t: ReturnType<typeof tempDir>;
let scheduler: FakeScheduler;
let logger: RecordingLogger;

const ids = (path: string): string[] =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: string }).id);

beforeEach(() => {
  t = tempDir();
  scheduler = new FakeScheduler();
  logger = new RecordingLogger();
});
afterEach(() => t.cleanup());

describe('JsonlMirror', () => {
  it('keeps rows it cannot append, says so once, and writes them in order when the path works again', () => {
    const path = join(t.dir, 'audit.jsonl');
    mkdirSync(path); // a directory where the file should be: every append fails
    const mirror = new JsonlMirror(path, { logger, scheduler, retryBaseMs: 100, retryMaxMs: 400 });
    const rows = [makeRow(), makeRow()];
    mirror.append(rows);
    expect(mirror.pendingRows()).toBe(2);
    expect(mirror.trouble()).toContain(path);
    expect(scheduler.delays()).toEqual([100]);
    const more = [makeRow(), makeRow(), makeRow()];
    mirror.append(more); // waits for the retry, in order
    scheduler.fireAll();
    scheduler.fireAll();
    expect(scheduler.delays()).toEqual([400]);
    expect(mirror.pendingRows()).toBe(5);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(logger.lines[0]?.fields?.rows).toBe(2);

    rmdirSync(path);
    scheduler.fireAll();
    expect(ids(path)).toEqual([...rows, ...more].map((r) => r.id));
    expect(mirror.pendingRows()).toBe(0);
    expect(mirror.trouble()).toBeUndefined();
    expect(logger.lines.some((l) => l.msg.includes('recovered'))).toBe(true);
  });

  it('creates its file 0600 and a missing directory 0700', () => {
    const path = join(t.dir, 'logs', 'audit.jsonl');
    const mirror = new JsonlMirror(path, { scheduler });
    mirror.append([makeRow()]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(t.dir, 'logs')).mode & 0o777).toBe(0o700);
  });

  it('appends to an existing file as it is', () => {
    const path = join(t.dir, 'audit.jsonl');
    writeFileSync(path, `${JSON.stringify({ id: 'earlier' })}\n`);
    new JsonlMirror(path, { scheduler }).append([makeRow({ id: 'later' })]);
    expect(ids(path)).toEqual(['earlier', 'later']);
  });
});

describe.skipIf(tmpfsUnavailable !== undefined)('JsonlMirror on a full filesystem (tmpfs)', () => {
  let fs: Tmpfs;
  beforeEach(() => {
    fs = mountTmpfs(256 * 1024);
  });
  afterEach(() => fs.unmount());

  it('a write cut short leaves no half line; every row lands once space returns', () => {
    const path = join(fs.dir, 'audit.jsonl');
    const mirror = new JsonlMirror(path, { logger, scheduler });
    const first = [makeRow(), makeRow()];
    mirror.append(first);
    const before = readFileSync(path, 'utf8');
    fs.fill();
    // About 600 bytes a line: far more than is left, so the kernel takes part of the write and then says ENOSPC.
    const rows = Array.from({ length: 300 }, () => makeRow());
    mirror.append(rows);
    expect(mirror.pendingRows()).toBe(300);
    expect(mirror.trouble()).toContain('ENOSPC');
    expect(readFileSync(path, 'utf8')).toBe(before);

    fs.free();
    scheduler.fireAll();
    expect(ids(path)).toEqual([...first, ...rows].map((r) => r.id));
    expect(mirror.pendingRows()).toBe(0);
  });
});

if (tmpfsUnavailable !== undefined) console.warn(`JsonlMirror full-filesystem test skipped: ${tmpfsUnavailable}`);
