/** What both HTTP engines need alike: limits, security headers, listener fan-out, the last-resort answers, small guards. */
import { STATUS_CODES } from 'node:http';
import { DEFAULTS } from '../config/defaults.js';
import { ERRORS, GatewayError, restErrorBody } from '../errors.js';
import { REQUEST_ID_HEADER, RequestIds } from '../observability/request-id.js';
import type { ListenOptions } from './engine.js';

export interface RequestLimits {
  readonly maxHeaderBytes: number;
  readonly requestTimeoutMs: number;
  readonly maxStreamBufferBytes: number;
  readonly requestIds: RequestIds;
}

export function requestLimits(options: ListenOptions): RequestLimits {
  return {
    maxHeaderBytes: options.maxHeaderBytes ?? DEFAULTS.maxHeaderBytes,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    maxStreamBufferBytes: options.maxStreamBufferBytes ?? DEFAULTS.maxStreamBufferBytes,
    requestIds: options.requestIds ?? new RequestIds(),
  };
}

/**
 * Headers every answer carries unless its handler set them. The gateway serves
 * JSON and event streams, never a page: nothing it sends should be MIME-sniffed,
 * framed, stored by a cache or leak its URL as a referrer. Event streams set
 * their own Cache-Control (`no-cache, no-transform`), which wins.
 */
export const SECURITY_HEADERS: readonly (readonly [name: string, value: string])[] = [
  ['x-content-type-options', 'nosniff'],
  ['cache-control', 'no-store'],
  ['x-frame-options', 'DENY'],
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
  ['referrer-policy', 'no-referrer'],
];

const SECURITY_HEADER_BITS: ReadonlyMap<string, number> = new Map(SECURITY_HEADERS.map(([name], i) => [name, 1 << i]));

/** The bit an engine sets while writing a handler's header (lower-case name), so it can add the missing ones after. */
export function securityHeaderBit(lowerName: string): number {
  return SECURITY_HEADER_BITS.get(lowerName) ?? 0;
}

/** Runs every abort listener; one faulty listener must neither stop the others nor take the gateway down. */
export function runListeners(listeners: Iterable<() => void>): void {
  for (const listener of listeners) {
    try {
      listener();
    } catch (error) {
      reportHandlerFailure(error);
    }
  }
}

/** Reports a handler that threw: a bug that must show, not take the gateway down. */
export function reportHandlerFailure(error: unknown): void {
  process.emitWarning(error instanceof Error ? error : new Error(String(error)));
}

/** For the answers an engine gives itself (500, 408, 431): the REST error shape, whatever the route. */
export const ENGINE_ERROR_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };
export const INTERNAL_ERROR_BODY = restErrorBody(new GatewayError('MCPGW_ERR_INTERNAL', 'the request handler failed'));

export function clientGone(): GatewayError {
  return new GatewayError('MCPGW_ERR_CANCELLED', 'the client disconnected before the request body was read');
}

export function requestTimedOut(timeoutMs: number): GatewayError {
  return new GatewayError('MCPGW_ERR_REQUEST_TIMEOUT', `the request did not arrive within ${timeoutMs} ms (requestTimeoutMs)`, { timeoutMs });
}

export function headersTooLarge(limitBytes: number): GatewayError {
  return new GatewayError('MCPGW_ERR_HEADERS_TOO_LARGE', `the request headers exceed the limit of ${limitBytes} bytes (maxHeaderBytes)`, { limitBytes });
}

/**
 * A complete HTTP/1.1 answer that closes the connection, for when there is no
 * response object to write through (node:http's parser gave up on the request).
 */
export function rawErrorResponse(error: GatewayError, requestId: string): string {
  const status = ERRORS[error.code].status;
  const body = restErrorBody(error);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: ${ENGINE_ERROR_HEADERS['content-type']}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${REQUEST_ID_HEADER}: ${requestId}\r\n`;
  for (const [name, value] of SECURITY_HEADERS) head += `${name}: ${value}\r\n`;
  return `${head}\r\n${body}`;
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
