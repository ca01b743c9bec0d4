/** Writing JSON answers and coded errors on any engine, with the gateway's common headers. */
import { ERRORS, GatewayError, restErrorBody } from '../errors.js';
import type { HttpResponse } from './engine.js';

const JSON_TYPE = 'application/json; charset=utf-8';
/** Frozen, so an engine may vet them once (uws-engine.ts). */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': JSON_TYPE });

export function sendJson(response: HttpResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = NO_HEADERS): number {
  return sendRawJson(response, status, JSON.stringify(body), headers);
}

/** For bodies that already are JSON (an upstream's answer, a cached list's bytes): no parse, no re-serialise. */
export function sendRawJson(response: HttpResponse, status: number, json: string | Uint8Array, headers: Readonly<Record<string, string>> = NO_HEADERS): number {
  // A large text is encoded once here: counting its bytes (here and in the engine) and writing it would each walk it again.
  const body = typeof json === 'string' && json.length >= ENCODE_ONCE_CHARS ? Buffer.from(json) : json;
  response.send(status, headers === NO_HEADERS ? JSON_HEADERS : { 'content-type': JSON_TYPE, ...headers }, body);
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}

/** Below this, measuring a string twice costs less than allocating a Buffer for it. */
const ENCODE_ONCE_CHARS = 16 * 1024;

/** A refusal that says when to come back (`data.retryAfterSeconds`: a limit, a quota, an open circuit) carries `Retry-After` too. */
export function sendError(response: HttpResponse, error: GatewayError, headers: Readonly<Record<string, string>> = NO_HEADERS): number {
  const retryAfter = (error.data as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  const withRetry = typeof retryAfter === 'number' && headers['retry-after'] === undefined ? { ...headers, 'retry-after': String(retryAfter) } : headers;
  return sendRawJson(response, ERRORS[error.code].status, restErrorBody(error), withRetry);
}

/** The same response with `extra` headers on whatever it sends (CORS, rate-limit headers). */
export function withHeaders(response: HttpResponse, extra: Readonly<Record<string, string>>): HttpResponse {
  return {
    get closed() {
      return response.closed;
    },
    onAbort: (listener) => response.onAbort(listener),
    send: (status, headers, body) => response.send(status, { ...headers, ...extra }, body),
    startStream: (status, headers) => response.startStream(status, { ...headers, ...extra }),
    write: (chunk) => response.write(chunk),
    end: () => response.end(),
  };
}
