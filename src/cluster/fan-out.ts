/**
 * List changes and resource updates across instances. A change an instance
 * sees is delivered to its own streams and published; the others deliver it to
 * theirs. When several instances see the same change (an HTTP upstream they
 * all connect to announces it to each), the copies meet here: a change already
 * delivered within the coalescing window is not delivered again, so every
 * stream hears it once. Both notifications only tell a client to re-read, so
 * folding two real changes of one list within the window into one loses nothing.
 */
import type { ListKind } from '../protocol/catalog-events.js';
import type { ClusterBus } from './bus.js';

const COALESCE_MS = 500;

export interface FanOutTargets {
  /** To this instance's listen streams and 2025 sessions. */
  readonly lists: (kinds: readonly ListKind[]) => void;
  /** To this instance's subscribers of the URI (made on that server). */
  readonly resource: (serverId: string, uri: string) => void;
}

export class FanOut {
  readonly #bus: ClusterBus;
  readonly #targets: FanOutTargets;
  readonly #delivered = new Map<string, number>();
  readonly #unsubscribe: () => void;

  constructor(bus: ClusterBus, targets: FanOutTargets) {
    this.#bus = bus;
    this.#targets = targets;
    this.#unsubscribe = bus.on((event) => {
      if (event.t === 'lists') {
        const fresh = event.kinds.filter((kind) => this.#fresh(`l:${kind}`));
        if (fresh.length > 0) targets.lists(fresh);
      } else if (event.t === 'resource' && this.#fresh(`r:${event.server}\n${event.uri}`)) {
        targets.resource(event.server, event.uri);
      }
    });
  }

  /** A list change of this instance's catalog: delivered here unless just delivered, and published. */
  lists(kinds: readonly ListKind[]): void {
    const fresh = kinds.filter((kind) => this.#fresh(`l:${kind}`));
    if (fresh.length === 0) return;
    this.#targets.lists(fresh);
    this.#bus.publish({ t: 'lists', kinds: fresh });
  }

  /** An upstream of this instance updated a resource: true when it is to be delivered here (and it was published). */
  resource(serverId: string, uri: string): boolean {
    if (!this.#fresh(`r:${serverId}\n${uri}`)) return false;
    this.#bus.publish({ t: 'resource', server: serverId, uri });
    return true;
  }

  close(): void {
    this.#unsubscribe();
  }

  /** True (and remembered) unless delivered within the window. Old marks are swept as new ones come. */
  #fresh(key: string): boolean {
    const now = Date.now();
    const last = this.#delivered.get(key);
    if (last !== undefined && now - last < COALESCE_MS) return false;
    this.#delivered.set(key, now);
    if (this.#delivered.size > 1000) for (const [k, at] of this.#delivered) if (now - at >= COALESCE_MS) this.#delivered.delete(k);
    return true;
  }
}
