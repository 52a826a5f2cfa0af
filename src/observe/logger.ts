/**
 * The one logger. Pretty lines for people, JSON lines for machines; every line passes the redactor.
 * The TUI swaps the sink so log lines do not tear the screen.
 */
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

/**
 * Collects lines and writes them in one call per event-loop turn. stderr to a file or pipe is a synchronous
 * write in Node; one per request would put disk I/O on the proxy path. `flush()` on exit writes what is left.
 */
export class BatchedSink implements LogSink {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly out: (text: string) => void) {}

  write(line: string): void {
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.out(text);
  }
}

export const silentLogger = new Logger({ format: 'json', level: 'error', sink: { write: () => {} } });
