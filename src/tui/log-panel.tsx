/**
 * Log lines: time, agent, provider (with ↩ when a fallback answered), model, status, tokens in→out, cost, latency,
 * flags. Failed requests show their error code and the start of the message instead of tokens and cost; a run of
 * the same rejection is one line with its count (×12). The selected line is marked while the log has focus.
 */
import { Text } from 'ink';
import { fit, formatClockTime, formatCost, formatLatency, formatTokens, shortenModel } from '../core/format.js';
import { cursorIndex, type LogLine } from './log-view.js';
import { scrollWindow } from './layout.js';
import type { LogEntry } from '../live/snapshot.js';
import { statusTone, useTheme } from './theme.js';

export interface LogColumns {
  agent: number;
  provider: number;
  model: number;
}

/** Agent, provider and model widths for a log `width` cells wide. */
export function logColumns(width: number): LogColumns {
  if (width >= 100) return { agent: 14, provider: 16, model: 22 };
  if (width >= 70) return { agent: 10, provider: 9, model: 11 };
  return { agent: 8, provider: 8, model: 10 };
}

/** The answering provider; `first↩fallback` when a fallback took the call, just `↩fallback` when that is too long. */
export function providerText(e: LogEntry, width: number): string {
  const provider = e.provider === '' ? '—' : e.provider;
  if (!e.fallbackFrom) return provider;
  const full = `${e.fallbackFrom}↩${provider}`;
  return full.length <= width ? full : `↩${provider}`;
}

/** "1.2k→340", with a leading "~" when the counts are estimates. */
export function tokenFlow(e: LogEntry): string {
  return `${e.estimated ? '~' : ''}${formatTokens(e.tokensIn)}→${formatTokens(e.tokensOut)}`;
}

export function logFlags(e: LogEntry): string {
  const flags: string[] = [];
  if (e.stream) flags.push('stream');
  if (e.attempts !== undefined) flags.push(`attempts:${e.attempts}`);
  if (e.dropped && e.dropped.length > 0) flags.push(`drop:${e.dropped.join(',')}`);
  if (e.adjusted && e.adjusted.length > 0) flags.push(`adj:${e.adjusted.join(',')}`);
  return flags.join('  ');
}

export function LogRow({ line, columns, marker }: { line: LogLine; columns: LogColumns; marker: string }) {
  const theme = useTheme();
  const entry = line.entry;
  const tone = statusTone(entry.status);
  const failed = entry.status >= 400;
  const lead = `${formatClockTime(entry.ts)} ${fit(entry.agent, columns.agent)} ${fit(providerText(entry, columns.provider), columns.provider)} ${fit(shortenModel(entry.model, columns.model), columns.model)} `;
  return (
    <Text wrap="truncate-end">
      <Text {...theme.tone('accent')}>{marker}</Text>
      <Text>{lead}</Text>
      <Text {...theme.tone(tone)}>{fit(String(entry.status), 3)}</Text>
      {failed ? (
        <Text>
          {' '}
          <Text {...theme.tone(tone)}>{entry.errorCode ?? 'error'}</Text>
          {line.count > 1 ? <Text bold>{` ×${line.count}`}</Text> : null}
          {` ${formatLatency(entry.latencyMs)}`}
          {entry.errorMessage ? <Text {...theme.tone('muted')}>{`  ${entry.errorMessage}`}</Text> : null}
        </Text>
      ) : (
        <Text>
          {` ${fit(tokenFlow(entry), 9)} ${fit(formatCost(entry.costUsd), 8, 'right')} ${fit(formatLatency(entry.latencyMs), 5, 'right')} `}
          <Text {...theme.tone(entry.dropped && entry.dropped.length > 0 ? 'warn' : 'muted')}>{logFlags(entry)}</Text>
        </Text>
      )}
    </Text>
  );
}

export interface LogRowsProps {
  lines: readonly LogLine[];
  width: number;
  rows: number;
  emptyText: string;
  /** The selected line's key (undefined: the newest); marked when `focused`. */
  cursor?: string | undefined;
  focused?: boolean;
}

/** `rows` lines of the log, scrolled so the selected line is visible. */
export function LogRows(props: LogRowsProps) {
  const theme = useTheme();
  const columns = logColumns(props.width - 1);
  const rows = Math.max(0, props.rows);
  if (props.lines.length === 0) {
    return (
      <Text wrap="truncate-end" {...theme.tone('muted')}>
        {props.emptyText}
      </Text>
    );
  }
  const selected = cursorIndex(props.lines, props.cursor);
  const offset = scrollWindow(props.lines.length, rows, selected);
  return (
    <>
      {props.lines.slice(offset, offset + rows).map((line, i) => (
        <LogRow key={line.key} line={line} columns={columns} marker={props.focused && offset + i === selected ? '▸' : ' '} />
      ))}
    </>
  );
}

/** Right side of the log's frame line: freeze state, then the filter being typed, the one applied, or the key to set one. */
export function logTitleRight(opts: { filter: string; editing: boolean; matched: number; searching: boolean; frozenNew: number | undefined }): string {
  const parts: string[] = [];
  if (opts.frozenNew !== undefined) parts.push(`‖ frozen${opts.frozenNew > 0 ? ` · ${opts.frozenNew} new` : ''}`);
  if (opts.editing) parts.push(`/${opts.filter}▏`);
  else if (opts.filter !== '') parts.push(`/${opts.filter} (${opts.matched}${opts.searching ? ', searching history…' : ''})`);
  else parts.push('/ filter');
  return parts.join('  ');
}
