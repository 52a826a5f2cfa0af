/**
 * Live log rows: time, agent, model, status, tokens in→out, cost, latency, flags. Failed requests show
 * their error code instead of tokens and cost. Rows are coloured by status class.
 */
import { Text } from 'ink';
import { fit, formatClockTime, formatCost, formatLatency, formatTokens, shortenModel } from '../core/format.js';
import type { LogEntry } from './source.js';
import { statusTone, useTheme } from './theme.js';

export interface LogColumns {
  agent: number;
  model: number;
}

/** Agent and model widths for a log `width` cells wide. */
export function logColumns(width: number): LogColumns {
  if (width >= 100) return { agent: 14, model: 22 };
  if (width >= 70) return { agent: 10, model: 14 };
  return { agent: 8, model: 10 };
}

/** "1.2k→340", with a leading "~" when the counts are estimates. */
export function tokenFlow(e: LogEntry): string {
  return `${e.estimated ? '~' : ''}${formatTokens(e.tokensIn)}→${formatTokens(e.tokensOut)}`;
}

export function logFlags(e: LogEntry): string {
  const flags: string[] = [];
  if (e.stream) flags.push('stream');
  if (e.dropped && e.dropped.length > 0) flags.push(`dropped: ${e.dropped.join(',')}`);
  return flags.join('  ');
}

export function LogRow({ entry, columns }: { entry: LogEntry; columns: LogColumns }) {
  const theme = useTheme();
  const tone = statusTone(entry.status);
  const failed = entry.status >= 400;
  const lead = `${formatClockTime(entry.ts)} ${fit(entry.agent, columns.agent)} ${fit(shortenModel(entry.model, columns.model), columns.model)} `;
  return (
    <Text wrap="truncate-end">
      <Text>{lead}</Text>
      <Text {...theme.tone(tone)}>{fit(String(entry.status), 3)}</Text>
      {failed ? (
        <Text>
          {' '}
          <Text {...theme.tone(tone)}>{entry.errorCode ?? 'error'}</Text>
          {` ${formatLatency(entry.latencyMs)}`}
        </Text>
      ) : (
        <Text>
          {` ${fit(tokenFlow(entry), 10)} ${fit(formatCost(entry.costUsd), 8, 'right')} ${fit(formatLatency(entry.latencyMs), 6, 'right')} `}
          <Text {...theme.tone(entry.dropped && entry.dropped.length > 0 ? 'warn' : 'muted')}>{logFlags(entry)}</Text>
        </Text>
      )}
    </Text>
  );
}

export function LogRows(props: { entries: readonly LogEntry[]; width: number; rows: number; emptyText: string }) {
  const theme = useTheme();
  const columns = logColumns(props.width);
  const shown = props.entries.slice(0, Math.max(0, props.rows));
  if (shown.length === 0) {
    return (
      <Text wrap="truncate-end" {...theme.tone('muted')}>
        {props.emptyText}
      </Text>
    );
  }
  return (
    <>
      {shown.map((e) => (
        <LogRow key={e.id} entry={e} columns={columns} />
      ))}
    </>
  );
}

/** Right side of the log's frame line: the filter being typed, the one applied, or the key to set one. */
export function filterLabel(filter: string, editing: boolean, matched: number): string {
  if (editing) return `/${filter}▏`;
  if (filter !== '') return `/${filter} (${matched})`;
  return '/ filter';
}
