/**
 * The Gateway facade: wiring only. config → supervisor (workers) → front door.
 * Everything is created here and passed down; nothing is global, so several
 * gateways can live in one process (tests do exactly that).
 */
import type { GatewayConfig } from './config/types.js';
import { GatewayError, toGatewayError } from './errors.js';
import type { HttpEngine, RequestHandler } from './front-door/engine.js';
import { createMcpEndpoint, MCP_PATHS } from './front-door/mcp-endpoint.js';
import { watchCatalog, watchCatalogScopes, type ListKind } from './protocol/catalog-events.js';
import type { Caller } from './policy/caller.js';
import { ALL_SCOPE_KEY } from './policy/tenancy.js';
import { LegacySessions } from './protocol/legacy.js';
import { ListenHub } from './protocol/listen.js';
import { ResourceSubscriptions } from './protocol/resource-subscriptions.js';
import { ListCache } from './protocol/list-cache.js';
import { McpService } from './protocol/mcp-service.js';
import { VirtualServer } from './protocol/virtual-server.js';
import type { CallerHandler } from './front-door/policy-gate.js';
import { RequestStateCodec } from './protocol/request-state.js';
import { selectEngine } from './front-door/engines.js';
import { withCors } from './front-door/cors.js';
import { createRestApi } from './front-door/rest-api.js';
import { createDashboard, isDashboardPath } from './front-door/dashboard.js';
import { createPolicyGate } from './front-door/policy-gate.js';
import { withJwks } from './front-door/jwks.js';
import { GatewayKeys } from './identity/gateway-keys.js';
import { upstreamCredentials } from './identity/upstream-credentials.js';
import { Approvals } from './approval/approvals.js';
import { indexedAnnotations } from './approval/rules.js';
import { Policy } from './policy/policy.js';
import { HttpExchange } from './protocol/exchange.js';
import { errorFrame } from './protocol/jsonrpc.js';
import { RedisRateLimitStore } from './policy/redis-rate-limit.js';
import { Tracing } from './observability/tracing.js';
import type { GatewayOptions, StartReport } from './gateway-types.js';
import { createLogger, type Logger } from './observability/logger.js';
import { GatewayMetrics } from './observability/metrics.js';
import { EMPTY_THREAD_SAMPLE, ThreadSampler, type ThreadSample } from './observability/thread-stats.js';
import { FrontDoorTraffic } from './front-door/traffic.js';
import { RequestLog } from './observability/request-log.js';
import { CallRecorder } from './observability/call-recorder.js';
import { TraceIds } from './observability/trace-context.js';
import { RequestIds } from './observability/request-id.js';
import { Supervisor, type ReconcileReport } from './supervisor/supervisor.js';
import { applied, restartRequired } from './config/reloadable.js';
import { VERSION } from './version.js';
import { Cluster } from './cluster/cluster.js';
import { FanOut } from './cluster/fan-out.js';
import { createInternalRoute } from './cluster/internal-route.js';
import { INTERNAL_PREFIX } from './cluster/peers.js';
import { instanceSnapshot } from './cluster/views.js';
import { RedisSessions } from './cluster/session-registry.js';

export type { GatewayOptions, StartReport, StartReportEntry, ServerState, ProtocolEra } from './gateway-types.js';

/** How long a client may take to answer an input request (elicitation) before its retry is refused. */
const REQUEST_STATE_TTL_MS = 15 * 60 * 1000;

/** How long start waits for the rate-limit store's first connection. */
const REDIS_CONNECT_WAIT_MS = 3000;

/** What `reload` did. */
export interface ReloadReport extends ReconcileReport {
  /** Changed settings that take effect only after a restart (port, host, engine, limits of the front door, …). */
  readonly restartRequired: readonly string[];
}

