/**
 * 2025 sessions shared by the instances of a cluster: a session is a small
 * record in Redis (who owns it, the negotiated version, the client's
 * capabilities), written at `initialize`, read by any instance the session's
 * next request lands on, kept alive while used (a sliding TTL of
 * `mcp.sessionIdleSeconds`) and deleted on DELETE. What cannot be a record —
 * the open GET stream, a question waiting for the client's answer — stays on
 * the instance that has it, and the others reach it over the event bus.
 *
 * Why a registry and not a stateless, encrypted session id: see the README's
 * design notes (bench/micro/session-lookup.mjs measures both).
 */
import type { Redis } from 'ioredis';
import type { ClusterBus, ClusterEvent } from './bus.js';

export interface SessionRecord {
  readonly id: string;
  /** `Caller.key` of the principal that opened it. */
  readonly owner: string;
  readonly protocolVersion: string | undefined;
  readonly clientInfo: unknown;
  readonly capabilities: unknown;
}

export type SessionEvent = Extract<ClusterEvent, { sid: string }>;

/** What legacy.ts needs from the cluster; absent on a gateway running alone. */
export interface SharedSessions {
  /** Part of the ids of questions this instance asks, so answers find their way back. */
  readonly instanceTag: string;
  save(record: SessionRecord): Promise<void>;
  load(id: string): Promise<SessionRecord | undefined>;
  /** Renews the session's TTL (fire and forget). */
  touch(id: string): void;
  remove(id: string): void;
  publish(event: SessionEvent): void;
  onEvent(handler: (event: SessionEvent) => void): () => void;
}

export class RedisSessions implements SharedSessions {
  readonly instanceTag: string;
  readonly #redis: Redis;
  readonly #bus: ClusterBus;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #onError: (error: Error) => void;

  constructor(options: { redis: Redis; bus: ClusterBus; prefix: string; ttlMs: number; instanceTag: string; onError: (error: Error) => void }) {
    this.#redis = options.redis;
    this.#bus = options.bus;
    this.#prefix = `${options.prefix}session:`;
    this.#ttlMs = options.ttlMs;
    this.instanceTag = options.instanceTag;
    this.#onError = options.onError;
  }

  async save(record: SessionRecord): Promise<void> {
    await this.#redis.set(this.#prefix + record.id, JSON.stringify(record), 'PX', this.#ttlMs).catch((error: Error) => this.#onError(error));
  }

  async load(id: string): Promise<SessionRecord | undefined> {
    try {
      const value = await this.#redis.get(this.#prefix + id);
      return value === null ? undefined : (JSON.parse(value) as SessionRecord);
    } catch (error) {
      this.#onError(error as Error);
      return undefined;
    }
  }

  touch(id: string): void {
    this.#redis.pexpire(this.#prefix + id, this.#ttlMs).catch((error: Error) => this.#onError(error));
  }

  remove(id: string): void {
    this.#redis.del(this.#prefix + id).catch((error: Error) => this.#onError(error));
    this.#bus.publish({ t: 'end', sid: id });
  }

  publish(event: SessionEvent): void {
    this.#bus.publish(event);
  }

  onEvent(handler: (event: SessionEvent) => void): () => void {
    return this.#bus.on((event) => {
      if ('sid' in event) handler(event);
    });
  }
}
