/**
 * The one logger. Pretty lines for people, JSON lines for machines; every line passes the redactor.
 * The TUI swaps the sink so log lines do not tear the screen.
 */
import { systemClock, systemTimers, type Clock, type Timers } from '../core/clock.js';
import type { Redactor } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'pretty' | 'json';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

export interface LoggerOptions {
  format: LogFormat;
  level?: LogLevel;
  sink: LogSink;
  redactor?: Redactor;
  now?: () => number;
}

export class Logger {
  private readonly minRank: number;

  constructor(private readonly options: LoggerOptions) {
    this.minRank = LEVEL_RANK[options.level ?? 'info'];
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  /** A logger writing somewhere else with the same settings (the TUI routes lines into its log panel). */
  withSink(sink: LogSink): Logger {
    return new Logger({ ...this.options, sink });
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (LEVEL_RANK[level] < this.minRank) return;
    const ts = (this.options.now ?? Date.now)();
    const line =
      this.options.format === 'json'
        ? JSON.stringify({ ts: new Date(ts).toISOString(), level, msg, ...fields })
        : prettyLine(ts, level, msg, fields);
    this.options.sink.write((this.options.redactor?.redact(line) ?? line) + '\n');
  }
}

const LEVEL_LABEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR' };

function prettyLine(ts: number, level: LogLevel, msg: string, fields: LogFields): string {
  let line = `${clockTime(ts)} ${LEVEL_LABEL[level]} ${msg}`;
  for (const k in fields) {
    const v = fields[k];
    if (v === undefined || v === null || v === '') continue;
    line += ` ${k}=${typeof v === 'string' && v.includes(' ') ? JSON.stringify(v) : String(v)}`;
  }
  return line;
}

/** `HH:MM:SS` of the last second formatted: a line per request mostly falls in the second before it. */
let lastSecond = Number.NaN;
let lastSecondText = '';

/** `HH:MM:SS.mmm` (UTC) of an epoch-ms time, as in an ISO timestamp, without a Date per line. */
export function clockTime(ts: number): string {
  const second = Math.floor(ts / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second * 1000).toISOString().slice(11, 19);
  }
  const ms = Math.floor(ts) - second * 1000;
  return `${lastSecondText}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

/** At most one write per this many milliseconds while lines keep coming. */
export const LOG_FLUSH_MS = 50;
/** Pending text past this many characters is written at once, so a burst of lines does not pile up. */
export const LOG_FLUSH_CHARS = 64 * 1024;

/**
 * Collects lines and writes them together. stderr to a file, a pipe or a terminal is a synchronous write in Node,
 * and at one connection every request ends in an event-loop turn of its own: a write per turn was a system call
 * on every request's path. A line after a quiet spell goes out on the next timer turn; lines that follow within
 * LOG_FLUSH_MS of a write wait for the next one. `flush()` on exit writes what is left.
 */
export class BatchedSink implements LogSink {
  private pending: string[] = [];
  private chars = 0;
  private timer: unknown;
  private lastWrite = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly out: (text: string) => void,
    private readonly clock: Clock = systemClock,
    private readonly timers: Timers = systemTimers,
  ) {}

  write(line: string): void {
    this.pending.push(line);
    this.chars += line.length;
    if (this.chars >= LOG_FLUSH_CHARS) return this.flush();
    if (this.timer !== undefined) return;
    // The system timer does not keep a stopping process alive: the exit hook writes what is left.
    this.timer = this.timers.setTimeout(() => this.flush(), Math.max(0, this.lastWrite + LOG_FLUSH_MS - this.clock.monotonic()));
  }

  flush(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.chars = 0;
    this.lastWrite = this.clock.monotonic();
    this.out(text);
  }
}

export const silentLogger = new Logger({ format: 'json', level: 'error', sink: { write: () => {} } });
