/**
 * How far back a history query reaches: `--since` of `logs` and `export`, and `since=` of `GET /api/logs`.
 * One parser for all three, so every form the help promises works everywhere: a duration back from now
 * (`15m`, `1h`, `2d`, `1h30m`, the units of gateway.yaml) or a date (`2026-05-01`, local midnight; or
 * `2026-05-01T09:00`, local, or with `Z` or an offset).
 */
import { parseDuration } from './duration.js';

export const SINCE_HINT = 'a duration such as 15m, 1h, 2d or 1h30m, or a date such as 2026-05-01 or 2026-05-01T09:00';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
// Date.parse alone would also take "2" or "March 7"; only ISO dates with a time are handed to it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch ms the history starts from; undefined when `text` is neither a duration nor a date. */
export function parseSince(text: string, now: number): number | undefined {
  const value = text.trim();
  const ms = parseDuration(value);
  if (ms !== undefined) return now - ms;
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const midnight = new Date(y, m - 1, d);
    // new Date rolls 2026-02-31 over into March; a date that does not exist is not a date.
    return midnight.getFullYear() === y && midnight.getMonth() === m - 1 && midnight.getDate() === d ? midnight.getTime() : undefined;
  }
  if (!DATE_TIME.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
