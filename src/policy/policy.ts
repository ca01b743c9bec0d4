/**
 * Everything the gateway decides about a caller, built once from the config:
 * who it is (authentication), what it may see and use (access rules), and how
 * much (rate limits). The front door authenticates and applies the request
 * limit; the REST and MCP paths ask `admit` before a call reaches a worker and
 * `visible` when they list.
 */
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { AccessPolicy, type AccessKind } from './access.js';
import { Authenticator } from './authenticator.js';
import type { Caller } from './caller.js';
import { ProtectedResource } from './protected-resource.js';
import { MemoryRateLimitStore, type RateLimitStore } from './rate-limit.js';
import { RateLimiter } from './rate-limiter.js';

export interface PolicyOptions {
  /** Where rate-limit counters live; in memory by default. */
  readonly rateLimitStore?: RateLimitStore;
  readonly now?: () => number;
}

const KIND_WORDS: Record<AccessKind, string> = { tool: 'tool', resource: 'resource', prompt: 'prompt' };

export class Policy {
  readonly authenticator: Authenticator;
  readonly access: AccessPolicy;
  readonly limiter: RateLimiter;
  readonly resource: ProtectedResource;

  constructor(config: GatewayConfig, options: PolicyOptions = {}) {
    this.authenticator = new Authenticator(config.auth);
    this.access = new AccessPolicy(config.access);
    this.limiter = new RateLimiter(config.rateLimit, options.rateLimitStore ?? new MemoryRateLimitStore(), options.now);
    this.resource = new ProtectedResource(config.auth);
  }

  visible(caller: Caller, serverId: string, name: string): boolean {
    return this.access.allows(caller, serverId, name);
  }

  /** Before a call is dispatched: the access rules, then the per-server and per-tool limits. Throws MCPGW_ERR_FORBIDDEN / _RATE_LIMITED. */
  async admit(caller: Caller, kind: AccessKind, serverId: string, name: string): Promise<void> {
    if (!this.access.allows(caller, serverId, name)) {
      throw new GatewayError('MCPGW_ERR_FORBIDDEN', `${caller.name} may not use ${KIND_WORDS[kind]} "${name}" on server "${serverId}"`);
    }
    if (kind === 'tool') await this.limiter.call(caller, serverId, name);
    else await this.limiter.call(caller, serverId, '');
  }
}
