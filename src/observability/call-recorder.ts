/**
 * One place where a finished tool call is counted: metrics and the request
 * log, the same for the REST API and the MCP endpoint.
 */
import type { GatewayError } from '../errors.js';
import type { CallOutcomeLabel, GatewayMetrics } from './metrics.js';
import type { RequestLog } from './request-log.js';

export interface FinishedCall {
  readonly via: 'rest' | 'mcp';
  /** The caller's name (a key's name, a token's subject, `anonymous`); never a secret. */
  readonly caller: string;
  readonly receivedAt: number;
  readonly server: string | null;
  readonly tool: string;
  readonly outcome: CallOutcomeLabel;
  readonly httpStatus: number;
  readonly upstreamMs: number;
  readonly queuedMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly error?: GatewayError;
}

export class CallRecorder {
  readonly #metrics: GatewayMetrics;
  readonly #requestLog: RequestLog;

  constructor(metrics: GatewayMetrics, requestLog: RequestLog) {
    this.#metrics = metrics;
    this.#requestLog = requestLog;
  }

  record(call: FinishedCall): void {
    const durationMs = Date.now() - call.receivedAt;
    this.#metrics.recordCall(call.server, call.tool, call.outcome, durationMs, call.upstreamMs, call.caller);
    this.#requestLog.add({
      time: new Date(call.receivedAt).toISOString(),
      via: call.via,
      caller: call.caller,
      server: call.server,
      tool: call.tool,
      status: call.outcome === 'ok' ? 'ok' : call.outcome === 'tool_error' ? 'tool_error' : 'error',
      httpStatus: call.httpStatus,
      durationMs,
      upstreamMs: call.upstreamMs,
      queuedMs: call.queuedMs,
      requestBytes: call.requestBytes,
      responseBytes: call.responseBytes,
      ...(call.error ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
    });
  }
}

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
      return 'rate_limited';
    default:
      return 'client_error';
  }
}
