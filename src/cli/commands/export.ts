/** `ai-gateway export`: the audit history straight from the SQLite file, as JSONL or CSV. */
import { createWriteStream, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { readConfig } from '../../config/index.js';
import { exportRows } from '../../store/index.js';
import { loadSqliteNativeBinding } from '../../runtime/sea.js';
import { DEMO_DB_FILE, displayPath as shown } from '../paths.js';
import { UserError, EXIT_USAGE } from '../exit.js';
import type { ExportFlags } from '../program.js';
import { sinceFlag } from './client-setup.js';

export async function runExport(flags: ExportFlags): Promise<void> {
  const dbPath = flags.db ? resolve(flags.db) : (readConfig(flags.config ? { path: flags.config } : {}).config?.storage.path ?? resolve('ai-gateway.db'));
  if (!existsSync(dbPath)) throw new UserError(missingDbMessage(dbPath, flags.db !== undefined), EXIT_USAGE);
  const since = flags.since === undefined ? undefined : sinceFlag(flags.since);
  const out = flags.output ? createWriteStream(flags.output) : process.stdout;
  const nativeBinding = loadSqliteNativeBinding();
  const count = exportRows(
    dbPath,
    { format: flags.format, ...(since !== undefined ? { sinceMs: since } : {}), ...(flags.agent ? { agent: flags.agent } : {}), ...(nativeBinding !== undefined ? { nativeBinding } : {}) },
    (chunk) => {
      out.write(chunk);
    },
  );
  if (flags.output) {
    await new Promise<void>((done, fail) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? fail(err) : done())));
    process.stderr.write(`exported ${count} row${count === 1 ? '' : 's'} to ${flags.output}\n`);
  }
}

/** Right after `--demo` the only history here is the demo's: say so rather than just "not found". */
function missingDbMessage(dbPath: string, explicit: boolean): string {
  const demo = resolve(DEMO_DB_FILE);
  if (!explicit && dbPath !== demo && existsSync(demo)) {
    return `no ai-gateway database at ${shown(dbPath)}; the demo's history is in ${shown(demo)}: run \`ai-gateway export --db ${DEMO_DB_FILE}\``;
  }
  return `no ai-gateway database at ${shown(dbPath)}; pass --db FILE`;
}
