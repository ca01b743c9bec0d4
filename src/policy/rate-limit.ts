/**
 * An exact sliding window: at most `limit` admitted requests in ANY span of
 * `windowSeconds`, not per clock-aligned window (which lets 2× the limit
 * through across a boundary). Each key keeps the times of its last `limit`
 * admissions in a ring; a request is admitted when the oldest of them has left
 * the window. Refused requests are not recorded, so hammering does not push
 * the reset further away.
 *
 * The store sits behind an interface so a shared one (Redis) can replace the
 * in-memory one with the same answers.
 */
import type { WindowLimit } from '../config/types.js';

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  /** Admissions left in the current window (after this one, when admitted). */
  readonly remaining: number;
  /** When the oldest admission in the window leaves it (ms since the epoch): one more slot then. */
  readonly resetAt: number;
  /** For a refusal: how long until a retry can be admitted, in ms. */
  readonly retryAfterMs: number;
}

export interface RateLimitStore {
  hit(key: string, limit: WindowLimit, now: number): RateLimitDecision | Promise<RateLimitDecision>;
  /**
   * A fixed-window counter (a quota): admits while fewer than `limit` were
   * admitted under `key`, which ends at `resetAt` (ms since the epoch). A
   * refusal is not counted. `resetAt` is also when the key may be forgotten.
   */
  count(key: string, limit: number, resetAt: number, now: number): RateLimitDecision | Promise<RateLimitDecision>;
}

interface Ring {
  /** Admission times, oldest at `head` once the ring is full. */
  readonly times: Float64Array;
  head: number;
  count: number;
  windowMs: number;
}

/** Keys idle for a whole window are forgotten on the next sweep; memory follows the active callers. */
const SWEEP_EVERY = 1024;

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #rings = new Map<string, Ring>();
  readonly #counters = new Map<string, { count: number; resetAt: number }>();
  #hits = 0;

  count(key: string, limit: number, resetAt: number, now: number): RateLimitDecision {
    let counter = this.#counters.get(key);
    if (counter === undefined || counter.resetAt <= now) {
      // A new window: counters whose window ended go with it (a quota key is per day, so few are ever kept).
      for (const [old, entry] of this.#counters) if (entry.resetAt <= now) this.#counters.delete(old);
      this.#counters.set(key, (counter = { count: 0, resetAt }));
    }
    if (counter.count >= limit) return { allowed: false, limit, remaining: 0, resetAt: counter.resetAt, retryAfterMs: Math.max(0, counter.resetAt - now) };
    counter.count++;
    return { allowed: true, limit, remaining: limit - counter.count, resetAt: counter.resetAt, retryAfterMs: 0 };
  }

  hit(key: string, limit: WindowLimit, now: number): RateLimitDecision {
    if (++this.#hits % SWEEP_EVERY === 0) this.#sweep(now);
    const windowMs = limit.windowSeconds * 1000;
    let ring = this.#rings.get(key);
    if (ring === undefined || ring.times.length !== limit.limit) {
      ring = { times: new Float64Array(limit.limit), head: 0, count: 0, windowMs };
      this.#rings.set(key, ring);
    }
    ring.windowMs = windowMs;
    const capacity = ring.times.length;
    const since = now - windowMs;
    const inWindow = countSince(ring, since);
    if (inWindow >= capacity) {
      const oldest = ring.times[ring.head]!;
      return { allowed: false, limit: capacity, remaining: 0, resetAt: oldest + windowMs, retryAfterMs: Math.max(0, oldest + windowMs - now) };
    }
    // Overwrites the oldest time, which has left the window (or the ring is not full yet).
    ring.times[(ring.head + ring.count) % capacity] = now;
    if (ring.count < capacity) ring.count++;
    else ring.head = (ring.head + 1) % capacity;
    const oldestInWindow = ring.times[(ring.head + ring.count - (inWindow + 1)) % capacity]!;
    return { allowed: true, limit: capacity, remaining: capacity - inWindow - 1, resetAt: oldestInWindow + windowMs, retryAfterMs: 0 };
  }

  #sweep(now: number): void {
    for (const [key, ring] of this.#rings) {
      const newest = ring.times[(ring.head + ring.count - 1) % ring.times.length]!;
      if (ring.count === 0 || newest <= now - ring.windowMs) this.#rings.delete(key);
    }
  }
}

/** Admissions newer than `since`: times are in admission order, so a binary search over the ring. */
function countSince(ring: Ring, since: number): number {
  const capacity = ring.times.length;
  let low = 0;
  let high = ring.count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ring.times[(ring.head + mid) % capacity]! > since) high = mid;
    else low = mid + 1;
  }
  return ring.count - low;
}
