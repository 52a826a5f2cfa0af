/**
 * The audit history is the user's alone: every file the store creates (database, its -wal and -shm, the JSONL
 * mirror, the dead-letter file, the lock) is 0600, and a directory it creates is 0700. Modes are given at
 * creation rather than fixed afterwards, so there is no moment when another user could open the file.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, writeFileSync } from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates the directory (and missing parents) 0700; an existing one keeps its mode. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates an empty 0600 file unless one exists; returns whether it created it. */
export function createPrivateFile(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Appends text to a 0600 file, all or nothing: a write cut short (a full disk) is truncated back, so a retry
 * never leaves half a line behind. The store is the file's only writer.
 */
export function appendWholeSync(path: string, text: string): void {
  const fd = openSync(path, 'a', PRIVATE_FILE_MODE);
  try {
    const start = fstatSync(fd).size;
    try {
      writeFileSync(fd, text);
    } catch (err) {
      try {
        ftruncateSync(fd, start);
      } catch {
        // The write's own error below is the one worth reporting.
      }
      throw err;
    }
  } finally {
    closeSync(fd);
  }
}
