/**
 * Turns what a connection throws for a forwarded call into the gateway's coded
 * errors. Both connections throw UpstreamError for their own failures (the SDK
 * one converts SdkError at its boundary), so this module, and the stdio and
 * WebSocket workers that use it, never load the SDK.
 */
import { GatewayError } from '../src/errors.js';
import type { ResponseLimit } from './response-limit.js';

/** The SDK's SdkErrorCode values for the failures the gateway tells apart, so a converted SdkError keeps its code. */
export const UpstreamErrorCode = {
  RequestTimeout: 'REQUEST_TIMEOUT',
  ConnectionClosed: 'CONNECTION_CLOSED',
  NotConnected: 'NOT_CONNECTED',
  SendFailed: 'SEND_FAILED',
  InvalidResult: 'INVALID_RESULT',
  UnsupportedResultType: 'UNSUPPORTED_RESULT_TYPE',
  EraNegotiationFailed: 'ERA_NEGOTIATION_FAILED',
  /** The gateway's own, not the SDK's: the `server/discover` probe ended the connection (a 2025 server worth a fresh start with `initialize`). */
  ProbeClosedConnection: 'PROBE_CLOSED_CONNECTION',
} as const;

/** A connection-level failure (not a JSON-RPC error answer): timeout, closed connection, failed negotiation… */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  /** One of UpstreamErrorCode, or another SdkErrorCode value carried over from the SDK. */
  readonly code: string;
  /** What the SDK attached (`status` for an HTTP failure, `timeout`…). */
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, data?: Readonly<Record<string, unknown>>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.data = data;
  }
}

/** JSON-RPC codes with which an upstream says the request itself was wrong (the caller's fault, not the upstream's). */
const CALLER_FAULT_CODES = new Set([-32600, -32602]);

export function mapUpstreamError(error: unknown, context: { serverId: string; method: string; timeoutMs: number; responseLimit?: ResponseLimit }): GatewayError {
  if (error instanceof GatewayError) return error;
  const where = `${context.method} on server "${context.serverId}"`;
  const tooLarge = context.responseLimit?.recognise(error, where);
  if (tooLarge) return tooLarge;
  const httpStatus = error instanceof UpstreamError ? error.data?.status : undefined;
  if (typeof httpStatus === 'number' && httpStatus >= 500) {
    // A 5xx is the upstream failing, not answering: it counts against the circuit breaker like a crash.
    return new GatewayError('MCPGW_ERR_UPSTREAM_BAD_RESPONSE', `${where} failed: the upstream answered HTTP ${httpStatus} (${(error as Error).message})`, { httpStatus });
  }
  const network = connectionFailure(error);
  if (network !== undefined) return new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${where} failed: the connection to the upstream failed (${network})`);
  if (error instanceof UpstreamError) {
    switch (error.code) {
      case UpstreamErrorCode.RequestTimeout:
        return new GatewayError('MCPGW_ERR_TIMEOUT', `${where} timed out after ${context.timeoutMs} ms; the call was cancelled upstream`);
      case UpstreamErrorCode.ConnectionClosed:
      case UpstreamErrorCode.NotConnected:
      case UpstreamErrorCode.SendFailed:
        return new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${where} failed: the upstream connection closed (${error.message})`);
      case UpstreamErrorCode.InvalidResult:
      case UpstreamErrorCode.UnsupportedResultType:
        return new GatewayError('MCPGW_ERR_UPSTREAM_BAD_RESPONSE', `${where}: the upstream sent an invalid answer (${error.message})`);
      default:
        return new GatewayError('MCPGW_ERR_UPSTREAM', `${where} failed: ${error.message}`, { sdkCode: error.code, ...(typeof httpStatus === 'number' ? { httpStatus } : {}) });
    }
  }
  const rpc = error as { code?: unknown; message?: unknown; data?: unknown };
  if (typeof rpc?.code === 'number') {
    const data = { upstreamCode: rpc.code, upstreamMessage: String(rpc.message ?? ''), ...(rpc.data === undefined ? {} : { upstreamData: rpc.data }) };
    if (CALLER_FAULT_CODES.has(rpc.code)) return new GatewayError('MCPGW_ERR_UPSTREAM_REJECTED', `${where} was rejected by the upstream: ${String(rpc.message ?? '')}`, data);
    return new GatewayError('MCPGW_ERR_UPSTREAM', `${where} failed upstream: ${String(rpc.message ?? '')}`, data);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GatewayError('MCPGW_ERR_UPSTREAM', `${where} failed: ${message}`);
}

/**
 * What a socket-level failure under `fetch` says (`ECONNRESET: socket hang
 * up`, `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9`), or undefined if
 * `error` is not one. fetch reports them all as "fetch failed"; the reason is
 * in its cause chain, as a system or undici error code.
 */
export function connectionFailure(error: unknown): string | undefined {
  let cause = (error as { cause?: unknown } | null)?.cause;
  for (let depth = 0; depth < 5 && typeof cause === 'object' && cause !== null; depth++) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return `${code}: ${String(message)}`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An error's message followed by what its causes add, for reasons shown to operators ("fetch failed" alone says nothing). */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ');
}

/** A legacy Streamable HTTP session the server no longer knows (HTTP 404): re-initialise and retry. */
export function isExpiredSession(error: unknown): boolean {
  return error instanceof UpstreamError && error.data?.status === 404;
}
