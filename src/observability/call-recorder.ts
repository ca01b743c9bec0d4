/**
 * One place where a finished tool call is counted: metrics and the request
 * log, the same for the REST API and the MCP endpoint.
 */
import type { ApprovalRecord } from '../approval/approvals.js';
import type { CaptureConfig } from '../config/types.js';
import type { GatewayError } from '../errors.js';
import { Tracing } from './tracing.js';
import { Capture } from './capture.js';
import type { CallOutcomeLabel, GatewayMetrics } from './metrics.js';
import type { LoggedCall, ReplayOf, RequestLog } from './request-log.js';
import type { JsonText } from '../json-text.js';

/** What a recorded call did; tools/call unless said otherwise. */
export type RecordedMethod = 'tools/call' | 'resources/read' | 'prompts/get';

/** The REST route each recorded method is served on (the span name of a REST call). */
const REST_ROUTES: Record<RecordedMethod, string> = {
  'tools/call': 'POST /api/v1/tools/call',
  'resources/read': 'POST /api/v1/resources/read',
  'prompts/get': 'POST /api/v1/prompts/get',
};

export interface FinishedCall {
  readonly via: 'rest' | 'mcp';
  /** Absent: tools/call. */
  readonly method?: RecordedMethod;
  /** The caller's name (a key's name, a token's subject, `anonymous`); never a secret. */
  readonly caller: string;
  /** Multi-tenant mode: whose slice of the log and metrics the call is (Tenancy.sliceOf); absent: the untenanted one. */
  readonly tenant?: string;
  readonly receivedAt: number;
  readonly server: string | null;
  /** The tool's name; for a resource read its URI, for a prompt its name. */
  readonly tool: string;
  readonly outcome: CallOutcomeLabel;
  readonly httpStatus: number;
  readonly upstreamMs: number;
  readonly queuedMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Settled at the front door: the client's `traceparent` trace id or a fresh one. */
  readonly traceId: string;
  /** The request's `X-Request-Id` (the client's or the gateway's). */
  readonly requestId: string;
  /** The call's arguments as the client sent them (kept only when `monitor.capture` asks). */
  readonly arguments?: unknown;
  /** The client's own `_meta` of the call (kept only when `monitor.capture` asks). */
  readonly meta?: unknown;
  /** The result as JSON text (kept only when `monitor.capture` asks). */
  readonly resultJson?: JsonText;
  /** Set when this call replays a captured one (POST /api/v1/requests/:id/replay, /api/v1/replay). */
  readonly replayOf?: ReplayOf;
  readonly error?: GatewayError;
  /** The client's `traceparent` header, for the trace's parent. */
  readonly clientTraceparent?: string;
  /** The upstream call's span id (`upstreamTrace`), when tracing and the call was dispatched. */
  readonly upstreamSpanId?: string;
  /** The call needed human approval (`approval.rules`): how it was decided. */
  readonly approval?: ApprovalRecord;
}

/** What a dispatched call sends upstream so the upstream's spans join the gateway's trace. */
export interface UpstreamTrace {
  readonly spanId: string;
  readonly traceparent: string;
}

export class CallRecorder {
  readonly #metrics: GatewayMetrics;
  readonly #requestLog: RequestLog;
  readonly #capture: Capture | undefined;

  readonly #tracing: Tracing | undefined;

  constructor(metrics: GatewayMetrics, requestLog: RequestLog, capture?: CaptureConfig, tracing?: Tracing) {
    this.#metrics = metrics;
    this.#requestLog = requestLog;
    this.#tracing = tracing;
    const configured = capture === undefined ? undefined : new Capture(capture);
    this.#capture = configured?.active && requestLog.enabled ? configured : undefined;
  }

