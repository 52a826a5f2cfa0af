/**
 * Shapes of what the store holds, in TypeScript (camelCase) and as SQLite rows (snake_case), and the
 * conversions between them. Every column of `requests` appears once here.
 */
import type { ControlRecord, RequestRow } from '../core/audit-row.js';

export type { ControlRecord, ControlRecordKind, RequestRow } from '../core/audit-row.js';

/** `requests` as SQLite returns it. */
export interface RequestDbRow {
  id: string;
  ts: number;
  agent: string;
  provider: string | null;
  model: string;
  upstream_model: string | null;
  client_format: string;
  upstream_format: string | null;
  stream: number;
  status: number;
  error_code: string | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_usd: number | null;
  cost_input: number | null;
  cost_cache_read: number | null;
  cost_cache_write: number | null;
  cost_output: number | null;
  price_version: string | null;
  estimated: number;
  latency_ms: number;
  ttfb_ms: number | null;
  dropped: string | null;
  path: string | null;
  bytes_in: number | null;
  bytes_out: number | null;
  adjusted: string | null;
  error_message: string | null;
  fallback_from: string | null;
  is_call: number | null;
  cost_reasoning: number | null;
  attempts: number | null;
  route_rule: string | null;
}

/** Column order of `requests`, used by inserts and exports. */
export const REQUEST_COLUMNS = [
  'id',
  'ts',
  'agent',
  'provider',
  'model',
  'upstream_model',
  'client_format',
  'upstream_format',
  'stream',
  'status',
  'error_code',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_usd',
  'cost_input',
  'cost_cache_read',
  'cost_cache_write',
  'cost_output',
  'price_version',
  'estimated',
  'latency_ms',
  'ttfb_ms',
  'dropped',
  'path',
  'bytes_in',
  'bytes_out',
  'adjusted',
  'error_message',
  'fallback_from',
  'is_call',
  'cost_reasoning',
  'attempts',
  'route_rule',
] as const satisfies readonly (keyof RequestDbRow)[];

/** Whole non-negative count; a NaN from a broken upstream must not become a NULL that breaks aggregates. */
function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.round(n) : 0;
}

function finiteOrNull(n: number | null): number | null {
  return n !== null && Number.isFinite(n) ? n : null;
}

export function toDbRow(r: RequestRow): RequestDbRow {
  return {
    id: r.id,
    ts: Math.round(r.ts),
    agent: r.agent,
    provider: r.provider,
    model: r.model,
    upstream_model: r.upstreamModel,
    client_format: r.clientFormat,
    upstream_format: r.upstreamFormat,
    stream: r.stream ? 1 : 0,
    status: Math.round(r.status),
    error_code: r.errorCode,
    input_tokens: count(r.inputTokens),
    cache_read_tokens: count(r.cacheReadTokens),
    cache_write_tokens: count(r.cacheWriteTokens),
    output_tokens: count(r.outputTokens),
    reasoning_tokens: count(r.reasoningTokens),
    cost_usd: finiteOrNull(r.costUsd),
    cost_input: finiteOrNull(r.costInput),
    cost_cache_read: finiteOrNull(r.costCacheRead),
    cost_cache_write: finiteOrNull(r.costCacheWrite),
    cost_output: finiteOrNull(r.costOutput),
    price_version: r.priceVersion,
    estimated: r.estimated ? 1 : 0,
    latency_ms: count(r.latencyMs),
    ttfb_ms: r.ttfbMs === null ? null : count(r.ttfbMs),
    dropped: r.dropped === '' ? null : r.dropped,
    path: r.path ?? null,
    bytes_in: r.bytesIn === undefined || r.bytesIn === null ? null : count(r.bytesIn),
    bytes_out: r.bytesOut === undefined || r.bytesOut === null ? null : count(r.bytesOut),
    adjusted: r.adjusted === undefined || r.adjusted === '' ? null : r.adjusted,
    error_message: r.errorMessage === undefined || r.errorMessage === '' ? null : r.errorMessage,
    fallback_from: r.fallbackFrom ?? null,
    is_call: r.isCall === undefined ? null : r.isCall ? 1 : 0,
    cost_reasoning: finiteOrNull(r.costReasoning ?? null),
    attempts: r.attempts === undefined || r.attempts === null ? null : count(r.attempts),
    route_rule: r.routeRule ?? null,
  };
}

export function fromDbRow(d: RequestDbRow): RequestRow {
  return {
    id: d.id,
    ts: d.ts,
    agent: d.agent,
    provider: d.provider,
    model: d.model,
    upstreamModel: d.upstream_model,
    clientFormat: d.client_format,
    upstreamFormat: d.upstream_format,
    stream: d.stream !== 0,
    status: d.status,
    errorCode: d.error_code,
    inputTokens: d.input_tokens,
    cacheReadTokens: d.cache_read_tokens,
    cacheWriteTokens: d.cache_write_tokens,
    outputTokens: d.output_tokens,
    reasoningTokens: d.reasoning_tokens,
    costUsd: d.cost_usd,
    costInput: d.cost_input,
    costCacheRead: d.cost_cache_read,
    costCacheWrite: d.cost_cache_write,
    costOutput: d.cost_output,
    priceVersion: d.price_version,
    estimated: d.estimated !== 0,
    latencyMs: d.latency_ms,
    ttfbMs: d.ttfb_ms,
    dropped: d.dropped,
    path: d.path,
    bytesIn: d.bytes_in,
    bytesOut: d.bytes_out,
    adjusted: d.adjusted,
    errorMessage: d.error_message,
    fallbackFrom: d.fallback_from,
    ...(d.is_call === null ? {} : { isCall: d.is_call === 1 }),
    costReasoning: d.cost_reasoning,
    attempts: d.attempts,
    routeRule: d.route_rule,
  };
}

export interface ControlEventRow extends ControlRecord {
  id: number;
  oldValue: unknown;
  newValue: unknown;
  reason: string | null;
}

export interface ControlEventDbRow {
  id: number;
  ts: number;
  agent: string | null;
  kind: string;
  actor: string;
  old_value: string | null;
  new_value: string | null;
  reason: string | null;
}

function jsonOrNull(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return JSON.stringify(v) ?? null;
}

function parseJson(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

export function controlEventParams(e: ControlRecord): Omit<ControlEventDbRow, 'id'> {
  return {
    ts: Math.round(e.ts),
    agent: e.agent,
    kind: e.kind,
    actor: e.actor,
    old_value: jsonOrNull(e.oldValue),
    new_value: jsonOrNull(e.newValue),
    reason: e.reason ?? null,
  };
}

export function fromControlEventDbRow(d: ControlEventDbRow): ControlEventRow {
  return {
    id: d.id,
    ts: d.ts,
    agent: d.agent,
    kind: d.kind,
    actor: d.actor,
    oldValue: parseJson(d.old_value),
    newValue: parseJson(d.new_value),
    reason: d.reason,
  };
}

/**
 * Changes made at run time (TUI, CLI, API) that must survive a restart. Budget fields: null = use the config's
 * value; `Infinity` = explicitly unlimited; a number = that many USD.
 */
export interface AgentOverride {
  agent: string;
  paused: boolean;
  pauseReason: string | null;
  pauseActor: string | null;
  pausedAt: number | null;
  budgetHourly: number | null;
  budgetDaily: number | null;
  budgetTotal: number | null;
  updatedAt: number;
}

export interface AgentOverrideDbRow {
  agent: string;
  paused: number;
  pause_reason: string | null;
  pause_actor: string | null;
  paused_at: number | null;
  budget_hourly: number | null;
  budget_daily: number | null;
  budget_total: number | null;
  updated_at: number;
}
