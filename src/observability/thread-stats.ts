/**
 * What one thread says about itself: event-loop lag over the last interval
 * (perf_hooks' event-loop delay histogram, reset at every sample), its V8 heap,
 * and the process's resident set as that thread reads it. The main thread and
 * every worker run one; workers post theirs over their MessagePort.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** How often a worker reports, and the main thread samples itself. */
export const THREAD_REPORT_INTERVAL_MS = 1000;

/** The event-loop delay histogram's sampling timer (ms): coarse enough to cost nothing, fine enough to see a stalled loop. */
const LAG_RESOLUTION_MS = 10;

export interface ThreadSample {
  /** Mean, 99th percentile and maximum event-loop delay over the last interval, in seconds (0 when nothing was measured). */
  readonly lagMeanSeconds: number;
  readonly lagP99Seconds: number;
  readonly lagMaxSeconds: number;
  /** This thread's V8 heap (each worker has its own isolate). */
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  /** The whole process's resident set size (threads share it), read by this thread. */
  readonly rssBytes: number;
}

export const EMPTY_THREAD_SAMPLE: ThreadSample = Object.freeze({ lagMeanSeconds: 0, lagP99Seconds: 0, lagMaxSeconds: 0, heapUsedBytes: 0, heapTotalBytes: 0, rssBytes: 0 });

export class ThreadSampler {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });

  constructor() {
    this.#delay.enable();
  }

  /** The interval since the previous sample (or since start), then starts a new one. */
  sample(): ThreadSample {
    const delay = this.#delay;
    // An empty histogram reads NaN (mean) and 2^63 (min): report no lag rather than garbage.
    const measured = delay.count > 0;
    const heap = process.memoryUsage();
    const sample: ThreadSample = {
      lagMeanSeconds: measured ? lagSeconds(delay.mean) : 0,
      lagP99Seconds: measured ? lagSeconds(delay.percentile(99)) : 0,
      lagMaxSeconds: measured ? lagSeconds(delay.max) : 0,
      heapUsedBytes: heap.heapUsed,
      heapTotalBytes: heap.heapTotal,
      rssBytes: heap.rss,
    };
    delay.reset();
    return sample;
  }

  stop(): void {
    this.#delay.disable();
  }
}

/** The histogram holds the time between its timer's ticks; the lag is what exceeds the tick itself. */
function lagSeconds(tickNanos: number): number {
  const lag = tickNanos - LAG_RESOLUTION_MS * 1e6;
  return Number.isFinite(lag) && lag > 0 ? lag / 1e9 : 0;
}
