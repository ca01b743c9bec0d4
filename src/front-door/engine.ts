/**
 * The small interface every HTTP engine implements: uWebSockets.js (native,
 * fast) and node:http (runs everywhere). Handlers are written once against it;
 * the whole HTTP test suite runs against both engines.
 *
 * Engines hand over a request whose headers are already copied (uWS forbids
 * touching its request object after the handler returns) and a response that
 * is safe to use asynchronously and after the client went away (writes become
 * no-ops; `closed` tells).
 */
import type { ConnectionCounts, FrontDoorTraffic } from './traffic.js';
import type { RequestIds } from '../observability/request-id.js';

export interface HttpRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path without the query string, e.g. `/api/v1/tools`. */
  readonly path: string;
  /** The raw query string without `?` (may be empty). */
  readonly query: string;
  /** Lower-case header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  /** The request's id (the client's sane `X-Request-Id` or a fresh one); every answer carries it back in `X-Request-Id`. */
  readonly requestId: string;
  /**
   * Reads the whole body. Rejects with GatewayError MCPGW_ERR_BODY_TOO_LARGE as
   * soon as more than `limitBytes` arrive (or Content-Length says so), without
   * buffering the rest; the answer the handler then sends closes the connection.
   * Rejects with MCPGW_ERR_CANCELLED if the client leaves first, and with
   * MCPGW_ERR_REQUEST_TIMEOUT if the body did not arrive within `requestTimeoutMs`
   * (the engine has then answered 408 itself). May be called after other awaits
   * (the engine holds bytes that arrive early). Call at most once.
   */
  readBody(limitBytes: number): Promise<Buffer>;
}

export interface HttpResponse {
  /** True once the response ended or the client disconnected. */
  readonly closed: boolean;
  /**
   * Called once if the client disconnects before the response ends (not after a
   * normal end). Registered after the client already left: called on the next microtask.
   */
  onAbort(listener: () => void): void;
  /**
   * Writes a complete response. The engine sets Content-Length and Date itself,
   * and the security headers of engine-support.ts the handler did not set.
   * Throws TypeError, before writing anything, on a header name or value node:http
   * would refuse (CR/LF in a value); so does startStream.
   */
  send(status: number, headers: Readonly<Record<string, string>>, body: string | Uint8Array): void;
  /**
   * Starts a streamed response (SSE); follow with `write` and `end`. The status
   * and headers leave with the first chunk (uWS cannot send them earlier): to
   * open a stream before there is anything to say, write e.g. an SSE comment.
   */
  startStream(status: number, headers: Readonly<Record<string, string>>): void;
  /**
   * Writes a chunk of a streamed response. Returns false if the client is gone
   * (`closed` is then true; the chunk is dropped) or if the output is backed up
   * (the chunk is kept and will be sent; slow down or drop a slow client). A
   * client so slow that more than `maxStreamBufferBytes` wait for it is cut
   * off: the connection closes and the abort listeners run, so one client that
   * never reads cannot hold the gateway's memory.
   * The engine may hold on to a Uint8Array until it is sent: do not reuse it.
   */
  write(chunk: string | Uint8Array): boolean;
  end(): void;
}

/**
 * A handler that throws, or returns a promise that rejects, gets a 500
 * MCPGW_ERR_INTERNAL answer (a stream is cut) and a process warning: a last line
 * of defence, not a way to report errors.
 */
export type RequestHandler = (request: HttpRequest, response: HttpResponse) => void;

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Request line plus headers, in bytes; a larger request gets 431 without reaching the handler. Default: the config default. */
  readonly maxHeaderBytes?: number;
  /** A request's headers and body must arrive within this, or it gets 408 and its connection is closed. Default: the config default. */
  readonly requestTimeoutMs?: number;
  /** Bytes a streamed response may have waiting for a client that does not read; beyond it the connection is cut. Default: the config default. */
  readonly maxStreamBufferBytes?: number;
  /** Where the engine adds the body bytes it reads and writes (see traffic.ts for what counts); none: not counted. */
  readonly traffic?: FrontDoorTraffic;
  /** Where request ids come from; one per gateway (a fresh generator when absent). */
  readonly requestIds?: RequestIds;
}

export interface HttpEngine {
  readonly name: 'uws' | 'node';
  /** Starts listening; resolves with the bound port. Rejects with MCPGW_ERR_LISTEN. */
  listen(options: ListenOptions, handler: RequestHandler): Promise<number>;
  /** Stops accepting new connections. Responses in progress may finish. */
  stopAccepting(): Promise<void>;
  /** Closes every connection, idle or not. */
  close(): Promise<void>;
  /** Connections to the listening port: read when metrics are collected, never on a request's path. */
  connections(): ConnectionCounts;
}
