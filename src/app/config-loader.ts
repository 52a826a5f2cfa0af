/**
 * Reading the config file for a reload without stalling the proxy. Parsing and validating a very large file takes
 * seconds of CPU (most of it in the YAML parser), so a worker thread does it and hands back the result; only the
 * structured-clone copy and the compiling of model globs happen on the main thread.
 *
 * The worker is the compiled `config-worker.js` beside this module, or inside the standalone binary the bundled
 * script it carries as an asset. Where there is neither (tests run the TypeScript sources) the file is read on the
 * main thread.
 */
import { readConfig, type Env, type LoadResult } from '../config/index.js';
import { problem } from '../config/problems.js';
import { fromPortable, type PortableLoadResult } from '../config/portable.js';
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

const WORKER_URL = new URL('./config-worker.js', import.meta.url);
/** The worker's script, found once; null when there is none. */
let script: WorkerScript | null | undefined;

/** readConfig for `path`, off the main thread when it can be. Never rejects: a failure is a load error. */
export function loadConfigOffThread(path: string, env?: Env): Promise<LoadResult> {
  script ??= workerScript(WORKER_URL, CONFIG_WORKER_ASSET) ?? null;
  if (script === null) return Promise.resolve(readConfig({ path, env, checkPolicyCondition }));
  const from = script;
  return new Promise((resolve) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      const p = { ...problem('error', [], `could not read the config (${why})`, 'check the file and try again'), file: path };
      resolve({ config: undefined, warnings: [], errors: [p], source: { kind: 'file', path } });
    };
    const input: ConfigWorkerInput = { path, env };
    const worker = startWorker(from, { workerData: input });
    worker.once('message', (result: PortableLoadResult) => {
      settled = true;
      // Rebuilding a large config and applying it are each a piece of main-thread work: requests are answered between.
      const loaded = fromPortable(result);
      void afterPendingIo().then(() => resolve(loaded));
    });
    worker.once('error', (err) => fail(err.message));
    worker.once('exit', (code) => fail(`the loader thread exited with code ${code}`));
  });
}
