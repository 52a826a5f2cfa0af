/**
 * The counter increments of finished requests since the last scrape, summed per series. prom-client hashes a label
 * set on every `inc`, and a request makes four to eight of them; here a request costs three map lookups and a few
 * additions, and the sums reach prom-client once per scrape. Bounded like the series themselves: the agent and
 * model labels are capped before they get here, and an entry is kept (zeroed) once its sums are handed over.
 */

export const TOKEN_KINDS = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;

/** One agent, provider and model: what their requests added since the last scrape. */
export interface SeriesCounts {
  readonly agent: string;
  readonly provider: string;
  readonly model: string;
  /** Requests by HTTP status. */
  readonly statuses: Map<number, number>;
  /** Tokens by kind, in TOKEN_KINDS order. */
  readonly tokens: number[];
  costUsd: number;
  streamEvents: number;
}

export class RequestCounts {
  private readonly byAgent = new Map<string, Map<string, Map<string, SeriesCounts>>>();

  /** The series to add a request to, created on first use. */
  series(agent: string, provider: string, model: string): SeriesCounts {
    let byProvider = this.byAgent.get(agent);
    if (byProvider === undefined) this.byAgent.set(agent, (byProvider = new Map()));
    let byModel = byProvider.get(provider);
    if (byModel === undefined) byProvider.set(provider, (byModel = new Map()));
    let counts = byModel.get(model);
    if (counts === undefined) {
      counts = { agent, provider, model, statuses: new Map(), tokens: TOKEN_KINDS.map(() => 0), costUsd: 0, streamEvents: 0 };
      byModel.set(model, counts);
    }
    return counts;
  }

  /** Hands every series with something to add to `take`, then zeroes it. */
  drain(take: (counts: SeriesCounts) => void): void {
    for (const byProvider of this.byAgent.values()) {
      for (const byModel of byProvider.values()) {
        for (const counts of byModel.values()) {
          // Every request adds a status: none means nothing was added.
          if (counts.statuses.size === 0) continue;
          take(counts);
          counts.statuses.clear();
          counts.tokens.fill(0);
          counts.costUsd = 0;
          counts.streamEvents = 0;
        }
      }
    }
  }
}
