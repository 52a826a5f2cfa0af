import { GatewayError } from '../core/errors.js';

export const HOUR_MS = 60 * 60 * 1000;

/**
 * Width of the slots a rolling sum counts in. Amounts are summed per slot, so a sum over an hour holds at most
 * 3,600 entries however busy its agent is: by the millisecond, 1,000 requests a second kept one entry per
 * millisecond for the hour, about 58 MB per sum.
 */
export const SLOT_MS = 1000;

/** Whether an amount added at `at` still counts at `now` in a rolling sum over `spanMs` (see RollingSum). */
export function countsInSpan(at: number, now: number, spanMs: number = HOUR_MS): boolean {
  return slotEnd(at) + spanMs > now;
}

/** `at` rounded up to a whole slot: where an amount's span starts. */
function slotEnd(at: number): number {
  return Math.ceil(at / SLOT_MS) * SLOT_MS;
}

/**
 * A sum over a rolling span (the hourly budget, calls this hour). An amount added at `t` counts from then until
 * `spanMs` after `t` rounded up to a whole second: never less than the span, less than a second longer, which for
 * a budget is the safe side. Entries are kept in time order; a timestamp earlier than the last one (wall clock stepped
 * back) is clamped to it so the queue stays ordered.
 */
export class RollingSum {
  /** Each entry's time, rounded up to its slot's end: the entry counts while `now < end + spanMs`. */
  private readonly ends: number[] = [];
  private readonly amounts: number[] = [];
  private head = 0;
  private sum = 0;

  constructor(readonly spanMs: number = HOUR_MS) {}

  add(at: number, amount: number): void {
    if (amount === 0) return;
    const last = this.ends.length > this.head ? this.ends[this.ends.length - 1] : undefined;
    const own = slotEnd(at);
    const end = last !== undefined && own < last ? last : own;
    if (last === end) {
      // Same second: merge, so a busy second costs one entry.
      this.amounts[this.amounts.length - 1] = (this.amounts[this.amounts.length - 1] ?? 0) + amount;
    } else {
      this.ends.push(end);
      this.amounts.push(amount);
    }
    this.sum += amount;
  }

  total(now: number): number {
    this.prune(now);
    return this.sum;
  }

  /** Replaces the whole sum with one amount at `now`. */
  reset(now: number, amount: number): void {
    this.ends.length = 0;
    this.amounts.length = 0;
    this.head = 0;
    this.sum = 0;
    this.add(now, amount);
  }

  /**
   * The earliest time at which the sum falls below `threshold` if nothing more is added: `now` when it already
   * is, `null` when it never will (threshold <= 0).
   */
  fallsBelowAt(threshold: number, now: number): number | null {
    this.prune(now);
    if (this.sum < threshold) return now;
    let s = this.sum;
    for (let i = this.head; i < this.ends.length; i++) {
      s -= this.amounts[i] ?? 0;
      if (s < threshold) return (this.ends[i] ?? now) + this.spanMs;
    }
    return null;
  }

  private prune(now: number): void {
    while (this.head < this.ends.length && (this.ends[this.head] ?? 0) + this.spanMs <= now) {
      this.sum -= this.amounts[this.head] ?? 0;
      this.head++;
    }
    // Compact once the dead prefix dominates, keeping pruning O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.ends.length) {
      this.ends.splice(0, this.head);
      this.amounts.splice(0, this.head);
      this.head = 0;
    }
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function dateFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    dateFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The IANA zone of the machine, used when the config names none. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * The zone of a daily window: an IANA name, or undefined for the machine's own zone. The machine's days are read
 * from Date's local fields, which follow the same zone as Intl: the first date formatter makes the process load
 * about 7 MB of locale data, which a gateway with no configured zone then never needs.
 */
export type DayZone = string | undefined;

/** `YYYY-MM-DD` of the local calendar day containing `ts` in `timeZone`. Sorts chronologically as a string. */
export function localDayKey(ts: number, timeZone: DayZone): string {
  if (timeZone === undefined) {
    const d = new Date(ts);
    return `${String(d.getFullYear()).padStart(4, '0')}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }
  let y = '';
  let m = '';
  let d = '';
  for (const part of dateFormatter(timeZone).formatToParts(ts)) {
    if (part.type === 'year') y = part.value;
    else if (part.type === 'month') m = part.value;
    else if (part.type === 'day') d = part.value;
  }
  return `${y.padStart(4, '0')}-${m}-${d}`;
}

/** Local days last at most 25 hours; two days back is always another date. */
const SEARCH_SPAN_MS = 48 * HOUR_MS;

/**
 * Start (inclusive) and end (exclusive) in epoch ms of the local calendar day containing `ts`. Found by binary
 * search on the formatted date, so days that start at 01:00 (DST at midnight) or last 23/25 hours come out right
 * without offset arithmetic.
 */
export function localDayBounds(ts: number, timeZone: DayZone): { start: number; end: number } {
  const key = localDayKey(ts, timeZone);
  // start: smallest t with key(t) >= key
  let lo = ts - SEARCH_SPAN_MS;
  let hi = ts;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDayKey(mid, timeZone) >= key) hi = mid;
    else lo = mid;
  }
  const start = hi;
  // end: smallest t with key(t) > key
  lo = ts;
  hi = ts + SEARCH_SPAN_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDayKey(mid, timeZone) > key) hi = mid;
    else lo = mid;
  }
  return { start, end: hi };
}

/** A sum over the current local calendar day; it empties itself when the day ends. */
export class LocalDaySum {
  private start = 0;
  private end = 0;
  private sum = 0;

  constructor(readonly timeZone: DayZone) {
    if (timeZone !== undefined && !isValidTimeZone(timeZone)) {
      throw new GatewayError('config', `unknown time zone '${timeZone}': use an IANA name such as Europe/Berlin`);
    }
  }

  /** Adds to the day containing `now`; callers pass the current time, never a past one. */
  add(now: number, amount: number): void {
    this.roll(now);
    this.sum += amount;
  }

  total(now: number): number {
    this.roll(now);
    return this.sum;
  }

  /** Sets the sum of the day containing `now`. */
  reset(now: number, amount: number): void {
    this.roll(now);
    this.sum = amount;
  }

  /** Epoch ms at which the current day (the one containing `now`) ends. */
  endsAt(now: number): number {
    this.roll(now);
    return this.end;
  }

  startsAt(now: number): number {
    this.roll(now);
    return this.start;
  }

  private roll(now: number): void {
    if (now >= this.start && now < this.end) return;
    // A new day (or the wall clock stepped back across midnight): the sum belongs to another day.
    const b = localDayBounds(now, this.timeZone);
    this.start = b.start;
    this.end = b.end;
    this.sum = 0;
  }
}
