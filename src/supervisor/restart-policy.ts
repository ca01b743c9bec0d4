/**
 * When to restart a crashed replica, and when to give up. OTP's intensity and
 * period (more than `maxRestarts` within `windowSeconds` → give up, state
 * `failed`), extended with exponential backoff and jitter, which OTP does not
 * have: a crash-looping upstream must not be respawned in a tight loop.
 */
import type { RestartConfig } from '../config/types.js';

export type RestartDecision = { readonly restart: true; readonly delayMs: number } | { readonly restart: false; readonly reason: string };

export class RestartPolicy {
  readonly #config: RestartConfig;
  readonly #random: () => number;
  #recent: number[] = [];

  constructor(config: RestartConfig, random: () => number = Math.random) {
    this.#config = config;
    this.#random = random;
  }

  /** Restarts counted in the current window. */
  get recentRestarts(): number {
    return this.#recent.length;
  }

  decide(now = Date.now()): RestartDecision {
    const windowMs = this.#config.windowSeconds * 1000;
    this.#recent = this.#recent.filter((at) => now - at < windowMs);
    if (this.#recent.length >= this.#config.maxRestarts) {
      return { restart: false, reason: `gave up after ${this.#recent.length} restarts within ${this.#config.windowSeconds} s (restart.maxRestarts)` };
    }
    const attempt = this.#recent.length;
    this.#recent.push(now);
    const ceiling = Math.min(this.#config.maxDelayMs, this.#config.initialDelayMs * 2 ** attempt);
    // "Equal jitter": at least half the backoff, so replicas that crashed together do not return together.
    const delayMs = Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
    return { restart: true, delayMs };
  }
}
