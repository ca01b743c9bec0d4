/**
 * Tool-level access control: roles → allow/deny globs over `server/name`,
 * deny first, and nothing allowed means hidden. The rules that apply to a set
 * of roles are compiled once into two regular expressions, so a decision is
 * two regex tests whatever the number of rules. In multi-tenant mode the
 * caller's tenant view (policy/tenancy.ts) comes first: what it does not see
 * is hidden whatever the rules say.
 */
import type { AccessRule } from '../config/types.js';
import type { Caller } from './caller.js';
import { globsPattern } from './glob.js';
import type { TenantScope } from './tenancy.js';

/** What a rule names: tools, resources (by URI) and prompts share one pattern space. */
export type AccessKind = 'tool' | 'resource' | 'prompt';

interface Compiled {
  readonly allow: RegExp | undefined;
  readonly deny: RegExp | undefined;
}

export class AccessPolicy {
  readonly #rules: readonly AccessRule[] | undefined;
  /** Keyed by the caller's sorted roles; callers share few role sets. */
  readonly #compiled = new Map<string, Compiled>();
  /** The caller's tenant view; undefined without multi-tenant mode. */
  readonly #scopeOf: ((caller: Caller) => TenantScope) | undefined;

  /** `rules` undefined: everyone may use everything (no `access` in the config). */
  constructor(rules: readonly AccessRule[] | undefined, scopeOf?: (caller: Caller) => TenantScope) {
    this.#rules = rules;
    this.#scopeOf = scopeOf;
  }

  /** False when every caller sees the same catalog (no rules, no tenants): list answers may then be shared (`cacheScope: public`). */
  get restricts(): boolean {
    return this.#rules !== undefined || this.#scopeOf !== undefined;
  }

  /** A key two callers share exactly when the rules (and their tenant views) treat them alike. */
  viewKey(caller: Caller): string {
    const roles = this.#rolesKey(caller);
    return this.#scopeOf === undefined ? roles : `${this.#scopeOf(caller).key}\u0000${roles}`;
  }

  allows(caller: Caller, serverId: string, name: string): boolean {
    if (this.#scopeOf !== undefined && !this.#scopeOf(caller).sees(serverId, name)) return false;
    if (this.#rules === undefined) return true;
    const compiled = this.#compile(caller);
    const target = `${serverId}/${name}`;
    if (compiled.deny?.test(target)) return false;
    return compiled.allow?.test(target) ?? false;
  }

  #rolesKey(caller: Caller): string {
    return this.#rules === undefined ? '' : [...caller.roles].sort().join('\n');
  }

  #compile(caller: Caller): Compiled {
    const key = this.#rolesKey(caller);
    let compiled = this.#compiled.get(key);
    if (compiled === undefined) {
      const applicable = this.#rules!.filter((rule) => rule.role === '*' || caller.roles.includes(rule.role));
      compiled = { allow: globsPattern(applicable.flatMap((rule) => rule.allow)), deny: globsPattern(applicable.flatMap((rule) => rule.deny)) };
      this.#compiled.set(key, compiled);
    }
    return compiled;
  }
}
