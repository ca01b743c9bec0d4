/**
 * Upstream credentials, reused until shortly before they expire so the hot
 * path neither signs nor exchanges on every call. Concurrent calls for the
 * same key share one pending mint: a burst of calls from a new caller costs
 * one signature or one token-endpoint round trip, not one each.
 */

export interface Minted<T> {
  readonly value: T;
  /** Epoch ms after which the credential is no good; undefined: not reusable at all. */
  readonly expiresAt: number | undefined;
}

interface Entry<T> {
  value?: T;
  /** When to stop handing out `value` (its expiry less the refresh margin). */
  reuseUntil: number;
  pending?: Promise<T>;
}

/** Entries kept at most; the oldest go first. */
const CACHE_LIMIT = 10_000;
/** A credential is renewed this long before it expires: a quarter of its life, within these bounds. */
const MIN_MARGIN_MS = 5_000;
const MAX_MARGIN_MS = 30_000;

export class TokenCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The cached value (synchronously, the common case), else the one `mint` makes. A failed mint is not remembered. */
  get(key: string, mint: () => Promise<Minted<T>>): T | Promise<T> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (entry.value !== undefined && entry.reuseUntil > this.#now()) return entry.value;
      if (entry.pending !== undefined) return entry.pending;
    }
    return this.#mint(key, mint);
  }

  #mint(key: string, mint: () => Promise<Minted<T>>): Promise<T> {
    const mintedAt = this.#now();
    const entry: Entry<T> = { reuseUntil: 0 };
    const pending = mint().then(
      (minted) => {
        entry.pending = undefined;
        if (minted.expiresAt === undefined) {
          this.#forget(key, entry);
        } else {
          const margin = Math.min(MAX_MARGIN_MS, Math.max(MIN_MARGIN_MS, (minted.expiresAt - mintedAt) / 4));
          entry.value = minted.value;
          entry.reuseUntil = minted.expiresAt - margin;
        }
        return minted.value;
      },
      (error: unknown) => {
        this.#forget(key, entry);
        throw error;
      },
    );
    entry.pending = pending;
    if (!this.#entries.has(key) && this.#entries.size >= CACHE_LIMIT) this.#entries.delete(this.#entries.keys().next().value!);
    // Re-inserted, so the Map's order stays oldest-first for eviction.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return pending;
  }

  /** Drops `entry` unless a newer one has taken its key meanwhile. */
  #forget(key: string, entry: Entry<T>): void {
    if (this.#entries.get(key) === entry) this.#entries.delete(key);
  }
}
