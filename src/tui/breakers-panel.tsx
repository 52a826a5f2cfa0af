/**
 * Circuit breakers: state, error rate, time to retry, half-open probes. Rendered as the content of a
 * panel section; when stacked above the log several breakers share a line.
 */
import { Text } from 'ink';
import { fit, formatCountdown, formatPercent } from '../core/format.js';
import type { BreakerStatus } from '../live/snapshot.js';
import { type Tone, useTheme } from './theme.js';

const ORDER: Record<BreakerStatus['state'], number> = { open: 0, half_open: 1, closed: 2 };

/** Tripped breakers first, then by key. */
export function sortBreakers(breakers: readonly BreakerStatus[]): BreakerStatus[] {
  return [...breakers].sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.key.localeCompare(b.key));
}

export function breakerStateLabel(state: BreakerStatus['state']): string {
  return state === 'half_open' ? 'HALF-OPEN' : state.toUpperCase();
}

function breakerTone(state: BreakerStatus['state']): Tone {
  if (state === 'open') return 'error';
  if (state === 'half_open') return 'warn';
  return 'ok';
}

/** `text` cut to `width` in the middle, keeping more of its start: "summarizer" → "summ…r". */
export function middleEllipsis(text: string, width: number): string {
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  if (width <= 1) return width === 1 ? '…' : '';
  const keep = width - 1;
  const head = Math.ceil(keep * 0.7);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

/**
 * A breaker key cut to `width` so that keys that differ stay told apart: an agent's own breaker
 * (`agent:provider`) keeps the provider whole and shortens the agent in the middle ("summ…r:sim-openai").
 */
export function breakerLabel(key: string, width: number): string {
  if (Array.from(key).length <= width) return key;
  const sep = key.indexOf(':');
  if (sep < 0) return middleEllipsis(key, width);
  const agent = key.slice(0, sep);
  const provider = key.slice(sep + 1);
  const room = width - Array.from(provider).length - 1;
  if (room >= 3) return `${middleEllipsis(agent, room)}:${provider}`;
  // Too little room for both: the provider is what differs between one agent's breakers; "…:" says whose it is not.
  if (room >= 1) return `…:${provider}`;
  return `…:${middleEllipsis(provider, Math.max(1, width - 2))}`;
}

/**
 * The detail after the state. `elapsedMs` is how long ago the snapshot was taken, so an open
 * breaker's countdown keeps moving between snapshots.
 */
export function breakerDetail(b: BreakerStatus, elapsedMs: number): string {
  if (b.state === 'open') {
    if (b.retryInMs === undefined) return `${formatPercent(b.errorRate)} err`;
    const left = Math.max(0, b.retryInMs - Math.max(0, elapsedMs));
    return left > 0 ? `retry ${formatCountdown(left)}` : 'retrying';
  }
  if (b.state === 'half_open') return b.probes ? `${b.probes.used}/${b.probes.max} probes` : 'probing';
  return `${formatPercent(b.errorRate)} err`;
}

function BreakerCell(props: { breaker: BreakerStatus; width: number; selected: boolean; focused: boolean; elapsedMs: number }) {
  const theme = useTheme();
  const { breaker, width } = props;
  // Marker, key, state (9) and a detail of about 10 cells.
  const keyWidth = Math.max(6, Math.min(18, width - 22));
  const marker = props.selected && props.focused ? '▸' : ' ';
  return (
    <Text>
      <Text {...theme.tone('accent')}>{marker}</Text>
      <Text bold={props.selected && props.focused}>{fit(breakerLabel(breaker.key, keyWidth), keyWidth)} </Text>
      <Text {...theme.tone(breakerTone(breaker.state))}>{fit(breakerStateLabel(breaker.state), 9)} </Text>
      <Text>{fit(breakerDetail(breaker, props.elapsedMs), Math.max(0, width - keyWidth - 12))}</Text>
    </Text>
  );
}

export interface BreakersContentProps {
  breakers: readonly BreakerStatus[];
  /** Content width of the panel. */
  width: number;
  rows: number;
  perLine: number;
  selectedKey: string | undefined;
  focused: boolean;
  elapsedMs: number;
}

/** `rows` lines of breaker cells; the last cell says how many more there are when they do not fit. */
export function BreakersContent(props: BreakersContentProps) {
  const theme = useTheme();
  const sorted = sortBreakers(props.breakers);
  if (sorted.length === 0) {
    return (
      <Text wrap="truncate-end" {...theme.tone('muted')}>
        {fit('no breakers yet', props.width)}
      </Text>
    );
  }
  const perLine = Math.max(1, props.perLine);
  const capacity = Math.max(1, props.rows) * perLine;
  // Keep the selected breaker visible even when the list is cut short.
  const selectedIndex = sorted.findIndex((b) => b.key === props.selectedKey);
  let start = 0;
  if (sorted.length > capacity && selectedIndex >= capacity - 1) start = selectedIndex - capacity + 2;
  const shown = sorted.length > capacity ? sorted.slice(start, start + capacity - 1) : sorted;
  const more = sorted.length - shown.length;
  const cellWidth = Math.floor((props.width - (perLine - 1) * 2) / perLine);
  const lines: BreakerStatus[][] = [];
  for (let i = 0; i < shown.length; i += perLine) lines.push(shown.slice(i, i + perLine));
  if (more > 0) {
    if (lines.length === 0 || (lines.at(-1)?.length ?? 0) >= perLine) lines.push([]);
  }
  return (
    <>
      {lines.map((line, li) => (
        <Text key={li} wrap="truncate-end">
          {line.map((b, bi) => (
            <Text key={b.key}>
              {bi > 0 ? '  ' : ''}
              <BreakerCell breaker={b} width={cellWidth} selected={b.key === props.selectedKey} focused={props.focused} elapsedMs={props.elapsedMs} />
            </Text>
          ))}
          {more > 0 && li === lines.length - 1 ? (
            <Text {...theme.tone('muted')}>
              {line.length > 0 ? '  ' : ' '}+{more} more
            </Text>
          ) : null}
        </Text>
      ))}
    </>
  );
}
