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
import { Tenancy, type TenantScope } from './tenancy.js';
import { TenantLimits } from './tenant-limits.js';
import { notOffered } from '../supervisor/not-offered.js';

export interface PolicyOptions {
  /** Where rate-limit counters live; in memory by default. */
  readonly rateLimitStore?: RateLimitStore;
  readonly now?: () => number;
}

const KIND_WORDS: Record<AccessKind, string> = { tool: 'tool', resource: 'resource', prompt: 'prompt' };

export class Policy {
  authenticator!: Authenticator;
  access!: AccessPolicy;
  limiter!: RateLimiter;
  resource!: ProtectedResource;
  tenancy!: Tenancy;
  #tenantLimits!: TenantLimits;
  #adminRoles: ReadonlySet<string> = new Set();
  readonly #store: RateLimitStore;
  readonly #now: (() => number) | undefined;

  constructor(config: GatewayConfig, options: PolicyOptions = {}) {
    this.#store = options.rateLimitStore ?? new MemoryRateLimitStore();
    this.#now = options.now;
    this.reconfigure(config);
  }

  /**
   * A reloaded config: keys, tokens, access rules and limits apply from the
   * next request on. Everything is built before anything is replaced, so a
   * request sees the old policy or the new one, never a mix; the rate-limit
   * counters are kept.
   */
  reconfigure(config: GatewayConfig): void {
    const authenticator = new Authenticator(config.auth);
    const tenancy = new Tenancy(config);
    const access = new AccessPolicy(config.access, tenancy.enabled ? (caller) => this.scope(caller) : undefined);
    const limiter = new RateLimiter(config.rateLimit, this.#store, this.#now);
    const resource = new ProtectedResource(config.auth);
    const tenantLimits = new TenantLimits(config.tenants, this.#store, this.#now);
    this.authenticator = authenticator;
    this.tenancy = tenancy;
    this.access = access;
    this.limiter = limiter;
    this.resource = resource;
    this.#tenantLimits = tenantLimits;
    this.#adminRoles = new Set(config.auth.adminRoles);
  }

  /** What of the servers, catalog, request log and metrics this caller sees (everything without multi-tenant mode). */
  scope(caller: Caller): TenantScope {
    return this.tenancy.scopeOf(caller, this.tenancy.enabled && this.mayAdminister(caller));
  }

  /** The scope to build catalogs and routing for; undefined when the caller sees the whole catalog. */
  catalogScope(caller: Caller): TenantScope | undefined {
    if (!this.tenancy.enabled) return undefined;
    const scope = this.scope(caller);
    return scope.all ? undefined : scope;
  }

  /** May this caller use `/api/v1/admin/*`? An admin role; without authentication, only a caller on this machine. */
  mayAdminister(caller: Caller): boolean {
    if (!this.authenticator.enabled) return caller.address !== undefined && /^((::ffff:)?127\.\d+\.\d+\.\d+|::1)$/i.test(caller.address);
    return caller.roles.some((role) => this.#adminRoles.has(role));
  }

  visible(caller: Caller, serverId: string, name: string): boolean {
    return this.access.allows(caller, serverId, name);
  }

  /**
   * Before a call is dispatched: the tenant view, the access rules, then the
   * per-server and per-tool limits and the tenant's own. Throws
   * MCPGW_ERR_UNKNOWN_TOOL (outside the tenant's view: exactly as if it did not
   * exist) / _FORBIDDEN / _RATE_LIMITED / _QUOTA_EXCEEDED.
   */
  async admit(caller: Caller, kind: AccessKind, serverId: string, name: string): Promise<void> {
    if (this.tenancy.enabled && !this.scope(caller).sees(serverId, name)) throw notOffered(kind, name);
    if (!this.access.allows(caller, serverId, name)) {
      throw new GatewayError('MCPGW_ERR_FORBIDDEN', `${caller.name} may not use ${KIND_WORDS[kind]} "${name}" on server "${serverId}"`);
    }
    if (kind === 'tool') await this.limiter.call(caller, serverId, name);
    else await this.limiter.call(caller, serverId, '');
    if (caller.tenant !== undefined && this.#tenantLimits.applies(caller.tenant)) await this.#tenantLimits.call(caller.tenant);
  }
}

