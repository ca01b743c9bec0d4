/**
 * Recent latency percentiles for one server or tool: two HDR histograms
 * (hdr-histogram-js, 2 significant digits, up to an hour, about 9 KiB each
 * and never more), one filling and one full, swapped every minute. A
 * percentile reads both, so it covers the last one to two minutes: recent
 * enough to show a slowdown now, and a slow hour last week does not pin p99
 * forever (the lifetime average and maximum are kept beside it).
 */
// The JS-only class, not the package's index: that one instantiates its WebAssembly build on import (~12 MiB of RSS).
import Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';

export const LATENCY_WINDOW_MS = 60_000;
const HIGHEST_MS = 3_600_000;

export interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** Calls the percentiles are taken over. */
  readonly samples: number;
}

// CommonJS: under NodeNext its default import is the module object.
const Int32Histogram = Int32HistogramModule.default;
type Histogram = InstanceType<typeof Int32Histogram>;

function histogram(): Histogram {
  return new Int32Histogram(1, HIGHEST_MS, 2);
}

export class LatencyWindow {
  #current = histogram();
  #previous = histogram();
  /** Start of the minute `#current` fills. */
  #currentStart = -Infinity;

  /** `ms` is whole milliseconds or more (Date.now arithmetic); beyond an hour it counts as an hour. */
  record(ms: number, now: number): void {
    if (now - this.#currentStart >= LATENCY_WINDOW_MS) this.#rotate(now);
    this.#current.recordValue(Math.min(Math.max(0, Math.round(ms)), HIGHEST_MS));
  }

  #rotate(now: number): void {
    const start = now - (now % LATENCY_WINDOW_MS);
    const previous = this.#previous;
    // More than a window since the last call: what `current` holds is older than the span a percentile covers.
    if (start - this.#currentStart > LATENCY_WINDOW_MS) this.#current.reset();
    previous.reset();
    this.#previous = this.#current;
    this.#current = previous;
    this.#currentStart = start;
  }

  /** Null when no call finished in the last one to two minutes. `scratch` is reused across reads (a summary reads many windows). */
  percentiles(now: number, scratch: Histogram): Percentiles | null {
    if (now - this.#currentStart >= LATENCY_WINDOW_MS) this.#rotate(now);
    scratch.reset();
    scratch.add(this.#previous);
    scratch.add(this.#current);
    const samples = scratch.totalCount;
    if (samples === 0) return null;
    return { p50: scratch.getValueAtPercentile(50), p95: scratch.getValueAtPercentile(95), p99: scratch.getValueAtPercentile(99), samples };
  }

  static scratch(): Histogram {
    return histogram();
  }
}
