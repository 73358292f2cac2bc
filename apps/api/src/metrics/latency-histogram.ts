import type { Metric, MetricObjectWithValues, MetricValueWithName, Registry } from 'prom-client';

type Exposed = MetricObjectWithValues<MetricValueWithName<string>>;

/** One label set's counts. */
export interface LatencySeries {
  observe(seconds: number): void;
}

class Series implements LatencySeries {
  /** Non-cumulative counts per bucket; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += seconds;
    this.count++;
  }
}

/**
 * A Prometheus histogram for the per-request latency, registered in a prom-client Registry and
 * exposed exactly like prom-client's Histogram (`_bucket{le}`, `_sum`, `_count`).
 *
 * Why not prom-client's Histogram: even through a labelled child, its observe() rebuilds and
 * validates the label object and hashes it on every call, which was the largest JavaScript cost
 * left on a cached GET. Here a series is looked up once by the caller and observe() is a bucket
 * search and three additions; the cumulative counts are built only when Prometheus scrapes.
 */
export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label set (keep it: looking it up is the costly part). */
  labels(labels: Record<string, string>): LatencySeries {
    const id = JSON.stringify(labels);
    let series = this.series.get(id);
    if (series === undefined) this.series.set(id, (series = new Series({ ...labels }, this.bounds)));
    return series;
  }

  get(): Promise<Exposed> {
    const values: MetricValueWithName<string>[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i];
        const le = i < this.bounds.length ? this.bounds[i] : '+Inf';
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type as unknown as Exposed['type'],
      values,
      aggregator: this.aggregator,
      collect: () => undefined,
    });
  }

  /** Zeroes every series in place (callers keep the series they looked up). */
  reset(): void {
    for (const s of this.series.values()) s.reset();
  }
}
