/**
 * The events the gateway publishes on its bus, and their conversions into what the store, the log stream
 * and the dashboard show. One place, so the TUI, `/api/logs/stream` and the audit agree.
 */
import type { BreakerTransition, PauseState, RegistryEvent } from '../control/index.js';
import type { ControlRecord, RequestRow } from '../core/audit-row.js';
import type { LiveControlEvent, LogEntry, RequestDetail } from './snapshot.js';

/** A finished request as the bus carries it; the pipeline's record has more, the live views read the row. */
export interface RecordedRequest {
  row: RequestRow;
}

export interface GatewayEvents extends Record<string, unknown> {
  request: RecordedRequest;
  control: ControlRecord;
}

export function logEntryOf(row: RequestRow): LogEntry {
  const entry: LogEntry = {
    id: row.id,
    ts: row.ts,
    agent: row.agent,
    model: row.model,
    provider: row.provider ?? '',
    status: row.status,
    tokensIn: row.inputTokens + row.cacheReadTokens + row.cacheWriteTokens,
    tokensOut: row.outputTokens,
    costUsd: row.costUsd,
    latencyMs: row.latencyMs,
    stream: row.stream,
    estimated: row.estimated,
  };
  if (row.errorCode !== null) entry.errorCode = row.errorCode;
  if (row.dropped !== null) entry.dropped = row.dropped.split(',');
  if (row.adjusted !== undefined && row.adjusted !== null) entry.adjusted = row.adjusted.split(',');
  if (row.fallbackFrom) entry.fallbackFrom = row.fallbackFrom;
  if (row.attempts !== undefined && row.attempts !== null && row.attempts > 1) entry.attempts = row.attempts;
  if (row.errorMessage) entry.errorMessage = oneLine(row.errorMessage, LOG_MESSAGE_CHARS);
  return entry;
}

/** A log line carries the start of the error message; the request detail carries all of it. */
const LOG_MESSAGE_CHARS = 200;

function oneLine(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.replaceAll('\r', '').replaceAll('\n', ' ');
}

export function requestDetailOf(row: RequestRow): RequestDetail {
  return {
    id: row.id,
    ts: row.ts,
    agent: row.agent,
    provider: row.provider,
    fallbackFrom: row.fallbackFrom ?? null,
    attempts: row.attempts ?? null,
    model: row.model,
    upstreamModel: row.upstreamModel,
    routeRule: row.routeRule ?? null,
    clientFormat: row.clientFormat,
    upstreamFormat: row.upstreamFormat,
    path: row.path ?? null,
    status: row.status,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage ?? null,
    stream: row.stream,
    ttfbMs: row.ttfbMs,
    latencyMs: row.latencyMs,
    tokens: { input: row.inputTokens, cacheRead: row.cacheReadTokens, cacheWrite: row.cacheWriteTokens, output: row.outputTokens, reasoning: row.reasoningTokens },
    cost: {
      totalUsd: row.costUsd,
      input: row.costInput,
      cacheRead: row.costCacheRead,
      cacheWrite: row.costCacheWrite,
      output: row.costOutput,
      reasoning: row.costReasoning ?? null,
      priceVersion: row.priceVersion,
      estimated: row.estimated,
    },
    dropped: row.dropped === null ? [] : row.dropped.split(','),
    adjusted: row.adjusted === undefined || row.adjusted === null ? [] : row.adjusted.split(','),
    bytesIn: row.bytesIn ?? null,
    bytesOut: row.bytesOut ?? null,
  };
}

/** A registry event as it is stored in `control_events`. */
export function storedFromRegistry(event: RegistryEvent): ControlRecord | undefined {
  switch (event.type) {
    case 'agent_registered':
      return undefined;
    case 'pause_changed':
      return {
        ts: event.at,
        agent: event.agent,
        kind: event.new !== null ? 'pause' : 'resume',
        // A policy pause names its policy (`policy:<name>`), as the policy_action event before it does.
        actor: event.new?.kind === 'policy' ? event.new.reason : event.actor,
        oldValue: event.old,
        newValue: event.new,
        reason: (event.new ?? event.old)?.reason ?? null,
      };
    case 'budget_changed':
      return { ts: event.at, agent: event.agent, kind: 'budget_change', actor: event.actor, oldValue: event.old, newValue: event.new };
    case 'policy_fired':
      return {
        ts: event.at,
        agent: event.agent,
        kind: 'policy_action',
        actor: `policy:${event.policy}`,
        newValue: { action: event.action, condition: event.condition },
        reason: `${event.condition} → ${event.action}`,
      };
  }
}

export function storedFromBreaker(t: BreakerTransition): ControlRecord {
  return {
    ts: t.at,
    agent: null,
    kind: t.reason === 'manual' ? 'breaker_reset' : 'breaker_transition',
    actor: t.actor,
    oldValue: t.from,
    newValue: t.to,
    reason: `${t.key}: ${t.from} → ${t.to} (${t.reason})`,
  };
}

export function dashboardControlEvent(e: ControlRecord): LiveControlEvent {
  const out: LiveControlEvent = { ts: e.ts, kind: e.kind, actor: e.actor, detail: describeControl(e) };
  if (e.agent !== null) out.agent = e.agent;
  if (e.kind === 'alert' && ringsBell(e.newValue)) out.bell = true;
  return out;
}

function ringsBell(value: unknown): boolean {
  const channels = (value as { channels?: unknown } | null)?.channels;
  return Array.isArray(channels) && channels.includes('bell');
}

function describeControl(e: ControlRecord): string {
  if (e.kind === 'pause') return `paused: ${(e.newValue as PauseState | null)?.reason ?? ''}`;
  if (e.kind === 'resume') return 'resumed';
  if (e.kind === 'budget_change') return `budget ${fmtBudget(e.oldValue)} → ${fmtBudget(e.newValue)}`;
  return e.reason ?? e.kind;
}

function fmtBudget(v: unknown): string {
  const b = (v ?? {}) as { hourly?: number | null; daily?: number | null; total?: number | null };
  const f = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : `$${n}`);
  return `h ${f(b.hourly)} d ${f(b.daily)} t ${f(b.total)}`;
}
