/**
 * Reading the config file for a reload without stalling the proxy. Parsing and validating a very large file takes
 * seconds of CPU (most of it in the YAML parser), so a worker thread does it and hands back the result; only copying
 * it in and compiling the model globs happen on the main thread. The result comes as serialized pieces, copied in
 * one per turn of the event loop: a config with thousands of agents takes tens of milliseconds to copy in whole.
 *
 * The worker is the compiled `config-worker.js` beside this module, or inside the standalone binary the bundled
 * script it carries as an asset. Where there is neither (tests run the TypeScript sources) the file is read on the
 * main thread.
 */
import { readConfig, type Env, type LoadResult } from '../config/index.js';
import { problem } from '../config/problems.js';
import { deserialize } from 'node:v8';
import { joinPieces, receivePiece, type PortablePiece, type ReceivedPiece } from '../config/portable.js';
import { parseCondition } from '../control/policy/parser.js';
import { CONFIG_WORKER_ASSET, startWorker, workerScript, type WorkerScript } from '../runtime/sea.js';
import { messageOf } from '../core/errors.js';
import { afterPendingIo } from '../core/turns.js';

/** Policy conditions are checked at config load, so a typo is reported with its file, line and column. */
export function checkPolicyCondition(condition: string): string | undefined {
  try {
    parseCondition(condition);
    return undefined;
  } catch (err) {
    return messageOf(err);
  }
}

export interface ConfigWorkerInput {
  path: string;
  env: Env | undefined;
}

/** Agents or routes per piece: a piece takes about a millisecond to copy in on the machines measured. */
export const PIECE_SIZE = 256;

const WORKER_URL = new URL('./config-worker.js', import.meta.url);
/** The worker's script, found once; null when there is none. */
let script: WorkerScript | null | undefined;

/** readConfig for `path`, off the main thread when it can be. Never rejects: a failure is a load error. */
export function loadConfigOffThread(path: string, env?: Env): Promise<LoadResult> {
  script ??= workerScript(WORKER_URL, CONFIG_WORKER_ASSET) ?? null;
  if (script === null) return Promise.resolve(readConfig({ path, env, checkPolicyCondition }));
  const from = script;
  const failed = (why: string): LoadResult => {
    const p = { ...problem('error', [], `could not read the config (${why})`, 'check the file and try again'), file: path };
    return { config: undefined, warnings: [], errors: [p], source: { kind: 'file', path } };
  };
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: LoadResult | Promise<LoadResult>): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const input: ConfigWorkerInput = { path, env };
    const worker = startWorker(from, { workerData: input });
    worker.once('message', (pieces: ArrayBuffer[]) => settle(receive(pieces).catch((err: unknown) => failed(messageOf(err)))));
    worker.once('error', (err) => settle(failed(err.message)));
    worker.once('exit', (code) => settle(failed(`the loader thread exited with code ${code}`)));
  });
}

/** The load result from its serialized pieces, one piece per turn; the whole result is applied in a turn of its own. */
async function receive(pieces: readonly ArrayBuffer[]): Promise<LoadResult> {
  const received: ReceivedPiece[] = [];
  for (const bytes of pieces) {
    received.push(receivePiece(deserialize(new Uint8Array(bytes)) as PortablePiece));
    // Requests that came in meanwhile are answered between two pieces, and after the last before the apply.
    await afterPendingIo();
  }
  return joinPieces(received);
}
