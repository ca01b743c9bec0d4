/**
 * List changes and resource updates across instances. A change an instance
 * sees is delivered to its own streams and published; the others deliver it to
 * theirs. When several instances see the same change (an HTTP upstream they
 * all connect to announces it to each), the copies meet here and only the first
 * is delivered, so every stream hears it once. A list change is known by a
 * digest of the list as it now is: copies of one change agree on it, two
 * changes do not (so a client that re-listed in between still hears the
 * second). A resource update carries no content, so its copies are told apart
 * by time: the same URI within a short window is one update.
 */
import type { ListKind } from '../protocol/catalog-events.js';
import type { ClusterBus } from './bus.js';

/** Copies of one list change arrive within this of each other. */
const LIST_WINDOW_MS = 5000;
/** Copies of one resource update arrive within milliseconds; two real updates this close are one re-read for the client. */
const RESOURCE_WINDOW_MS = 150;

export interface FanOutTargets {
  /** To this instance's listen streams and 2025 sessions (in multi-tenant mode: those of the `scope` that changed). */
  readonly lists: (kinds: readonly ListKind[], scope?: string) => void;
  /** To this instance's subscribers of the URI (made on that server). */
  readonly resource: (serverId: string, uri: string) => void;
}

/** Copies of one change of one list (in one view) share a mark. */
function listMark(kind: ListKind, version: string | undefined, scope: string | undefined): string {
  return `l:${scope ?? ''}:${kind}:${version ?? ''}`;
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
        const fresh = event.kinds.filter((kind) => this.#fresh(listMark(kind, event.versions[kind], event.scope), LIST_WINDOW_MS));
        if (fresh.length > 0) targets.lists(fresh, event.scope);
      } else if (event.t === 'resource' && this.#fresh(`r:${event.server}\n${event.uri}`, RESOURCE_WINDOW_MS)) {
        targets.resource(event.server, event.uri);
      }
    });
  }

  /** A list change of this instance's catalog (of one view of it, with `scope`): delivered here unless just delivered, and published. */
  lists(kinds: readonly ListKind[], versions: Readonly<Partial<Record<ListKind, string>>>, scope?: string): void {
    const fresh = kinds.filter((kind) => this.#fresh(listMark(kind, versions[kind], scope), LIST_WINDOW_MS));
    if (fresh.length === 0) return;
    this.#targets.lists(fresh, scope);
    this.#bus.publish({ t: 'lists', kinds: fresh, versions, ...(scope !== undefined ? { scope } : {}) });
  }

  /** An upstream of this instance updated a resource: true when it is to be delivered here (and it was published). */
  resource(serverId: string, uri: string): boolean {
    if (!this.#fresh(`r:${serverId}\n${uri}`, RESOURCE_WINDOW_MS)) return false;
    this.#bus.publish({ t: 'resource', server: serverId, uri });
    return true;
  }

  close(): void {
    this.#unsubscribe();
  }

  /** True (and remembered) unless delivered within the window. Old marks are swept as new ones come. */
  #fresh(key: string, windowMs: number): boolean {
    const now = Date.now();
    const last = this.#delivered.get(key);
    if (last !== undefined && now - last < windowMs) return false;
    this.#delivered.set(key, now);
    if (this.#delivered.size > 1000) for (const [k, at] of this.#delivered) if (now - at >= LIST_WINDOW_MS) this.#delivered.delete(k);
    return true;
  }
}
