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
  readonly subscribers: Set<ResourceSubscriber>;
}

export class ResourceSubscriptions {
  readonly #supervisor: Supervisor;
  readonly #byUri = new Map<string, Subscription>();
  readonly #bySubscriber = new Map<ResourceSubscriber, Set<string>>();
  readonly #unwatch: () => void;

  /** `relay` (a cluster) sees each local update first and says whether to deliver it here (see cluster/fan-out.ts). */
  constructor(supervisor: Supervisor, relay?: (serverId: string, uri: string) => boolean) {
    this.#supervisor = supervisor;
    this.#unwatch = supervisor.onResourceUpdated((serverId, uri) => {
      if (relay === undefined || relay(serverId, uri)) this.deliver(serverId, uri);
    });
  }

  /** Throws when no ready server offers the URI, or its server takes no subscriptions. Subscribing twice is one subscription. */
  subscribe(subscriber: ResourceSubscriber, uri: string): void {
    if (typeof uri !== 'string' || uri === '') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'a resource subscription needs a string "uri"');
    let subscription = this.#byUri.get(uri);
    if (!subscription) {
      const serverId = this.#supervisor.catalog().resourceOwner(uri);
      const group = this.#supervisor.group(serverId);
      if (!group?.subscribesResources) {
        throw new GatewayError('MCPGW_ERR_SUBSCRIPTIONS_UNSUPPORTED', `server "${serverId}", which offers "${uri}", does not support resource subscriptions`, { uri, server: serverId });
      }
      subscription = { serverId, subscribers: new Set() };
      this.#byUri.set(uri, subscription);
      group.setResourceSubscription(uri, true);
    }
    subscription.subscribers.add(subscriber);
    let uris = this.#bySubscriber.get(subscriber);
    if (!uris) this.#bySubscriber.set(subscriber, (uris = new Set()));
    uris.add(uri);
  }

  /** Unsubscribing from a URI one is not subscribed to is not an error (as in the SDK servers). */
  unsubscribe(subscriber: ResourceSubscriber, uri: string): void {
    const subscription = this.#byUri.get(uri);
    if (!subscription?.subscribers.delete(subscriber)) return;
    this.#bySubscriber.get(subscriber)?.delete(uri);
    if (subscription.subscribers.size > 0) return;
    this.#byUri.delete(uri);
    this.#supervisor.group(subscription.serverId)?.setResourceSubscription(uri, false);
  }

  /** Every subscription of a party that went away (a session ended, a listen stream closed). */
  drop(subscriber: ResourceSubscriber): void {
    const uris = this.#bySubscriber.get(subscriber);
    if (!uris) return;
    for (const uri of [...uris]) this.unsubscribe(subscriber, uri);
    this.#bySubscriber.delete(subscriber);
  }

  /** URIs with at least one subscriber, and the server each is subscribed on (for tests and health views). */
  subscribed(): ReadonlyMap<string, string> {
    return new Map([...this.#byUri].map(([uri, subscription]) => [uri, subscription.serverId]));
  }

  close(): void {
    this.#unwatch();
  }

  /** Tells the URI's subscribers, if their subscription was made on that server (also for updates another instance saw). */
  deliver(serverId: string, uri: string): void {
    const subscription = this.#byUri.get(uri);
    if (subscription?.serverId !== serverId) return;
    for (const subscriber of subscription.subscribers) subscriber.resourceUpdated(uri);
  }
}
