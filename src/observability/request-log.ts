/**
 * The recent-request log behind `GET /api/v1/requests`: a bounded ring in
 * memory, pruned by age (`monitor.retentionHours`) and count (`monitor.maxEntries`).
 */
import type { MonitorConfig } from '../config/types.js';

export type CallStatus = 'ok' | 'tool_error' | 'error';

export interface RequestLogEntry {
  readonly id: number;
  /** ISO time the call arrived. */
  readonly time: string;
  readonly via: 'rest' | 'mcp';
  /** Who called: a key's name, a token's subject, or `anonymous`. */
  readonly caller: string;
  readonly server: string | null;
  readonly tool: string;
  readonly status: CallStatus;
  readonly httpStatus: number;
  readonly durationMs: number;
  readonly upstreamMs: number;
  readonly queuedMs: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

export interface RequestLogQuery {
  readonly limit?: number;
  readonly server?: string;
  readonly caller?: string;
  readonly tool?: string;
  readonly status?: string;
}

export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  readonly #maxEntries: number;
  readonly #retentionMs: number;
  readonly #enabled: boolean;
  #nextId = 1;

  constructor(config: MonitorConfig) {
    this.#enabled = config.requestLog;
    this.#maxEntries = config.maxEntries;
    this.#retentionMs = config.retentionHours * 3_600_000;
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  add(entry: Omit<RequestLogEntry, 'id'>): void {
    if (!this.#enabled) return;
    this.#entries.push({ id: this.#nextId++, ...entry });
    // Amortised trimming: drop in bulk once 10% over, not one by one on every call.
    if (this.#entries.length > this.#maxEntries * 1.1 + 1) this.#entries.splice(0, this.#entries.length - this.#maxEntries);
  }

  /** Newest first. */
  query(query: RequestLogQuery, now = Date.now()): RequestLogEntry[] {
    this.#prune(now);
    const limit = Math.max(1, Math.min(query.limit ?? 100, 1000));
    const found: RequestLogEntry[] = [];
    const start = Math.max(0, this.#entries.length - this.#maxEntries);
    for (let i = this.#entries.length - 1; i >= start && found.length < limit; i--) {
      const entry = this.#entries[i]!;
      if (query.server !== undefined && entry.server !== query.server) continue;
      if (query.caller !== undefined && entry.caller !== query.caller) continue;
      if (query.tool !== undefined && entry.tool !== query.tool) continue;
      if (query.status !== undefined && entry.status !== query.status && String(entry.httpStatus) !== query.status) continue;
      found.push(entry);
    }
    return found;
  }

  get size(): number {
    return Math.min(this.#entries.length, this.#maxEntries);
  }

  #prune(now: number): void {
    const cutoff = new Date(now - this.#retentionMs).toISOString();
    let drop = 0;
    while (drop < this.#entries.length && this.#entries[drop]!.time < cutoff) drop++;
    if (drop > 0) this.#entries.splice(0, drop);
  }
}
