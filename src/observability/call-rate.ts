/**
 * Calls per second over the last 1, 5 and 15 minutes, counted exactly: a ring
 * of 5-second buckets (720 bytes per server or tool). Unlike a load-average
 * style moving average, the figure is a plain count divided by a known span,
 * so "3 calls in the last minute" reads back as 0.05/s, and an idle minute
 * reads 0, not a decaying tail.
 */

export const RATE_WINDOWS = { '1m': 60, '5m': 300, '15m': 900 } as const;
export type RateWindow = keyof typeof RATE_WINDOWS;
export type Rates = Record<RateWindow, number>;

const BUCKET_MS = 5000;
const BUCKETS = RATE_WINDOWS['15m'] * 1000 / BUCKET_MS;

export class CallRate {
  readonly #counts = new Uint32Array(BUCKETS);
  /** The absolute bucket number (time / BUCKET_MS) of the newest bucket written; buckets after it are empty. */
  #head = -Infinity;

  record(now: number): void {
    const bucket = Math.floor(now / BUCKET_MS);
    // A clock stepping back counts into the newest bucket rather than rewriting history.
    if (bucket > this.#head) this.#advance(bucket);
    this.#counts[Math.max(bucket, this.#head) % BUCKETS]!++;
  }

  #advance(bucket: number): void {
    const gap = bucket - this.#head;
    if (gap >= BUCKETS) this.#counts.fill(0);
    else for (let b = this.#head + 1; b <= bucket; b++) this.#counts[b % BUCKETS] = 0;
    this.#head = bucket;
  }

  /**
   * Calls per second over each window ending at `now`. The span is the window's
   * full buckets plus the elapsed part of the current one (so within 5 s of the
   * window's length), and never longer than the time since `since` (so a
   * gateway up for 10 s reports its rate over those 10 s, not a tenth of it).
   */
  rates(now: number, since: number): Rates {
    const nowBucket = Math.floor(now / BUCKET_MS);
    const elapsedInBucket = now - nowBucket * BUCKET_MS;
    const rates = {} as Rates;
    for (const [name, seconds] of Object.entries(RATE_WINDOWS) as [RateWindow, number][]) {
      const buckets = (seconds * 1000) / BUCKET_MS;
      let calls = 0;
      const oldest = Math.max(nowBucket - buckets + 1, this.#head - BUCKETS + 1);
      for (let b = oldest; b <= Math.min(nowBucket, this.#head); b++) calls += this.#counts[b % BUCKETS]!;
      const spanMs = Math.max(1000, Math.min((buckets - 1) * BUCKET_MS + elapsedInBucket, now - since));
      rates[name] = Math.round((calls / spanMs) * 1000 * 1000) / 1000;
    }
    return rates;
  }
}
