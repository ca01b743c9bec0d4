/**
 * Keeps one upstream connection subscribed to exactly the resource URIs the
 * gateway's clients want, in the upstream's era: a 2025 upstream gets one
 * `resources/subscribe` per URI (and `resources/unsubscribe` when nobody wants
 * it any more); a 2026-07-28 upstream, which has no such methods, gets one
 * `subscriptions/listen` whose `resourceSubscriptions` is the whole set,
 * replaced when the set changes (a listen's filter cannot be edited).
 * Updates arrive as `notifications/resources/updated` on the connection's
 * notification handler either way.
 */
import type { ResourceListen, UpstreamConnection } from './upstream-connection.js';

/** Each (un)subscribe or listen may take this long before it counts as failed. */
const REQUEST_TIMEOUT_MS = 10_000;

export class ResourceSubscriber {
  readonly #connection: UpstreamConnection;
  readonly #onError: (message: string) => void;
  /** What the upstream has been told (legacy), or what the open listen carries (modern). */
  #active = new Set<string>();
  #listen: ResourceListen | undefined;
  /** Changes are applied one at a time, in order; the last wanted set wins. The listen timeout is for its acknowledgement only. */
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(connection: UpstreamConnection, onError: (message: string) => void) {
    this.#connection = connection;
    this.#onError = onError;
  }

  /** Whether the upstream declared `resources.subscribe`; without it nothing is sent. */
  get supported(): boolean {
    const resources = this.#connection.identity.capabilities.resources as { subscribe?: unknown } | undefined;
    return resources?.subscribe === true;
  }

  set(uris: readonly string[]): Promise<void> {
    const wanted = new Set(uris);
    this.#queue = this.#queue.then(() => (this.#closed || !this.supported ? undefined : this.#apply(wanted)));
    return this.#queue;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#listen?.close().catch(() => undefined);
    this.#listen = undefined;
  }

  async #apply(wanted: ReadonlySet<string>): Promise<void> {
    if (this.#connection.identity.era === 'modern') return this.#relisten(wanted);
    for (const uri of wanted) {
      if (this.#active.has(uri)) continue;
      try {
        await this.#connection.request('resources/subscribe', { uri }, { timeout: REQUEST_TIMEOUT_MS });
        this.#active.add(uri);
      } catch (error) {
        this.#onError(`resources/subscribe ${uri} failed: ${(error as Error).message}`);
      }
    }
    for (const uri of [...this.#active]) {
      if (wanted.has(uri)) continue;
      this.#active.delete(uri);
      await this.#connection.request('resources/unsubscribe', { uri }, { timeout: REQUEST_TIMEOUT_MS }).catch((error: unknown) => {
        this.#onError(`resources/unsubscribe ${uri} failed: ${(error as Error).message}`);
      });
    }
  }

  async #relisten(wanted: ReadonlySet<string>): Promise<void> {
    if (sameSet(wanted, this.#active) && this.#listen) return;
    const previous = this.#listen;
    this.#listen = undefined;
    this.#active = new Set();
    if (wanted.size > 0) {
      // The new stream opens before the old one closes, so no update falls between them.
      try {
        this.#listen = await this.#connection.listenResources([...wanted], REQUEST_TIMEOUT_MS);
        this.#active = new Set(this.#listen.honored);
        for (const uri of wanted) if (!this.#active.has(uri)) this.#onError(`the upstream did not honour a subscription to ${uri}`);
      } catch (error) {
        this.#onError(`subscriptions/listen for resources failed: ${(error as Error).message}`);
      }
    }
    await previous?.close().catch(() => undefined);
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const value of a) if (!b.has(value)) return false;
  return true;
}
