/**
 * The recent-request log behind `GET /api/v1/requests`: a bounded ring in
 * memory, pruned by age (`monitor.retentionHours`) and count (`monitor.maxEntries`).
 * Ids only grow, so an entry is found by binary search and a client pages
 * back through the log with `before=<id>`.
 */
import type { MonitorConfig } from '../config/types.js';
import type { ApprovalRecord } from '../approval/approvals.js';
import type { Captured } from './capture.js';

export type CallStatus = 'ok' | 'tool_error' | 'error';

export interface RequestLogEntry {
  readonly id: number;
  /** ISO time the call arrived. */
  readonly time: string;
  /** The W3C trace id: the client's (from `traceparent`) or a fresh one. */
  readonly traceId: string;
  /** The request's `X-Request-Id`: the client's, when it sent a sane one, else the gateway's. */
  readonly requestId: string;
  readonly via: 'rest' | 'mcp';
  /** `tools/call`, `resources/read` or `prompts/get`. */
  readonly method: string;
  /** Who called: a key's name, a token's subject, or `anonymous`. */
  readonly caller: string;
  /** Multi-tenant mode: the tenant whose slice this is (the server's owner, else the caller's tenant); absent: untenanted. */
  readonly tenant?: string;
  readonly server: string | null;
  /** The tool; for a resource read its URI, for a prompt its name. */
  readonly tool: string;
  readonly status: CallStatus;
  readonly httpStatus: number;
  readonly durationMs: number;
  readonly upstreamMs: number;
  /** Time in the upstream's worker thread waiting for a free slot (`maxConcurrency`). */
  readonly queuedMs: number;
  /** The gateway's own share: durationMs less queuedMs and upstreamMs (front door, policy, thread hops). */
  readonly gatewayMs: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** With `monitor.capture` on: the redacted request and result (only in `get`, not in `query` pages). */
  readonly captured?: Captured;
  /** Calls that needed human approval: outcome, how (`elicitation` / `api`), who decided, the wait. */
  readonly approval?: ApprovalRecord;
  /** This call replayed a captured one: its id here (`source: "log"`), or in the file it was imported from. */
  readonly replayOf?: ReplayOf;
}

/**
 * An entry as the recorder hands it over: no id yet, and the arrival time as
 * epoch ms, formatted as `time` only when the entry is read (formatting an ISO
 * date per call cost more than the rest of the entry).
 */
export type LoggedCall = Omit<RequestLogEntry, 'id' | 'time'> & { readonly receivedAt: number };

interface Stored {
  readonly id: number;
  readonly call: LoggedCall;
}

export interface ReplayOf {
  readonly id: number;
  readonly source: 'log' | 'import';
}

export interface RequestLogQuery {
  readonly limit?: number;
  /** Only entries older than this id: the `nextBefore` of the previous page. */
  readonly before?: number;
  readonly server?: string;
  readonly caller?: string;
  readonly tool?: string;
  readonly method?: string;
  readonly status?: string;
  readonly traceId?: string;
  readonly requestId?: string;
  /** Entries of this tenant only. */
  readonly tenant?: string;
  /** Which slices the asker may see (its tenant view); absent: all. Applied before any other filter, so pages never cross it. */
  readonly visible?: (tenant: string | undefined) => boolean;
}

export interface RequestLogPage {
  /** Newest first; without `captured` (a page of full payloads would be megabytes; `get` has them). */
  readonly requests: readonly RequestLogEntry[];
  /** Pass as `before` for the next, older page; null when this page reached the oldest match. */
  readonly nextBefore: number | null;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export class RequestLog {
  readonly #entries: Stored[] = [];
  readonly #maxEntries: number;
  readonly #retentionMs: number;
  readonly #enabled: boolean;
  #nextId = 1;

  constructor(config: Pick<MonitorConfig, 'requestLog' | 'maxEntries' | 'retentionHours'>) {
    this.#enabled = config.requestLog;
    this.#maxEntries = config.maxEntries;
    this.#retentionMs = config.retentionHours * 3_600_000;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Returns the entry's id (undefined when the log is off). */
  add(call: LoggedCall): number | undefined {
    if (!this.#enabled) return undefined;
    const id = this.#nextId++;
    this.#entries.push({ id, call });
    // Amortised trimming: drop in bulk once 10% over, not one by one on every call.
    if (this.#entries.length > this.#maxEntries * 1.1 + 1) this.#entries.splice(0, this.#entries.length - this.#maxEntries);
    return id;
  }

  /** Newest first, from `before` back (exclusive). */
  page(query: RequestLogQuery, now = Date.now()): RequestLogPage {
    this.#prune(now);
    const limit = Math.max(1, Math.min(query.limit ?? DEFAULT_PAGE, MAX_PAGE));
    const found: RequestLogEntry[] = [];
    const start = this.#firstLive();
    let i = query.before === undefined ? this.#entries.length - 1 : this.#indexBelow(query.before);
    for (; i >= start; i--) {
      const stored = this.#entries[i]!;
      if (!matches(stored.call, query)) continue;
      // One match past the page says whether an older page exists, so nextBefore is never a dead end.
      if (found.length === limit) return { requests: found, nextBefore: found[found.length - 1]!.id };
      found.push(publicEntry(stored, false));
    }
    return { requests: found, nextBefore: null };
  }

  /** Newest first (a page without its cursor). */
  query(query: RequestLogQuery, now = Date.now()): RequestLogEntry[] {
    return [...this.page(query, now).requests];
  }

  /** One entry with everything it holds, or undefined once it is gone (or never was). */
  get(id: number, now = Date.now()): RequestLogEntry | undefined {
    this.#prune(now);
    const i = this.#indexBelow(id + 1);
    const stored = i >= this.#firstLive() ? this.#entries[i] : undefined;
    return stored?.id === id ? publicEntry(stored, true) : undefined;
  }

  get size(): number {
    return Math.min(this.#entries.length, this.#maxEntries);
  }

  /** Entries before this index are over maxEntries, waiting for the next bulk trim. */
  #firstLive(): number {
    return Math.max(0, this.#entries.length - this.#maxEntries);
  }

  /** The index of the newest entry whose id is below `id`, or -1. */
  #indexBelow(id: number): number {
    let low = 0;
    let high = this.#entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.#entries[mid]!.id < id) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }

  #prune(now: number): void {
    const cutoff = now - this.#retentionMs;
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.call.receivedAt < cutoff) drop++;
    if (drop > 0) this.#entries.splice(0, drop);
  }
}

function matches(entry: LoggedCall, query: RequestLogQuery): boolean {
  if (query.visible !== undefined && !query.visible(entry.tenant)) return false;
  if (query.tenant !== undefined && entry.tenant !== query.tenant) return false;
  if (query.server !== undefined && entry.server !== query.server) return false;
  if (query.caller !== undefined && entry.caller !== query.caller) return false;
  if (query.tool !== undefined && entry.tool !== query.tool) return false;
  if (query.method !== undefined && entry.method !== query.method) return false;
  if (query.traceId !== undefined && entry.traceId !== query.traceId) return false;
  if (query.requestId !== undefined && entry.requestId !== query.requestId) return false;
  if (query.status !== undefined && entry.status !== query.status && String(entry.httpStatus) !== query.status) return false;
  return true;
}

/** The entry as the API shows it; pages leave out captures (a page of full payloads would be megabytes). */
function publicEntry(stored: Stored, withCapture: boolean): RequestLogEntry {
  const { receivedAt, captured, ...fields } = stored.call;
  return { id: stored.id, time: new Date(receivedAt).toISOString(), ...fields, ...(withCapture && captured !== undefined ? { captured } : {}) };
}
