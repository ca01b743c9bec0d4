/**
 * One gateway instance's membership of a cluster (`cluster.enabled`): the
 * Redis connections, the registry entry it keeps alive, the event bus, and the
 * client for its peers. Created by the Gateway and handed to the parts that
 * need it; nothing here is global.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import type { HeldView } from '../approval/held-calls.js';
import type { Caller } from '../policy/caller.js';
import type { Answer, CallContext } from '../protocol/mcp-service.js';
import { ClusterBus } from './bus.js';
import { deriveClusterKeys, type ClusterKeys } from './cluster-keys.js';
import { PeerClient, type CallerOnTheWire } from './peers.js';
import { commandClient, subscriberClient, whenReady } from './redis-client.js';
import { InstanceRegistry, type InstanceSnapshot } from './registry.js';
import { clusterHealth, clusterMetrics, gatherInstances } from './views.js';

/** How long start waits for Redis before going on (the cluster parts then catch up in the background). */
const CONNECT_WAIT_MS = 3000;

export interface ClusterDeps {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** This instance's snapshot (health and call counters), given its id and address. */
  readonly snapshot: (id: string, url: string) => InstanceSnapshot;
}

export class Cluster {
  readonly instanceId: string;
  readonly keys: ClusterKeys;
  readonly prefix: string;
  readonly redis: Redis;
  readonly bus: ClusterBus;
  readonly registry: InstanceRegistry;
  readonly peers: PeerClient;
  readonly #subscriber: Redis;
  readonly #deps: ClusterDeps;
  readonly #advertiseUrl: string | undefined;
  readonly #redisUrl: string;
  #url = '';
  #lastWarning = 0;