export class Gateway {
  #config: GatewayConfig;
  readonly logger: Logger;
  readonly supervisor: Supervisor;
  readonly metrics: GatewayMetrics;
  readonly requestLog: RequestLog;
  readonly recorder: CallRecorder;
  readonly policy: Policy;
  /** Human approval of the calls `approval.rules` name; held calls are listed at /api/v1/approvals. */
  readonly approvals: Approvals;
  /** The key the gateway signs upstream tokens with, published at /.well-known/jwks.json. */
  readonly keys: GatewayKeys;
  readonly #traceIds = new TraceIds();
  readonly #requestIds = new RequestIds();
  readonly #options: GatewayOptions;
  #engine: HttpEngine | undefined;
  #port = 0;
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  #stopPromise: Promise<void> | undefined;
  #sessions: LegacySessions | undefined;
  #listen: ListenHub | undefined;
  #service: McpService | undefined;
  #subscriptions: ResourceSubscriptions | undefined;
  #unwatchCatalog: (() => void) | undefined;
  /** `/mcp/<name>` of each virtual server: its own service, sessions and listen streams. */
  readonly #virtual: { server: VirtualServer; service: McpService; sessions: LegacySessions; listen: ListenHub; unwatch: () => void }[] = [];
  /** The virtual servers by name, for the REST scope (`?virtual=`, `"virtual"`). */
  readonly virtualServers: ReadonlyMap<string, VirtualServer>;
  readonly #redisStore: RedisRateLimitStore | undefined;
  /** Set when `cluster.enabled`: this instance's membership (registry, event bus, peers). */
  readonly #cluster: Cluster | undefined;
  #fanOut: FanOut | undefined;
  readonly #tracing: Tracing | undefined;
  readonly #startedAt = Date.now();
  readonly #traffic = new FrontDoorTraffic();
  /** Serialised list answers for REST and every /mcp endpoint: one budget, emptied by any catalog change or reload (list-cache.ts). */
  readonly listCache = new ListCache();
  /** The main thread's own figures, sampled on the same interval the workers report on. */
  #mainThread: ThreadSampler | undefined;
  #mainSample: ThreadSample = EMPTY_THREAD_SAMPLE;
  /** Reloads run one after another: each sees the servers the previous one left. */
  #reloading: Promise<unknown> = Promise.resolve();

