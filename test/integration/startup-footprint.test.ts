/**
 * What a running gateway has loaded, read from inside the real process after it has answered requests of both
 * formats, streamed and not: neither the undici package's index (fetch, WebSocket, caches, mocks) nor Node's own
 * bundled copy of undici, which an ES import of node:http pulls in. Each held megabytes of an idle gateway's memory
 * for code nothing calls; this test keeps a new import from bringing them back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, startFakeOpenAI, type FakeUpstream } from '../fakes/index.js';
import { eventually, hasBuiltCli, spawnGateway, type SpawnedGateway } from '../helpers/gateway.js';
import { fakesYaml } from './fakes-gateway.js';

/** Preloaded into the gateway: on SIGUSR2 it writes the modules loaded so far as one line on stderr. */
const PROBE = `
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url)('node:module')._cache;
process.on('SIGUSR2', () => {
  const loaded = { builtins: process.moduleLoadList, files: Object.keys(cache) };
  process.stderr.write('FOOTPRINT ' + JSON.stringify(loaded) + '\\n');
});
`;

describe.skipIf(!hasBuiltCli)('start-up footprint', () => {
  let dir: string;
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;
  let gw: SpawnedGateway;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aigw-footprint-'));
    openai = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
    writeFileSync(join(dir, 'probe.mjs'), PROBE);
    writeFileSync(join(dir, 'gateway.yaml'), fakesYaml(openai, anthropic));
    gw = await spawnGateway({
      cwd: dir,
      config: join(dir, 'gateway.yaml'),
      db: join(dir, 'audit.db'),
      env: { NODE_OPTIONS: `--import ${join(dir, 'probe.mjs')}` },
    });
  });

  afterAll(async () => {
    gw.kill('SIGTERM');
    await gw.exited;
    await Promise.all([openai.close(), anthropic.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads no HTTP client code the proxy does not use, after traffic', async () => {
    for (const stream of [false, true]) {
      const chat = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(chat.status).toBe(200);
      await chat.text();
      const messages = await fetch(`${gw.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 50, stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(messages.status).toBe(200);
      await messages.text();
    }
    gw.child.kill('SIGUSR2');
    await eventually(() => gw.stderr().includes('FOOTPRINT '));
    const line = gw.stderr().split('\n').find((l) => l.startsWith('FOOTPRINT '))!;
    const loaded = JSON.parse(line.slice('FOOTPRINT '.length)) as { builtins: string[]; files: string[] };

    // The probe sees what was loaded: the undici pool the providers use is there.
    expect(loaded.files.some((f) => f.endsWith(join('undici', 'lib', 'dispatcher', 'pool.js')))).toBe(true);
    expect(loaded.files.filter((f) => f.endsWith(join('node_modules', 'undici', 'index.js')))).toEqual([]);
    expect(loaded.builtins.filter((m) => m.includes('deps/undici'))).toEqual([]);
  });
});
