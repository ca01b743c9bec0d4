/**
 * Gateway metrics on a prom-client registry owned by the Gateway (never the
 * global default registry, so two gateways in one process don't mix), plus the
 * compact JSON view behind `GET /api/v1/metrics`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_SEPARATOR } from '../qualified-names.js';
import { CallRate, type Rates } from './call-rate.js';
import { LatencyWindow, type Percentiles } from './latency-window.js';
import type { ThreadSample } from './thread-stats.js';
import { SURFACES, type ConnectionCounts, type Surface } from '../front-door/traffic.js';
import type { TenantScope } from '../policy/tenancy.js';
import { SeriesCounter, SeriesHistogram, type CounterSeries, type HistogramSeries } from './series-metrics.js';

export type CallOutcomeLabel = 'ok' | 'tool_error' | 'upstream_error' | 'timeout' | 'rejected' | 'unavailable' | 'cancelled' | 'client_error' | 'unauthorized' | 'rate_limited';

/** Each outcome's slot in the per-outcome series arrays of the hot path. */
const OUTCOME_SLOT: Readonly<Record<CallOutcomeLabel, number>> = {
  ok: 0,
  tool_error: 1,
  upstream_error: 2,
  timeout: 3,
  rejected: 4,
  unavailable: 5,
  cancelled: 6,
  client_error: 7,
  unauthorized: 8,
  rate_limited: 9,
};

/** Why the front door turned a request away before any route. */
export type RefusalReason = 'unauthorized' | 'insufficient_scope' | 'auth_unavailable' | 'rate_limited';

/** Distinct callers labelled by name; the rest share the label "other", so a key flood cannot blow up the series. */
export const MAX_CALLER_LABELS = 200;

export interface ServerGaugeSource {
  /** Per server: in-flight calls, tools, whether ready, whether its circuit is open. */
  serverGauges(): Iterable<{ id: string; inFlight: number; tools: number; up: boolean; circuitOpen?: boolean }>;
  /** Open MCP connections the gateway holds: 2025 sessions (Streamable HTTP and HTTP+SSE) and 2026-07-28 listen streams. */
  connections?(): { readonly legacySessions: number; readonly listenStreams: number };
  /** Every running worker's latest report; a restarted worker's successor reports under the same server and replica. */
  workers?(): Iterable<WorkerReport>;
  /** The main thread's own latest sample. */
  mainThread?(): ThreadSample;
}

export interface WorkerReport {
  readonly server: string;
  readonly replica: number;
  readonly queued: number;
  readonly running: number;
  readonly thread: ThreadSample;
}

/** The engine's side, attached once it is chosen (at start). */
export interface FrontDoorSource {
  connections(): ConnectionCounts;
  /** By surface index (see SURFACES). */
  readonly requestBytes: readonly number[];
  readonly responseBytes: readonly number[];
}

/** `thread` label of the main thread; a worker's is `<server>#<replica>`. */
export const MAIN_THREAD_LABEL = 'main';

export function workerThreadLabel(server: string, replica: number): string {
  return `${server}#${replica}`;
}

export interface WorkerSummary {
  readonly server: string;
  readonly replica: number;
  /** Calls waiting in the worker's queue. */
  readonly queued: number;
  /** Calls running at the upstream. */
  readonly running: number;
}

export interface FrontDoorSummary {
  readonly connections: ConnectionCounts;
  readonly requestBytes: Readonly<Record<Surface, number>>;
  readonly responseBytes: Readonly<Record<Surface, number>>;
}

interface Tally {
  calls: number;
  errors: number;
  totalMs: number;
  maxMs: number;
  readonly rate: CallRate;
  readonly latency: LatencyWindow;
}

interface CallerTally {
  calls: number;
  errors: number;
  /** Calls refused by a per-server or per-tool limit (the request limit is a front-door refusal). */
  rateLimited: number;
}

