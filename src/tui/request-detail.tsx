/**
 * One request in full (⏎ on a log line): who sent it, where it went, what came back, how long it took, the tokens
 * by kind, what each kind cost, and the fields translation dropped or adjusted. `c` copies the id (OSC 52).
 */
import { Text } from 'ink';
import { formatClockTime, formatCost, formatCount, formatLatency } from '../core/format.js';
import { Panel } from './panel.js';
import type { RequestDetail } from '../live/snapshot.js';
import { statusTone, type Tone, useTheme } from './theme.js';

/** The terminal sequence that puts `text` on the system clipboard (OSC 52), which terminals and tmux pass on. */
export function osc52(text: string): string {
  return `\u001B]52;c;${Buffer.from(text, 'utf8').toString('base64')}\u0007`;
}

/** "$0.0087 = input $0.0036 + cache read $0.0001 + …", or why there is no price. */
export function costText(d: RequestDetail): string {
  const c = d.cost;
  if (c.totalUsd === null) return d.provider === null ? 'nothing billed (no provider was called)' : 'unpriced (the model has no price)';
  const parts: string[] = [`input ${formatCost(c.input ?? 0)}`];
  if (d.tokens.cacheRead > 0 || (c.cacheRead ?? 0) > 0) parts.push(`cache read ${formatCost(c.cacheRead ?? 0)}`);
  if (d.tokens.cacheWrite > 0 || (c.cacheWrite ?? 0) > 0) parts.push(`cache write ${formatCost(c.cacheWrite ?? 0)}`);
  const reasoning = d.tokens.reasoning > 0 ? ` (reasoning ${formatCost(c.reasoning ?? 0)})` : '';
  parts.push(`output ${formatCost(c.output ?? 0)}${reasoning}`);
  return `${formatCost(c.totalUsd)} = ${parts.join(' + ')}`;
}

export function tokensLine(d: RequestDetail): string {
  const t = d.tokens;
  const reasoning = t.reasoning > 0 ? ` (reasoning ${formatCount(t.reasoning)})` : '';
  return [`input ${formatCount(t.input)}`, `cache read ${formatCount(t.cacheRead)}`, `cache write ${formatCount(t.cacheWrite)}`, `output ${formatCount(t.output)}${reasoning}`].join(' · ');
}

function Field({ label, children, tone }: { label: string; children: string; tone?: Tone | undefined }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      <Text {...theme.tone('muted')}>{label.padEnd(9)}</Text>
      <Text {...theme.tone(tone)}>{children}</Text>
    </Text>
  );
}

export interface RequestDetailProps {
  id: string;
  detail: RequestDetail | undefined;
  /** Set when the gateway could not say (gone, unreachable). */
  error: string | undefined;
  width: number;
  height: number;
}

export function RequestDetailView(props: RequestDetailProps) {
  const theme = useTheme();
  const d = props.detail;
  const body = (() => {
    if (props.error !== undefined) return <Text {...theme.tone('warn')}>{props.error}</Text>;
    if (d === undefined) return <Text {...theme.tone('muted')}>loading {props.id}…</Text>;
    const route = [
      d.provider === null ? 'no provider (refused before routing)' : d.fallbackFrom ? `${d.provider} (fallback for ${d.fallbackFrom})` : d.provider,
      `model ${d.model || '—'}${d.upstreamModel && d.upstreamModel !== d.model ? ` → ${d.upstreamModel}` : ''}${d.routeRule ? ` (rule ${d.routeRule})` : ''}`,
      d.upstreamFormat && d.upstreamFormat !== d.clientFormat ? `${d.clientFormat} → ${d.upstreamFormat}` : d.clientFormat,
      d.path ?? undefined,
    ].filter((p): p is string => p !== undefined && p !== '');
    const times = [
      d.ttfbMs === null ? 'ttfb —' : `ttfb ${formatLatency(d.ttfbMs)}`,
      `latency ${formatLatency(d.latencyMs)}`,
      d.stream ? 'streamed' : 'not streamed',
      d.attempts === null ? undefined : `${d.attempts} ${d.attempts === 1 ? 'attempt' : 'attempts'}`,
    ].filter((p): p is string => p !== undefined);
    const priced = [d.cost.priceVersion ? `prices ${d.cost.priceVersion}` : undefined, d.cost.estimated ? 'estimated: the provider reported no usage' : undefined].filter(
      (p): p is string => p !== undefined,
    );
    // The error message may be long: it gets the rows left over, wrapped.
    const messageRows = Math.max(1, props.height - 2 - 11);
    return (
      <>
        <Field label="id">{`${d.id}   ${formatClockTime(d.ts)}   agent ${d.agent}`}</Field>
        <Field label="route">{route.join(' · ')}</Field>
        <Field label="status" tone={statusTone(d.status)}>{`${d.status}${d.errorCode ? ` ${d.errorCode}` : ''}`}</Field>
        <Field label="time">{times.join(' · ')}</Field>
        <Field label="tokens">{tokensLine(d)}</Field>
        <Field label="cost">{costText(d)}</Field>
        <Field label="priced" tone={d.cost.estimated ? 'warn' : undefined}>{priced.length > 0 ? priced.join(' · ') : '—'}</Field>
        <Field label="dropped" tone={d.dropped.length > 0 ? 'warn' : undefined}>{d.dropped.length > 0 ? d.dropped.join(', ') : 'nothing'}</Field>
        <Field label="adjusted" tone={d.adjusted.length > 0 ? 'warn' : undefined}>{d.adjusted.length > 0 ? d.adjusted.join(', ') : 'nothing'}</Field>
        <Field label="bytes">{`in ${d.bytesIn === null ? '—' : formatCount(d.bytesIn)} · out ${d.bytesOut === null ? '—' : formatCount(d.bytesOut)}`}</Field>
        {d.errorMessage ? (
          <Text wrap="wrap">
            <Text {...theme.tone('muted')}>{'error'.padEnd(9)}</Text>
            <Text {...theme.tone(statusTone(d.status))}>{clip(d.errorMessage, messageRows * Math.max(20, props.width - 13))}</Text>
          </Text>
        ) : (
          <Field label="error">none</Field>
        )}
      </>
    );
  })();
  return <Panel width={props.width} sections={[{ title: `Request · ${props.id}`, right: 'c copy id · esc back', focused: true, height: props.height - 2, children: body }]} />;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
