/**
 * The configured limits over a store: one limit per caller (or one for all,
 * `perKey: false`) on every authenticated request, and per-server / per-tool
 * limits on calls. Per-tool limits count each matching tool on its own.
 */
import type { RateLimitConfig, WindowLimit } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Caller } from './caller.js';
import { globsPattern } from './glob.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit.js';

interface ToolLimit {
  readonly pattern: RegExp;
  readonly limit: WindowLimit;
}

export class RateLimiter {
  readonly #config: RateLimitConfig;
  readonly #store: RateLimitStore;
  readonly #now: () => number;
  readonly #toolLimits: readonly ToolLimit[];

  constructor(config: RateLimitConfig, store: RateLimitStore, now: () => number = Date.now) {
    this.#config = config;
    this.#store = store;
    this.#now = now;
    this.#toolLimits = Object.entries(config.perTool).map(([glob, limit]) => ({ pattern: globsPattern([glob])!, limit }));
  }

  get enabled(): boolean {
    return this.#config.enabled;
  }

  /** The caller's request limit; the decision feeds the `X-RateLimit-*` headers. */
  request(caller: Caller): RateLimitDecision | Promise<RateLimitDecision> {
    const limit = caller.rateLimit ?? this.#config;
    return this.#store.hit(`req|${this.#scope(caller)}`, limit, this.#now());
  }

  /** Per-server and per-tool limits of one call; throws MCPGW_ERR_RATE_LIMITED. */
  async call(caller: Caller, serverId: string, tool: string): Promise<void> {
    if (!this.#config.enabled) return;
    const scope = this.#scope(caller);
    const serverLimit = this.#config.perServer[serverId];
    if (serverLimit !== undefined) refuseUnless(await this.#store.hit(`srv|${scope}|${serverId}`, serverLimit, this.#now()), `server "${serverId}"`);
    const target = `${serverId}/${tool}`;
    for (const { pattern, limit } of this.#toolLimits) {
      if (pattern.test(target)) refuseUnless(await this.#store.hit(`tool|${scope}|${target}`, limit, this.#now()), `tool "${tool}" on server "${serverId}"`);
    }
  }

  #scope(caller: Caller): string {
    if (!this.#config.perKey) return '*';
    return caller.address !== undefined ? `ip:${caller.address}` : caller.key;
  }
}

/** The 429 for a refused decision: `Retry-After` in whole seconds, at least 1. */
export function rateLimitError(decision: RateLimitDecision, what: string): GatewayError {
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return new GatewayError('MCPGW_ERR_RATE_LIMITED', `rate limit of ${decision.limit} requests exceeded for ${what}; retry in ${retryAfterSeconds} s`, {
    limit: decision.limit,
    retryAfterSeconds,
    resetAt: new Date(decision.resetAt).toISOString(),
  });
}

/** The `X-RateLimit-*` headers (reset as Unix seconds, as GitHub and most APIs send it), plus `Retry-After` on a refusal. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(Math.ceil(decision.resetAt / 1000)),
  };
  if (!decision.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}

function refuseUnless(decision: RateLimitDecision, what: string): void {
  if (!decision.allowed) throw rateLimitError(decision, what);
}
