/** Turns what the SDK throws for a forwarded call into the gateway's coded errors. */
import { SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import { GatewayError } from '../src/errors.js';
import type { ResponseLimit } from './response-limit.js';

/** JSON-RPC codes with which an upstream says the request itself was wrong (the caller's fault, not the upstream's). */
const CALLER_FAULT_CODES = new Set([-32600, -32602]);

export function mapUpstreamError(error: unknown, context: { serverId: string; method: string; timeoutMs: number; responseLimit?: ResponseLimit }): GatewayError {
  if (error instanceof GatewayError) return error;
  const where = `${context.method} on server "${context.serverId}"`;
  const tooLarge = context.responseLimit?.recognise(error, where);
  if (tooLarge) return tooLarge;
  const httpStatus = error instanceof SdkError ? (error as { data?: { status?: unknown } }).data?.status : undefined;
  if (typeof httpStatus === 'number' && httpStatus >= 500) {
    // A 5xx is the upstream failing, not answering: it counts against the circuit breaker like a crash.
    return new GatewayError('MCPGW_ERR_UPSTREAM_BAD_RESPONSE', `${where} failed: the upstream answered HTTP ${httpStatus} (${(error as Error).message})`, { httpStatus });
  }
  const network = connectionFailure(error);
  if (network !== undefined) return new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${where} failed: the connection to the upstream failed (${network})`);
  if (error instanceof SdkError) {
    switch (error.code) {
      case SdkErrorCode.RequestTimeout:
        return new GatewayError('MCPGW_ERR_TIMEOUT', `${where} timed out after ${context.timeoutMs} ms; the call was cancelled upstream`);
      case SdkErrorCode.ConnectionClosed:
      case SdkErrorCode.NotConnected:
      case SdkErrorCode.SendFailed:
        return new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${where} failed: the upstream connection closed (${error.message})`);
      case SdkErrorCode.InvalidResult:
      case SdkErrorCode.UnsupportedResultType:
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
  if (!(error instanceof SdkError)) return false;
  const status = (error as { data?: { status?: unknown } }).data?.status;
  return status === 404;
}
