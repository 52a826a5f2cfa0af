/** File names and how the CLI shows paths. */
import { isAbsolute, relative } from 'node:path';

/** Where `--demo` keeps its history when no --db is given: beside the real ./ai-gateway.db, never in it. */
export const DEMO_DB_FILE = 'ai-gateway-demo.db';

/** `./ai-gateway.db` for a file under the working directory, the absolute path otherwise. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? path : `./${rel}`;
}
