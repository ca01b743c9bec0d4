/**
 * One configured server: its replicas (worker threads), their restart
 * policies, and what the rest of the gateway sees of it — state, era, catalog,
 * restarts. Calls go to the least-loaded ready replica.
 */
import type { ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { ServerState } from '../gateway-types.js';
import type { Catalog, StatsMessage, UpstreamIdentity } from '../threads/messages.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import { Replica, type CallOutcome, type CallRequest, type ReplicaEvents } from './replica.js';
import { RestartPolicy } from './restart-policy.js';

export interface GroupObserver {
  log(serverId: string, level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Readonly<Record<string, unknown>>): void;
  catalogChanged(serverId: string): void;
  /** The upstream said a resource someone subscribed to changed. */
  resourceUpdated(serverId: string, uri: string): void;
  stateChanged(serverId: string, state: ServerState): void;
  restarted(serverId: string, replica: number, delayMs: number, reason: string): void;
}

export interface FirstOutcome {
  readonly ok: boolean;
  readonly reason?: string;
}

interface Slot {
  replica: Replica | undefined;
  readonly policy: RestartPolicy;
  restartTimer?: NodeJS.Timeout;
  failedReason?: string;
  lastError?: string;
  unhealthy: boolean;
}

const EMPTY_CATALOG: Catalog = { tools: [], resources: [], resourceTemplates: [], prompts: [] };

/** A request to a group: `idempotent` ones (safe to send twice) may be retried on an upstream failure. */
export interface GroupCallRequest extends CallRequest {
  readonly idempotent?: boolean;
}

type CallHandle = { outcome: Promise<CallOutcome>; cancel: (reason: string) => void };

/** Failures that say the upstream is broken (they trip the breaker); everything else is an answer. */
const UPSTREAM_FAILURES: ReadonlySet<string> = new Set(['MCPGW_ERR_TIMEOUT', 'MCPGW_ERR_UPSTREAM_CRASHED', 'MCPGW_ERR_UPSTREAM_BAD_RESPONSE']);
/** Failures after which an idempotent request may go again: the upstream went away, not a verdict on the request. */
const RETRYABLE: ReadonlySet<string> = new Set(['MCPGW_ERR_UPSTREAM_CRASHED', 'MCPGW_ERR_SERVER_UNAVAILABLE']);

const failed = (error: GatewayError): CallOutcome => ({ ok: false, error, upstreamMs: 0, queuedMs: 0 });

export class ServerGroup {
  readonly config: ServerConfig;
  readonly #observer: GroupObserver;
  readonly #slots: Slot[];
  #identity: UpstreamIdentity | undefined;
  #catalog: Catalog = EMPTY_CATALOG;
  #restarts = 0;
  #stopping = false;
  #stopped = false;
  #lastState: ServerState | undefined;
  #readySince: number | undefined;
  /** Per replica: settled once its first start succeeded or failed. */
  readonly #firstOutcomes: { promise: Promise<FirstOutcome>; resolve: (outcome: FirstOutcome) => void }[];
  #lastHealth: { healthy: boolean; detail: string; at: number; latencyMs?: number } | undefined;
  /** Resource URIs clients are subscribed to on this server; every replica's upstream is kept subscribed to all of them. */
  readonly #subscriptions = new Set<string>();
  readonly #breaker: CircuitBreaker;
  /** Tools annotated readOnlyHint or idempotentHint in the current catalog. */
  #idempotentTools: ReadonlySet<string> = new Set();

  constructor(config: ServerConfig, replicas: number, observer: GroupObserver) {
    this.config = config;
    this.#observer = observer;
    this.#breaker = new CircuitBreaker(config.circuitBreaker);
    this.#slots = Array.from({ length: replicas }, () => ({ replica: undefined, policy: new RestartPolicy(config.restart), unhealthy: false }));
    this.#firstOutcomes = this.#slots.map(() => {
      let resolve!: (outcome: FirstOutcome) => void;
      const promise = new Promise<FirstOutcome>((done) => (resolve = done));
      return { promise, resolve };
    });
  }

  /** Starts every replica; resolves once each has started or failed its first start (ok if any is ready). */
  async start(): Promise<FirstOutcome> {
    if (!this.config.enabled) {
      this.#noteState();
      return { ok: false, reason: 'disabled in the config' };
    }
    this.#slots.forEach((_, index) => this.#spawn(index));
    this.#noteState();
    const outcomes = await Promise.all(this.#firstOutcomes.map((first) => first.promise));
    return outcomes.find((outcome) => outcome.ok) ?? outcomes[0]!;
  }

  get state(): ServerState {
    if (!this.config.enabled) return 'disabled';
    if (this.#stopped) return 'stopped';
    if (this.#stopping) return 'stopping';
    const ready = this.#slots.filter((slot) => slot.replica?.ready);
    if (ready.some((slot) => !slot.unhealthy)) return 'ready';
    if (ready.length > 0) return 'unhealthy';
    if (this.#slots.every((slot) => slot.failedReason !== undefined)) return 'failed';
    if (this.#slots.some((slot) => slot.restartTimer !== undefined)) return 'restarting';
    return 'starting';
  }

  get identity(): UpstreamIdentity | undefined {
    return this.#identity;
  }

  get catalog(): Catalog {
    return this.#catalog;
  }

  get restarts(): number {
    return this.#restarts;
  }

  get readySince(): number | undefined {
    return this.#readySince;
  }

  get lastHealth(): { healthy: boolean; detail: string; at: number; latencyMs?: number } | undefined {
    return this.#lastHealth;
  }

  /** The most recent reason this server is not (fully) working, if any. */
  get lastError(): string | undefined {
    const failed = this.#slots.find((slot) => slot.failedReason !== undefined);
    return failed?.failedReason ?? this.#slots.find((slot) => slot.lastError !== undefined)?.lastError;
  }

  get inFlight(): number {
    return this.#slots.reduce((sum, slot) => sum + (slot.replica?.inFlight ?? 0), 0);
  }

  replicaSummaries(): { index: number; ready: boolean; healthy: boolean; inFlight: number; threadId?: number; lastError?: string }[] {
    return this.#slots.map((slot, index) => ({
      index,
      ready: slot.replica?.ready ?? false,
      healthy: !slot.unhealthy,
      inFlight: slot.replica?.inFlight ?? 0,
      ...(slot.replica ? { threadId: slot.replica.threadId } : {}),
      ...(slot.failedReason ?? slot.lastError ? { lastError: slot.failedReason ?? slot.lastError } : {}),
    }));
  }

  /**
   * Each running replica's latest report. A replica that restarts is absent
   * until its successor's first report, which then stands in the same place.
   */
  *workerStats(): Iterable<{ readonly replica: number; readonly stats: StatsMessage }> {
    for (let index = 0; index < this.#slots.length; index++) {
      const stats = this.#slots[index]!.replica?.stats;
      if (stats !== undefined) yield { replica: index, stats };
    }
  }

  get circuit(): CircuitState {
    return this.#breaker.state;
  }

  /** Whether a tool says calling it twice is harmless (readOnlyHint or idempotentHint). */
  isIdempotentTool(tool: string): boolean {
    return this.#idempotentTools.has(tool);
  }

  /**
   * To the least-loaded ready replica, through the circuit breaker; an
   * idempotent request whose upstream went away is tried again (another
   * replica if there is one) while `retry.attempts` and its deadline allow.
   */
  call(request: GroupCallRequest): CallHandle {
    if (!this.config.circuitBreaker.enabled && (this.config.retry.attempts === 0 || !request.idempotent)) {
      const replica = this.#pick();
      return replica ? replica.call(request) : { outcome: Promise.resolve(failed(this.#unavailableError())), cancel: () => undefined };
    }
    let cancelled: string | undefined;
    let cancelCurrent: (reason: string) => void = () => undefined;
    const retries = request.idempotent ? this.config.retry.attempts : 0;
    // Kept only while it may go again: a large payload is otherwise not held until the answer.
    const resendable = retries > 0 ? request : undefined;
    const { method, deadline } = request;
    const attempt = (sent: GroupCallRequest, retriesLeft: number): Promise<CallOutcome> => {
      const gate = this.#breaker.tryAcquire();
      if (!gate.allowed) {
        const retryAfterSeconds = this.#breaker.retryAfterSeconds;
        return Promise.resolve(failed(new GatewayError('MCPGW_ERR_CIRCUIT_OPEN', `server "${this.config.id}" is failing (circuit open after repeated upstream failures${this.lastError ? `; last: ${this.lastError}` : ''}); retry in ${retryAfterSeconds} s`, { retryAfterSeconds })));
      }
      const replica = this.#pick();
      const handle = replica ? replica.call(sent) : { outcome: Promise.resolve(failed(this.#unavailableError())), cancel: () => undefined };
      cancelCurrent = handle.cancel;
      return handle.outcome.then((outcome) => {
        const code = outcome.ok ? undefined : outcome.error.code;
        if (replica === undefined || code === 'MCPGW_ERR_CANCELLED') this.#breaker.release(gate.probe);
        else this.#breaker.record(code !== undefined && UPSTREAM_FAILURES.has(code), gate.probe);
        const backoffMs = this.config.retry.backoffMs;
        const again = code !== undefined && RETRYABLE.has(code) && resendable !== undefined && retriesLeft > 0 && cancelled === undefined && Date.now() + backoffMs < deadline;
        if (!again) return outcome;
        this.#observer.log(this.config.id, 'info', `retrying an idempotent ${method} after: ${outcome.ok ? '' : outcome.error.message}`);
        return new Promise<CallOutcome>((resolve) => {
          const timer = setTimeout(() => resolve(cancelled === undefined ? attempt(resendable, retriesLeft - 1) : outcome), backoffMs);
          cancelCurrent = () => {
            clearTimeout(timer);
            resolve(failed(new GatewayError('MCPGW_ERR_CANCELLED', cancelled ?? 'cancelled')));
          };
        });
      });
    };
    const outcome = attempt(request, retries);
    return {
      outcome,
      cancel: (reason) => {
        cancelled = reason;
        cancelCurrent(reason);
      },
    };
  }

  /**
   * Subscribes (or stops subscribing) every replica's upstream to a resource.
   * Replicas are separate connections, often separate processes with their
   * own state, so each is subscribed and each one's updates count.
   */
  setResourceSubscription(uri: string, subscribed: boolean): void {
    if (subscribed === this.#subscriptions.has(uri)) return;
    if (subscribed) this.#subscriptions.add(uri);
    else this.#subscriptions.delete(uri);
    const uris = [...this.#subscriptions];
    for (const slot of this.#slots) if (slot.replica?.ready) slot.replica.setResourceSubscriptions(uris);
  }

  /** A replacement for `old` (a reload) keeps the resource subscriptions clients made there. */
  takeSubscriptionsFrom(old: ServerGroup | undefined): void {
    if (old === undefined) return;
    for (const uri of old.#subscriptions) this.setResourceSubscription(uri, true);
  }

  /** Whether the upstream says it takes resource subscriptions. */
  get subscribesResources(): boolean {
    return (this.#identity?.capabilities.resources as { subscribe?: unknown } | undefined)?.subscribe === true;
  }

  /** A request for one replica in particular (an upstream task lives in the connection that made it). */
  callReplica(index: number, request: CallRequest): { outcome: Promise<CallOutcome>; cancel: (reason: string) => void } {
    const replica = this.#slots[index]?.replica;
    if (!replica?.ready) {
      const error = new GatewayError('MCPGW_ERR_UNKNOWN_TASK', `the task belongs to replica ${index} of server "${this.config.id}", which is no longer running (tasks do not survive a restart)`, { server: this.config.id, replica: index });
      return { outcome: Promise.resolve({ ok: false, error, upstreamMs: 0, queuedMs: 0 }), cancel: () => undefined };
    }
    return replica.call(request);
  }

  /** Test and admin hook: ends a replica's worker thread abruptly. */
  async killReplica(index: number): Promise<void> {
    await this.#slots[index]?.replica?.kill();
  }

  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#noteState();
    for (const slot of this.#slots) if (slot.restartTimer) clearTimeout(slot.restartTimer);
    await Promise.all(this.#slots.map((slot) => slot.replica?.stop(graceMs)));
    this.#stopped = true;
    for (const first of this.#firstOutcomes) first.resolve({ ok: false, reason: 'stopped' });
    this.#noteState();
  }

  #pick(): Replica | undefined {
    let best: Replica | undefined;
    let bestHealthy = false;
    for (const slot of this.#slots) {
      const replica = slot.replica;
      if (!replica?.ready) continue;
      const healthy = !slot.unhealthy;
      if (!best || (healthy && !bestHealthy) || (healthy === bestHealthy && replica.inFlight < best.inFlight)) {
        best = replica;
        bestHealthy = healthy;
      }
    }
    return best;
  }

  #unavailableError(): GatewayError {
    const state = this.state;
    if (state === 'stopping' || state === 'stopped') return new GatewayError('MCPGW_ERR_SHUTTING_DOWN', `server "${this.config.id}" is ${state}`);
    const why = this.lastError ? `: ${this.lastError}` : '';
    return new GatewayError('MCPGW_ERR_SERVER_UNAVAILABLE', `server "${this.config.id}" is ${state}${why}`, { state });
  }

  #spawn(index: number): void {
    const slot = this.#slots[index]!;
    slot.restartTimer = undefined;
    slot.unhealthy = false;
    const priorEra = this.#identity?.era;
    slot.replica = new Replica({ server: this.config, replica: index, ...(priorEra ? { priorEra } : {}) }, this.#events);
  }

  readonly #events: ReplicaEvents = {
    ready: (replica, identity, catalog, connectMs) => {
      const slot = this.#slots[replica.index]!;
      slot.lastError = undefined;
      slot.failedReason = undefined;
      this.#identity = identity;
      this.#readySince ??= Date.now();
      // A fresh connection or process: whatever opened the circuit may be gone with the old one.
      this.#breaker.reset();
      this.#setCatalog(catalog);
      // A replica that (re)started late learns the subscriptions made meanwhile.
      if (this.#subscriptions.size > 0) replica.setResourceSubscriptions([...this.#subscriptions]);
      this.#observer.log(this.config.id, 'info', `replica ${replica.index} ready: MCP ${identity.protocolVersion} (${identity.era}), ${catalog.tools.length} tools, connected in ${connectMs} ms`);
      this.#firstOutcomes[replica.index]!.resolve({ ok: true });
      this.#noteState();
    },
    catalog: (_replica, catalog) => this.#setCatalog(catalog),
    resourceUpdated: (_replica, uri) => {
      if (this.#subscriptions.has(uri)) this.#observer.resourceUpdated(this.config.id, uri);
    },
    health: (replica, healthy, detail, latencyMs) => {
      const slot = this.#slots[replica.index]!;
      this.#lastHealth = { healthy, detail, at: Date.now(), ...(latencyMs === undefined ? {} : { latencyMs }) };
      if (!healthy && !slot.unhealthy) {
        slot.unhealthy = true;
        slot.lastError = detail;
        this.#observer.log(this.config.id, 'warn', `replica ${replica.index} unhealthy (${detail}); restarting it`);
        this.#noteState();
        // A replica that stopped answering is replaced, through the same backoff as a crash.
        void replica.kill();
      } else if (healthy && slot.unhealthy) {
        slot.unhealthy = false;
        this.#noteState();
      }
    },
    log: (replica, level, msg, fields) => this.#observer.log(this.config.id, level, msg, { replica: replica.index, ...fields }),
    exit: (replica, reason, duringStartup, requested) => {
      const slot = this.#slots[replica.index]!;
      if (slot.replica !== replica) return;
      slot.replica = undefined;
      if (requested || this.#stopping) {
        this.#noteState();
        return;
      }
      slot.lastError = reason;
      if (duringStartup) this.#firstOutcomes[replica.index]!.resolve({ ok: false, reason });
      const decision = slot.policy.decide();
      if (!decision.restart) {
        slot.failedReason = `${reason}; ${decision.reason}`;
        this.#observer.log(this.config.id, 'error', `replica ${replica.index} failed: ${slot.failedReason}`);
        this.#noteState();
        return;
      }
      this.#restarts++;
      this.#observer.restarted(this.config.id, replica.index, decision.delayMs, reason);
      this.#observer.log(this.config.id, 'warn', `replica ${replica.index} down (${reason}); restarting in ${decision.delayMs} ms`);
      slot.restartTimer = setTimeout(() => {
        if (this.#stopping) return;
        this.#spawn(replica.index);
        this.#noteState();
      }, decision.delayMs);
      this.#noteState();
    },
  };

  #setCatalog(catalog: Catalog): void {
    this.#catalog = catalog;
    this.#idempotentTools = new Set(
      catalog.tools.filter((tool) => {
        const hints = tool.annotations as { readOnlyHint?: unknown; idempotentHint?: unknown } | undefined;
        return hints?.readOnlyHint === true || hints?.idempotentHint === true;
      }).map((tool) => String(tool.name)),
    );
    this.#observer.catalogChanged(this.config.id);
  }

  #noteState(): void {
    const state = this.state;
    if (state === this.#lastState) return;
    this.#lastState = state;
    // Routability changed: the routing table must be rebuilt too.
    this.#observer.catalogChanged(this.config.id);
    this.#observer.stateChanged(this.config.id, state);
  }
}
