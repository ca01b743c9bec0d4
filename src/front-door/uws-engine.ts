/**
 * HttpEngine on uWebSockets.js. uWS is fast because it hands JS short-lived
 * views of native memory; this module's job is to turn that into the safe,
 * asynchronous HttpRequest/HttpResponse pair the rest of the gateway expects.
 *
 * uWS rules this module exists to enforce (breaking any of them crashes the
 * process or silently loses data):
 * - the native request object dies when the handler returns: everything is
 *   copied synchronously;
 * - a response without an onAborted handler that outlives the handler tick
 *   aborts the process; a response touched after abort or end throws;
 * - request body bytes that arrive while no onData handler is registered are
 *   dropped, and onData's ArrayBuffer is neutered after the callback;
 * - writes outside the handler tick must be corked or each becomes a syscall.
 *
 * Limits: uWS hands over a request only once its headers are complete, and
 * bounds that itself (its 10 s idle timeout; a header block that spans reads
 * beyond 4 KiB, or holds more than about 50 headers, is dropped without an
 * answer: compiled into uWS). What it hands over is checked against
 * `maxHeaderBytes` here, and the body must then arrive within `requestTimeoutMs`.
 */
import { STATUS_CODES } from 'node:http';
import uWS from '@trufflesuite/uws-js-unofficial';
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse, TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { GatewayError, restErrorBody } from '../errors.js';
import {
  clientGone,
  ENGINE_ERROR_HEADERS,
  headersTooLarge,
  INTERNAL_ERROR_BODY,
  isThenable,
  reportHandlerFailure,
  requestLimits,
  requestTimedOut,
  runListeners,
  SECURITY_HEADERS,
  securityHeaderBit,
  type RequestLimits,
} from './engine-support.js';
import { REQUEST_ID_HEADER } from '../observability/request-id.js';
import type { HttpEngine, HttpRequest, HttpResponse, ListenOptions, RequestHandler } from './engine.js';
import { openConnectionsOnPort } from './socket-table.js';
import { FrontDoorTraffic, surfaceOf, type ConnectionCounts, type SurfaceIndex } from './traffic.js';

export function createUwsEngine(): HttpEngine {
  return new UwsEngine();
}

/**
 * True when the package loaded its native addon. The package silently swaps in
 * a slow pure-JS imitation when the addon does not load (or UWS_USE_FALLBACK is
 * set); that imitation lacks most of the API this engine relies on.
 */
export function isNativeUws(): boolean {
  return typeof uWS.App === 'function' && Function.prototype.toString.call(uWS.App).includes('[native code]');
}

/** `app.close()` exists at runtime since v20.x but is missing from the 20.30 typings. */
interface ClosableApp extends TemplatedApp {
  close?: () => void;
}

/** uWS wants a full status line; built once, as bytes (uWS copies a string through a malloc'd UTF-8 buffer, reads bytes in place). */
const STATUS_LINES: ReadonlyMap<number, Buffer> = new Map(Object.entries(STATUS_CODES).map(([code, text]) => [Number(code), Buffer.from(`${code} ${text ?? ''}`, 'latin1')]));

function statusLine(status: number): Buffer | string {
  return STATUS_LINES.get(status) ?? `${status} Unknown`;
}

/** Headers uWS writes itself: passing them on would duplicate them on the wire. */
function isEngineOwnedHeader(lowerName: string): boolean {
  return lowerName === 'content-length' || lowerName === 'transfer-encoding' || lowerName === 'date';
}

class UwsEngine implements HttpEngine {
  readonly name = 'uws' as const;
  #app: ClosableApp | undefined;
  #listenSocket: us_listen_socket | undefined;
  /** Only when the running build has no app.close(): the in-flight exchanges to force-close. */
  #inFlight: Set<UwsExchange> | undefined;
  #closedApp = false;
  #port = 0;

