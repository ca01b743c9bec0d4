/**
 * A counter and a histogram for the per-call hot path, exposed through a
 * prom-client Registry like any other metric. prom-client's own `inc` and
 * `observe` rebuild a key string from the labels object on every call
 * (`hashObject`), validate it and look it up (about 0.5 µs each, four per tool
 * call); here the caller resolves a label set once, keeps the `Series` it gets,
 * and adds to plain numbers. The registry reads them only when scraped.
 *
 * The registry takes any metric that has `name`, `help`, `type` and `get()`
 * (prom-client's text and JSON writers use nothing else); its types only name
 * its own classes, hence the one cast in the constructor.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

interface ExportedValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

abstract class SeriesMetric<S> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  readonly #series = new Map<string, S>();

  constructor(name: string, help: string, registry: Registry) {
    this.name = name;
    this.help = help;
    registry.registerMetric(this as unknown as Metric);
  }

  /**
   * The series of one label set, made on first use. `key` must identify the
   * label values (the caller usually has them joined already); `labels` is
   * read only when the series is new.
   */
  series(key: string, labels: () => Labels): S {
    let series = this.#series.get(key);
    if (series === undefined) this.#series.set(key, (series = this.create(labels())));
    return series;
  }

  protected abstract create(labels: Labels): S;

  protected abstract export(series: S, into: ExportedValue[]): void;

  async get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: ExportedValue[] }> {
    const values: ExportedValue[] = [];
    for (const series of this.#series.values()) this.export(series, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}

export interface CounterSeries {
  readonly labels: Labels;
  value: number;
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter' as const;

  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  protected export(series: CounterSeries, into: ExportedValue[]): void {
    into.push({ value: series.value, labels: series.labels });
  }
}

export class HistogramSeries {
  readonly labels: Labels;
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: readonly number[];

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sum += value;
    this.count++;
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram' as const;
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, bounds: readonly number[], registry: Registry) {
    super(name, help, registry);
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.#bounds);
  }

  /** As prom-client writes a histogram: cumulative buckets (`le` first), then `_sum` and `_count`. */
  protected export(series: HistogramSeries, into: ExportedValue[]): void {
    const bucketName = `${this.name}_bucket`;
    let cumulative = 0;
    this.#bounds.forEach((bound, i) => {
      cumulative += series.counts[i]!;
      into.push({ value: cumulative, labels: { le: bound, ...series.labels }, metricName: bucketName });
    });
    into.push({ value: series.count, labels: { le: '+Inf', ...series.labels }, metricName: bucketName });
    into.push({ value: series.sum, labels: series.labels, metricName: `${this.name}_sum` });
    into.push({ value: series.count, labels: series.labels, metricName: `${this.name}_count` });
  }
}