/** Per server or tool in `summary()`: lifetime totals, recent rates and percentiles. */
export interface CallSummary {
  readonly calls: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  /** Calls per second over the last 1, 5 and 15 minutes. */
  readonly rates: Rates;
  /** Over the calls of the last one to two minutes; null when there were none. */
  readonly latencyMs: Percentiles | null;
}

export interface ToolSummary extends CallSummary {
  readonly server: string;
  readonly tool: string;
}

export interface ServerSummary extends CallSummary {
  readonly up: boolean;
  readonly inFlight: number;
  readonly tools: number;
}

export interface MetricsSummary {
  readonly uptimeSeconds: number;
  readonly totals: { readonly calls: number; readonly errors: number; readonly rates: Rates };
  readonly servers: Record<string, ServerSummary | CallSummary>;
  /** Keyed by qualified name; `server` and `tool` say which, whatever the separator. */
  readonly tools: Record<string, ToolSummary>;
  readonly callers: Record<string, CallerTally>;
  readonly refusals: readonly { readonly reason: RefusalReason; readonly caller: string; readonly count: number }[];
  /** Keyed by thread label (`<server>#<replica>`): each running worker's queue at its last report. */
  readonly workers: Record<string, WorkerSummary>;
  /** Keyed by thread label (`main`, `<server>#<replica>`): event-loop lag and memory at each thread's last report. */
  readonly threads: Record<string, ThreadSample>;
  /** Null before the gateway listens. */
  readonly frontDoor: FrontDoorSummary | null;
}

/**
 * Everything a call on one server touches, resolved on the server's first
 * call: its tally and its histogram series (per outcome, made on first use).
 */
interface ServerRoute {
  readonly label: string;
  readonly tally: Tally;
  readonly duration: (HistogramSeries | undefined)[];
  upstream: HistogramSeries | undefined;
}

/** The same for one (server, tool) pair; `tally` is absent for calls no server took (server label `none`). */
interface ToolRoute {
  readonly server: ServerRoute;
  readonly tally: (Tally & { readonly server: string; readonly tool: string }) | undefined;
  readonly calls: (CounterSeries | undefined)[];
}

interface CallerRoute {
  readonly label: string;
  readonly tally: CallerTally;
  readonly calls: (CounterSeries | undefined)[];
}

/** One tenant's share of the call tallies (multi-tenant mode): what its callers are shown. */
interface Slice {
  readonly byServer: Map<string, Tally>;
  readonly byTool: Map<string, Tally & { readonly server: string; readonly tool: string }>;
  readonly byCaller: Map<string, CallerTally>;
  readonly rate: CallRate;
}

