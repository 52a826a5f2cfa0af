/**
 * Run-time support for the standalone binary (a Node single executable application).
 *
 * Inside a SEA, `require` of a `.node` file fails and better-sqlite3's own addon lookup cannot
 * work, so the addon travels as a SEA asset: it is written once to a content-addressed cache
 * path and loaded with `process.dlopen`. Outside a SEA everything here is inert.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { messageOf } from '../core/errors.js';

/** The asset key the binary build (scripts/build-binary.mjs) stores the addon under. */
export const SQLITE_ADDON_ASSET = 'better_sqlite3.node';

interface SeaModule {
  isSea(): boolean;
  getRawAsset(key: string): string | ArrayBuffer;
}

let seaModule: SeaModule | null | undefined;

/**
 * `node:sea` is required lazily through createRequire: this file is also compiled as ESM for the
 * npm package, where a static import would fail on Node versions without the module.
 */
function sea(): SeaModule | null {
  if (seaModule === undefined) {
    try {
      seaModule = createRequire(import.meta.url)('node:sea') as SeaModule;
    } catch {
      seaModule = null;
    }
  }
  return seaModule;
}

/** True when running as the standalone binary. */
export function isSea(): boolean {
  return sea()?.isSea() ?? false;
}

/** The asset keys the binary build stores the bundled worker scripts under: token counting, and config reading. */
export const TOKEN_WORKER_ASSET = 'token-worker.cjs';
export const CONFIG_WORKER_ASSET = 'config-worker.cjs';

/** Inside the binary: a text asset (undefined when the binary holds none by that key). Outside: undefined. */
export function seaTextAsset(key: string): string | undefined {
  const api = sea();
  if (!api?.isSea()) return undefined;
  try {
    const asset = api.getRawAsset(key);
    return typeof asset === 'string' ? asset : Buffer.from(asset).toString('utf8');
  } catch {
    // getRawAsset throws for a key the binary was built without.
    return undefined;
  }
}

/**
 * A worker thread's script: inside the binary the bundled source it carries under `assetKey`, elsewhere the
 * compiled file at `file` when it exists; undefined when there is neither (tests run the TypeScript sources).
 */
export function workerScript(file: URL, assetKey: string): WorkerScript | undefined {
  if (isSea()) return seaTextAsset(assetKey);
  return file.protocol === 'file:' && existsSync(fileURLToPath(file)) ? file : undefined;
}

/** A worker's file, or its source (the binary's bundled worker). */
export type WorkerScript = URL | string;

/** Starts a worker from either kind of script. */
export function startWorker(script: WorkerScript, options: WorkerOptions = {}): Worker {
  return typeof script === 'string' ? new Worker(script, { ...options, eval: true }) : new Worker(script, options);
}

let loadedBinding: object | undefined;

/**
 * Inside the binary: the better-sqlite3 addon's exports, to pass as its `nativeBinding` option.
 * Outside: undefined (better-sqlite3 finds its own build). Loaded once per process.
 */
export function loadSqliteNativeBinding(): object | undefined {
  const api = sea();
  if (!api?.isSea()) return undefined;
  if (loadedBinding === undefined) {
    const asset = api.getRawAsset(SQLITE_ADDON_ASSET);
    const bytes = typeof asset === 'string' ? Buffer.from(asset, 'utf8') : new Uint8Array(asset);
    const path = materializeAsset(bytes, SQLITE_ADDON_ASSET, assetCacheRoots(process.env));
    const addon: { exports: object } = { exports: {} };
    process.dlopen(addon, path);
    loadedBinding = addon.exports;
  }
  return loadedBinding;
}

/**
 * The options fragment to spread into the store's open options: `{ nativeBinding }` inside the
 * binary, nothing outside (so better-sqlite3 loads its own build).
 */
export function sqliteNativeBindingOption(): { nativeBinding?: object } {
  const binding = loadSqliteNativeBinding();
  return binding === undefined ? {} : { nativeBinding: binding };
}

export interface CacheRoot {
  readonly dir: string;
  /** A shared directory (the temp dir): create it private and refuse it if someone else owns it. */
  readonly shared: boolean;
}

/** Where extracted assets may live, best first: XDG cache (or ~/.cache), then the temp dir. */
export function assetCacheRoots(env: NodeJS.ProcessEnv, home: string = safeHomedir(), tmp: string = tmpdir()): CacheRoot[] {
  const roots: CacheRoot[] = [];
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg.startsWith('/')) roots.push({ dir: join(xdg, 'ai-gateway'), shared: false });
  else if (home !== '') roots.push({ dir: join(home, '.cache', 'ai-gateway'), shared: false });
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  roots.push({ dir: join(tmp, `ai-gateway-${uid}`), shared: true });
  return roots;
}

/**
 * Writes `bytes` to `<root>/<sha256 prefix>/<name>` in the first root that accepts it and returns
 * the path. An existing file is reused only when its content matches; a fresh copy is written to
 * a temporary name and renamed into place, so concurrent first runs never see a partial file.
 */
export function materializeAsset(bytes: Uint8Array, name: string, roots: readonly CacheRoot[]): string {
  const digest = sha256(bytes);
  const failures: string[] = [];
  for (const root of roots) {
    try {
      if (root.shared) ensurePrivateDir(root.dir);
      const dir = join(root.dir, digest.slice(0, 16));
      const target = join(dir, name);
      if (hasContent(target, digest)) return target;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const temporary = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        writeFileSync(temporary, bytes, { mode: 0o700 });
        renameSync(temporary, target);
      } finally {
        rmSync(temporary, { force: true });
      }
      if (hasContent(target, digest)) return target;
      failures.push(`${root.dir}: written file does not match`);
    } catch (error) {
      failures.push(`${root.dir}: ${messageOf(error)}`);
    }
  }
  throw new Error(`cannot extract the bundled ${name}: ${failures.join('; ')}`);
}

function hasContent(path: string, digest: string): boolean {
  try {
    return sha256(readFileSync(path)) === digest;
  } catch {
    return false;
  }
}

/** A shared parent must be a real directory of ours that nobody else can write into. */
function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const ownUid = typeof process.getuid === 'function' ? process.getuid() : stat.uid;
  if (!stat.isDirectory() || stat.uid !== ownUid) throw new Error('not a directory owned by this user');
  if ((stat.mode & 0o022) !== 0) chmodSync(dir, 0o700);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return '';
  }
}
