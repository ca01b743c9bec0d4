/**
 * Gateway metrics on a prom-client registry owned by the Gateway (never the
 * global default registry, so two gateways in one process don't mix), plus the
 * compact JSON view behind `GET /api/v1/metrics`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEFAULT_SEPARATOR } from '../qualified-names.js';

export type CallOutcomeLabel = 'ok' | 'tool_error' | 'upstream_error' | 'timeout' | 'rejected' | 'unavailable' | 'cancelled' | 'client_error' | 'unauthorized' | 'rate_limited';

/** Why the front door turned a request away before any route. */
export type RefusalReason = 'unauthorized' | 'insufficient_scope' | 'auth_unavailable' | 'rate_limited';

/** Distinct callers labelled by name; the rest share the label "other", so a key flood cannot blow up the series. */
export const MAX_CALLER_LABELS = 200;

export interface ServerGaugeSource {
  /** Per server: in-flight calls, tools, whether ready. */
  serverGauges(): Iterable<{ id: string; inFlight: number; tools: number; up: boolean }>;
}

interface Tally {
  calls: number;
  errors: number;
  totalMs: number;
  maxMs: number;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #calls: Counter<'server' | 'tool' | 'outcome'>;
  readonly #duration: Histogram<'server' | 'outcome'>;
  readonly #upstream: Histogram<'server'>;
  readonly #restarts: Counter<'server'>;
  readonly #callerCalls: Counter<'caller' | 'outcome'>;
  readonly #refusals: Counter<'reason' | 'caller'>;
  readonly #callerLabels = new Set<string>();
  readonly #storeErrors: Counter<'outcome'>;
  readonly #byServer = new Map<string, Tally>();
  readonly #byTool = new Map<string, Tally>();
  readonly #startedAt = Date.now();
  /** Per-tool totals are keyed by the tool's qualified name. */
  readonly #separator: string;

  constructor(source: ServerGaugeSource, options: { defaultMetrics?: boolean; separator?: string } = {}) {
    this.#separator = options.separator ?? DEFAULT_SEPARATOR;
    const registers = [this.registry];
    this.#calls = new Counter({ name: 'mcp_gateway_tool_calls_total', help: 'Tool calls by server, tool and outcome.', labelNames: ['server', 'tool', 'outcome'], registers });
    this.#duration = new Histogram({ name: 'mcp_gateway_tool_call_duration_seconds', help: 'Tool call time as the client sees it (gateway total).', labelNames: ['server', 'outcome'], buckets: LATENCY_BUCKETS, registers });
    this.#upstream = new Histogram({ name: 'mcp_gateway_upstream_duration_seconds', help: 'Time spent upstream per call (excludes queue and gateway time).', labelNames: ['server'], buckets: LATENCY_BUCKETS, registers });
    this.#restarts = new Counter({ name: 'mcp_gateway_server_restarts_total', help: 'Replica restarts by server.', labelNames: ['server'], registers });
    this.#callerCalls = new Counter({ name: 'mcp_gateway_caller_calls_total', help: `Tool calls by caller (key name or token subject; beyond ${MAX_CALLER_LABELS} callers, "other") and outcome.`, labelNames: ['caller', 'outcome'], registers });
    this.#refusals = new Counter({ name: 'mcp_gateway_front_door_refusals_total', help: 'Requests refused before any route: no or bad credential, missing scope, identity provider unreachable, request rate limit.', labelNames: ['reason', 'caller'], registers });
    this.#storeErrors = new Counter({ name: 'mcp_gateway_rate_limit_store_errors_total', help: 'Rate-limit decisions the shared store (Redis) could not make, by what happened to the request (served: fail-open; refused: fail-closed).', labelNames: ['outcome'], registers });
    const inFlight = new Gauge({ name: 'mcp_gateway_calls_in_flight', help: 'Calls dispatched to a server and not yet answered.', labelNames: ['server'], registers });
    const tools = new Gauge({ name: 'mcp_gateway_server_tools', help: 'Tools a server currently offers.', labelNames: ['server'], registers });
    const up = new Gauge({
      name: 'mcp_gateway_server_up',
      help: '1 when the server has a ready replica.',
      labelNames: ['server'],
      registers,
      // Read at scrape time, so the hot path never touches these gauges.
      collect() {
        for (const server of source.serverGauges()) {
          up.set({ server: server.id }, server.up ? 1 : 0);
          inFlight.set({ server: server.id }, server.inFlight);
          tools.set({ server: server.id }, server.tools);
        }
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'mcp_gateway_' });
  }

  recordCall(server: string | null, tool: string, outcome: CallOutcomeLabel, totalMs: number, upstreamMs: number, caller = 'anonymous'): void {
    const serverLabel = server ?? 'none';
    this.#calls.inc({ server: serverLabel, tool, outcome });
    this.#callerCalls.inc({ caller: this.#callerLabel(caller), outcome });
    this.#duration.observe({ server: serverLabel, outcome }, totalMs / 1000);
    if (server !== null && upstreamMs > 0) this.#upstream.observe({ server }, upstreamMs / 1000);
    const failed = outcome !== 'ok';
    tally(this.#byServer, serverLabel, totalMs, failed);
    if (server !== null) tally(this.#byTool, server + this.#separator + tool, totalMs, failed);
  }

  /** `caller` is unknown (`none`) when the credential itself was refused. */
  recordRefusal(reason: RefusalReason, caller = 'none'): void {
    this.#refusals.inc({ reason, caller: this.#callerLabel(caller) });
  }

  recordStoreError(served: boolean): void {
    this.#storeErrors.inc({ outcome: served ? 'served' : 'refused' });
  }

  #callerLabel(caller: string): string {
    if (this.#callerLabels.has(caller)) return caller;
    if (this.#callerLabels.size >= MAX_CALLER_LABELS) return 'other';
    this.#callerLabels.add(caller);
    return caller;
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

  /** The JSON aggregation: totals, per server, per tool. */
  summary(): Record<string, unknown> {
    const view = (map: Map<string, Tally>) =>
      Object.fromEntries(
        [...map].map(([key, t]) => [key, { calls: t.calls, errors: t.errors, errorRate: t.calls ? t.errors / t.calls : 0, avgLatencyMs: t.calls ? round(t.totalMs / t.calls) : 0, maxLatencyMs: round(t.maxMs) }]),
      );
    let calls = 0;
    let errors = 0;
    for (const t of this.#byServer.values()) {
      calls += t.calls;
      errors += t.errors;
    }
    return { uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000), totals: { calls, errors }, servers: view(this.#byServer), tools: view(this.#byTool) };
  }
}

function tally(map: Map<string, Tally>, key: string, ms: number, failed: boolean): void {
  let t = map.get(key);
  if (!t) map.set(key, (t = { calls: 0, errors: 0, totalMs: 0, maxMs: 0 }));
  t.calls++;
  if (failed) t.errors++;
  t.totalMs += ms;
  if (ms > t.maxMs) t.maxMs = ms;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
