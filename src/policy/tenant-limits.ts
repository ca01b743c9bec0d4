/**
 * A tenant's own limits, over all its callers together: a sliding window
 * (`tenants.<name>.rateLimit`) and calls per UTC day (`quota.callsPerDay`),
 * both counted in the configured rate-limit store, so instances sharing
 * Redis share them too. They apply to calls (tools, resource reads, prompt
 * gets), whether or not `rateLimit.enabled` is set: a tenant's limit is asked
 * for by name.
 */
import type { TenantConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { RateLimitStore } from './rate-limit.js';
import { rateLimitError } from './rate-limiter.js';

const DAY_MS = 86_400_000;

export class TenantLimits {
  readonly #tenants: Readonly<Record<string, TenantConfig>>;
  readonly #store: RateLimitStore;
  readonly #now: () => number;

  constructor(tenants: Readonly<Record<string, TenantConfig>>, store: RateLimitStore, now: () => number = Date.now) {
    this.#tenants = tenants;
    this.#store = store;
    this.#now = now;
  }

  /** Whether the tenant has a limit at all (so the common case awaits nothing). */
  applies(tenant: string): boolean {
    const config = Object.hasOwn(this.#tenants, tenant) ? this.#tenants[tenant] : undefined;
    return config !== undefined && (config.rateLimit !== undefined || config.quota !== undefined);
  }

  /** Counts one call of the tenant; throws MCPGW_ERR_RATE_LIMITED or MCPGW_ERR_QUOTA_EXCEEDED. */
  async call(tenant: string): Promise<void> {
    const config = Object.hasOwn(this.#tenants, tenant) ? this.#tenants[tenant] : undefined;
    if (config === undefined) return;
    if (config.rateLimit !== undefined) {
      const decision = await this.#store.hit(`tenant|${tenant}`, config.rateLimit, this.#now());
      if (!decision.allowed) throw rateLimitError(decision, `tenant "${tenant}"`);
    }
    if (config.quota !== undefined) {
      const now = this.#now();
      const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
      const resetAt = dayStart + DAY_MS;
      const day = new Date(dayStart).toISOString().slice(0, 10);
      const decision = await this.#store.count(`quota|${tenant}|${day}`, config.quota.callsPerDay, resetAt, now);
      if (!decision.allowed) {
        const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        throw new GatewayError('MCPGW_ERR_QUOTA_EXCEEDED', `tenant "${tenant}" has used its ${decision.limit} calls for ${day} (UTC); the quota renews at ${new Date(resetAt).toISOString()}`, {
          limit: decision.limit,
          retryAfterSeconds,
          resetAt: new Date(resetAt).toISOString(),
        });
      }
    }
  }
}
