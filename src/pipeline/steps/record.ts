/**
 * The one row builder: every audit row (chat-style calls, side calls, pass-through, refusals at the edge) is
 * made here from what the request found out, then completed with its metered tokens and cost.
 */
import type { RequestRow } from '../../core/audit-row.js';
import type { GatewayError } from '../../core/errors.js';
import { ZERO_USAGE, type Usage } from '../../core/usage.js';
import type { Cost, ModelPrice } from '../../metering/index.js';
import type { RequestContext } from '../context.js';
import type { RequestRecord } from '../ports.js';

/** Everything in an audit row but its token, cost and estimate columns, which come from the metering. */
export type RowFacts = Omit<RequestRow, MeteredColumn | 'estimated' | 'isCall'>;

/** The columns the metering fills in. */
type MeteredColumn =
  | 'inputTokens'
  | 'cacheReadTokens'
  | 'cacheWriteTokens'
  | 'outputTokens'
  | 'reasoningTokens'
  | 'costUsd'
  | 'costInput'
  | 'costCacheRead'
  | 'costCacheWrite'
  | 'costOutput'
  | 'costReasoning'
  | 'priceVersion';

/** The facts of a request that ran through the pipeline. A client that left before its answer ended is a 499. */
export function rowFacts(ctx: RequestContext): RowFacts {
  const res = ctx.res;
  const clientClosed = ctx.clientClosed || (!res.writableEnded && ctx.error === undefined);
  const status = clientClosed ? 499 : ctx.status || res.statusCode;
  const error = clientClosed ? undefined : ctx.error;
  const body = ctx.upstreamBody;
  return {
    id: ctx.endpoint.requestId,
    ts: ctx.arrivedAt,
    agent: ctx.agent,
    provider: ctx.provider,
    model: ctx.model,
    upstreamModel: ctx.upstreamModel,
    clientFormat: ctx.endpoint.auditFormat,
    upstreamFormat: ctx.upstreamFormat,
    stream: ctx.stream,
    status,
    errorCode: clientClosed ? 'client_closed' : error ? error.code : status >= 400 ? 'upstream_error' : null,
    latencyMs: Math.round(ctx.latency()),
    ttfbMs: ctx.ttfbMs === null ? null : Math.round(ctx.ttfbMs),
    dropped: body !== undefined && body.dropped.length > 0 ? body.dropped.join(',') : null,
    adjusted: body !== undefined && body.adjusted.length > 0 ? body.adjusted.join(',') : null,
    path: ctx.endpoint.path,
    bytesIn: ctx.bytesIn,
    bytesOut: ctx.bytesOut,
    // An upstream may quote the client's own key back; the audit keeps it masked like the configured ones.
    errorMessage: error === undefined ? null : ctx.deps.redaction.withKey(error.message, ctx.identity?.clientKey),
    fallbackFrom: ctx.fallbackFrom,
    attempts: ctx.attempts,
    routeRule: ctx.routeRule,
  };
}

/**
 * A row's facts with its metered columns (undefined cost = unpriced): what the store keeps. The facts object is
 * made for one row and becomes it, filled in place rather than copied with its columns into a new one.
 */
export function completeRow(facts: RowFacts, usage: Usage, cost: Cost | undefined, price: ModelPrice | undefined, estimated: boolean, isCall: boolean): RequestRow {
  const row = facts as RequestRow;
  const priced = cost !== undefined && price !== undefined;
  row.inputTokens = usage.inputUncached;
  row.cacheReadTokens = usage.cacheRead;
  row.cacheWriteTokens = usage.cacheWrite5m + usage.cacheWrite1h;
  row.outputTokens = usage.output;
  row.reasoningTokens = usage.reasoning;
  row.costUsd = priced ? cost.totalUsd : null;
  row.costInput = priced ? cost.breakdown.input : null;
  row.costCacheRead = priced ? cost.breakdown.cacheRead : null;
  row.costCacheWrite = priced ? cost.breakdown.cacheWrite : null;
  row.costOutput = priced ? cost.breakdown.output : null;
  row.costReasoning = priced ? cost.breakdown.reasoning : null;
  row.priceVersion = priced ? price.version : null;
  row.estimated = estimated;
  row.isCall = isCall;
  return row;
}

export interface Refusal {
  id: string;
  ts: number;
  agent: string;
  clientFormat: string;
  error: GatewayError;
}

/**
 * A proxy call refused at the edge (a foreign Host or Origin, a body that is not JSON): nothing was forwarded and
 * nothing is billed, but the attempt is on record under the agent it named.
 */
export function refusalRecord(r: Refusal): RequestRecord {
  const usage = { ...ZERO_USAGE };
  const facts: RowFacts = {
    id: r.id,
    ts: r.ts,
    agent: r.agent,
    provider: null,
    model: '',
    upstreamModel: null,
    clientFormat: r.clientFormat,
    upstreamFormat: null,
    stream: false,
    status: r.error.status,
    errorCode: r.error.code,
    latencyMs: 0,
    ttfbMs: null,
    dropped: null,
    errorMessage: r.error.message,
  };
  return { row: completeRow(facts, usage, undefined, undefined, false, false), usage, streamEvents: 0 };
}
