/**
 * `subscriptions/listen` for 2026-07-28 clients: each listen request holds an
 * SSE stream open; it is acknowledged with the honoured subset of its filter
 * and then carries the merged catalog's list changes, each tagged with the
 * listen request's id. It ends when the client closes it, or with a final
 * result when the gateway stops.
 */
import type { Exchange } from './exchange.js';
import { notificationFrame, resultFrame, type RequestId } from './jsonrpc.js';
import type { ListKind } from './catalog-events.js';
import { META_SERVER_INFO, META_SUBSCRIPTION_ID } from './versions.js';

interface Listener {
  readonly id: RequestId;
  readonly kinds: ReadonlySet<ListKind>;
  readonly exchange: Exchange;
}

const FILTER_KEYS: Readonly<Record<string, ListKind>> = { toolsListChanged: 'tools', resourcesListChanged: 'resources', promptsListChanged: 'prompts' };

/** Keeps idle streams from being cut by proxies and tells us early when a client is gone. */
const KEEP_ALIVE_MS = 25_000;

export class ListenHub {
  readonly #listeners = new Set<Listener>();
  readonly #serverInfo: { readonly name: string; readonly version: string };
  readonly #keepAlive: NodeJS.Timeout;

  constructor(serverInfo: { readonly name: string; readonly version: string }) {
    this.#serverInfo = serverInfo;
    this.#keepAlive = setInterval(() => {
      for (const listener of this.#listeners) listener.exchange.comment('keepalive');
    }, KEEP_ALIVE_MS);
    this.#keepAlive.unref();
  }

  get size(): number {
    return this.#listeners.size;
  }

  open(id: RequestId, params: Record<string, unknown>, exchange: Exchange): void {
    const filter = (params.notifications ?? {}) as Record<string, unknown>;
    const honoured: Record<string, boolean> = {};
    const kinds = new Set<ListKind>();
    for (const [key, kind] of Object.entries(FILTER_KEYS)) {
      if (filter[key] === true) {
        honoured[key] = true;
        kinds.add(kind);
      }
    }
    // resourceSubscriptions (per-URI updates) are not relayed yet, so they are not acknowledged.
    exchange.notify(notificationFrame('notifications/subscriptions/acknowledged', { notifications: honoured, _meta: { [META_SUBSCRIPTION_ID]: id } }));
    if (kinds.size === 0) {
      exchange.reply(200, this.#finalFrame(id));
      return;
    }
    const listener: Listener = { id, kinds, exchange };
    this.#listeners.add(listener);
    exchange.onAbort(() => this.#listeners.delete(listener));
  }

  publish(kinds: readonly ListKind[]): void {
    for (const listener of this.#listeners) {
      if (listener.exchange.closed) {
        this.#listeners.delete(listener);
        continue;
      }
      for (const kind of kinds) {
        if (listener.kinds.has(kind)) listener.exchange.notify(notificationFrame(`notifications/${kind}/list_changed`, { _meta: { [META_SUBSCRIPTION_ID]: listener.id } }));
      }
    }
  }

  /** Ends every stream gracefully (the empty listen result), e.g. on shutdown. */
  closeAll(): void {
    clearInterval(this.#keepAlive);
    for (const listener of this.#listeners) listener.exchange.reply(200, this.#finalFrame(listener.id));
    this.#listeners.clear();
  }

  #finalFrame(id: RequestId): string {
    return resultFrame(id, JSON.stringify({ resultType: 'complete', _meta: { [META_SUBSCRIPTION_ID]: id, [META_SERVER_INFO]: this.#serverInfo } }));
  }
}
