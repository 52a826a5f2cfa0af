/**
 * A small tmpfs mounted for a test, to fill a filesystem for real (ENOSPC from the kernel, SQLITE_FULL from
 * SQLite). Mounting needs root (CI runs as root); elsewhere `tmpfsUnavailable` says why and the tests skip.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Writes a filler file until the filesystem refuses another byte. */
  fill(): void;
  /** Gives back `bytes` of the filler: a little space returns. */
  release(bytes: number): void;
  /** Deletes the filler. */
  free(): void;
  unmount(): void;
}

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'ai-gateway-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      try {
        // Big chunks first, then down to single bytes for the last partial page.
        for (const size of [1 << 20, 64 << 10, 4 << 10, 1]) {
          const chunk = Buffer.alloc(size, 0x61);
          for (;;) {
            let written: number;
            try {
              written = writeSync(fd, chunk);
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
              throw err;
            }
            if (written < size) break;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    release(bytes) {
      truncateSync(filler, Math.max(0, statSync(filler).size - bytes));
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Why a tmpfs cannot be mounted here, or undefined when it can (checked once, with a throwaway mount). */
export const tmpfsUnavailable: string | undefined = (() => {
  if (process.platform !== 'linux') return `tmpfs mounts need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs as root)';
  try {
    const probe = mountTmpfs(64 * 1024);
    probe.unmount();
    return undefined;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString('utf8').trim();
    return `cannot mount a tmpfs here (${stderr || (err as Error).message})`;
  }
})();

