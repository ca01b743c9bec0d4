/**
 * Tool-level access control: roles → allow/deny globs over `server/name`,
 * deny first, and nothing allowed means hidden. The rules that apply to a set
 * of roles are compiled once into two regular expressions, so a decision is
 * two regex tests whatever the number of rules.
 */
import type { AccessRule } from '../config/types.js';
import type { Caller } from './caller.js';
import { globsPattern } from './glob.js';

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

  /** `rules` undefined: everyone may use everything (no `access` in the config). */
  constructor(rules: readonly AccessRule[] | undefined) {
    this.#rules = rules;
  }

  /** False when every caller sees the same catalog (no rules): list answers may then be shared (`cacheScope: public`). */
  get restricts(): boolean {
    return this.#rules !== undefined;
  }

  /** A key two callers share exactly when the rules treat them alike. */
  viewKey(caller: Caller): string {
    return this.#rules === undefined ? '' : [...caller.roles].sort().join('\n');
  }

  allows(caller: Caller, serverId: string, name: string): boolean {
    if (this.#rules === undefined) return true;
    const compiled = this.#compile(caller);
    const target = `${serverId}/${name}`;
    if (compiled.deny?.test(target)) return false;
    return compiled.allow?.test(target) ?? false;
  }

  #compile(caller: Caller): Compiled {
    const key = this.viewKey(caller);
    let compiled = this.#compiled.get(key);
    if (compiled === undefined) {
      const applicable = this.#rules!.filter((rule) => rule.role === '*' || caller.roles.includes(rule.role));
      compiled = { allow: globsPattern(applicable.flatMap((rule) => rule.allow)), deny: globsPattern(applicable.flatMap((rule) => rule.deny)) };
      this.#compiled.set(key, compiled);
    }
    return compiled;
  }
}
