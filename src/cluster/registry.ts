/**
 * Who is in the cluster: every instance writes its entry (id, internal
 * address, servers' health, call counters) to Redis on a heartbeat, with a
 * TTL of a few heartbeats, so a dead instance disappears by itself. The set of
 * ids expires with the last live instance: nothing here outlives the cluster.
 */
import type { Redis } from 'ioredis';

export interface ServerHealth {
  readonly id: string;
  readonly state: string;
  readonly circuit: string;
  readonly tools: number;
  readonly restarts: number;
}

export interface CallCounts {
  readonly calls: number;
  readonly errors: number;
}

export interface InstanceSnapshot {
  readonly id: string;
  /** Where the other instances reach it (`cluster.advertiseUrl`). */
  readonly url: string;
  readonly version: string;
  readonly startedAt: string;
  readonly status: string;
  readonly servers: readonly ServerHealth[];
  readonly calls: CallCounts & {
    readonly servers: Readonly<Record<string, CallCounts>>;
    readonly tools: Readonly<Record<string, CallCounts & { readonly server: string; readonly tool: string }>>;
  };
}

export interface RegistryEntry extends InstanceSnapshot {
  /** When this entry was written (epoch ms, the writer's clock). */
  readonly heartbeatAt: number;
}

export interface RegistryOptions {
  readonly redis: Redis;
  readonly prefix: string;
  readonly heartbeatMs: number;
  readonly ttlMs: number;
  readonly snapshot: () => InstanceSnapshot;
  /** A heartbeat Redis did not take (it is retried on the next beat). */
  readonly onError: (error: Error) => void;
}

export class InstanceRegistry {
  readonly #options: RegistryOptions;
  readonly #setKey: string;
  #timer: NodeJS.Timeout | undefined;
  #id: string | undefined;

  constructor(options: RegistryOptions) {
    this.#options = options;
    this.#setKey = `${options.prefix}instances`;
  }

  #entryKey(id: string): string {
    return `${this.#options.prefix}instance:${id}`;
  }

  /** Registers now and then on every heartbeat. */
  async start(): Promise<void> {
    await this.beat();
    this.#timer = setInterval(() => void this.beat(), this.#options.heartbeatMs);
    this.#timer.unref();
  }

  async beat(): Promise<void> {
    const snapshot = this.#options.snapshot();
    this.#id = snapshot.id;
    const entry: RegistryEntry = { ...snapshot, heartbeatAt: Date.now() };
    try {
      await this.#options.redis
        .multi()
        .set(this.#entryKey(snapshot.id), JSON.stringify(entry), 'PX', this.#options.ttlMs)
        .sadd(this.#setKey, snapshot.id)
        .pexpire(this.#setKey, this.#options.ttlMs)
        .exec();
    } catch (error) {
      this.#options.onError(error as Error);
    }
  }

  /** The live instances, by id. Ids whose entry expired are dropped from the set on the way. */
  async list(): Promise<RegistryEntry[]> {
    const redis = this.#options.redis;
    const ids = (await redis.smembers(this.#setKey)).sort();
    if (ids.length === 0) return [];
    const values = await redis.mget(ids.map((id) => this.#entryKey(id)));
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) await redis.srem(this.#setKey, ...gone).catch(() => undefined);
    return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as RegistryEntry]));
  }

  /** One instance's entry, if it is alive. */
  async get(id: string): Promise<RegistryEntry | undefined> {
    const value = await this.#options.redis.get(this.#entryKey(id));
    return value === null ? undefined : (JSON.parse(value) as RegistryEntry);
  }

  /** Leaves the cluster at once (a graceful stop), rather than after the TTL. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#id === undefined) return;
    await this.#options.redis.multi().del(this.#entryKey(this.#id)).srem(this.#setKey, this.#id).exec().catch(() => undefined);
  }
}
