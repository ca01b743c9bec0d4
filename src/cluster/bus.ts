/**
 * Events every instance must hear, over one Redis pub/sub channel: list
 * changes and resource updates (for every listen stream and 2025 session
 * stream, wherever it is held), and the traffic of 2025 sessions whose stream
 * or pending question lives on another instance. An instance ignores its own
 * events (it delivered them locally already), so each stream gets each event
 * once. Pub/sub is fire-and-forget: while Redis is down, events are lost
 * (counted), which costs a client a missed list change, never a wrong answer.
 */
import type { Redis } from 'ioredis';
import type { ListKind } from '../protocol/catalog-events.js';

export type ClusterEvent =
  /** `versions`: a digest of each list as the publisher now has it (for telling copies of one change from two changes). */
  /** `scope`: in multi-tenant mode, whose view changed (a TenantScope key); absent: the one catalog everyone sees. */
  | { readonly t: 'lists'; readonly kinds: readonly ListKind[]; readonly versions: Readonly<Partial<Record<ListKind, string>>>; readonly scope?: string }
  | { readonly t: 'resource'; readonly server: string; readonly uri: string }
  /** A notification for a 2025 session's stream (held by whichever instance has it). */
  | { readonly t: 'session'; readonly sid: string; readonly data: string }
  /** A 2025 client's answer to a question (elicitation, sampling) an instance asked it. */
  | { readonly t: 'answer'; readonly sid: string; readonly response: { readonly id: string | number; readonly result?: unknown; readonly error?: { readonly code: number; readonly message: string } } }
  | { readonly t: 'cancel'; readonly sid: string; readonly requestId: unknown }
  /** The session ended (DELETE) on some instance: every copy goes. */
  | { readonly t: 'end'; readonly sid: string };

type Envelope = ClusterEvent & { readonly o: string };

export interface BusOptions {
  readonly publisher: Redis;
  readonly subscriber: Redis;
  readonly channel: string;
  readonly instanceId: string;
  readonly onError: (error: Error) => void;
}

export class ClusterBus {
  readonly #options: BusOptions;
  readonly #handlers = new Set<(event: ClusterEvent) => void>();

  constructor(options: BusOptions) {
    this.#options = options;
    options.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== options.channel) return;
      let envelope: Envelope;
      try {
        envelope = JSON.parse(message) as Envelope;
      } catch {
        return;
      }
      if (envelope.o === options.instanceId) return;
      for (const handler of this.#handlers) handler(envelope);
    });
  }

  /** Resolves once subscribed (queued until Redis is reachable). */
  async start(): Promise<void> {
    await this.#options.subscriber.subscribe(this.#options.channel);
  }

  on(handler: (event: ClusterEvent) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  publish(event: ClusterEvent): void {
    this.#options.publisher.publish(this.#options.channel, JSON.stringify({ ...event, o: this.#options.instanceId })).catch((error: Error) => this.#options.onError(error));
  }
}
