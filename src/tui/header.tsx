/**
 * Two header lines: identity and live numbers, then the `export …_BASE_URL=` line to copy.
 * What does not fit goes in a fixed order: the sparkline shrinks, then disappears, then the agent and
 * provider counts leave the header (the agents panel title still shows them).
 */
import { Box, Text } from 'ink';
import { formatUptime, formatUsd } from '../core/format.js';
import { sparkline } from './sparkline.js';
import type { LiveControlEvent, DashboardSnapshot } from '../live/snapshot.js';
import { type Tone, useTheme } from './theme.js';

interface Segment {
  text: string;
  tone?: Tone;
  bold?: boolean;
}

const SEPARATOR = ' ─ ';
/** Short form of the gateway's exposure warning (the log line says it in full). */
export const EXPOSURE_TEXT = '⚠ network address, no admin token';

export function agentCountsText(snapshot: DashboardSnapshot): string {
  const total = snapshot.agents.length;
  const paused = snapshot.agents.filter((a) => a.status === 'paused').length;
  return `${total} agent${total === 1 ? '' : 's'}${paused > 0 ? ` (${paused} paused)` : ''}`;
}

/** The gateway's request rate (a sliding window); older gateways sent only the per-second samples. */
export function requestsPerSecond(snapshot: DashboardSnapshot): number {
  return snapshot.gateway.requestRate ?? snapshot.gateway.requestsPerSecond.at(-1) ?? 0;
}

const lineLength = (segments: readonly Segment[]): number =>
  segments.reduce((n, s) => n + s.text.length, 0) + SEPARATOR.length * Math.max(0, segments.length - 1);

/** The first header line's segments for `width` cells, plus whether the counts made it in. */
export function headerSegments(
  snapshot: DashboardSnapshot,
  now: number,
  width: number,
  fallbackVersion: string,
): { segments: Segment[]; countsShown: boolean } {
  const g = snapshot.gateway;
  const rate = `${requestsPerSecond(snapshot).toFixed(1)} req/s`;
  // The exposure warning never leaves the header: it is the one thing here that asks for action.
  const exposed: Segment[] = g.exposureWarning ? [{ text: EXPOSURE_TEXT, tone: 'warn', bold: true }] : [];
  const base = (spark: number): Segment[] => [
    { text: `ai-gateway ${g.version || fallbackVersion}`, tone: 'accent', bold: true },
    { text: g.address },
    ...exposed,
    { text: `up ${formatUptime(now - g.startedAt)}` },
    { text: `today $${formatUsd(g.spendTodayUsd)}` },
    { text: spark > 0 ? `${rate} ${sparkline(g.requestsPerSecond, spark)}` : rate },
  ];
  const counts: Segment[] = [
    { text: agentCountsText(snapshot) },
    { text: `${g.providers} provider${g.providers === 1 ? '' : 's'}` },
  ];
  // The counts also sit in the agents panel title, so they leave the header before the sparkline does.
  const attempts: Array<[number, boolean]> = [
    [12, true],
    [8, true],
    [12, false],
    [8, false],
    [6, false],
    [0, true],
  ];
  for (const [spark, withCounts] of attempts) {
    const candidate = withCounts ? [...base(spark), ...counts] : base(spark);
    if (lineLength(candidate) <= width) return { segments: candidate, countsShown: withCounts };
  }
  return { segments: base(0), countsShown: false };
}

/** An alert stays under the header this long. */
export const ALERT_BANNER_MS = 5 * 60_000;

/** The newest alert meant for this screen (bell channel) from the last five minutes. */
export function currentAlert(snapshot: DashboardSnapshot, now: number): LiveControlEvent | undefined {
  let newest: LiveControlEvent | undefined;
  for (const e of snapshot.controlEvents) {
    if (e.kind === 'alert' && e.bell && now - e.ts < ALERT_BANNER_MS && (!newest || e.ts > newest.ts)) newest = e;
  }
  return newest;
}

/**
 * Warning lines under the header, most urgent first: an audit store refusing writes, shared state (Redis) not
 * answering, an invalid config, then the newest alert.
 */
export function headerBanners(snapshot: DashboardSnapshot, now: number): string[] {
  const { storageBanner, configBanner } = snapshot.gateway;
  const alert = currentAlert(snapshot, now);
  return [storageBanner, sharedBanner(snapshot), configBanner, alert ? `alert: ${alert.detail}` : undefined].filter((b): b is string => b !== undefined && b !== '');
}

function sharedBanner(snapshot: DashboardSnapshot): string | undefined {
  const s = snapshot.gateway.sharedState;
  if (s === undefined || s.status !== 'down') return undefined;
  const mode = s.onOutage === 'open' ? "serving with this instance's own limits" : 'refusing proxy requests';
  const pending = s.pending > 0 ? `; ${s.pending} settlements wait to be written` : '';
  return `shared state down: Redis does not answer${s.reason ? ` (${s.reason})` : ''}; ${mode}${pending}`;
}

/** The environment line, as long a form as fits. */
export function exportLine(address: string, width: number): string {
  const openai = `OPENAI_BASE_URL=${address}/v1`;
  const anthropic = `ANTHROPIC_BASE_URL=${address}`;
  for (const candidate of [`export ${openai}   ${anthropic}`, `export ${openai} ${anthropic}`, `${openai} ${anthropic}`]) {
    if (candidate.length <= width) return candidate;
  }
  return `export ${openai}`;
}

export function Header(props: { snapshot: DashboardSnapshot; now: number; width: number; version: string }) {
  const theme = useTheme();
  const usable = Math.max(0, props.width - 1);
  const { segments } = headerSegments(props.snapshot, props.now, usable, props.version);
  return (
    <Box flexDirection="column" paddingLeft={1} width={props.width}>
      <Text wrap="truncate-end">
        {segments.map((s, i) => (
          <Text key={i}>
            {i > 0 ? <Text {...theme.tone('muted')}>{SEPARATOR}</Text> : null}
            <Text bold={s.bold ?? false} {...theme.tone(s.tone)}>
              {s.text}
            </Text>
          </Text>
        ))}
      </Text>
      <Text wrap="truncate-end" {...theme.tone('muted')}>
        {exportLine(props.snapshot.gateway.address, usable)}
      </Text>
    </Box>
  );
}
