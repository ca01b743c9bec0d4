/**
 * Who is subscribed to which resource, across both client eras: a 2025
 * session (`resources/subscribe`) or a 2026-07-28 listen stream
 * (`resourceSubscriptions`). The first subscriber of a URI makes the owning
 * server's upstreams subscribe; the last one leaving makes them stop. An
 * upstream's `notifications/resources/updated` reaches only the subscribers of
 * that URI, and only if it came from the server the subscription was made on.
 */
import { GatewayError } from '../errors.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** One downstream party that can be told a resource changed. */
export interface ResourceSubscriber {
  resourceUpdated(uri: string): void;
}

interface Subscription {
  readonly serverId: string;
  readonly uri: string;
  readonly subscribers: Set<ResourceSubscriber>;
}

/**
 * Subscriptions are per server and URI: two tenants' servers may well offer
 * the same URI, and each subscriber hears only of the one it subscribed on.
 */
function keyOf(serverId: string, uri: string): string {
  return `${serverId}\n${uri}`;
}

export class ResourceSubscriptions {
  readonly #supervisor: Supervisor;
  readonly #byUri = new Map<string, Subscription>();
  /** A subscriber's subscriptions, by `keyOf`. */
  readonly #bySubscriber = new Map<ResourceSubscriber, Map<string, Subscription>>();
  readonly #unwatch: () => void;

  /** `relay` (a cluster) sees each local update first and says whether to deliver it here (see cluster/fan-out.ts). */
  constructor(supervisor: Supervisor, relay?: (serverId: string, uri: string) => boolean) {
    this.#supervisor = supervisor;
    this.#unwatch = supervisor.onResourceUpdated((serverId, uri) => {
      if (relay === undefined || relay(serverId, uri)) this.deliver(serverId, uri);
    });
  }

  /**
   * Throws when no ready server offers the URI, or its server takes no subscriptions. Subscribing twice is one subscription.
   * `ownerOf` says which server owns a URI as the subscriber sees the catalog (its endpoint's bundle, its tenant's view).
   */
  subscribe(subscriber: ResourceSubscriber, uri: string, ownerOf: (uri: string) => string = (u) => this.#supervisor.catalog().resourceOwner(u)): void {
    if (typeof uri !== 'string' || uri === '') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'a resource subscription needs a string "uri"');
    const serverId = ownerOf(uri);
    const key = keyOf(serverId, uri);
    let subscription = this.#byUri.get(key);
    if (!subscription) {
      const group = this.#supervisor.group(serverId);
      if (!group?.subscribesResources) {
        throw new GatewayError('MCPGW_ERR_SUBSCRIPTIONS_UNSUPPORTED', `server "${serverId}", which offers "${uri}", does not support resource subscriptions`, { uri, server: serverId });
      }
      subscription = { serverId, uri, subscribers: new Set() };
      this.#byUri.set(key, subscription);
      group.setResourceSubscription(uri, true);
    }
    subscription.subscribers.add(subscriber);
    let mine = this.#bySubscriber.get(subscriber);
    if (!mine) this.#bySubscriber.set(subscriber, (mine = new Map()));
    mine.set(key, subscription);
  }

  /** Unsubscribing from a URI one is not subscribed to is not an error (as in the SDK servers). */
  unsubscribe(subscriber: ResourceSubscriber, uri: string): void {
    const mine = this.#bySubscriber.get(subscriber);
    for (const [key, subscription] of mine ?? []) if (subscription.uri === uri) this.#leave(subscriber, key, subscription);
  }

  #leave(subscriber: ResourceSubscriber, key: string, subscription: Subscription): void {
    this.#bySubscriber.get(subscriber)?.delete(key);
    if (!subscription.subscribers.delete(subscriber) || subscription.subscribers.size > 0) return;
    this.#byUri.delete(key);
    this.#supervisor.group(subscription.serverId)?.setResourceSubscription(subscription.uri, false);
  }

  /** Every subscription of a party that went away (a session ended, a listen stream closed). */
  drop(subscriber: ResourceSubscriber): void {
    const mine = this.#bySubscriber.get(subscriber);
    if (!mine) return;
    for (const [key, subscription] of [...mine]) this.#leave(subscriber, key, subscription);
    this.#bySubscriber.delete(subscriber);
  }

  /** URIs with at least one subscriber, and the server each is subscribed on (for tests and health views). */
  subscribed(): ReadonlyMap<string, string> {
    return new Map([...this.#byUri.values()].map((subscription) => [subscription.uri, subscription.serverId]));
  }

  close(): void {
    this.#unwatch();
  }

  /** Tells the URI's subscribers, if their subscription was made on that server (also for updates another instance saw). */
  deliver(serverId: string, uri: string): void {
    const subscription = this.#byUri.get(keyOf(serverId, uri));
    if (subscription === undefined) return;
    for (const subscriber of subscription.subscribers) subscriber.resourceUpdated(uri);
  }
}
