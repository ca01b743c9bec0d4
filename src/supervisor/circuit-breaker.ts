/**
 * A per-server circuit breaker: after `consecutiveFailures` upstream failures
 * in a row, or an error rate of `errorRate` over at least `minimumCalls` calls
 * in the last `windowSeconds`, the circuit opens and calls fail at once (503)
 * instead of each waiting for its own timeout. After `openSeconds` one probe
 * call goes through (half-open): its success closes the circuit, its failure
 * opens it again.
 *
 * Only the upstream's own failures count — timeouts, crashes, garbage answers;
 * a tool's `isError` result or a refused argument is an answer, not a failure.
 */
import type { CircuitBreakerConfig } from '../config/types.js';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** Outcome buckets per second, so the error rate covers a sliding window without a list of every call. */
interface Bucket {
  second: number;
  calls: number;
  failures: number;
}

export class CircuitBreaker {
  readonly #config: CircuitBreakerConfig;
  readonly #now: () => number;
  readonly #buckets: Bucket[];
  #state: CircuitState = 'closed';
  #consecutive = 0;
  #openedAt = 0;
  #probing = false;

  constructor(config: CircuitBreakerConfig, now: () => number = Date.now) {
    this.#config = config;
    this.#now = now;
    this.#buckets = Array.from({ length: Math.max(1, Math.ceil(config.windowSeconds)) }, () => ({ second: -1, calls: 0, failures: 0 }));
  }

  get state(): CircuitState {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#config.openSeconds * 1000) return 'half-open';
    return this.#state;
  }

  /** Seconds until an open circuit lets a probe through. */
  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.#openedAt + this.#config.openSeconds * 1000 - this.#now()) / 1000));
  }

  /**
   * May a call go out now? In half-open, exactly one (the probe) may; the
   * caller must then report it with `record`, or `release` it if it never ran.
   */
  tryAcquire(): { allowed: boolean; probe: boolean } {
    if (!this.#config.enabled) return { allowed: true, probe: false };
    const state = this.state;
    if (state === 'closed') return { allowed: true, probe: false };
    if (state === 'half-open' && !this.#probing) {
      this.#probing = true;
      this.#state = 'half-open';
      return { allowed: true, probe: true };
    }
    return { allowed: false, probe: false };
  }

  record(failed: boolean, probe: boolean): void {
    if (!this.#config.enabled) return;
    if (probe) {
      this.#probing = false;
      if (failed) this.#open();
      else this.#close();
      return;
    }
    // A call that started before the circuit opened says nothing new about a circuit that is open now.
    if (this.#state !== 'closed') return;
    const bucket = this.#bucket();
    bucket.calls++;
    if (failed) bucket.failures++;
    this.#consecutive = failed ? this.#consecutive + 1 : 0;
    if (this.#consecutive >= this.#config.consecutiveFailures || this.#rateExceeded()) this.#open();
  }

  /** A probe that was admitted but never reached the upstream (no replica, cancelled first). */
  release(probe: boolean): void {
    if (probe) this.#probing = false;
  }

  /** A fresh upstream (a replica restarted): give it its chance. */
  reset(): void {
    this.#close();
  }

  #open(): void {
    this.#state = 'open';
    this.#openedAt = this.#now();
    this.#consecutive = 0;
  }

  #close(): void {
    this.#state = 'closed';
    this.#consecutive = 0;
    this.#probing = false;
    for (const bucket of this.#buckets) bucket.second = -1;
  }

  #bucket(): Bucket {
    const second = Math.floor(this.#now() / 1000);
    const bucket = this.#buckets[second % this.#buckets.length]!;
    if (bucket.second !== second) {
      bucket.second = second;
      bucket.calls = 0;
      bucket.failures = 0;
    }
    return bucket;
  }

  #rateExceeded(): boolean {
    const oldest = Math.floor(this.#now() / 1000) - this.#buckets.length;
    let calls = 0;
    let failures = 0;
    for (const bucket of this.#buckets) {
      if (bucket.second <= oldest) continue;
      calls += bucket.calls;
      failures += bucket.failures;
    }
    return calls >= this.#config.minimumCalls && failures / calls >= this.#config.errorRate;
  }
}
