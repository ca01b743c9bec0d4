/**
 * What one thread says about itself, once per report interval: how busy its
 * event loop was (utilization, from libuv's idle time: it costs no timer), how
 * late its timers ran, its V8 heap, and the process's resident set as that
 * thread reads it. The main thread and every worker run one; workers post
 * theirs over their MessagePort.
 *
 * Lag is sampled finely (perf_hooks' event-loop delay histogram, a 10 ms
 * timer) only over an interval that follows a busy one. An idle loop runs its
 * timers on time, and that timer would wake every idle thread a hundred times
 * a second: a hundred idle upstream workers spent a third of a core on it.
 * Otherwise the lag is the report timer's own lateness, so a stall that holds
 * the loop past a report is still seen.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';

/** How often a worker reports, and the main thread samples itself. */
export const THREAD_REPORT_INTERVAL_MS = 1000;

/** The event-loop delay histogram's sampling timer (ms): coarse enough to cost little on a busy loop, fine enough to see a stalled one. */
const LAG_RESOLUTION_MS = 10;

/** Busier than this over an interval (share of wall time spent running), and the next interval's lag is sampled finely. */
const BUSY_UTILIZATION = 0.05;

export interface ThreadSample {
  /** Share of the last interval the event loop spent running rather than waiting (0–1). */
  readonly utilization: number;
  /** Mean, 99th percentile and maximum event-loop delay over the last interval, in seconds (0 when nothing was late). */
  readonly lagMeanSeconds: number;
  readonly lagP99Seconds: number;
  readonly lagMaxSeconds: number;
  /** This thread's V8 heap (each worker has its own isolate). */
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  /** The whole process's resident set size (threads share it), read by this thread. */
  readonly rssBytes: number;
}

export const EMPTY_THREAD_SAMPLE: ThreadSample = Object.freeze({ utilization: 0, lagMeanSeconds: 0, lagP99Seconds: 0, lagMaxSeconds: 0, heapUsedBytes: 0, heapTotalBytes: 0, rssBytes: 0 });

/** Samples the calling thread every `intervalMs` (and once at once) until stopped; its timer never keeps the thread alive. */
export class ThreadSampler {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  readonly #intervalMs: number;
  readonly #timer: NodeJS.Timeout;
  #utilization: EventLoopUtilization = performance.eventLoopUtilization();
  #sampledAt = performance.now();
  #watching = false;

  constructor(onSample: (sample: ThreadSample) => void, intervalMs = THREAD_REPORT_INTERVAL_MS) {
    this.#intervalMs = intervalMs;
    onSample(this.#sample(0));
    this.#timer = setInterval(() => onSample(this.#sample(performance.now() - this.#sampledAt - this.#intervalMs)), intervalMs).unref();
  }

  /** Whether the current interval's lag is sampled by the fine timer (the last one was busy). */
  get watchingLag(): boolean {
    return this.#watching;
  }

  /** `lateMs`: how late the report timer ran (the interval's lag when it was not watched finely). */
  #sample(lateMs: number): ThreadSample {
    const delay = this.#delay;
    const now = performance.now();
    const utilization = performance.eventLoopUtilization(this.#utilization).utilization;
    this.#utilization = performance.eventLoopUtilization();
    this.#sampledAt = now;
    // An empty histogram reads NaN (mean) and 2^63 (min): then the report timer's lateness is the lag.
    const fine = this.#watching && delay.count > 0;
    const late = Math.max(0, lateMs) / 1000;
    const heap = process.memoryUsage();
    const sample: ThreadSample = {
      utilization: Number.isFinite(utilization) ? utilization : 0,
      lagMeanSeconds: fine ? lagSeconds(delay.mean) : late,
      lagP99Seconds: fine ? lagSeconds(delay.percentile(99)) : late,
      lagMaxSeconds: fine ? Math.max(lagSeconds(delay.max), late) : late,
      heapUsedBytes: heap.heapUsed,
      heapTotalBytes: heap.heapTotal,
      rssBytes: heap.rss,
    };
    delay.reset();
    const busy = sample.utilization >= BUSY_UTILIZATION;
    if (busy !== this.#watching) {
      this.#watching = busy;
      if (busy) delay.enable();
      else delay.disable();
    }
    return sample;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#delay.disable();
  }
}

/** The histogram holds the time between its timer's ticks; the lag is what exceeds the tick itself. */
function lagSeconds(tickNanos: number): number {
  const lag = tickNanos - LAG_RESOLUTION_MS * 1e6;
  return Number.isFinite(lag) && lag > 0 ? lag / 1e9 : 0;
}
