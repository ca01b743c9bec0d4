/**
 * `subscriptions/listen` for 2026-07-28 clients: each listen request holds an
 * SSE stream open; it is acknowledged with the honoured subset of its filter
 * and then carries the merged catalog's list changes and updates of the
 * resources it subscribed to, each tagged with the listen request's id. It
 * ends when the client closes it, or with a final result when the gateway
 * stops.
 */
import { GatewayError } from '../errors.js';
import type { Caller } from '../policy/caller.js';
import type { Exchange } from './exchange.js';
import { notificationFrame, resultFrame, type RequestId } from './jsonrpc.js';
import type { ListKind } from './catalog-events.js';
import type { ResourceSubscriber, ResourceSubscriptions } from './resource-subscriptions.js';
import { META_SERVER_INFO, META_SUBSCRIPTION_ID } from './versions.js';

interface Listener extends ResourceSubscriber {
  readonly id: RequestId;
  readonly kinds: ReadonlySet<ListKind>;
  readonly exchange: Exchange;
  readonly caller: Caller;
}

/** Whose view a listen stream follows: the caller, and who owns a URI as that caller sees the catalog. */
export interface ListenView {
  readonly caller: Caller;
  resourceOwner(uri: string): string;
}

const FILTER_KEYS: Readonly<Record<string, ListKind>> = { toolsListChanged: 'tools', resourcesListChanged: 'resources', promptsListChanged: 'prompts' };

/** Keeps idle streams from being cut by proxies and tells us early when a client is gone. */
const KEEP_ALIVE_MS = 25_000;

export class ListenHub {
  readonly #listeners = new Set<Listener>();
  readonly #serverInfo: { readonly name: string; readonly version: string };
  readonly #keepAlive: NodeJS.Timeout;
  readonly #resources: ResourceSubscriptions;

  constructor(serverInfo: { readonly name: string; readonly version: string }, resources: ResourceSubscriptions) {
    this.#serverInfo = serverInfo;
    this.#resources = resources;
    this.#keepAlive = setInterval(() => {
      for (const listener of this.#listeners) listener.exchange.comment('keepalive');
    }, KEEP_ALIVE_MS);
    this.#keepAlive.unref();
  }

  get size(): number {
    return this.#listeners.size;
  }

  open(id: RequestId, params: Record<string, unknown>, exchange: Exchange, view: ListenView): void {
    const filter = (params.notifications ?? {}) as Record<string, unknown>;
    const uris = filter.resourceSubscriptions ?? [];
    if (!Array.isArray(uris) || !uris.every((uri) => typeof uri === 'string' && uri !== '')) {
      throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'notifications.resourceSubscriptions must be an array of resource URIs');
    }
    const honoured: Record<string, unknown> = {};
    const kinds = new Set<ListKind>();
    for (const [key, kind] of Object.entries(FILTER_KEYS)) {
      if (filter[key] === true) {
        honoured[key] = true;
        kinds.add(kind);
      }
    }
    const listener: Listener = {
      id,
      kinds,
      exchange,
      caller: view.caller,
      resourceUpdated: (uri) => exchange.notify(notificationFrame('notifications/resources/updated', { uri, _meta: { [META_SUBSCRIPTION_ID]: id } })),
    };
    // The acknowledgement is the honoured subset: a URI no ready server offers, or whose server takes no subscriptions, is left out.
    const subscribed = (uris as string[]).filter((uri) => {
      try {
        this.#resources.subscribe(listener, uri, (u) => view.resourceOwner(u));
        return true;
      } catch {
        return false;
      }
    });
    if (subscribed.length > 0) honoured.resourceSubscriptions = subscribed;
    exchange.notify(notificationFrame('notifications/subscriptions/acknowledged', { notifications: honoured, _meta: { [META_SUBSCRIPTION_ID]: id } }));
    if (kinds.size === 0 && subscribed.length === 0) {
      exchange.reply(200, this.#finalFrame(id));
      return;
    }
    this.#listeners.add(listener);
    exchange.onAbort(() => this.#remove(listener));
  }

  #remove(listener: Listener): void {
    this.#listeners.delete(listener);
    this.#resources.drop(listener);
  }

  /** `audience`: only the streams of these callers (a change within one tenant's view is that tenant's news). */
  publish(kinds: readonly ListKind[], audience?: (caller: Caller) => boolean): void {
    for (const listener of this.#listeners) {
      if (listener.exchange.closed) {
        this.#remove(listener);
        continue;
      }
      if (audience !== undefined && !audience(listener.caller)) continue;
      for (const kind of kinds) {
        if (listener.kinds.has(kind)) listener.exchange.notify(notificationFrame(`notifications/${kind}/list_changed`, { _meta: { [META_SUBSCRIPTION_ID]: listener.id } }));
      }
    }
  }

  /** Ends every stream gracefully (the empty listen result), e.g. on shutdown. */
  closeAll(): void {
    clearInterval(this.#keepAlive);
    for (const listener of this.#listeners) {
      this.#resources.drop(listener);
      listener.exchange.reply(200, this.#finalFrame(listener.id));
    }
    this.#listeners.clear();
  }

  #finalFrame(id: RequestId): string {
    return resultFrame(id, JSON.stringify({ resultType: 'complete', _meta: { [META_SUBSCRIPTION_ID]: id, [META_SERVER_INFO]: this.#serverInfo } }));
  }
}