  /** Undefined unless tracing is on: then the span id the upstream call will have, and the `traceparent` naming it. */
  upstreamTrace(traceId: string): UpstreamTrace | undefined {
    if (this.#tracing === undefined) return undefined;
    const spanId = this.#tracing.upstreamSpanId();
    return { spanId, traceparent: Tracing.traceparent(traceId, spanId) };
  }

  /** The captures' redaction, for a replayed result that must compare with them; undefined when nothing is captured. */
  get capture(): Capture | undefined {
    return this.#capture;
  }

  /** Counts the call; returns its request-log id (undefined when the log is off). */
  record(call: FinishedCall): number | undefined {
    const now = Date.now();
    const durationMs = now - call.receivedAt;
    const method = call.method ?? 'tools/call';
    // A resource URI is unbounded (templates): reads and gets are counted under their method, never their target.
    this.#metrics.recordCall(call.server, method === 'tools/call' ? call.tool : method, call.outcome, durationMs, call.upstreamMs, call.caller, now, call.tenant);
    this.#tracing?.record({
      via: call.via,
      method,
      ...(call.via === 'rest' ? { restRoute: REST_ROUTES[method] } : {}),
      traceId: call.traceId,
      requestId: call.requestId,
      ...(call.clientTraceparent !== undefined ? { clientTraceparent: call.clientTraceparent } : {}),
      ...(call.upstreamSpanId !== undefined ? { upstreamSpanId: call.upstreamSpanId } : {}),
      receivedAt: call.receivedAt,
      endedAt: now,
      queuedMs: call.queuedMs,
      upstreamMs: call.upstreamMs,
      server: call.server,
      tool: call.tool,
      caller: call.caller,
      outcome: call.outcome,
      httpStatus: call.httpStatus,
      ...(call.error ? { errorCode: call.error.code } : {}),
    });
    if (!this.#requestLog.enabled) return undefined;
    const captured = this.#capture?.take(call.server, call.tool, call.arguments, call.meta, call.resultJson);
    // Built field by field, not with spreads: this runs for every call.
    const logged: Mutable<LoggedCall> = {
      receivedAt: call.receivedAt,
      traceId: call.traceId,
      requestId: call.requestId,
      via: call.via,
      method,
      caller: call.caller,
      server: call.server,
      tool: call.tool,
      status: call.outcome === 'ok' ? 'ok' : call.outcome === 'tool_error' ? 'tool_error' : 'error',
      httpStatus: call.httpStatus,
      durationMs,
      upstreamMs: call.upstreamMs,
      queuedMs: call.queuedMs,
      gatewayMs: Math.max(0, durationMs - call.upstreamMs - call.queuedMs),
      requestBytes: call.requestBytes,
      responseBytes: call.responseBytes,
    };
    if (call.tenant !== undefined) logged.tenant = call.tenant;
    if (call.error !== undefined) {
      logged.errorCode = call.error.code;
      logged.errorMessage = call.error.message;
    }
    if (captured !== undefined) logged.captured = captured;
    if (call.approval !== undefined) logged.approval = call.approval;
    if (call.replayOf !== undefined) logged.replayOf = call.replayOf;
    return this.#requestLog.add(logged);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The metrics outcome label of a failed call. */
export function outcomeOf(error: GatewayError): CallOutcomeLabel {
  switch (error.code) {
    case 'MCPGW_ERR_TIMEOUT':
      return 'timeout';
    case 'MCPGW_ERR_CANCELLED':
      return 'cancelled';
    case 'MCPGW_ERR_QUEUE_FULL':
    case 'MCPGW_ERR_CIRCUIT_OPEN':
    case 'MCPGW_ERR_SERVER_UNAVAILABLE':
    case 'MCPGW_ERR_SHUTTING_DOWN':
      return 'unavailable';
    case 'MCPGW_ERR_UPSTREAM':
    case 'MCPGW_ERR_UPSTREAM_CRASHED':
    case 'MCPGW_ERR_UPSTREAM_BAD_RESPONSE':
    case 'MCPGW_ERR_UPSTREAM_IDENTITY':
    case 'MCPGW_ERR_RESPONSE_TOO_LARGE':
    case 'MCPGW_ERR_INTERNAL':
      return 'upstream_error';
    case 'MCPGW_ERR_UPSTREAM_REJECTED':
      return 'rejected';
    case 'MCPGW_ERR_FORBIDDEN':
    case 'MCPGW_ERR_UNAUTHORIZED':
    case 'MCPGW_ERR_INSUFFICIENT_SCOPE':
      return 'unauthorized';
    case 'MCPGW_ERR_RATE_LIMITED':
    case 'MCPGW_ERR_QUOTA_EXCEEDED':
      return 'rate_limited';
    default:
      return 'client_error';
  }
}
