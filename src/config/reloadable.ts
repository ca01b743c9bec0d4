/**
 * What a config reload can change in a running gateway, and what waits for a
 * restart. Servers and policy (auth, access rules, rate limits, approval rules, tenants) apply at once;
 * the front door's own settings were fixed when it started listening.
 */
import { isDeepStrictEqual } from 'node:util';
import type { GatewayConfig } from './types.js';

/** Top-level keys a reload applies. */
const RELOADABLE = new Set<keyof GatewayConfig>(['servers', 'auth', 'access', 'rateLimit', 'approval', 'tenants']);

/** The keys whose new values differ but take effect only after a restart. */
export function restartRequired(running: GatewayConfig, next: GatewayConfig): string[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)] as (keyof GatewayConfig)[]);
  const changed: string[] = [...keys].filter((key) => !RELOADABLE.has(key) && !isDeepStrictEqual(running[key], next[key]));
  // Limits reload; the store holding the counters was connected at start.
  for (const key of ['store', 'redis'] as const) if (!isDeepStrictEqual(running.rateLimit[key], next.rateLimit[key])) changed.push(`rateLimit.${key}`);
  return changed.sort();
}

/** The config in effect after a reload: the reloadable parts of `next`, the rest of `running`. */
export function applied(running: GatewayConfig, next: GatewayConfig): GatewayConfig {
  return Object.freeze({ ...running, servers: next.servers, auth: next.auth, rateLimit: next.rateLimit, approval: next.approval, tenants: next.tenants, ...(next.access !== undefined ? { access: next.access } : { access: undefined }) }) as GatewayConfig;
}