  constructor(config: GatewayConfig, options: GatewayOptions = {}) {
    this.#config = config;
    this.#options = options;
    this.logger = createLogger(options.logLevel ?? config.logLevel, options.logDestination);
    const logger = this.logger;
    this.keys = new GatewayKeys(config.identity);
    this.supervisor = new Supervisor(config, {
      workers: options.workers ?? 1,
      credentials: upstreamCredentials(config.servers, this.keys),
      observer: {
        log: (serverId, level, msg, fields) => logger[level]({ server: serverId, ...fields }, msg),
        catalogChanged: () => undefined,
        resourceUpdated: (serverId, uri) => logger.debug({ server: serverId, uri }, 'resource updated'),
        stateChanged: (serverId, state) => logger.debug({ server: serverId, state }, 'server state changed'),
        restarted: (serverId) => this.metrics.recordRestart(serverId),
      },
    });
    const supervisor = this.supervisor;
    this.metrics = new GatewayMetrics(
      {
        *serverGauges() {
          for (const group of supervisor.groups()) yield { id: group.config.id, inFlight: group.inFlight, tools: group.catalog.tools.length, up: group.state === 'ready', circuitOpen: group.circuit !== 'closed' };
        },
        connections: () => ({ legacySessions: this.#sessions?.size ?? 0, listenStreams: this.#listen?.size ?? 0 }),
        *workers() {
          for (const group of supervisor.groups()) {
            for (const { replica, stats } of group.workerStats()) yield { server: group.config.id, replica, queued: stats.queued, running: stats.running, thread: stats.thread };
          }
        },
        mainThread: () => this.#mainSample,
      },
      // Read per call: the policy is made below, and a reload may switch multi-tenant mode on or off.
      { separator: config.mcp.separator, sliced: () => this.policy.tenancy.enabled },
    );
    this.requestLog = new RequestLog(config.monitor);
    this.#tracing = config.tracing.enabled ? new Tracing(config.tracing) : undefined;
    this.recorder = new CallRecorder(this.metrics, this.requestLog, config.monitor.capture, this.#tracing);
    this.#redisStore = options.rateLimitStore === undefined && config.rateLimit.store === 'redis' ? this.#connectRedisStore(config) : undefined;
    const rateLimitStore = options.rateLimitStore ?? this.#redisStore;
    this.policy = new Policy(config, rateLimitStore ? { rateLimitStore } : {});
    this.approvals = new Approvals(config, {
      policy: this.policy,
      registry: this.metrics.registry,
      annotationsOf: indexedAnnotations((serverId) => supervisor.group(serverId)?.catalog.tools),
    });
    this.virtualServers = new Map((config.virtualServers ?? []).map((virtual) => [virtual.name, new VirtualServer(virtual, (id) => supervisor.group(id))]));
    this.#cluster = config.cluster.enabled
      ? new Cluster(config, {
          logger,
          metrics: this.metrics,
          snapshot: (id, url) => instanceSnapshot({ id, url: () => url, version: VERSION, startedAt: this.#startedAt, supervisor, metrics: this.metrics, stopping: () => this.#state === 'stopping' || this.#state === 'stopped' }),
        })
      : undefined;
  }

  /** This instance's cluster membership, when `cluster.enabled`. */
  get cluster(): Cluster | undefined {
    return this.#cluster;
  }

  async #awaitRedis(): Promise<void> {
    if (this.#redisStore === undefined) return;
    const connected = await this.#redisStore.ready(REDIS_CONNECT_WAIT_MS);
    if (!connected) this.logger.warn({ url: this.#config.rateLimit.redis.url, onError: this.#config.rateLimit.redis.onError }, 'rate-limit store (Redis) not reachable at start; still trying in the background');
  }

  #connectRedisStore(config: GatewayConfig): RedisRateLimitStore {
    let lastWarning = 0;
    return new RedisRateLimitStore(config.rateLimit.redis, {
      error: (error, served) => {
        this.metrics.recordStoreError(served);
        // One line per 10 s: an outage must not flood the log with one line per request.
        if (Date.now() - lastWarning < 10_000) return;
        lastWarning = Date.now();
        this.logger.warn({ err: error.message, served }, served ? 'rate-limit store unreachable: serving without the limit (fail-open)' : 'rate-limit store unreachable: refusing requests (fail-closed)');
      },
    });
  }

  /** The config in effect (after reloads: their servers and policy, the start's front-door settings). */
  get config(): GatewayConfig {
    return this.#config;
  }

  /**
   * Applies a new, already validated config while running: servers are added,
   * drained and replaced (see Supervisor.reconcile), and keys, access rules
   * and limits apply from the next request. Settings of the front door itself
   * are reported in `restartRequired` and left as they are.
   */
  reload(next: GatewayConfig): Promise<ReloadReport> {
    const run = this.#reloading.then(async (): Promise<ReloadReport> => {
      if (this.#state !== 'running') throw new GatewayError('MCPGW_ERR_SHUTTING_DOWN', `the gateway is ${this.#state}; nothing to reload`);
      const restartRequiredKeys = restartRequired(this.#config, next);
      this.#config = applied(this.#config, next);
      this.policy.reconfigure(this.#config);
      this.approvals.reconfigure(this.#config);
      const report = await this.supervisor.reconcile(this.#config.servers, this.#config.shutdownGraceSeconds * 1000, upstreamCredentials(this.#config.servers, this.keys));
      this.logger.info({ ...report, restartRequired: restartRequiredKeys }, 'config reloaded');
      return { ...report, restartRequired: restartRequiredKeys };
    });
    this.#reloading = run.catch(() => undefined);
    return run;
  }

  /** Reloads from `GatewayOptions.configSource`; an invalid file is refused (MCPGW_ERR_RELOAD_REFUSED) and nothing changes. */
  async reloadFromSource(): Promise<ReloadReport> {
    const source = this.#options.configSource;
    if (source === undefined) throw new GatewayError('MCPGW_ERR_RELOAD_REFUSED', 'this gateway has no config source to reload from (it was started without a config file)');
    let next: GatewayConfig;
    try {
      next = await source();
    } catch (error) {
      const refusal = toGatewayError(error);
      if (refusal.code !== 'MCPGW_ERR_CONFIG' && refusal.code !== 'MCPGW_ERR_CONFIG_NOT_FOUND') throw refusal;
      throw new GatewayError('MCPGW_ERR_RELOAD_REFUSED', `reload refused; the running config stays. ${refusal.message}`, refusal.data);
    }
    return this.reload(next);
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#port;
  }

  get url(): string {
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.#port}`;
  }

  async start(): Promise<StartReport> {
    if (this.#state !== 'new') throw new GatewayError('MCPGW_ERR_INTERNAL', `gateway already ${this.#state}`);
    this.#state = 'starting';
    const engine = await selectEngine(this.#options.httpEngine ?? this.config.httpEngine);
    this.#engine = engine;
    this.#mainThread = new ThreadSampler((sample) => (this.#mainSample = sample));
    const api = createRestApi({
      config: this.config,
      supervisor: this.supervisor,
      metrics: this.metrics,
      requestLog: this.requestLog,
      recorder: this.recorder,
      traceIds: this.#traceIds,
      logger: this.logger,
      policy: this.policy,
      version: VERSION,
      startedAt: this.#startedAt,
      httpEngine: () => engine.name,
      stopping: () => this.#state === 'stopping' || this.#state === 'stopped',
      reload: () => this.reloadFromSource(),
      approvals: this.approvals,
      virtualServers: this.virtualServers,
      listCache: this.listCache,
      ...(this.#cluster ? { cluster: this.#cluster } : {}),
    });
    const cluster = this.#cluster;
    const states = new RequestStateCodec({ ttlMs: REQUEST_STATE_TTL_MS, ...(cluster ? { key: cluster.keys.requestState, instanceId: cluster.instanceId } : {}) });
    const service = new McpService(this.supervisor, this.recorder, states, this.policy, {
      toolDiscovery: this.config.mcp.toolDiscovery,
      approvals: this.approvals,
      listCache: this.listCache,
      ...(cluster ? { resumeOn: (instanceId: string, params: Record<string, unknown>, context: Parameters<Cluster['resumeOn']>[2]) => cluster.resumeOn(instanceId, params, context) } : {}),
    });
    this.#service = service;
    const serverInfo = { name: 'mcp-gateway', version: VERSION };
    const subscriptions = new ResourceSubscriptions(this.supervisor, cluster ? (serverId, uri) => this.#fanOut?.resource(serverId, uri) ?? true : undefined);
    this.#subscriptions = subscriptions;
    const idleTimeoutMs = this.config.mcp.sessionIdleSeconds * 1000;
    const shared = cluster ? new RedisSessions({ redis: cluster.redis, bus: cluster.bus, prefix: cluster.prefix, ttlMs: idleTimeoutMs, instanceTag: cluster.instanceId, onError: (error) => cluster.failed('session', error) }) : undefined;
    this.#sessions = new LegacySessions({ service, subscriptions, serverInfo, idleTimeoutMs, ...(shared ? { shared } : {}) });
    const sessions = this.#sessions;
    this.#listen = new ListenHub(serverInfo, subscriptions);
    const listen = this.#listen;
    const mcp = createMcpEndpoint({ config: this.config, modern: { service, serverInfo, listen }, legacy: sessions, traceIds: this.#traceIds, stopping: () => this.#state === 'stopping' || this.#state === 'stopped' });
    // In a cluster, a change may come from another instance, whose lists this one cannot see: virtual
    // servers are then told of every change of the view they select from (a needless re-list is harmless; a missed one is not).
    const virtualDeliveries: { server: VirtualServer; deliver: (kinds: readonly ListKind[]) => void }[] = [];
    // In multi-tenant mode each view (a TenantScope key) is watched on its own, and only its callers are told of its changes.
    const deliverLists = (kinds: readonly ListKind[], scope?: string) => {
      const audience = scope === undefined ? undefined : (caller: Caller) => this.policy.scope(caller).key === scope;
      listen.publish(kinds, audience);
      for (const kind of kinds) sessions.broadcast(`notifications/${kind}/list_changed`, {}, audience);
      for (const { server, deliver } of virtualDeliveries) if (scope === undefined || this.policy.tenancy.scopeNamed(server.config.tenant).key === scope) deliver(kinds);
    };
    const fanOut = cluster ? new FanOut(cluster.bus, { lists: deliverLists, resource: (serverId, uri) => subscriptions.deliver(serverId, uri) }) : undefined;
    this.#fanOut = fanOut;
    const changed = (kinds: readonly ListKind[], versions: Readonly<Partial<Record<ListKind, string>>>, scope?: string) => (fanOut ? fanOut.lists(kinds, versions, scope) : deliverLists(kinds, scope));
    const unwatchAll = watchCatalog(this.supervisor, (kinds, versions) => changed(kinds, versions, this.policy.tenancy.enabled ? ALL_SCOPE_KEY : undefined));
    const unwatchScopes = watchCatalogScopes(
      this.supervisor,
      () => this.policy.tenancy.scopes.filter((scope) => !scope.all).map((scope) => ({ key: scope.key, lists: () => this.supervisor.catalog(scope) })),
      (kinds, key, versions) => changed(kinds, versions, key),
    );
    this.#unwatchCatalog = () => {
      unwatchAll();
      unwatchScopes();
    };
    const internal = cluster ? createInternalRoute({ key: cluster.keys.internal, maxBodyBytes: this.config.maxBodyBytes, snapshot: () => cluster.snapshot(), service: () => this.#service, approvals: this.approvals }) : undefined;
    const virtualEndpoints = new Map<string, CallerHandler>();
    for (const server of this.virtualServers.values()) {
      const virtualService = new McpService(this.supervisor, this.recorder, states, this.policy, {
        toolDiscovery: server.config.toolDiscovery ?? this.config.mcp.toolDiscovery,
        approvals: this.approvals,
        bundle: server,
        shareParkingWith: service,
        listCache: this.listCache,
        ...(cluster ? { resumeOn: (instanceId: string, params: Record<string, unknown>, context: Parameters<Cluster['resumeOn']>[2]) => cluster.resumeOn(instanceId, params, context) } : {}),
      });
      const virtualInfo = { name: `mcp-gateway/${server.config.name}`, version: VERSION };
      const virtualSessions = new LegacySessions({ service: virtualService, subscriptions, serverInfo: virtualInfo, idleTimeoutMs, ...(server.config.description ? { instructions: server.config.description } : {}) });
      const virtualListen = new ListenHub(virtualInfo, subscriptions);
      const deliver = (kinds: readonly ListKind[]) => {
        virtualListen.publish(kinds);
        for (const kind of kinds) virtualSessions.broadcast(`notifications/${kind}/list_changed`);
      };
      if (cluster) virtualDeliveries.push({ server, deliver });
      // On one instance its clients hear of changes to the bundle only, not of every upstream's.
      const unwatch = cluster ? () => undefined : watchCatalog(this.supervisor, deliver, 50, () => server.view(server.catalogIn(this.supervisor, this.policy.tenancy)));
      this.#virtual.push({ server, service: virtualService, sessions: virtualSessions, listen: virtualListen, unwatch });
      const endpoint = createMcpEndpoint({
        config: this.config,
        modern: { service: virtualService, serverInfo: virtualInfo, listen: virtualListen, ...(server.config.description ? { instructions: server.config.description } : {}) },
        legacy: virtualSessions,
        traceIds: this.#traceIds,
        stopping: () => this.#state === 'stopping' || this.#state === 'stopped',
      });
      virtualEndpoints.set(server.path, (request, response, caller) => {
        // Another tenant's bundle is a path that does not exist.
        if (!server.visibleTo(this.policy.scope(caller))) return api(request, response, caller);
        if (server.admits(caller)) return endpoint(request, response, caller);
        new HttpExchange(response).reply(403, errorFrame(null, new GatewayError('MCPGW_ERR_FORBIDDEN', `${caller.name} may not use the virtual server "${server.config.name}"`)));
      });
    }
    // In multi-tenant mode every /mcp/<name> answers refusals in one shape, so no bundle name is confirmed before authentication.
    const isMcpPath = (path: string) => MCP_PATHS.has(path) || virtualEndpoints.has(path) || (this.policy.tenancy.enabled && path.startsWith('/mcp/'));
    const gate = createPolicyGate(this.policy, this.metrics, isMcpPath, (request, response, caller) => {
      if (MCP_PATHS.has(request.path)) return mcp(request, response, caller);
      const virtual = virtualEndpoints.get(request.path);
      if (virtual !== undefined) return virtual(request, response, caller);
      api(request, response, caller);
    });
    // The dashboard's page and assets carry no data, so they come before the credential check (see dashboard.ts).
    const dashboard = createDashboard(this.policy);
    // The internal route (instances asking each other) has its own credential, checked there; see cluster/internal-route.ts.
    const handler: RequestHandler = (request, response) =>
      internal !== undefined && request.path.startsWith(INTERNAL_PREFIX) ? internal(request, response) : isDashboardPath(request.path) ? dashboard(request, response) : gate(request, response);
    const [servers] = await Promise.all([this.supervisor.start(), this.#awaitRedis()]);
    try {
      this.#port = await engine.listen(
        { host: this.config.host, port: this.config.port, maxHeaderBytes: this.config.maxHeaderBytes, requestTimeoutMs: this.config.requestTimeoutMs, maxStreamBufferBytes: this.config.maxStreamBufferBytes, traffic: this.#traffic, requestIds: this.#requestIds },
        withCors(this.config.corsOrigins, withJwks(this.keys, handler)),
      );
    } catch (error) {
      await this.supervisor.stop(0);
      this.#stopSampling();
      this.#state = 'stopped';
      throw error;
    }
    const traffic = this.#traffic;
    this.metrics.attachFrontDoor({ connections: () => engine.connections(), requestBytes: traffic.requestBytes, responseBytes: traffic.responseBytes });
    await cluster?.start(this.url);
    this.#state = 'running';
    this.logger.info({ url: this.url, httpEngine: engine.name, servers: servers.length }, 'mcp-gateway listening');
    return { url: this.url, port: this.#port, httpEngine: engine.name, servers };
  }

  /**
   * Graceful stop: refuse new calls, let calls in flight finish (up to
   * `shutdownGraceSeconds`), stop every worker and upstream, close the port.
   */
  stop(): Promise<void> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  #stopSampling(): void {
    this.#mainThread?.stop();
  }

  async #stop(): Promise<void> {
    const wasRunning = this.#state === 'running' || this.#state === 'starting';
    this.#state = 'stopping';
    this.logger.info('stopping: finishing calls in flight');
    await this.#engine?.stopAccepting();
    // Calls parked for a client's answer would hold the drain for the whole grace period.
    this.#service?.close();
    // Calls held for an approver end now, never dispatched.
    this.approvals.close();
    for (const virtual of this.#virtual) virtual.service.close();
    await this.supervisor.stop(this.config.shutdownGraceSeconds * 1000);
    this.#unwatchCatalog?.();
    this.#fanOut?.close();
    // Open session streams would otherwise hold their connections until the engine closes them.
    this.#sessions?.closeAll();
    this.#listen?.closeAll();
    for (const virtual of this.#virtual) {
      virtual.unwatch();
      virtual.sessions.closeAll();
      virtual.listen.closeAll();
    }
    this.#subscriptions?.close();
    await this.#engine?.close();
    await this.#redisStore?.close();
    await this.#cluster?.stop();
    // The last spans go out before the process may exit.
    await this.#tracing?.shutdown().catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'exporting the last spans failed'));
    this.#stopSampling();
    this.#state = 'stopped';
    if (wasRunning) this.logger.info('stopped');
    this.logger.flush?.();
  }
}
