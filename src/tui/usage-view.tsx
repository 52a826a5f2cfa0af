/**
 * Spend by provider and by model (`m`): calls, tokens, cost and errors over the last hour (the gateway's live
 * counters) and today (its audit database), side by side.
 */
import { Text } from 'ink';
import { fit, formatCost, formatCount, formatTokens } from '../core/format.js';
import { UNPRICED_MARKER } from './agents-table.js';
import { Panel, panelInnerWidth } from './panel.js';
import type { ModelUsage, UsageReport } from '../live/snapshot.js';
import { useTheme } from './theme.js';

/** One line of the view: a provider or a provider's model, with its hour and day figures. */
export interface UsageLine {
  name: string;
  hour: ModelUsage | undefined;
  day: ModelUsage | undefined;
}

const NO_PROVIDER = '(refused)';

function add(a: ModelUsage | undefined, b: ModelUsage): ModelUsage {
  if (!a) return { ...b };
  return {
    provider: a.provider,
    model: a.model,
    calls: a.calls + b.calls,
    errors: a.errors + b.errors,
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    costUsd: a.costUsd + b.costUsd,
    unpricedCalls: a.unpricedCalls + b.unpricedCalls,
  };
}

function group(report: UsageReport, name: (u: ModelUsage) => string): UsageLine[] {
  const lines = new Map<string, UsageLine>();
  const line = (key: string): UsageLine => {
    let l = lines.get(key);
    if (!l) lines.set(key, (l = { name: key, hour: undefined, day: undefined }));
    return l;
  };
  for (const u of report.hour) {
    const l = line(name(u));
    l.hour = add(l.hour, u);
  }
  for (const u of report.day) {
    const l = line(name(u));
    l.day = add(l.day, u);
  }
  // Dearest today first, then busiest.
  return [...lines.values()].sort(
    (a, b) => (b.day?.costUsd ?? 0) - (a.day?.costUsd ?? 0) || (b.day?.calls ?? 0) - (a.day?.calls ?? 0) || a.name.localeCompare(b.name),
  );
}

export function providerLines(report: UsageReport): UsageLine[] {
  return group(report, (u) => u.provider ?? NO_PROVIDER);
}

export function modelLines(report: UsageReport): UsageLine[] {
  return group(report, (u) => `${u.model || '—'} · ${u.provider ?? NO_PROVIDER}`);
}

/** A cost cell: the priced spend, marked when some calls had no price, "unpriced" when none had one. */
export function usageCost(u: ModelUsage | undefined): string {
  if (!u) return '—';
  if (u.unpricedCalls > 0 && u.costUsd === 0) return 'unpriced';
  return formatCost(u.costUsd) + (u.unpricedCalls > 0 ? UNPRICED_MARKER : '');
}

const NUMBERS = { calls: 7, tokens: 13, cost: 10, errors: 6 } as const;
const HALF = NUMBERS.calls + NUMBERS.tokens + NUMBERS.cost + NUMBERS.errors + 3;

/** "── today ─────…" over one half of the table. */
function groupLabel(label: string): string {
  const head = `── ${label} `;
  return head + '─'.repeat(Math.max(0, HALF - head.length));
}

function half(u: ModelUsage | undefined): string {
  if (!u) return fit('—', HALF, 'right');
  return [
    fit(formatCount(u.calls), NUMBERS.calls, 'right'),
    fit(`${formatTokens(u.tokensIn)} / ${formatTokens(u.tokensOut)}`, NUMBERS.tokens, 'right'),
    fit(usageCost(u), NUMBERS.cost, 'right'),
    fit(formatCount(u.errors), NUMBERS.errors, 'right'),
  ].join(' ');
}

function Table({ title, lines, width, rows }: { title: string; lines: readonly UsageLine[]; width: number; rows: number }) {
  const theme = useTheme();
  const name = Math.max(8, width - 2 * HALF - 4);
  const head = `${fit(title, name)}  ${fit('CALLS', NUMBERS.calls, 'right')} ${fit('TOKENS in/out', NUMBERS.tokens, 'right')} ${fit('COST', NUMBERS.cost, 'right')} ${fit('ERR', NUMBERS.errors, 'right')}`;
  const shown = lines.slice(0, Math.max(1, rows));
  return (
    <>
      <Text wrap="truncate-end" {...theme.tone('accent')}>
        {`${' '.repeat(name)}  ${groupLabel('last hour')}  ${groupLabel('today')}`}
      </Text>
      <Text wrap="truncate-end" bold {...theme.tone('muted')}>
        {`${head}  ${head.slice(name + 2)}`}
      </Text>
      {lines.length === 0 ? (
        <Text {...theme.tone('muted')}>no calls yet</Text>
      ) : (
        shown.map((l) => (
          <Text key={l.name} wrap="truncate-end">
            {`${fit(l.name, name)}  ${half(l.hour)}  ${half(l.day)}`}
          </Text>
        ))
      )}
      {lines.length > shown.length ? <Text {...theme.tone('muted')}>{`+${lines.length - shown.length} more`}</Text> : null}
    </>
  );
}

export interface UsageViewProps {
  report: UsageReport | undefined;
  error: string | undefined;
  width: number;
  height: number;
}

export function UsageView(props: UsageViewProps) {
  const theme = useTheme();
  const inner = panelInnerWidth(props.width);
  const waiting = props.error !== undefined ? <Text {...theme.tone('warn')}>{props.error}</Text> : <Text {...theme.tone('muted')}>loading…</Text>;
  const report = props.report;
  const providers = report ? providerLines(report) : [];
  const models = report ? modelLines(report) : [];
  // Frame: top, divider, bottom; each table has two header lines. The providers are few; the models get the rest.
  const room = Math.max(2, props.height - 3 - 4);
  const providerRows = Math.min(Math.max(1, providers.length), Math.max(1, Math.floor(room / 3)));
  const modelRows = Math.max(1, room - providerRows - (providers.length > providerRows ? 1 : 0) - 1);
  return (
    <Panel
      width={props.width}
      sections={[
        {
          title: 'Spend by provider',
          right: 'm or esc back',
          focused: true,
          children: report ? <Table title="PROVIDER" lines={providers} width={inner} rows={providerRows} /> : waiting,
        },
        { title: 'Spend by model', children: report ? <Table title="MODEL · PROVIDER" lines={models} width={inner} rows={modelRows} /> : <Text> </Text> },
      ]}
    />
  );
}
