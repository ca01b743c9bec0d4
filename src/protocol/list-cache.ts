/**
 * Serialised list answers (`tools/list` pages, `GET /api/v1/tools` …), kept
 * while what they were built from stays the same. Listing a large catalog is a
 * filter and a JSON.stringify of thousands of entries, yet the answer changes
 * only when an upstream's catalog or routability changes (the supervisor then
 * builds a new MergedCatalog) or a reload brings new access rules (a new
 * AccessPolicy). Those objects are the cache's generation: asked with another
 * one, it empties first, so no answer outlives the catalog or rules it shows.
 *
 * Within a generation, entries are keyed by everything else the answer depends
 * on, starting with who serves it (`rest`, `mcp`, `mcp/<virtual server>`: one
 * cache, one budget, for the whole gateway); callers always put the access
 * view key (`AccessPolicy.viewKey`) in it, so two callers share an entry
 * exactly when the rules show them the same lists.
 * Bounded by entry count and by size, least recently used out first.
 */

export interface ListCacheLimits {
  readonly maxEntries: number;
  /** Bytes: a Uint8Array's length, or two per character of a string (V8's worst case). */
  readonly maxBytes: number;
}

export const LIST_CACHE_LIMITS: ListCacheLimits = { maxEntries: 256, maxBytes: 64 * 1024 * 1024 };

export interface ListCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly hits: number;
  readonly misses: number;
}

/** JSON text, or its bytes ready to write. */
export type ListAnswer = string | Uint8Array;

export class ListCache {
  readonly #limits: ListCacheLimits;
  #generation: readonly object[] = [];
  /** Map order is recency: a hit moves its entry to the end, eviction takes from the front. */
  readonly #entries = new Map<string, { value: ListAnswer; bytes: number }>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(limits: ListCacheLimits = LIST_CACHE_LIMITS) {
    this.#limits = limits;
  }

  /**
   * The answer for `key` in `generation`, built (and kept, if it fits) when
   * there is none. One key is always built by one kind of `build`, so the
   * kind it was stored as is the kind asked for.
   */
  get<V extends ListAnswer>(generation: readonly object[], key: string, build: () => V): V {
    if (!sameObjects(generation, this.#generation)) {
      this.clear();
      this.#generation = generation;
    }
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#hits++;
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value as V;
    }
    this.#misses++;
    const value = build();
    const bytes = typeof value === 'string' ? value.length * 2 : value.byteLength;
    // One answer larger than the whole budget is served, never kept: it would evict everything else.
    if (bytes > this.#limits.maxBytes || this.#limits.maxEntries === 0) return value;
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#entries.size <= this.#limits.maxEntries && this.#bytes <= this.#limits.maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
    return value;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
    this.#generation = [];
  }

  stats(): ListCacheStats {
    return { entries: this.#entries.size, bytes: this.#bytes, hits: this.#hits, misses: this.#misses };
  }
}

function sameObjects(a: readonly object[], b: readonly object[]): boolean {
  return a.length === b.length && a.every((object, i) => object === b[i]);
}
