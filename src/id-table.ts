/**
 * Entries under ids that come and go at call rate: calls in flight across the
 * thread hop, the worker's queue, requests waiting for their answer upstream,
 * a 2025 session's requests. Keys are property keys: 1 and "1" are one id.
 *
 * Not a Map, on purpose. V8 (Node 20) gives a Map a new hash table as entries
 * come and go, and the table it retires keeps its entries and a pointer to its
 * successor. Once one of those tables sits in the old generation (a Map that
 * lived through a quiet moment), it holds every later table, and every value
 * they held, through each young-generation GC: each call's objects are copied
 * and promoted, to wait for a full GC. Measured on the gateway's worker: 15–18 %
 * of what it allocated promoted, against none without the Maps (bench/README.md,
 * "What survives a call"). An object's numeric keys are rehashed without such a
 * chain.
 */
export class IdTable<V, K extends number | string = number> {
  #entries: Record<K, V> = Object.create(null) as Record<K, V>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: K): V | undefined {
    return this.#entries[id];
  }

  has(id: K): boolean {
    return this.#entries[id] !== undefined;
  }

  /** `value` must not be undefined (undefined is how the table says "none"). */
  set(id: K, value: V): void {
    if (this.#entries[id] === undefined) this.#size++;
    this.#entries[id] = value;
  }

  /** True when there was an entry. */
  delete(id: K): boolean {
    if (this.#entries[id] === undefined) return false;
    delete this.#entries[id];
    this.#size--;
    return true;
  }

  /** The values now present (a copy: the table may change while they are used); numeric ids in ascending order first. */
  values(): V[] {
    return Object.values(this.#entries);
  }

  clear(): void {
    this.#entries = Object.create(null) as Record<K, V>;
    this.#size = 0;
  }
}
