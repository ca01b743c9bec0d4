/**
 * The sliding window of rate-limit.ts in Redis, so several gateway instances
 * share one limit per key. One Lua script per decision (atomic, one round
 * trip): drop admissions older than the window, count, admit if below the
 * limit. It reads the Redis server's clock, so instances whose clocks differ
 * still agree. A sorted set per key holds at most `limit` admission times and
 * expires with its window.
 *
 * Redis down or slow never hangs a request: commands are not queued while
 * disconnected and time out after `timeoutMs`; `onError` then decides
 * (fail-open serves and counts it, fail-closed answers 503) while ioredis
 * reconnects in the background.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { commandClient, whenReady } from '../cluster/redis-client.js';
import type { RedisStoreConfig, WindowLimit } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit.js';

const SLIDING_WINDOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { allowed, count, tonumber(oldest[2]) or now, now }
`;

/** A quota counter: refusals are not counted; the key expires when its window (a UTC day) ends. */
const FIXED_WINDOW = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local limit = tonumber(ARGV[1])
if count >= limit then return { 0, count } end
count = redis.call('INCR', KEYS[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return { 1, count }
`;

export interface RedisStoreEvents {
  /** A decision Redis could not make; `served` says whether the request went ahead (fail-open). */
  error(error: Error, served: boolean): void;
}

type SlidingWindowRedis = Redis & {
  slidingWindow(key: string, windowMs: number, limit: number, member: string): Promise<[number, number, number, number]>;
  fixedWindow(key: string, limit: number, resetAt: number): Promise<[number, number]>;
};

export class RedisRateLimitStore implements RateLimitStore {
  readonly #config: RedisStoreConfig;
  readonly #redis: SlidingWindowRedis;
  readonly #events: RedisStoreEvents;

  constructor(config: RedisStoreConfig, events: RedisStoreEvents) {
    this.#config = config;
    this.#events = events;
    this.#redis = commandClient(config.url, config.timeoutMs) as SlidingWindowRedis;
    this.#redis.defineCommand('slidingWindow', { numberOfKeys: 1, lua: SLIDING_WINDOW });
    this.#redis.defineCommand('fixedWindow', { numberOfKeys: 1, lua: FIXED_WINDOW });
  }

  /**
   * Resolves once connected, or after `timeoutMs` (then `onError` rules until
   * the background reconnect succeeds): the gateway waits for it at start so
   * its first requests are not decided without Redis for nothing.
   */
  ready(timeoutMs: number): Promise<boolean> {
    return whenReady(this.#redis, timeoutMs);
  }

  /** True while connected (for health and tests). */
  get connected(): boolean {
    return this.#redis.status === 'ready';
  }

  async hit(key: string, limit: WindowLimit, _now: number): Promise<RateLimitDecision> {
    const windowMs = Math.round(limit.windowSeconds * 1000);
    try {
      const [allowed, count, oldest, now] = await this.#redis.slidingWindow(this.#config.keyPrefix + key, windowMs, limit.limit, randomBytes(6).toString('base64url'));
      return {
        allowed: allowed === 1,
        limit: limit.limit,
        remaining: Math.max(0, limit.limit - count),
        resetAt: oldest + windowMs,
        retryAfterMs: allowed === 1 ? 0 : Math.max(0, oldest + windowMs - now),
      };
    } catch (error) {
      return this.#undecided(error as Error, limit.limit, Date.now() + windowMs);
    }
  }

  async count(key: string, limit: number, resetAt: number, now: number): Promise<RateLimitDecision> {
    try {
      const [allowed, count] = await this.#redis.fixedWindow(this.#config.keyPrefix + key, limit, resetAt);
      return { allowed: allowed === 1, limit, remaining: Math.max(0, limit - count), resetAt, retryAfterMs: allowed === 1 ? 0 : Math.max(0, resetAt - now) };
    } catch (error) {
      return this.#undecided(error as Error, limit, resetAt);
    }
  }

  /** Redis could not decide: `onError` says whether the request goes ahead. */
  #undecided(error: Error, limit: number, resetAt: number): RateLimitDecision {
    const served = this.#config.onError === 'fail-open';
    this.#events.error(error, served);
    if (!served) throw new GatewayError('MCPGW_ERR_RATE_LIMIT_UNAVAILABLE', `the rate limiter cannot decide now (Redis: ${error.message}); refusing rather than running without the limit (rateLimit.redis.onError: fail-closed)`);
    return { allowed: true, limit, remaining: limit, resetAt, retryAfterMs: 0 };
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
