import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  assetCacheRoots,
  isSea,
  loadSqliteNativeBinding,
  materializeAsset,
  sqliteNativeBindingOption,
  type CacheRoot,
} from '../../../src/runtime/sea.js';

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'sea-test-'));
});

afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const privateRoot = (name: string): CacheRoot => ({ dir: join(scratch, name), shared: false });

describe('materializeAsset', () => {
  it('writes the bytes under a content-addressed directory and leaves no temporary files', () => {
    const path = materializeAsset(bytes('addon v1'), 'addon.node', [privateRoot('cache')]);
    expect(path).toMatch(new RegExp(`^${join(scratch, 'cache')}/[0-9a-f]{16}/addon\\.node$`));
    expect(readFileSync(path, 'utf8')).toBe('addon v1');
    const dir = join(path, '..');
    expect(readdirSync(dir)).toEqual(['addon.node']);
  });

  it('gives different content different paths and the same content the same path', () => {
    const roots = [privateRoot('cache')];
    const first = materializeAsset(bytes('addon v1'), 'addon.node', roots);
    const again = materializeAsset(bytes('addon v1'), 'addon.node', roots);
    const other = materializeAsset(bytes('addon v2'), 'addon.node', roots);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(readFileSync(first, 'utf8')).toBe('addon v1');
    expect(readFileSync(other, 'utf8')).toBe('addon v2');
  });

  it('reuses a matching file without rewriting it', () => {
    const roots = [privateRoot('cache')];
    const path = materializeAsset(bytes('addon v1'), 'addon.node', roots);
    const inode = statSync(path).ino;
    materializeAsset(bytes('addon v1'), 'addon.node', roots);
    expect(statSync(path).ino).toBe(inode);
  });

  it('replaces a file whose content does not match (a torn or tampered copy)', () => {
    const roots = [privateRoot('cache')];
    const path = materializeAsset(bytes('addon v1'), 'addon.node', roots);
    writeFileSync(path, 'garbage');
    expect(materializeAsset(bytes('addon v1'), 'addon.node', roots)).toBe(path);
    expect(readFileSync(path, 'utf8')).toBe('addon v1');
  });

  it('falls back to the next root when one cannot be written', () => {
    // A plain file where the cache directory should be makes the first root unusable.
    writeFileSync(join(scratch, 'blocked'), 'not a directory');
    const path = materializeAsset(bytes('addon v1'), 'addon.node', [privateRoot('blocked'), privateRoot('fallback')]);
    expect(path.startsWith(join(scratch, 'fallback'))).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('addon v1');
  });

  it('says which asset and which directories failed when none works', () => {
    writeFileSync(join(scratch, 'blocked'), 'not a directory');
    expect(() => materializeAsset(bytes('x'), 'addon.node', [privateRoot('blocked')])).toThrow(
      /cannot extract the bundled addon\.node: .*blocked/,
    );
  });

  it('makes a shared root private before using it', () => {
    const shared = join(scratch, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    materializeAsset(bytes('addon v1'), 'addon.node', [{ dir: shared, shared: true }]);
    expect(statSync(shared).mode & 0o777).toBe(0o700);
  });
});

describe('assetCacheRoots', () => {
  it('prefers an absolute XDG_CACHE_HOME, then the temp dir', () => {
    const roots = assetCacheRoots({ XDG_CACHE_HOME: '/xdg' }, '/home/u', '/tmp');
    expect(roots.map((r) => r.dir)).toEqual(['/xdg/ai-gateway', expect.stringMatching(/^\/tmp\/ai-gateway-/)]);
    expect(roots.map((r) => r.shared)).toEqual([false, true]);
  });

  it('uses ~/.cache when XDG_CACHE_HOME is unset or relative (the XDG spec ignores relative paths)', () => {
    expect(assetCacheRoots({}, '/home/u', '/tmp')[0]?.dir).toBe('/home/u/.cache/ai-gateway');
    expect(assetCacheRoots({ XDG_CACHE_HOME: 'rel' }, '/home/u', '/tmp')[0]?.dir).toBe('/home/u/.cache/ai-gateway');
  });

  it('falls back to the temp dir alone without a home', () => {
    const roots = assetCacheRoots({}, '', '/tmp');
    expect(roots).toHaveLength(1);
    expect(roots[0]?.shared).toBe(true);
  });
});

describe('outside a single executable', () => {
  it('is inert: better-sqlite3 loads its own build', () => {
    expect(isSea()).toBe(false);
    expect(loadSqliteNativeBinding()).toBeUndefined();
    expect(sqliteNativeBindingOption()).toEqual({});
  });
});
