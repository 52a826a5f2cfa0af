/** One agent in detail: limits with spend, a spend sparkline, recent control events and requests. */
import { Text } from 'ink';
import { budgetBar, formatClockTime, formatCount, formatPercent, formatTokens, formatUptime, formatUsd } from '../core/format.js';
import { type BudgetForecast, type BudgetWindow, describeForecast, spendFor } from './forecast.js';
import { statusText } from './layout.js';
import { LogRows } from './log-panel.js';
import { foldRejections } from './log-view.js';
import { Panel, panelInnerWidth } from './panel.js';
import { bucketize, sparkline } from './sparkline.js';
import type { AgentStatus, LiveControlEvent, LogEntry } from '../live/snapshot.js';
import { type Tone, useTheme } from './theme.js';

const SPEND_MINUTES = 30;

/** Spend per minute over the last 30 minutes, from the requests the dashboard has seen. */
export function spendSeries(entries: readonly LogEntry[], agent: string, now: number): number[] {
  return bucketize(
    entries.filter((e) => e.agent === agent),
    { now, bucketMs: 60_000, count: SPEND_MINUTES, time: (e) => e.ts, value: (e) => e.costUsd ?? 0 },
  );
}

const WINDOW_LABEL: Record<BudgetWindow, string> = { hourly: 'hourly', daily: 'daily ', total: 'total ' };

function LimitLine({ agent, window }: { agent: AgentStatus; window: BudgetWindow }) {
  const theme = useTheme();
  const limit = agent.budget[window];
  const spent = spendFor(agent, window);
  if (limit === undefined || limit === null) {
    return (
      <Text wrap="truncate-end">
        {WINDOW_LABEL[window]}  ${formatUsd(spent)} <Text {...theme.tone('muted')}>· no limit</Text>
      </Text>
    );
  }
  const ratio = limit === 0 ? (spent > 0 ? 1 : 0) : spent / limit;
  const tone: Tone = ratio >= 1 ? 'error' : ratio >= 0.8 ? 'warn' : 'ok';
  return (
    <Text wrap="truncate-end">
      {WINDOW_LABEL[window]}  ${formatUsd(spent)} of ${formatUsd(limit)}  <Text {...theme.tone(tone)}>{budgetBar(ratio, 10)}</Text>{' '}
      {Math.round(ratio * 100)}%
    </Text>
  );
}

function EventLine({ event }: { event: LiveControlEvent }) {
  const theme = useTheme();
  return (
    <Text wrap="truncate-end">
      {formatClockTime(event.ts)} <Text {...theme.tone('accent')}>{event.kind}</Text> <Text {...theme.tone('muted')}>by {event.actor}</Text>
      {event.detail ? ` — ${event.detail}` : ''}
    </Text>
  );
}

export interface AgentDetailProps {
  agent: AgentStatus;
  recent: readonly LogEntry[];
  controlEvents: readonly LiveControlEvent[];
  forecast: BudgetForecast | undefined;
  now: number;
  width: number;
  height: number;
}

export function AgentDetail(props: AgentDetailProps) {
  const theme = useTheme();
  const { agent, now } = props;
  const inner = panelInnerWidth(props.width);
  const requests = props.recent.filter((e) => e.agent === agent.id);
  const events = props.controlEvents.filter((e) => e.agent === agent.id).sort((a, b) => b.ts - a.ts);
  const statusTone: Tone = agent.status === 'paused' ? 'paused' : agent.status === 'active' ? 'ok' : 'muted';
  const facts = [
    agent.model ? `model ${agent.model}` : undefined,
    agent.rateLimit ? `rate limit ${agent.rateLimit}` : undefined,
    agent.lastSeen !== undefined ? `last seen ${formatUptime(now - agent.lastSeen)} ago` : undefined,
    agent.pausedBy ? `paused by ${agent.pausedBy}` : undefined,
  ].filter((f): f is string => f !== undefined);
  const errorRate = agent.calls > 0 ? agent.errors / agent.calls : 0;
  const lastError = agent.lastError;
  const infoLines = 7 + (props.forecast ? 1 : 0);
  const eventRows = Math.min(3, Math.max(1, events.length));
  // Four frame lines (top, two dividers, bottom) plus the sections above the requests.
  const requestRows = Math.max(1, props.height - 4 - infoLines - eventRows);
  return (
    <Panel
      width={props.width}
      sections={[
        {
          title: `Agent · ${agent.id}`,
          right: 'esc back',
          focused: true,
          children: (
            <>
              <Text wrap="truncate-end">
                <Text {...theme.tone(statusTone)}>{statusText(agent)}</Text>
                {facts.length > 0 ? `  ${facts.join('  ')}` : ''}
              </Text>
              <Text wrap="truncate-end">
                calls {formatCount(agent.calls)}  errors {formatCount(agent.errors)} ({formatPercent(errorRate)})  tokens{' '}
                {formatTokens(agent.tokensIn)} in / {formatTokens(agent.tokensOut)} out
                {agent.unpriced ? <Text {...theme.tone('warn')}>  some calls unpriced</Text> : null}
              </Text>
              {lastError ? (
                <Text wrap="truncate-end">
                  last error {formatClockTime(lastError.ts)}{' '}
                  <Text {...theme.tone(lastError.status >= 500 ? 'error' : 'warn')}>
                    {lastError.status} {lastError.code ?? ''}
                  </Text>
                  {lastError.message ? <Text {...theme.tone('muted')}> {lastError.message}</Text> : null}
                </Text>
              ) : (
                <Text {...theme.tone('muted')}>no errors</Text>
              )}
              <LimitLine agent={agent} window="hourly" />
              <LimitLine agent={agent} window="daily" />
              <LimitLine agent={agent} window="total" />
              <Text wrap="truncate-end">
                spend/min <Text {...theme.tone('accent')}>{sparkline(spendSeries(props.recent, agent.id, now), Math.min(SPEND_MINUTES, Math.max(0, inner - 30)))}</Text>
                <Text {...theme.tone('muted')}> last {SPEND_MINUTES} min</Text>
              </Text>
              {props.forecast ? (
                <Text wrap="truncate-end" {...theme.tone(props.forecast.exhausted ? 'error' : 'warn')}>
                  {describeForecast(props.forecast)}
                </Text>
              ) : null}
            </>
          ),
        },
        {
          title: 'Control events',
          children:
            events.length === 0 ? (
              <Text {...theme.tone('muted')}>none yet</Text>
            ) : (
              <>
                {events.slice(0, eventRows).map((e, i) => (
                  <EventLine key={`${e.ts}:${i}`} event={e} />
                ))}
              </>
            ),
        },
        {
          title: `Recent requests (${requests.length})`,
          children: <LogRows lines={foldRejections([...requests].sort((a, b) => b.ts - a.ts))} width={inner} rows={requestRows} emptyText="no requests seen yet" />,
        },
      ]}
    />
  );
}