/** The `tenant` label of calls in the untenanted slice. */
export const UNTENANTED_LABEL = 'none';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #calls: SeriesCounter;
  readonly #duration: SeriesHistogram;
  readonly #upstream: SeriesHistogram;
  readonly #restarts: Counter<'server'>;
  readonly #callerCalls: SeriesCounter;
  readonly #refusals: Counter<'reason' | 'caller'>;
  /** Caller names given a label of their own (at most MAX_CALLER_LABELS; the rest are "other"). */
  readonly #callerLabels = new Set<string>();
  /** By caller label. */
  readonly #callers = new Map<string, CallerRoute>();
  /** By server label. */
  readonly #servers = new Map<string, ServerRoute>();
  /** By server id, then tool; calls no server took are under `#unrouted`. */
  readonly #routes = new Map<string, Map<string, ToolRoute>>();
  readonly #unrouted = new Map<string, ToolRoute>();
  readonly #storeErrors: Counter<'outcome'>;
  readonly #clusterErrors: Counter<'operation'>;
  readonly #byServer = new Map<string, Tally>();
  readonly #byTool = new Map<string, Tally & { readonly server: string; readonly tool: string }>();
  readonly #byCaller = new Map<string, CallerTally>();
  readonly #tenantCalls: Counter<'tenant' | 'outcome'>;
  /** By tenant (`UNTENANTED_LABEL` for none), kept only in multi-tenant mode. */
  readonly #slices = new Map<string, Slice>();
  readonly #sliced: () => boolean;
  /** `reason` + NUL + caller label → count: the JSON view of the refusals counter, without reading prom-client's internals. */
  readonly #refusalCounts = new Map<string, number>();
  readonly #totalRate = new CallRate();
  readonly #scratch = LatencyWindow.scratch();
  readonly #source: ServerGaugeSource;
  readonly #startedAt: number;
  /** Per-tool totals are keyed by the tool's qualified name. */
  readonly #separator: string;
  #frontDoor: FrontDoorSource | undefined;

  /** `sliced`: whether calls are also tallied by tenant (multi-tenant mode, read per call so a reload can switch it). */
  constructor(source: ServerGaugeSource, options: { defaultMetrics?: boolean; separator?: string; now?: number; sliced?: () => boolean } = {}) {
    this.#source = source;
    this.#sliced = options.sliced ?? (() => false);
    this.#startedAt = options.now ?? Date.now();
    this.#separator = options.separator ?? DEFAULT_SEPARATOR;
    const registers = [this.registry];
    this.#calls = new SeriesCounter('mcp_gateway_tool_calls_total', 'Tool calls by server, tool and outcome.', this.registry);
    this.#duration = new SeriesHistogram('mcp_gateway_tool_call_duration_seconds', 'Tool call time as the client sees it (gateway total).', LATENCY_BUCKETS, this.registry);
    this.#upstream = new SeriesHistogram('mcp_gateway_upstream_duration_seconds', 'Time spent upstream per call (excludes queue and gateway time).', LATENCY_BUCKETS, this.registry);
    this.#restarts = new Counter({ name: 'mcp_gateway_server_restarts_total', help: 'Replica restarts by server.', labelNames: ['server'], registers });
    this.#callerCalls = new SeriesCounter('mcp_gateway_caller_calls_total', `Tool calls by caller (key name or token subject; beyond ${MAX_CALLER_LABELS} callers, "other") and outcome.`, this.registry);
    this.#refusals = new Counter({ name: 'mcp_gateway_front_door_refusals_total', help: 'Requests refused before any route: no or bad credential, missing scope, identity provider unreachable, request rate limit.', labelNames: ['reason', 'caller'], registers });
    this.#tenantCalls = new Counter({ name: 'mcp_gateway_tenant_calls_total', help: 'Calls by tenant (multi-tenant mode: the owner of the server called, else the caller\'s tenant; "none": untenanted) and outcome.', labelNames: ['tenant', 'outcome'], registers });
    this.#storeErrors = new Counter({ name: 'mcp_gateway_rate_limit_store_errors_total', help: 'Rate-limit decisions the shared store (Redis) could not make, by what happened to the request (served: fail-open; refused: fail-closed).', labelNames: ['outcome'], registers });
    this.#clusterErrors = new Counter({ name: 'mcp_gateway_cluster_errors_total', help: 'Cluster operations Redis or a peer instance did not take (heartbeat, publish, session, forward).', labelNames: ['operation'], registers });
    // Read at scrape time, so the hot path never touches these gauges. The registry reads metrics in the
    // order they were made, so the first of them collects for all four (else the others lag a scrape).
    // Made unregistered (not in prom-client's global registry) and added after the collecting one.
    const tools = new Gauge({ name: 'mcp_gateway_server_tools', help: 'Tools a server currently offers.', labelNames: ['server'], registers: [] });
    const up = new Gauge({ name: 'mcp_gateway_server_up', help: '1 when the server has a ready replica.', labelNames: ['server'], registers: [] });
    const circuitOpen = new Gauge({ name: 'mcp_gateway_server_circuit_open', help: '1 while the server\'s circuit breaker refuses calls (open or half-open).', labelNames: ['server'], registers: [] });
    const inFlight = new Gauge({
      name: 'mcp_gateway_calls_in_flight',
      help: 'Calls dispatched to a server and not yet answered.',
      labelNames: ['server'],
      registers,
      collect() {
        for (const server of source.serverGauges()) {
          up.set({ server: server.id }, server.up ? 1 : 0);
          inFlight.set({ server: server.id }, server.inFlight);
          tools.set({ server: server.id }, server.tools);
          circuitOpen.set({ server: server.id }, server.circuitOpen === true ? 1 : 0);
        }
      },
    });
    for (const gauge of [tools, up, circuitOpen]) this.registry.registerMetric(gauge);
    const connections = new Gauge({
      name: 'mcp_gateway_mcp_connections',
      help: 'Open MCP connections held by the gateway: kind="session" (2025 sessions) or "listen" (2026-07-28 subscriptions/listen streams).',
      labelNames: ['kind'],
      registers,
      collect() {
        const open = source.connections?.() ?? { legacySessions: 0, listenStreams: 0 };
        connections.set({ kind: 'session' }, open.legacySessions);
        connections.set({ kind: 'listen' }, open.listenStreams);
      },
    });
    this.#registerThreadMetrics(source, registers);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'mcp_gateway_' });
  }

  /**
   * Worker queues and per-thread figures, set from the latest reports at
   * scrape time. Reset first, so a worker that is gone (restarting, removed)
   * leaves no stale series; its successor's first report brings them back.
   */
  #registerThreadMetrics(source: ServerGaugeSource, registers: Registry[]): void {
    const workerLabels = ['server', 'replica'] as const;
    const made = (name: string, help: string, labelNames: readonly string[]) => new Gauge({ name, help, labelNames, registers: [] });
    const running = made('mcp_gateway_worker_upstream_in_flight', 'Calls a worker is running at its upstream now (at most the server\'s maxConcurrency), at the worker\'s last report (about every second).', workerLabels);
    const utilization = made('mcp_gateway_thread_event_loop_utilization', 'Share of a thread\'s last report interval (about a second) its event loop spent running rather than waiting, 0–1: near 1, the thread is saturated.', ['thread']);
    const lagMean = made('mcp_gateway_thread_event_loop_lag_seconds', 'Mean event-loop lag of a thread (main, or a worker <server>#<replica>) over its last report interval (about a second): how late its timers ran.', ['thread']);
    const lagP99 = made('mcp_gateway_thread_event_loop_lag_p99_seconds', '99th percentile event-loop lag of a thread over its last report interval.', ['thread']);
    const lagMax = made('mcp_gateway_thread_event_loop_lag_max_seconds', 'Longest event-loop lag of a thread over its last report interval.', ['thread']);
    const heapUsed = made('mcp_gateway_thread_heap_used_bytes', 'V8 heap in use by a thread (each worker has a heap of its own).', ['thread']);
    const heapTotal = made('mcp_gateway_thread_heap_total_bytes', 'V8 heap a thread has reserved.', ['thread']);
    const rss = made('mcp_gateway_thread_rss_bytes', 'Resident set size of the whole process (threads share it) as a thread read it at its last report.', ['thread']);
    const threadGauges = [utilization, lagMean, lagP99, lagMax, heapUsed, heapTotal, rss];
    const setThread = (thread: string, sample: ThreadSample): void => {
      utilization.set({ thread }, sample.utilization);
      lagMean.set({ thread }, sample.lagMeanSeconds);
      lagP99.set({ thread }, sample.lagP99Seconds);
      lagMax.set({ thread }, sample.lagMaxSeconds);
      heapUsed.set({ thread }, sample.heapUsedBytes);
      heapTotal.set({ thread }, sample.heapTotalBytes);
      rss.set({ thread }, sample.rssBytes);
    };
    const queued = new Gauge({
      name: 'mcp_gateway_worker_queue_depth',
      help: 'Calls waiting in a worker\'s queue for a free slot (the server is at maxConcurrency), at the worker\'s last report (about every second).',
      labelNames: workerLabels,
      registers,
      collect() {
        queued.reset();
        running.reset();
        for (const gauge of threadGauges) gauge.reset();
        const main = source.mainThread?.();
        if (main !== undefined) setThread(MAIN_THREAD_LABEL, main);
        for (const worker of source.workers?.() ?? []) {
          const labels = { server: worker.server, replica: String(worker.replica) };
          queued.set(labels, worker.queued);
          running.set(labels, worker.running);
          setThread(workerThreadLabel(worker.server, worker.replica), worker.thread);
        }
      },
    });
    for (const gauge of [running, ...threadGauges]) this.registry.registerMetric(gauge);
  }

  /**
   * The front door's connections and bytes, once the engine is chosen. The
   * accepted counter exists only with an engine that sees connections arrive
   * (node): uWS reports none, and a counter stuck at 0 would be a lie.
   */
  attachFrontDoor(frontDoor: FrontDoorSource): void {
    if (this.#frontDoor !== undefined) return;
    this.#frontDoor = frontDoor;
    const registers = [this.registry];
    const requestBytes = new Counter({ name: 'mcp_gateway_front_door_request_bytes_total', help: 'Request body bytes the front door read, by surface (rest: /api/…, mcp: /mcp, /sse, /messages, other); headers are not counted.', labelNames: ['surface'], registers: [] });
    const responseBytes = new Counter({ name: 'mcp_gateway_front_door_response_bytes_total', help: 'Response body bytes the front door wrote (whole answers and stream chunks), by surface; headers and chunked framing are not counted.', labelNames: ['surface'], registers: [] });
    const accepted = frontDoor.connections().accepted === null ? undefined : new Counter({ name: 'mcp_gateway_front_door_connections_accepted_total', help: 'TCP connections the front door accepted.', registers: [] });
    const open = new Gauge({
      name: 'mcp_gateway_front_door_connections',
      help: 'TCP connections open to the front door (idle keep-alive ones included).',
      registers,
      collect() {
        const connections = frontDoor.connections();
        if (connections.open !== null) open.set(connections.open);
        if (accepted !== undefined && connections.accepted !== null) setCounter(accepted, connections.accepted);
        SURFACES.forEach((surface, index) => {
          setCounter(requestBytes, frontDoor.requestBytes[index] ?? 0, { surface });
          setCounter(responseBytes, frontDoor.responseBytes[index] ?? 0, { surface });
        });
      },
    });
    for (const metric of [accepted, requestBytes, responseBytes]) if (metric !== undefined) this.registry.registerMetric(metric);
  }

  /** `now` is when the call finished (the recorder has it already; tests pass their own). */
  recordCall(server: string | null, tool: string, outcome: CallOutcomeLabel, totalMs: number, upstreamMs: number, caller = 'anonymous', now = Date.now(), tenant?: string): void {
    const route = this.#toolRoute(server, tool);
    const callerRoute = this.#callerRoute(caller);
    if (this.#sliced()) this.#recordSlice(tenant ?? UNTENANTED_LABEL, server, tool, outcome, totalMs, callerRoute.label, now);
    const slot = OUTCOME_SLOT[outcome];
    const serverRoute = route.server;
    (route.calls[slot] ??= this.#calls.series(`${serverRoute.label}\0${tool}\0${outcome}`, () => ({ server: serverRoute.label, tool, outcome }))).value++;
    (callerRoute.calls[slot] ??= this.#callerCalls.series(`${callerRoute.label}\0${outcome}`, () => ({ caller: callerRoute.label, outcome }))).value++;
    (serverRoute.duration[slot] ??= this.#duration.series(`${serverRoute.label}\0${outcome}`, () => ({ server: serverRoute.label, outcome }))).observe(totalMs / 1000);
    if (server !== null && upstreamMs > 0) (serverRoute.upstream ??= this.#upstream.series(server, () => ({ server }))).observe(upstreamMs / 1000);
    const failed = outcome !== 'ok';
    this.#totalRate.record(now);
    count(serverRoute.tally, totalMs, failed, now);
    if (route.tally !== undefined) count(route.tally, totalMs, failed, now);
    countCallerTally(callerRoute.tally, outcome);
  }

  #toolRoute(server: string | null, tool: string): ToolRoute {
    let byTool = server === null ? this.#unrouted : this.#routes.get(server);
    if (byTool === undefined) this.#routes.set(server!, (byTool = new Map()));
    let route = byTool.get(tool);
    if (route === undefined) {
      const label = server ?? 'none';
      const serverRoute = this.#serverRoute(label);
      let tally: ToolRoute['tally'];
      if (server !== null) {
        const key = server + this.#separator + tool;
        tally = this.#byTool.get(key);
        if (tally === undefined) this.#byTool.set(key, (tally = { ...newTally(), server, tool }));
      }
      byTool.set(tool, (route = { server: serverRoute, tally, calls: [] }));
    }
    return route;
  }

  /** Shared by every tool of the server (and by a server named `none` with the unrouted calls, as their label is). */
  #serverRoute(label: string): ServerRoute {
    let route = this.#servers.get(label);
    if (route === undefined) {
      let tally = this.#byServer.get(label);
      if (tally === undefined) this.#byServer.set(label, (tally = newTally()));
      this.#servers.set(label, (route = { label, tally, duration: [], upstream: undefined }));
    }
    return route;
  }

  #recordSlice(tenant: string, server: string | null, tool: string, outcome: CallOutcomeLabel, totalMs: number, callerLabel: string, now: number): void {
    this.#tenantCalls.inc({ tenant, outcome });
    let slice = this.#slices.get(tenant);
    if (slice === undefined) this.#slices.set(tenant, (slice = { byServer: new Map(), byTool: new Map(), byCaller: new Map(), rate: new CallRate() }));
    const failed = outcome !== 'ok';
    slice.rate.record(now);
    tally(slice.byServer, server ?? 'none', totalMs, failed, now);
    if (server !== null) countTool(slice.byTool, server, tool, this.#separator, totalMs, failed, now);
    let byCaller = slice.byCaller.get(callerLabel);
    if (byCaller === undefined) slice.byCaller.set(callerLabel, (byCaller = { calls: 0, errors: 0, rateLimited: 0 }));
    countCallerTally(byCaller, outcome);
  }

  /** `caller` is unknown (`none`) when the credential itself was refused. */
  recordRefusal(reason: RefusalReason, caller = 'none'): void {
    const callerLabel = this.#callerLabel(caller);
    this.#refusals.inc({ reason, caller: callerLabel });
    const key = `${reason}\0${callerLabel}`;
    this.#refusalCounts.set(key, (this.#refusalCounts.get(key) ?? 0) + 1);
  }

  recordStoreError(served: boolean): void {
    this.#storeErrors.inc({ outcome: served ? 'served' : 'refused' });
  }

  recordClusterError(operation: 'heartbeat' | 'publish' | 'session' | 'forward'): void {
    this.#clusterErrors.inc({ operation });
  }

  #callerLabel(caller: string): string {
    if (this.#callerLabels.has(caller)) return caller;
    if (this.#callerLabels.size >= MAX_CALLER_LABELS) return 'other';
    this.#callerLabels.add(caller);
    return caller;
  }

  #callerRoute(caller: string): CallerRoute {
    const label = this.#callerLabel(caller);
    let route = this.#callers.get(label);
    if (route === undefined) {
      let tally = this.#byCaller.get(label);
      if (tally === undefined) this.#byCaller.set(label, (tally = { calls: 0, errors: 0, rateLimited: 0 }));
      this.#callers.set(label, (route = { label, tally, calls: [] }));
    }
    return route;
  }

  recordRestart(server: string): void {
    this.#restarts.inc({ server });
  }

  prometheus(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The JSON view behind `GET /api/v1/metrics`: totals, every configured
   * server (with its live gauges, called or not) and any other server label
   * calls were counted under (`none`: unroutable), per tool, per caller, and
   * the front door's refusals.
   */
  summary(now = Date.now(), scope?: TenantScope): MetricsSummary {
    if (scope !== undefined && !scope.all) return this.#sliceSummary(now, scope);
    const view = (t: Tally): CallSummary => this.#view(t, now);
    let calls = 0;
    let errors = 0;
    for (const t of this.#byServer.values()) {
      calls += t.calls;
      errors += t.errors;
    }
    const servers: Record<string, ServerSummary | CallSummary> = {};
    for (const gauge of this.#source.serverGauges()) {
      const t = this.#byServer.get(gauge.id);
      servers[gauge.id] = { ...(t ? view(t) : NOT_CALLED), up: gauge.up, inFlight: gauge.inFlight, tools: gauge.tools };
    }
    for (const [id, t] of this.#byServer) if (!(id in servers)) servers[id] = view(t);
    const tools: Record<string, ToolSummary> = {};
    for (const [key, t] of this.#byTool) tools[key] = { server: t.server, tool: t.tool, ...view(t) };
    const refusals = [...this.#refusalCounts].map(([key, count]) => {
      const [reason, caller] = key.split('\0') as [RefusalReason, string];
      return { reason, caller, count };
    });
    refusals.sort((a, b) => b.count - a.count || a.caller.localeCompare(b.caller));
    const workers: Record<string, WorkerSummary> = {};
    const threads: Record<string, ThreadSample> = {};
    const main = this.#source.mainThread?.();
    if (main !== undefined) threads[MAIN_THREAD_LABEL] = main;
    for (const worker of this.#source.workers?.() ?? []) {
      const label = workerThreadLabel(worker.server, worker.replica);
      workers[label] = { server: worker.server, replica: worker.replica, queued: worker.queued, running: worker.running };
      threads[label] = worker.thread;
    }
    return {
      uptimeSeconds: Math.round((now - this.#startedAt) / 1000),
      totals: { calls, errors, rates: this.#totalRate.rates(now, this.#startedAt) },
      servers,
      tools,
      callers: Object.fromEntries([...this.#byCaller].map(([name, t]) => [name, { ...t }])),
      refusals,
      workers,
      threads,
      frontDoor: this.#frontDoorSummary(),
    };
  }

  /**
   * A tenant's view: its own slice of the tallies, the servers it sees (live
   * gauges only for its own: a shared server's load is everyone's), its own
   * servers' workers; nothing gateway-wide (refusals, front door, threads).
   */
  #sliceSummary(now: number, scope: TenantScope): MetricsSummary {
    const slice = scope.tenant !== undefined || scope.key === '-' ? this.#slices.get(scope.tenant ?? UNTENANTED_LABEL) : undefined;
    const view = (t: Tally): CallSummary => this.#view(t, now);
    let calls = 0;
    let errors = 0;
    for (const t of slice?.byServer.values() ?? []) {
      calls += t.calls;
      errors += t.errors;
    }
    const servers: Record<string, ServerSummary | CallSummary> = {};
    for (const gauge of this.#source.serverGauges()) {
      if (!scope.seesServer(gauge.id)) continue;
      const t = slice?.byServer.get(gauge.id);
      servers[gauge.id] = scope.whole(gauge.id) ? { ...(t ? view(t) : NOT_CALLED), up: gauge.up, inFlight: gauge.inFlight, tools: gauge.tools } : t ? view(t) : NOT_CALLED;
    }
    for (const [id, t] of slice?.byServer ?? []) if (!(id in servers)) servers[id] = view(t);
    const tools: Record<string, ToolSummary> = {};
    for (const [key, t] of slice?.byTool ?? []) tools[key] = { server: t.server, tool: t.tool, ...view(t) };
    const workers: Record<string, WorkerSummary> = {};
    const threads: Record<string, ThreadSample> = {};
    for (const worker of this.#source.workers?.() ?? []) {
      if (!scope.whole(worker.server)) continue;
      const label = workerThreadLabel(worker.server, worker.replica);
      workers[label] = { server: worker.server, replica: worker.replica, queued: worker.queued, running: worker.running };
      threads[label] = worker.thread;
    }
    return {
      uptimeSeconds: Math.round((now - this.#startedAt) / 1000),
      totals: { calls, errors, rates: (slice?.rate ?? new CallRate()).rates(now, this.#startedAt) },
      servers,
      tools,
      callers: Object.fromEntries([...(slice?.byCaller ?? [])].map(([name, t]) => [name, { ...t }])),
      refusals: [],
      workers,
      threads,
      frontDoor: null,
    };
  }

  #view(t: Tally, now: number): CallSummary {
    return {
      calls: t.calls,
      errors: t.errors,
      errorRate: t.calls ? t.errors / t.calls : 0,
      avgLatencyMs: t.calls ? round(t.totalMs / t.calls) : 0,
      maxLatencyMs: round(t.maxMs),
      rates: t.rate.rates(now, this.#startedAt),
      latencyMs: t.latency.percentiles(now, this.#scratch),
    };
  }

  #frontDoorSummary(): FrontDoorSummary | null {
    const frontDoor = this.#frontDoor;
    if (frontDoor === undefined) return null;
    const bySurface = (bytes: readonly number[]) => Object.fromEntries(SURFACES.map((surface, index) => [surface, bytes[index] ?? 0])) as Record<Surface, number>;
    return { connections: frontDoor.connections(), requestBytes: bySurface(frontDoor.requestBytes), responseBytes: bySurface(frontDoor.responseBytes) };
  }
}

/** A counter whose running total is kept elsewhere (an engine's plain number): shown as that total. */
function setCounter<T extends string>(counter: Counter<T>, total: number, labels?: Partial<Record<T, string>>): void {
  if (labels === undefined) {
    counter.reset();
    counter.inc(total);
    return;
  }
  counter.remove(labels);
  counter.inc(labels, total);
}

/** A server no call has reached yet. */
const NOT_CALLED: CallSummary = Object.freeze({ calls: 0, errors: 0, errorRate: 0, avgLatencyMs: 0, maxLatencyMs: 0, rates: Object.freeze({ '1m': 0, '5m': 0, '15m': 0 }), latencyMs: null });

function countTool(map: Map<string, Tally & { readonly server: string; readonly tool: string }>, server: string, tool: string, separator: string, ms: number, failed: boolean, now: number): void {
  const key = server + separator + tool;
  let t = map.get(key);
  if (t === undefined) map.set(key, (t = { ...newTally(), server, tool }));
  count(t, ms, failed, now);
}

function countCallerTally(byCaller: CallerTally, outcome: CallOutcomeLabel): void {
  byCaller.calls++;
  if (outcome !== 'ok') byCaller.errors++;
  if (outcome === 'rate_limited') byCaller.rateLimited++;
}

function newTally(): Tally {
  return { calls: 0, errors: 0, totalMs: 0, maxMs: 0, rate: new CallRate(), latency: new LatencyWindow() };
}

function tally(map: Map<string, Tally>, key: string, ms: number, failed: boolean, now: number): void {
  let t = map.get(key);
  if (!t) map.set(key, (t = newTally()));
  count(t, ms, failed, now);
}

function count(t: Tally, ms: number, failed: boolean, now: number): void {
  t.calls++;
  if (failed) t.errors++;
  t.totalMs += ms;
  if (ms > t.maxMs) t.maxMs = ms;
  t.rate.record(now);
  t.latency.record(ms, now);
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
