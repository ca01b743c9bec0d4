/**
 * Multi-tenant mode: what each caller's tenant may see. A server with
 * `tenant: T` is T's alone; an untenanted server is seen whole by callers
 * without a tenant and, entry by entry, by the tenants whose `share` globs
 * match it. Administrators see everything. Without `tenants` in the config
 * there is one scope, everything, and nothing here costs a thing.
 *
 * A scope is an object made once per tenant and config, so catalogs and list
 * answers built for it can be cached by it (and a reload, making new scopes,
 * lets the old caches go).
 */
import type { GatewayConfig } from '../config/types.js';
import type { CatalogScope } from '../supervisor/catalog.js';
import type { Caller } from './caller.js';
import { globsPattern } from './glob.js';

/** What admin and list answers say when they span every tenant (`"scope": "all-tenants"`). */
export const ALL_TENANTS = 'all-tenants';

/** The key of the everything view (administrators'; everyone's without multi-tenant mode). */
export const ALL_SCOPE_KEY = '*';

/** The slice of callers whose tenant no config declares (a token's claim): one slice, seen by administrators only, so a claim cannot mint label values. */
export const UNDECLARED_TENANT = '(undeclared)';

export interface TenantScope extends CatalogScope {
  /** True for administrators, and for everyone without multi-tenant mode. */
  readonly all: boolean;
  /** The tenant whose view this is; undefined for the untenanted view and for `all`. */
  readonly tenant: string | undefined;
  /** May the scope see that server at all (its own, or one it shares entries of)? */
  seesServer(serverId: string): boolean;
  /** May it see a request-log entry, held call or metric of that slice (see Tenancy.sliceOf)? */
  seesSlice(slice: string | undefined): boolean;
}

export class Tenancy {
  readonly enabled: boolean;
  /** Server id → owning tenant (null: untenanted). A server the config does not name is in no scope but `all`. */
  readonly #owners: ReadonlyMap<string, string | null>;
  readonly #scopes = new Map<string, TenantScope>();
  readonly #all: TenantScope;
  readonly #untenanted: TenantScope;
  /** A tenant no config declares (a token's claim): sees nothing, and nobody sees its slice but administrators. */
  readonly #nobody: TenantScope;

  constructor(config: Pick<GatewayConfig, 'tenants' | 'servers'>) {
    this.enabled = Object.keys(config.tenants).length > 0;
    this.#owners = new Map(config.servers.map((server) => [server.id, server.tenant ?? null]));
    this.#all = {
      key: ALL_SCOPE_KEY,
      all: true,
      tenant: undefined,
      sees: () => true,
      whole: () => true,
      seesServer: () => true,
      seesSlice: () => true,
    };
    const untenanted = (serverId: string) => this.#owners.get(serverId) === null;
    this.#untenanted = {
      key: '-',
      all: false,
      tenant: undefined,
      sees: untenanted,
      whole: untenanted,
      seesServer: untenanted,
      seesSlice: (slice) => slice === undefined,
    };
    this.#nobody = { key: '!', all: false, tenant: undefined, sees: () => false, whole: () => false, seesServer: () => false, seesSlice: () => false };
    for (const [name, tenant] of Object.entries(config.tenants)) {
      const shared = globsPattern(tenant.share);
      // The server part of each glob ("search" alone means that tool on every server).
      const sharedServers = globsPattern(tenant.share.map((glob) => (glob.includes('/') ? `${glob.slice(0, glob.indexOf('/'))}/` : '*/')));
      const owns = (serverId: string) => this.#owners.get(serverId) === name;
      this.#scopes.set(name, {
        key: `t:${name}`,
        all: false,
        tenant: name,
        sees: (serverId, entry) => owns(serverId) || (untenanted(serverId) && shared?.test(`${serverId}/${entry}`) === true),
        whole: owns,
        seesServer: (serverId) => owns(serverId) || (untenanted(serverId) && sharedServers?.test(`${serverId}/`) === true),
        seesSlice: (slice) => slice === name,
      });
    }
  }

  /** The caller's view; `admin` is Policy.mayAdminister's answer. */
  scopeOf(caller: Caller, admin: boolean): TenantScope {
    if (!this.enabled || admin) return this.#all;
    if (caller.tenant === undefined) return this.#untenanted;
    return this.#scopes.get(caller.tenant) ?? this.#nobody;
  }

  /** A tenant's own view (a tenant's virtual server selects from it); undefined: the untenanted view. */
  scopeNamed(tenant: string | undefined): TenantScope {
    if (!this.enabled) return this.#all;
    return tenant === undefined ? this.#untenanted : (this.#scopes.get(tenant) ?? this.#nobody);
  }

  /** Who owns a server: its tenant, or undefined (untenanted, or unknown). */
  ownerOf(serverId: string): string | undefined {
    return this.#owners.get(serverId) ?? undefined;
  }

  /**
   * Whose slice (request log, metrics, held calls) a call belongs to: the
   * owner of the server it reached, else the caller's tenant; undefined (the
   * untenanted slice) for neither, and always without multi-tenant mode.
   */
  sliceOf(caller: Caller, serverId: string | null): string | undefined {
    if (!this.enabled) return undefined;
    const owner = serverId === null ? undefined : this.ownerOf(serverId);
    if (owner !== undefined) return owner;
    if (caller.tenant === undefined) return undefined;
    return this.#scopes.has(caller.tenant) ? caller.tenant : UNDECLARED_TENANT;
  }

  /** `sliceOf` as the optional `tenant` field of a recorded call. */
  sliceField(caller: Caller, serverId: string | null): { tenant?: string } {
    const tenant = this.sliceOf(caller, serverId);
    return tenant === undefined ? {} : { tenant };
  }

  /** The label a scope's view is announced with (the `X-MCP-Gateway-Scope` header). */
  static label(scope: TenantScope): string {
    return scope.all ? ALL_TENANTS : scope.tenant !== undefined ? `tenant=${scope.tenant}` : scope.key === '-' ? 'untenanted' : 'none';
  }

  /** Every view a caller can have (all, untenanted, each tenant's): what list-change watching compares. */
  get scopes(): readonly TenantScope[] {
    return this.enabled ? [this.#all, this.#untenanted, ...this.#scopes.values()] : [this.#all];
  }

  /** The declared tenant names. */
  get names(): readonly string[] {
    return [...this.#scopes.keys()];
  }
}
