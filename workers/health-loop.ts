/**
 * Periodic liveness check of one upstream. Reports every transition (and each
 * miss while unhealthy), so the supervisor can mark the replica and restart it
 * after `unhealthyThreshold` consecutive misses.
 */
import type { HealthCheckConfig } from '../src/config/types.js';
import { describeError } from './upstream-errors.js';

export type HealthReport = (healthy: boolean, detail: string, latencyMs?: number) => void;

export class HealthLoop {
  readonly #config: HealthCheckConfig;
  readonly #check: () => Promise<void>;
  readonly #report: HealthReport;
  #timer: NodeJS.Timeout | undefined;
  #misses = 0;
  #stopped = false;

  constructor(config: HealthCheckConfig, check: () => Promise<void>, report: HealthReport) {
    this.#config = config;
    this.#check = check;
    this.#report = report;
  }

  start(): void {
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), this.#config.intervalSeconds * 1000);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const startedAt = Date.now();
    try {
      await this.#check();
      if (this.#stopped) return;
      const wasUnhealthy = this.#misses >= this.#config.unhealthyThreshold;
      this.#misses = 0;
      this.#report(true, wasUnhealthy ? 'recovered' : 'ok', Date.now() - startedAt);
    } catch (error) {
      if (this.#stopped) return;
      this.#misses++;
      const detail = `health check missed ${this.#misses}/${this.#config.unhealthyThreshold}: ${describeError(error)}`;
      this.#report(this.#misses < this.#config.unhealthyThreshold, detail);
    }
    this.#schedule();
  }
}
