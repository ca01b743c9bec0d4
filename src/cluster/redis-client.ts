/**
 * How the gateway talks to Redis, for the rate-limit store and the cluster
 * alike: never queue a command while disconnected, time every command out,
 * reconnect in the background. A caller then always gets an answer or an error
 * within `timeoutMs`, never a hang.
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

const require = createRequire(import.meta.url);

/**
 * ioredis is loaded the first time a client is made, never at start: a gateway
 * without Redis (the default) does not carry its ~20 MiB of code and heap.
 */
function RedisClass(): typeof Redis {
  return (require('ioredis') as typeof import('ioredis')).Redis;
}

export function commandClient(url: string, timeoutMs: number): Redis {
  const redis = new (RedisClass())(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(1000, timeoutMs),
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  // Errors surface on the commands that fail; without a listener ioredis would print each reconnect attempt.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * A connection for SUBSCRIBE: its subscriptions are queued until connected and
 * renewed by ioredis after every reconnect, so a Redis restart loses only the
 * messages published while it was down.
 */
export function subscriberClient(url: string, timeoutMs: number): Redis {
  const redis = new (RedisClass())(url, {
    lazyConnect: false,
    enableOfflineQueue: true,
    autoResubscribe: true,
    maxRetriesPerRequest: null,
    connectTimeout: Math.max(1000, timeoutMs),
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  });
  redis.on('error', () => undefined);
  return redis;
}

/** Resolves true once `redis` is ready, false after `timeoutMs` (it keeps trying in the background). */
export function whenReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (connected: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(connected);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.on('ready', onReady);
  });
}
