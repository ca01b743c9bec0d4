/** What both HTTP engines need alike: listener fan-out, the last-resort 500, small guards. */
import { GatewayError, restErrorBody } from '../errors.js';

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

export const INTERNAL_ERROR_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json; charset=utf-8' };
export const INTERNAL_ERROR_BODY = restErrorBody(new GatewayError('MCPGW_ERR_INTERNAL', 'the request handler failed'));

export function clientGone(): GatewayError {
  return new GatewayError('MCPGW_ERR_CANCELLED', 'the client disconnected before the request body was read');
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