  constructor(config: GatewayConfig, deps: ClusterDeps) {
    const cluster = config.cluster;
    if (cluster.secret === undefined) {
      throw new GatewayError('MCPGW_ERR_CONFIG', 'cluster.enabled needs cluster.secret (or MCP_GATEWAY_CLUSTER_SECRET): the same secret of at least 32 characters on every instance');
    }
    this.#deps = deps;
    this.instanceId = cluster.instanceId ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.keys = deriveClusterKeys(cluster.secret);
    this.prefix = cluster.redis.prefix;
    this.#advertiseUrl = cluster.advertiseUrl?.replace(/\/+$/, '');
    this.#redisUrl = cluster.redis.url ?? config.rateLimit.redis.url;
    this.redis = commandClient(this.#redisUrl, cluster.redis.timeoutMs);
    this.#subscriber = subscriberClient(this.#redisUrl, cluster.redis.timeoutMs);
    this.bus = new ClusterBus({ publisher: this.redis, subscriber: this.#subscriber, channel: `${this.prefix}events`, instanceId: this.instanceId, onError: (error) => this.failed('publish', error) });
    this.registry = new InstanceRegistry({
      redis: this.redis,
      prefix: this.prefix,
      heartbeatMs: cluster.heartbeatSeconds * 1000,
      ttlMs: Math.max(cluster.instanceTtlSeconds, cluster.heartbeatSeconds * 2) * 1000,
      snapshot: () => this.snapshot(),
      onError: (error) => this.failed('heartbeat', error),
    });
    this.peers = new PeerClient(this.keys.internal, this.instanceId);
  }

  /** Where the other instances reach this one. */
  get url(): string {
    return this.#url;
  }

  snapshot(): InstanceSnapshot {
    return this.#deps.snapshot(this.instanceId, this.#url);
  }

  /** Counted, and logged at most every 10 s: an outage must not write a line per request. */
  failed(operation: 'heartbeat' | 'publish' | 'session' | 'forward', error: Error): void {
    this.#deps.metrics.recordClusterError(operation);
    if (Date.now() - this.#lastWarning < 10_000) return;
    this.#lastWarning = Date.now();
    this.#deps.logger.warn({ err: error.message, operation }, 'cluster: Redis or a peer instance did not answer; going on without it');
  }

  /** Joins: subscribes and registers, once the front door listens at `localUrl`. */
  async start(localUrl: string): Promise<void> {
    this.#url = this.#advertiseUrl ?? localUrl;
    const connected = await whenReady(this.redis, CONNECT_WAIT_MS);
    if (!connected) this.#deps.logger.warn({ url: this.#redisUrl }, 'cluster: Redis not reachable at start; this instance serves alone until it is');
    // Subscribing waits for the connection: not awaited, so an unreachable Redis cannot hold the start.
    void this.bus.start().catch((error: Error) => this.failed('publish', error));
    await this.registry.start();
    this.#deps.logger.info({ instance: this.instanceId, url: this.#url }, 'joined the cluster');
  }

  async stop(): Promise<void> {
    await this.registry.stop();
    this.#subscriber.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** A retry whose call is parked on instance `owner`: sent there, answered with its answer. */
  async resumeOn(owner: string, params: Record<string, unknown>, context: CallContext): Promise<Answer> {
    let entry;
    try {
      entry = await this.registry.get(owner);
    } catch (error) {
      this.failed('forward', error as Error);
      throw new GatewayError('MCPGW_ERR_PEER_UNAVAILABLE', `the instance holding this call ("${owner}") cannot be looked up: Redis is unreachable (${(error as Error).message})`);
    }
    if (entry === undefined) throw new GatewayError('MCPGW_ERR_PEER_UNAVAILABLE', `the instance holding this call ("${owner}") left the cluster; call the tool again without requestState`);
    try {
      return await this.peers.resume(entry.url, { params, caller: onTheWire(context.caller), clientCapabilities: context.clientCapabilities, traceId: context.traceId, requestId: context.requestId }, context);
    } catch (error) {
      if (GatewayError.is(error) && error.code === 'MCPGW_ERR_PEER_UNAVAILABLE') this.failed('forward', error);
      throw error;
    }
  }

  /**
   * The calls every other instance holds for an approver, each marked with its
   * instance; instances that did not answer are named, not waited for.
   */
  async peerApprovals(approver: Caller): Promise<{ approvals: (HeldView & { instance: string })[]; unreachable: string[] }> {
    const caller = onTheWire(approver);
    const peers = (await this.#peerEntries()).filter((entry) => entry.id !== this.instanceId);
    const answers = await Promise.allSettled(peers.map((peer) => this.peers.approvals(peer.url, { caller })));
    const approvals: (HeldView & { instance: string })[] = [];
    const unreachable: string[] = [];
    answers.forEach((answer, index) => {
      const instance = peers[index]!.id;
      if (answer.status === 'fulfilled') approvals.push(...answer.value.map((view) => ({ ...view, instance })));
      else unreachable.push(instance);
    });
    return { approvals, unreachable };
  }

  /**
   * A decision on a call this instance does not hold: asked of every other
   * instance at once (ids are random, at most one holds it). MCPGW_ERR_UNKNOWN_APPROVAL
   * when none does; MCPGW_ERR_PEER_UNAVAILABLE when none does but some did not answer.
   */
  async decideOnPeer(id: string, decision: 'approve' | 'deny', approver: Caller, reason?: string): Promise<HeldView & { instance: string }> {
    const request = { caller: onTheWire(approver), id, decision, ...(reason !== undefined ? { reason } : {}) };
    const peers = (await this.#peerEntries()).filter((entry) => entry.id !== this.instanceId);
    const answers = await Promise.allSettled(peers.map(async (peer) => ({ ...(await this.peers.decide(peer.url, request)), instance: peer.id })));
    const decided = answers.find((answer) => answer.status === 'fulfilled');
    if (decided !== undefined) return (decided as PromiseFulfilledResult<HeldView & { instance: string }>).value;
    const failures = answers.map((answer) => (answer as PromiseRejectedResult).reason as unknown);
    const unexpected = failures.find((error) => !(GatewayError.is(error) && error.code === 'MCPGW_ERR_UNKNOWN_APPROVAL'));
    if (unexpected === undefined) {
      throw new GatewayError('MCPGW_ERR_UNKNOWN_APPROVAL', `no instance of the cluster holds a call for approval under id "${id}" (never held, already decided, timed out, or its client went away)`, { id });
    }
    if (GatewayError.is(unexpected) && unexpected.code !== 'MCPGW_ERR_PEER_UNAVAILABLE') throw unexpected;
    this.failed('forward', unexpected as Error);
    throw new GatewayError('MCPGW_ERR_PEER_UNAVAILABLE', `no reachable instance holds a call for approval under id "${id}", and some instances did not answer: ${(unexpected as Error).message}`, { id });
  }

  async #peerEntries() {
    return this.registry.list().catch((error: Error) => {
      throw new GatewayError('MCPGW_ERR_PEER_UNAVAILABLE', `the cluster registry (Redis) is unreachable: ${error.message}`);
    });
  }

  async #instances() {
    const entries = await this.#peerEntries();
    // This instance is listed even between heartbeats (or while its last one failed).
    if (!entries.some((entry) => entry.id === this.instanceId)) entries.push({ ...this.snapshot(), heartbeatAt: Date.now() });
    entries.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return gatherInstances(entries, this.instanceId, () => this.snapshot(), (url) => this.peers.snapshot(url));
  }

  async health(): Promise<Record<string, unknown>> {
    return clusterHealth(this.instanceId, await this.#instances());
  }

  async metrics(): Promise<Record<string, unknown>> {
    return clusterMetrics(this.instanceId, await this.#instances());
  }
}

/** The caller as a peer may see it: everything but the bearer token, which never leaves the instance that received it. */
function onTheWire(caller: Caller): CallerOnTheWire {
  const { bearerToken: _secret, ...rest } = caller;
  return rest;
}
