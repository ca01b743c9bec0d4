/** The JSON the page reads, as the gateway's REST API documents it (README, "REST API"). */

export interface Health {
  readonly status: string;
  readonly version: string;
  readonly uptimeSeconds: number;
  readonly servers: readonly HealthServer[];
}

export interface HealthServer {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly era: string | null;
  readonly protocolVersion: string | null;
  readonly tools: number;
  readonly restarts: number;
  readonly circuit: string;
  readonly lastError?: string;
}

export type Rates = Readonly<Record<'1m' | '5m' | '15m', number>>;

export interface CallSummary {
  readonly calls: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly rates: Rates;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number; readonly samples: number } | null;
}

export interface ServerMetrics extends CallSummary {
  readonly up?: boolean;
  readonly inFlight?: number;
  readonly tools?: number;
}

export interface ToolMetrics extends CallSummary {
  readonly server: string;
  readonly tool: string;
}

export interface Metrics {
  readonly uptimeSeconds: number;
  readonly totals: { readonly calls: number; readonly errors: number; readonly rates: Rates };
  readonly servers: Readonly<Record<string, ServerMetrics>>;
  readonly tools: Readonly<Record<string, ToolMetrics>>;
  readonly callers: Readonly<Record<string, { readonly calls: number; readonly errors: number; readonly rateLimited: number }>>;
  readonly refusals: readonly { readonly reason: string; readonly caller: string; readonly count: number }[];
  readonly workers: Readonly<Record<string, WorkerMetrics>>;
  readonly threads: Readonly<Record<string, ThreadMetrics>>;
  readonly frontDoor: FrontDoorMetrics | null;
}

export interface WorkerMetrics {
  readonly server: string;
  readonly replica: number;
  readonly queued: number;
  readonly running: number;
}

export interface ThreadMetrics {
  /** Share of the last report interval the event loop spent running (0–1). */
  readonly utilization: number;
  readonly lagMeanSeconds: number;
  readonly lagP99Seconds: number;
  readonly lagMaxSeconds: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly rssBytes: number;
}

export type Surface = 'rest' | 'mcp' | 'other';

export interface FrontDoorMetrics {
  readonly connections: { readonly open: number | null; readonly accepted: number | null };
  readonly requestBytes: Readonly<Record<Surface, number>>;
  readonly responseBytes: Readonly<Record<Surface, number>>;
}

export interface RequestEntry {
  readonly id: number;
  readonly time: string;
  readonly traceId: string;
  readonly via: string;
  readonly caller: string;
  readonly server: string | null;
  readonly tool: string;
  readonly status: 'ok' | 'tool_error' | 'error';
  readonly httpStatus: number;
  readonly durationMs: number;
  readonly upstreamMs: number;
  readonly queuedMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly gatewayMs?: number;
  readonly captured?: Captured;
  readonly replayOf?: { readonly id: number; readonly source: 'log' | 'import' };
}

export interface Captured {
  readonly request?: { readonly arguments?: unknown; readonly _meta?: unknown };
  readonly result?: unknown;
  readonly truncated?: readonly string[];
  readonly redacted?: readonly string[];
}

export interface ToolList {
  readonly tools: readonly { readonly name: string; readonly server: string; readonly annotations?: { readonly readOnlyHint?: boolean } }[];
}

export interface JsonChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

/** POST /api/v1/requests/:id/replay (README, "Request replay"). */
export interface ReplayReply {
  readonly dryRun: boolean;
  readonly request: { readonly server: string; readonly tool: string; readonly arguments?: unknown; readonly readOnly: boolean };
  readonly reason?: string;
  readonly logId?: number | null;
  readonly status?: string;
  readonly httpStatus?: number;
  readonly result?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  readonly diff?: { readonly comparable: boolean; readonly identical?: boolean; readonly changes?: readonly JsonChange[]; readonly reason?: string };
}

export interface RequestPage {
  readonly enabled: boolean;
  readonly requests: readonly RequestEntry[];
  readonly nextBefore: number | null;
}

export interface Whoami {
  readonly name: string;
  readonly via: string;
  readonly roles: readonly string[];
  readonly authentication: boolean;
  /** Multi-tenant mode only: whose view this is (`all-tenants`, `tenant=<name>`), and whether held calls are this caller's to see. */
  readonly scope?: string;
  readonly approver?: boolean;
}

/** A call held until an approver decides (`GET /api/v1/approvals`). */
export interface PendingApproval {
  readonly id: string;
  readonly server: string;
  readonly tool: string;
  readonly caller: string;
  readonly via: 'rest' | 'mcp';
  /** Redacted by the monitor's rules; a string when cut to `monitor.capture.maxBytes`. */
  readonly arguments: unknown;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** In a cluster: the instance holding the call. */
  readonly instance?: string;
}