  listen(options: ListenOptions, handler: RequestHandler): Promise<number> {
    if (this.#app) return Promise.reject(new GatewayError('MCPGW_ERR_LISTEN', `this uws engine is already listening; create another engine to listen on ${options.host}:${options.port}`));
    const app: ClosableApp = uWS.App();
    this.#app = app;
    if (typeof app.close !== 'function') this.#inFlight = new Set();
    const inFlight = this.#inFlight;
    const limits = requestLimits(options);
    const traffic = options.traffic ?? new FrontDoorTraffic();
    app.any('/*', (res, req) => {
      const exchange = new UwsExchange(res, req, inFlight, limits, traffic);
      exchange.run(handler);
    });
    return new Promise((resolve, reject) => {
      app.listen(options.host, options.port, (listenSocket) => {
        if (listenSocket === false) {
          this.#app = undefined;
          reject(new GatewayError('MCPGW_ERR_LISTEN', `cannot listen on ${options.host}:${options.port}: the port is in use or the address is not available (uWebSockets.js gives no further reason)`));
          return;
        }
        this.#listenSocket = listenSocket;
        this.#port = uWS.us_socket_local_port(listenSocket);
        resolve(this.#port);
      });
    });
  }

  /** uWS calls JavaScript only for requests, so connections come from the kernel's socket table; arrivals cannot be counted. */
  connections(): ConnectionCounts {
    return { open: this.#port === 0 || this.#closedApp ? 0 : openConnectionsOnPort(this.#port), accepted: null };
  }

  async stopAccepting(): Promise<void> {
    const listenSocket = this.#listenSocket;
    this.#listenSocket = undefined;
    if (listenSocket !== undefined) uWS.us_listen_socket_close(listenSocket);
  }

  async close(): Promise<void> {
    await this.stopAccepting();
    const app = this.#app;
    if (app === undefined || this.#closedApp) return;
    // A second app.close() on the native side is not known to be safe.
    this.#closedApp = true;
    if (typeof app.close === 'function') {
      app.close();
      return;
    }
    // Without app.close() idle keep-alive sockets linger until uWS's own idle timeout (about 10 s).
    for (const exchange of [...(this.#inFlight ?? [])]) exchange.forceClose();
  }
}

type BodyWaiter = { resolve: (body: Buffer) => void; reject: (error: GatewayError) => void };

/**
 * One request and its response. The request half is a plain copy; the response
 * half guards every native call with `#closed`, since uWS throws on any touch
 * of a finished or aborted response.
 */
class UwsExchange implements HttpRequest, HttpResponse {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  readonly requestId: string;

  readonly #res: UwsResponse;
  readonly #inFlight: Set<UwsExchange> | undefined;
  readonly #limits: RequestLimits;
  readonly #traffic: FrontDoorTraffic;
  readonly #surface: SurfaceIndex;
  /** Stream bytes uWS may still be holding for the client: those written since the last write it took whole. */
  #backlogBytes = 0;
  /** Request line plus headers as they stood on the wire, near enough (uWS gives no byte count). */
  readonly #headerBytes: number;
  /** Writes during the handler's own tick are already corked by uWS. */
  #inHandlerTick = true;
  #closed = false;
  #aborted = false;
  #streaming = false;
  #watchingWritable = false;
  #abortListeners: (() => void)[] | undefined;

  readonly #declaredLength: number;
  #bodyChunks: Buffer[] = [];
  #bodyBytes = 0;
  #bodyComplete: boolean;
  #bodyLimit = -1;
  #bodyRead = false;
  #bodyWaiter: BodyWaiter | undefined;
  #paused = false;
  /** Runs while the body is still arriving: a client must not hold the request open at its own pace. */
  #bodyTimer: NodeJS.Timeout | undefined;
  /** Why the engine answered this request itself (the body did not arrive in time). */
  #failure: GatewayError | undefined;
  /** Set once the body was refused: the answer then closes the connection so the rest is never read. */
  #closeAfterResponse = false;

  constructor(res: UwsResponse, req: UwsRequest, inFlight: Set<UwsExchange> | undefined, limits: RequestLimits, traffic: FrontDoorTraffic) {
    this.#res = res;
    this.#inFlight = inFlight;
    this.#limits = limits;
    this.#traffic = traffic;
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.#surface = surfaceOf(this.path);
    this.query = req.getQuery() ?? '';
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    // "GET " + target + " HTTP/1.1\r\n", then "name: value\r\n" per header.
    let headerBytes = this.method.length + this.path.length + (this.query === '' ? 0 : this.query.length + 1) + 11;
    req.forEach((name, value) => {
      headerBytes += name.length + value.length + 4;
      const previous = headers[name];
      headers[name] = previous === undefined ? value : `${previous}, ${value}`;
    });
    this.headers = headers;
    this.requestId = limits.requestIds.of(headers[REQUEST_ID_HEADER]);
    this.#headerBytes = headerBytes;
    this.remoteAddress = canonicalAddress(Buffer.from(res.getRemoteAddressAsText()).toString('latin1'));

    const length = headers['content-length'];
    this.#declaredLength = length === undefined ? -1 : Number(length);
    // No Content-Length and no chunked encoding means no body at all, so uWS need not call us back for it.
    this.#bodyComplete = headers['transfer-encoding'] === undefined && this.#declaredLength <= 0;

    res.onAborted(() => this.#onAborted());
    // Registered now, not in readBody: bytes arriving before a handler exists are lost for good.
    if (!this.#bodyComplete) {
      res.onData((chunk, isLast) => this.#onData(chunk, isLast));
      this.#bodyTimer = setTimeout(() => this.#onBodyTimeout(), limits.requestTimeoutMs);
    }
    inFlight?.add(this);
  }

  run(handler: RequestHandler): void {
    if (this.#headerBytes > this.#limits.maxHeaderBytes) {
      const error = headersTooLarge(this.#limits.maxHeaderBytes);
      this.#closeAfterResponse = true;
      this.send(error.status, ENGINE_ERROR_HEADERS, restErrorBody(error));
      this.#inHandlerTick = false;
      return;
    }
    if (this.#ambiguousLength()) {
      this.forceClose();
      this.#inHandlerTick = false;
      return;
    }
    try {
      const result: unknown = handler(this, this);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#failHandler(error));
    } catch (error) {
      this.#failHandler(error);
    } finally {
      this.#inHandlerTick = false;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * uWS takes the first of several Content-Length headers, so `2` then `50`
   * frames a 2-byte body and serves the next 48 bytes as a request of their own
   * (smuggling past any proxy that takes the last); node refuses any repeat.
   * The refusal is a hard close, as uWS's own for other framing errors: uWS
   * serves the rest of the read before it honours a close asked for with an
   * answer, and drops what was written if the answer is held back instead.
   */
  #ambiguousLength(): boolean {
    const length = this.headers['content-length'];
    return length !== undefined && !/^\d+$/.test(length);
  }

  // ---- request body ------------------------------------------------------

  readBody(limitBytes: number): Promise<Buffer> {
    if (this.#bodyRead) return Promise.reject(new GatewayError('MCPGW_ERR_INTERNAL', 'readBody called twice for one request'));
    this.#bodyRead = true;
    this.#bodyLimit = limitBytes;
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#declaredLength > limitBytes) return Promise.reject(this.#refuseBody());
    if (this.#bodyBytes > limitBytes) return Promise.reject(this.#refuseBody());
    if (this.#bodyComplete) return Promise.resolve(this.#takeBody());
    if (this.#aborted) return Promise.reject(clientGone());
    return new Promise((resolve, reject) => {
      this.#bodyWaiter = { resolve, reject };
      this.#unpause();
    });
  }

  #onData(chunk: ArrayBuffer, isLast: boolean): void {
    // A refused body, or one nobody asked for before the answer went out: uWS still hands it over.
    if (this.#closeAfterResponse || (this.#closed && !this.#bodyRead)) return;
    const size = chunk.byteLength;
    if (this.#bodyLimit >= 0 && this.#bodyBytes + size > this.#bodyLimit) {
      this.#bodyWaiter?.reject(this.#refuseBody());
      this.#bodyWaiter = undefined;
      return;
    }
    // uWS neuters the ArrayBuffer when we return: keep a copy, never a view.
    if (size > 0) this.#bodyChunks.push(Buffer.from(new Uint8Array(chunk)));
    this.#bodyBytes += size;
    if (isLast) {
      this.#bodyComplete = true;
      this.#stopBodyTimer();
      const waiter = this.#bodyWaiter;
      this.#bodyWaiter = undefined;
      waiter?.resolve(this.#takeBody());
    } else if (!this.#bodyRead) {
      // Nobody asked for the body yet (the handler is awaiting something else): stop reading
      // from the socket rather than buffer a body whose limit we do not know.
      this.#pause();
    }
  }

  #takeBody(): Buffer {
    this.#traffic.requestBytes[this.#surface] += this.#bodyBytes;
    const chunks = this.#bodyChunks;
    this.#bodyChunks = [];
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#bodyBytes);
  }

  #stopBodyTimer(): void {
    if (this.#bodyTimer === undefined) return;
    clearTimeout(this.#bodyTimer);
    this.#bodyTimer = undefined;
  }

  /** The body did not arrive within requestTimeoutMs: answer 408 and close, whether or not the handler is waiting for it. */
  #onBodyTimeout(): void {
    this.#bodyTimer = undefined;
    if (this.#closed || this.#bodyComplete) return;
    const error = requestTimedOut(this.#limits.requestTimeoutMs);
    this.#failure = error;
    this.#closeAfterResponse = true;
    this.#bodyChunks = [];
    const waiter = this.#bodyWaiter;
    this.#bodyWaiter = undefined;
    // A stream already under way cannot turn into an error answer: cut it.
    if (this.#streaming) this.forceClose();
    else this.send(error.status, ENGINE_ERROR_HEADERS, restErrorBody(error));
    waiter?.reject(error);
  }

  #refuseBody(): GatewayError {
    this.#closeAfterResponse = true;
    this.#bodyChunks = [];
    // Stop reading the refused body now; the answer resumes the socket only to send and close.
    this.#pause();
    return new GatewayError('MCPGW_ERR_BODY_TOO_LARGE', `the request body exceeds the limit of ${this.#bodyLimit} bytes`, { limitBytes: this.#bodyLimit });
  }

  // ---- response ------------------------------------------------------------

  onAbort(listener: () => void): void {
    if (this.#aborted) {
      queueMicrotask(listener);
      return;
    }
    if (this.#closed) return;
    (this.#abortListeners ??= []).push(listener);
  }

  send(status: number, headers: Readonly<Record<string, string>>, body: string | Uint8Array): void {
    if (this.#closed || this.#streaming) return;
    const head = headOf(headers);
    this.#corked(() => {
      // uWS writes `Connection: close` itself when asked to close.
      const closeConnection = this.#writeHead(status, head);
      this.#finish();
      // uWS would send a body even to HEAD, desynchronising the keep-alive connection. Not endWithoutBody(length):
      // in 20.30 it leaves the response pending, and the next request on the connection kills it.
      if (this.method === 'HEAD') return void this.#res.end(undefined, closeConnection);
      // Encoded once here, counted and handed over as bytes: a string would be measured twice and copied through malloc.
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      this.#traffic.responseBytes[this.#surface] += bytes.byteLength;
      // end() copies whatever the socket cannot take now into uWS's own buffer and drains it itself.
      this.#res.end(bytes, closeConnection);
    });
  }

  startStream(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.#closed || this.#streaming) return;
    const head = headOf(headers);
    this.#streaming = true;
    this.#unpause();
    this.#corked(() => {
      // Asking end() to close would make uWS write its header into the chunked body, so a
      // stream can only announce the close and leave the hanging up to the client.
      if (this.#writeHead(status, head)) this.#res.writeHeader('connection', 'close');
    });
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.#closed || !this.#streaming) return false;
    if (chunk.length === 0 || this.method === 'HEAD') return true;
    // As in send(): encoded once, counted and handed over as bytes.
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const bytes = data.byteLength;
    this.#traffic.responseBytes[this.#surface] += bytes;
    let ok = true;
    // uWS keeps whatever part the socket refuses (nothing is lost); false only means "slow down".
    this.#corked(() => {
      ok = this.#res.write(data);
    });
    // A write that returns true left nothing queued; each refused one adds to what waits (uWS tells no more).
    if (ok) {
      this.#backlogBytes = 0;
      return true;
    }
    this.#backlogBytes += bytes;
    if (this.#backlogBytes > this.#limits.maxStreamBufferBytes) {
      this.forceClose();
      return false;
    }
    if (!this.#watchingWritable && !this.#closed) this.#watchWritable();
    return false;
  }

  /**
   * Once a write was refused, uWS 20.30 arms a 10 s socket timeout that later
   * successful writes never disarm: an SSE stream that was backed up once would
   * be cut 10 s after it drained, however busy. Writable events disarm it, but
   * registering onWritable also stops uWS from draining its buffer by itself,
   * so the handler drains it: an empty cork flushes the buffer on uncork.
   */
  #watchWritable(): void {
    this.#watchingWritable = true;
    this.#res.onWritable(() => {
      if (!this.#closed) this.#res.cork(noop);
      return true;
    });
  }

  end(): void {
    if (this.#closed || !this.#streaming) return;
    this.#corked(() => {
      this.#finish();
      this.#res.end();
    });
  }

  /** Writes status and headers except `connection: close`; returns whether the connection must close. */
  #writeHead(status: number, head: ResponseHead): boolean {
    const res = this.#res;
    res.writeStatus(statusLine(status));
    const lines = head.lines;
    for (let i = 0; i < lines.length; i += 2) res.writeHeader(lines[i]!, lines[i + 1]!);
    res.writeHeader(REQUEST_ID_NAME, this.requestId);
    return this.#closeAfterResponse || head.close;
  }

  #corked(write: () => void): void {
    if (this.#inHandlerTick) write();
    else this.#res.cork(write);
  }

  #pause(): void {
    if (this.#paused || this.#closed) return;
    this.#paused = true;
    this.#res.pause();
  }

  /** Once an answer starts, a paused socket would never read the next request on this connection. */
  #unpause(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (!this.#aborted) this.#res.resume();
  }

  #finish(): void {
    this.#unpause();
    this.#stopBodyTimer();
    this.#closed = true;
    this.#abortListeners = undefined;
    this.#inFlight?.delete(this);
  }

  #onAborted(): void {
    this.#aborted = true;
    const wasClosed = this.#closed;
    const listeners = this.#abortListeners;
    this.#finish();
    this.#bodyChunks = [];
    this.#bodyWaiter?.reject(clientGone());
    this.#bodyWaiter = undefined;
    if (wasClosed || listeners === undefined) return;
    runListeners(listeners);
  }

  /** A last line of defence, not error handling: one faulty request must not take the gateway down, but the bug must show. */
  #failHandler(error: unknown): void {
    reportHandlerFailure(error);
    if (this.#closed) return;
    // Half a stream cannot turn into an error answer: cut it so the client sees it fail.
    if (this.#streaming) this.forceClose();
    else this.send(500, ENGINE_ERROR_HEADERS, INTERNAL_ERROR_BODY);
  }

  /** Drops the connection (engine close, or a handler that failed mid-stream). */
  forceClose(): void {
    if (this.#closed) return;
    // close() runs onAborted synchronously, which fires the abort listeners.
    this.#res.close();
  }
}

function noop(): void {}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

/** What #writeHead writes for a header set: name, value, name, value … (the security headers it lacks added), and whether it asks to close. */
interface ResponseHead {
  readonly lines: readonly (string | Buffer)[];
  readonly close: boolean;
}

const REQUEST_ID_NAME = Buffer.from(REQUEST_ID_HEADER, 'latin1');

/**
 * A header set checked and laid out for uWS. uWS copies header bytes
 * verbatim, so a value holding CR/LF could end the header block early
 * (response splitting). node:http throws on these; so do we, before anything
 * is written, so that the caller can still answer. A frozen set cannot change:
 * it is laid out once, as bytes (the common answers reuse a few constant ones).
 */
function headOf(headers: Readonly<Record<string, string>>): ResponseHead {
  const known = PREPARED_HEADS.get(headers);
  if (known !== undefined) return known;
  const frozen = Object.isFrozen(headers);
  // As UTF-8, as uWS would encode the string itself.
  const encode = frozen ? (text: string) => Buffer.from(text) : (text: string) => text;
  const lines: (string | Buffer)[] = [];
  let close = false;
  let present = 0;
  for (const name in headers) {
    const value: unknown = headers[name];
    if (!HEADER_NAME.test(name)) throw new TypeError(`invalid HTTP header name ${JSON.stringify(name)}`);
    if (typeof value !== 'string' || HEADER_VALUE_FORBIDDEN.test(value)) throw new TypeError(`invalid value for HTTP header "${name}"`);
    const lower = name.toLowerCase();
    if (isEngineOwnedHeader(lower) || lower === REQUEST_ID_HEADER) continue;
    if (lower === 'connection' && value.toLowerCase() === 'close') {
      close = true;
      continue;
    }
    present |= securityHeaderBit(lower);
    lines.push(encode(name), encode(value));
  }
  for (let i = 0; i < SECURITY_HEADERS.length; i++) if ((present & (1 << i)) === 0) lines.push(encode(SECURITY_HEADERS[i]![0]), encode(SECURITY_HEADERS[i]![1]));
  const head: ResponseHead = { lines, close };
  if (frozen) PREPARED_HEADS.set(headers, head);
  return head;
}

const PREPARED_HEADS = new WeakMap<Readonly<Record<string, string>>, ResponseHead>();

/**
 * uWS prints IPv6 in full (`0000:…:ffff:7f00:0001`); node:http prints the
 * short form and keeps IPv4 in dotted form. Both engines report the latter.
 */
function canonicalAddress(text: string): string {
  if (!text.includes(':')) return text;
  const groups = text.split(':');
  if (groups.length !== 8) return stripMappedPrefix(text);
  const words = groups.map((group) => parseInt(group, 16));
  if (words.some((word) => Number.isNaN(word))) return text;
  if (words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff) {
    return `${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`;
  }
  // Compress the longest run of two or more zero groups, as RFC 5952 asks.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (words[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && words[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end;
  }
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function stripMappedPrefix(text: string): string {
  return text.toLowerCase().startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}
