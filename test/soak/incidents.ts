/**
 * Which errors the soak expects: those of calls aimed at a server while a
 * restart the soak injected into it was under way (from the injection until
 * the server was fully ready again, plus a little grace), and only of the
 * kinds a restart causes. Anything else is unexpected.
 */
import type { OpResult } from './operations.js';

/** What a call aimed at a restarting server may get: its connection died, it is down, its tools are briefly gone, its circuit opened. */
const RESTART_CODES: ReadonlySet<string> = new Set(['MCPGW_ERR_UPSTREAM_CRASHED', 'MCPGW_ERR_SERVER_UNAVAILABLE', 'MCPGW_ERR_UNKNOWN_TOOL', 'MCPGW_ERR_CIRCUIT_OPEN']);
/** Catalog changes reach routing a moment after the server is ready again. */
const GRACE_MS = 1000;

export type InjectionKind = 'crash-tool' | 'kill-replica';

export interface Injection {
  readonly server: string;
  readonly kind: InjectionKind;
  readonly replica?: number;
  readonly from: number;
  /** When the server was fully ready again; undefined while it is not (or never was). */
  to?: number;
}

export class Incidents {
  readonly #injections: Injection[] = [];

  get injections(): readonly Injection[] {
    return this.#injections;
  }

  begin(server: string, kind: InjectionKind, replica?: number): Injection {
    const injection: Injection = { server, kind, ...(replica === undefined ? {} : { replica }), from: Date.now() };
    this.#injections.push(injection);
    return injection;
  }

  end(injection: Injection): void {
    injection.to = Date.now();
  }

  /** Whether a failed operation is explained by an injected restart. */
  expected(result: OpResult): boolean {
    if (result.error === undefined || result.server === undefined || result.code === undefined || !RESTART_CODES.has(result.code)) return false;
    return this.#injections.some((injection) => injection.server === result.server && result.endedAt >= injection.from && result.startedAt <= (injection.to ?? Infinity) + GRACE_MS);
  }
}
