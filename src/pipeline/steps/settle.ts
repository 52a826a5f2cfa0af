/**
 * The end of every proxied request, chat or side call: the budget hold is settled with what the call cost
 * (or released when the provider was never called), and the audit row is built and recorded. One place, so
 * every path the gateway forwards bills and records alike.
 */
import { totalInput, ZERO_USAGE } from '../../core/usage.js';
import { costOf, type Cost, type ModelPrice } from '../../metering/index.js';
import type { RequestContext } from '../context.js';
import type { Admission, Recorder } from '../ports.js';
import type { MeteredUsage } from './meter.js';
import { completeRow, rowFacts, type RowFacts } from './record.js';

export interface RequestOutcome {
  admission: Admission | undefined;
  /** The provider was called: the call counts, and its cost is owed even when it failed. */
  upstreamCalled: boolean;
  /** The client got what it asked for (or left on its own). */
  ok: boolean;
  /** What the call used; undefined when nothing could be metered (then it is unpriced, never $0). */
  metered: MeteredUsage | undefined;
  /** The price of what answered; undefined when unpriced. */
  price: ModelPrice | undefined;
  row: RowFacts;
  streamEvents?: number;
}

/** The step: settles the request from its context and records its row. */
export function settle(ctx: RequestContext): void {
  const row = rowFacts(ctx);
  ctx.costUsd = settleRequest(ctx.deps.recorder, {
    admission: ctx.admission,
    upstreamCalled: ctx.upstreamCalled,
    ok: row.status < 400 || row.errorCode === 'client_closed',
    metered: ctx.metered,
    price: ctx.price,
    streamEvents: ctx.meter.events,
    row,
  })?.totalUsd;
}

/** Settles the hold exactly once and records the row, even when settling throws. Returns the cost billed. */
export function settleRequest(recorder: Recorder, o: RequestOutcome): Cost | undefined {
  const usage = o.metered?.usage ?? { ...ZERO_USAGE };
  const cost = o.upstreamCalled && o.price !== undefined && o.metered !== undefined ? costOf(usage, o.price) : undefined;
  try {
    if (o.upstreamCalled) o.admission?.finish({ ok: o.ok, tokensIn: totalInput(usage), tokensOut: usage.output, costUsd: cost?.totalUsd ?? 0 });
    // Admitted but failed before a provider answered (unreachable, every breaker open): a failed call that cost nothing,
    // counted as the audit counts it.
    else if (!o.ok) o.admission?.finish({ ok: false, tokensIn: 0, tokensOut: 0, costUsd: 0 });
    else o.admission?.abandon();
  } finally {
    // The same rule as the counters above, so totals rebuilt from the audit agree with them.
    const isCall = o.admission !== undefined && (o.upstreamCalled || !o.ok);
    recorder.record({ row: completeRow(o.row, usage, cost, o.price, o.metered?.estimated ?? false, isCall), usage, streamEvents: o.streamEvents ?? 0 });
  }
  return cost;
}
