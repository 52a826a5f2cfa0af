/**
 * A built gateway as its own process in a fresh directory, for the stall detectors that must measure it alone:
 * started from a config text, killed and its directory removed after each test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { spawnGateway, type SpawnedGateway } from './gateway.js';

export interface StallGateway {
  gw: SpawnedGateway;
  /** The config file the gateway watches. */
  config: string;
}

/** Call inside a describe: returns a starter; what it starts is stopped after each test. `command`: see spawnGateway. */
export function stallGateways(name: string, command?: readonly string[]): (configText: string) => Promise<StallGateway> {
  let gw: SpawnedGateway | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    gw?.kill('SIGKILL');
    await gw?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
    gw = undefined;
    dir = undefined;
  });
  return async (configText) => {
    dir = mkdtempSync(join(tmpdir(), `ai-gateway-${name}-`));
    const config = join(dir, 'gateway.yaml');
    writeFileSync(config, configText);
    gw = await spawnGateway({ cwd: dir, config, db: join(dir, 'audit.db'), ...(command ? { command } : {}) });
    return { gw, config };
  };
}
