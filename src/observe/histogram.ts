/**
 * A Prometheus histogram with one or two labels whose series are found through nested maps by their label values.
 * prom-client's Histogram hashes a label object and validates it on every observation, and the gateway makes two
 * per request; here one costs two map lookups and a bucket search. The registry reads it like prom-client's own
 * (it only calls `get()`), and `get()` gives the same samples: cumulative `_bucket` ones with `le` (first, as
 * prom-client writes it), then `_bucket{le="+Inf"}`, `_sum` and `_count` per series.
 */

/** One sample as prom-client's registry formats it. */
interface Sample {
  labels: Readonly<Record<string, string | number>>;
  value: number;
  metricName: string;
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket, not cumulative; the last slot is above every bound. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class LabeledHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly byFirst = new Map<string, Map<string, Series>>();
  /** Every series in the order first seen, for the scrape. */
  private readonly series: Series[] = [];

  /** `labelNames`: one or two; with one, `observe` takes no second value. */
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly [string] | readonly [string, string],
    private readonly upperBounds: readonly number[],
  ) {}

  observe(value: number, first: string, second = ''): void {
    if (!Number.isFinite(value)) return;
    let inner = this.byFirst.get(first);
    if (inner === undefined) this.byFirst.set(first, (inner = new Map()));
    let s = inner.get(second);
    if (s === undefined) {
      const labels: Record<string, string> = { [this.labelNames[0]]: first };
      if (this.labelNames[1] !== undefined) labels[this.labelNames[1]] = second;
      s = { labels, counts: new Array<number>(this.upperBounds.length + 1).fill(0), sum: 0, count: 0 };
      inner.set(second, s);
      this.series.push(s);
    }
    let b = 0;
    while (b < this.upperBounds.length && value > this.upperBounds[b]!) b++;
    s.counts[b]! += 1;
    s.sum += value;
    s.count += 1;
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; values: Sample[]; aggregator: 'sum' }> {
    const values: Sample[] = [];
    const bucket = `${this.name}_bucket`;
    for (const s of this.series) {
      let cumulative = 0;
      for (let b = 0; b < this.upperBounds.length; b++) {
        cumulative += s.counts[b]!;
        values.push({ labels: { le: this.upperBounds[b]!, ...s.labels }, value: cumulative, metricName: bucket });
      }
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: bucket });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }
}
