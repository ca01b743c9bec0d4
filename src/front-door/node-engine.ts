/**
 * HttpEngine on node:http: runs everywhere uWebSockets.js does not load, and
 * serves as the reference behaviour the uWS engine is tested against.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayError, restErrorBody } from '../errors.js';
import {
  clientGone,
  ENGINE_ERROR_HEADERS,
  headersTooLarge,
  INTERNAL_ERROR_BODY,
  isThenable,
  rawErrorResponse,
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
import { FrontDoorTraffic, surfaceOf, type ConnectionCounts, type SurfaceIndex } from './traffic.js';

export function createNodeEngine(): HttpEngine {
  return new NodeEngine();
}

/** Same as node's default; said out loud because clients and proxies tune their pools against it. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Slow-loris bound: the whole header block must arrive within this (or within requestTimeoutMs, if shorter). */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * How often node enforces the two timeouts (default 30 s, too coarse for a
 * 10 s bound): a quarter of the shorter one, so a timeout fires at most 25% late.
 */
function timeoutCheckInterval(limits: RequestLimits): number {
  return Math.max(25, Math.min(2_000, Math.floor(Math.min(HEADERS_TIMEOUT_MS, limits.requestTimeoutMs) / 4)));
}

class NodeEngine implements HttpEngine {
  readonly name = 'node' as const;
  #server: Server | undefined;
  #closed: Promise<void> | undefined;
  /** The latest exchange on each connection, for node's request timeout, which names only the socket. */
  readonly #exchanges = new WeakMap<Duplex, NodeExchange>();
  /** Connections whose parser failed while an earlier answer was still being made: closed once it is sent. */
  readonly #closingAfterAnswer = new WeakSet<Duplex>();
  #open = 0;
  #accepted = 0;
  /** One function for every socket's close, not a closure per connection. */
  readonly #onConnectionClose = (): void => void this.#open--;

  listen(options: ListenOptions, handler: RequestHandler): Promise<number> {
    if (this.#server) return Promise.reject(new GatewayError('MCPGW_ERR_LISTEN', `this node engine is already listening; create another engine to listen on ${options.host}:${options.port}`));
    const limits = requestLimits(options);
    const traffic = options.traffic ?? new FrontDoorTraffic();
    const server = createServer({
      noDelay: true,
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, limits.requestTimeoutMs),
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: timeoutCheckInterval(limits),
      // node answers a missing Host itself with an empty text/plain 400; the 'request' listener answers it in JSON.
      requireHostHeader: false,
    });
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.on('connection', (socket: Duplex) => {
      this.#accepted++;
      this.#open++;
      socket.once('close', this.#onConnectionClose);
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const exchange = new NodeExchange(req, res, limits, traffic);
      this.#exchanges.set(req.socket, exchange);
      // RFC 9112 §3.2: a server must refuse an HTTP/1.1 request without Host (node's own check, moved here).
      if (req.httpVersionMajor === 1 && req.httpVersionMinor === 1 && req.headers.host === undefined) exchange.refuse(new GatewayError('MCPGW_ERR_BAD_REQUEST', 'an HTTP/1.1 request needs a Host header'));
      else exchange.run(handler);
    });
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => this.#onClientError(error, socket, limits));
    this.#server = server;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => {
        this.#server = undefined;
        reject(new GatewayError('MCPGW_ERR_LISTEN', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, undefined, { cause: error }));
      };
      server.once('error', onError);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off('error', onError);
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : options.port);
      });
    });
  }

  /**
   * node:http gave up on a request (headers too large, too slow, malformed).
   * Listening for this replaces node's own plain-text answers with coded JSON
   * ones; a request already handed to a handler is answered through its exchange.
   */
  #onClientError(error: NodeJS.ErrnoException, socket: Duplex, limits: RequestLimits): void {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const coded =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? headersTooLarge(limits.maxHeaderBytes)
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? requestTimedOut(limits.requestTimeoutMs)
          : new GatewayError('MCPGW_ERR_BAD_REQUEST', `malformed HTTP request (${error.code ?? error.message})`);
    if (coded.code === 'MCPGW_ERR_REQUEST_TIMEOUT' && this.#exchanges.get(socket)?.timeOut(coded) === true) return;
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    // The bad bytes follow a complete request whose answer is still being made. Answers leave in request order, so an
    // error written now would be read as that request's answer (and a tool call that ran would look refused): let the
    // answer finish, then close; the bytes node could not parse get none.
    if (inFlight != null && !inFlight.writableEnded && inFlight.req.complete) {
      if (this.#closingAfterAnswer.has(socket)) return;
      this.#closingAfterAnswer.add(socket);
      if (!inFlight.headersSent) inFlight.shouldKeepAlive = false;
      const close = (): void => void socket.destroy();
      inFlight.once('finish', close).once('close', close);
      return;
    }
    // A response already under way cannot be followed by another on the same bytes.
    if (inFlight == null || !inFlight.headersSent) socket.write(rawErrorResponse(coded, limits.requestIds.next()));
    socket.destroy();
  }

  connections(): ConnectionCounts {
    return { open: this.#open, accepted: this.#accepted };
  }

  async stopAccepting(): Promise<void> {
    const server = this.#server;
    if (server === undefined || this.#closed !== undefined) return;
    // Resolves only once every connection is gone, which is close()'s business, not ours.
    this.#closed = new Promise((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await this.stopAccepting();
    server.closeAllConnections();
    await this.#closed;
  }
}

type BodyWaiter = { resolve: (body: Buffer) => void; reject: (error: GatewayError) => void };

class NodeExchange implements HttpRequest, HttpResponse {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
  readonly requestId: string;

  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #ended = false;
  #aborted = false;
  #streaming = false;
  #bodyRead = false;
  /** Fails the body read in progress, if any. */
  #failBody: ((error: GatewayError) => void) | undefined;
  /** Why the engine answered this request itself (the body did not arrive in time). */
  #failure: GatewayError | undefined;
  #abortListeners: (() => void)[] | undefined;
  /** Set once the body was refused: the answer then closes the connection so the rest is never read. */
  #closeAfterResponse = false;

  readonly #maxStreamBuffer: number;
  readonly #traffic: FrontDoorTraffic;
  readonly #surface: SurfaceIndex;

  constructor(req: IncomingMessage, res: ServerResponse, limits: RequestLimits, traffic: FrontDoorTraffic) {
    this.#maxStreamBuffer = limits.maxStreamBufferBytes;
    this.#traffic = traffic;
    this.#req = req;
    this.#res = res;
    this.method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    this.path = mark < 0 ? url : url.slice(0, mark);
    this.query = mark < 0 ? '' : url.slice(mark + 1);
    this.#surface = surfaceOf(this.path);
    // Built from rawHeaders rather than req.headers: node drops some repeated headers
    // and joins others with '; ', while both engines must join every repeat with ', '.
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const previous = headers[name];
      headers[name] = previous === undefined ? raw[i + 1]! : `${previous}, ${raw[i + 1]!}`;
    }
    this.headers = headers;
    this.requestId = limits.requestIds.of(headers[REQUEST_ID_HEADER]);
    const address = req.socket.remoteAddress ?? '';
    this.remoteAddress = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
    res.once('close', () => this.#onClose());
  }

  run(handler: RequestHandler): void {
    try {
      const result: unknown = handler(this, this);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#failHandler(error));
    } catch (error) {
      this.#failHandler(error);
    }
  }

  get closed(): boolean {
    return this.#ended || this.#aborted || this.#res.destroyed;
  }

  // ---- request body ------------------------------------------------------

  readBody(limitBytes: number): Promise<Buffer> {
    if (this.#bodyRead) return Promise.reject(new GatewayError('MCPGW_ERR_INTERNAL', 'readBody called twice for one request'));
    this.#bodyRead = true;
    const declared = this.headers['content-length'];
    if (declared !== undefined && Number(declared) > limitBytes) return Promise.reject(this.#refuseBody(limitBytes));
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const req = this.#req;
    if (this.#aborted || req.destroyed) return Promise.reject(clientGone());
    return new Promise((resolve, reject) => {
      const waiter: BodyWaiter = { resolve, reject };
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limitBytes) {
          cleanup();
          // Stop pulling bytes off the socket; the answer will close the connection.
          req.pause();
          waiter.reject(this.#refuseBody(limitBytes));
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        this.#traffic.requestBytes[this.#surface] += size;
        waiter.resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      };
      const onClose = (): void => {
        cleanup();
        waiter.reject(clientGone());
      };
      const cleanup = (): void => {
        this.#failBody = undefined;
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('close', onClose);
      };
      this.#failBody = (error) => {
        cleanup();
        waiter.reject(error);
      };
      req.on('data', onData);
      req.on('end', onEnd);
      // 'close' comes after 'end' on success, so reaching it first means the client left mid-body.
      req.on('close', onClose);
    });
  }

  /**
   * node's requestTimeout fired while this request's body was still arriving:
   * answer 408 and close. False when the answer is already under way (node then drops the connection).
   */
  timeOut(error: GatewayError): boolean {
    if (this.closed || this.#streaming) return false;
    this.#failure = error;
    this.#closeAfterResponse = true;
    this.send(408, ENGINE_ERROR_HEADERS, restErrorBody(error));
    this.#failBody?.(error);
    return true;
  }

  /** The engine refuses the request itself (before any handler) and closes the connection: its body, if any, is never read. */
  refuse(error: GatewayError): void {
    this.#closeAfterResponse = true;
    this.send(error.status, ENGINE_ERROR_HEADERS, restErrorBody(error));
  }

  #refuseBody(limitBytes: number): GatewayError {
    this.#closeAfterResponse = true;
    return new GatewayError('MCPGW_ERR_BODY_TOO_LARGE', `the request body exceeds the limit of ${limitBytes} bytes`, { limitBytes });
  }

  // ---- response ------------------------------------------------------------

  onAbort(listener: () => void): void {
    if (this.#aborted) {
      queueMicrotask(listener);
      return;
    }
    if (this.#ended) return;
    (this.#abortListeners ??= []).push(listener);
  }

  send(status: number, headers: Readonly<Record<string, string>>, body: string | Uint8Array): void {
    if (this.closed || this.#streaming) return;
    const flat = this.#headerList(headers);
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    flat.push('content-length', String(length));
    // Throws on invalid header names or values, before anything is sent: the caller may still answer.
    this.#res.writeHead(status, flat);
    this.#ended = true;
    if (this.method !== 'HEAD') this.#traffic.responseBytes[this.#surface] += length;
    this.#res.end(body);
  }

  startStream(status: number, headers: Readonly<Record<string, string>>): void {
    if (this.closed || this.#streaming) return;
    // Headers leave with the first write, as on uWS, which cannot send them any earlier.
    this.#res.writeHead(status, this.#headerList(headers));
    this.#streaming = true;
  }

  write(chunk: string | Uint8Array): boolean {
    if (this.closed || !this.#streaming) return false;
    if (chunk.length === 0) return true;
    if (this.method !== 'HEAD') this.#traffic.responseBytes[this.#surface] += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    // false means node buffered the chunk and the socket is backed up: slow down.
    const ok = this.#res.write(chunk);
    if (!ok && this.#res.writableLength > this.#maxStreamBuffer) this.#res.destroy();
    return ok && !this.closed;
  }

  end(): void {
    if (this.closed || !this.#streaming) return;
    this.#ended = true;
    this.#res.end();
  }

  /** Flat [name, value, ...] list: the cheapest form writeHead takes. */
  #headerList(headers: Readonly<Record<string, string>>): string[] {
    const flat: string[] = [];
    let present = 0;
    for (const name in headers) {
      const lower = name.toLowerCase();
      // node frames the body itself; a caller's length or encoding could only contradict it.
      if (lower === 'content-length' || lower === 'transfer-encoding') continue;
      if (lower === 'connection' && this.#closeAfterResponse) continue;
      if (lower === REQUEST_ID_HEADER) continue;
      present |= securityHeaderBit(lower);
      flat.push(name, headers[name]!);
    }
    for (let i = 0; i < SECURITY_HEADERS.length; i++) if ((present & (1 << i)) === 0) flat.push(SECURITY_HEADERS[i]![0], SECURITY_HEADERS[i]![1]);
    flat.push(REQUEST_ID_HEADER, this.requestId);
    if (this.#closeAfterResponse) flat.push('connection', 'close');
    return flat;
  }

  #onClose(): void {
    if (this.#ended) return;
    this.#aborted = true;
    const listeners = this.#abortListeners;
    this.#abortListeners = undefined;
    if (listeners === undefined) return;
    runListeners(listeners);
  }

  /** A last line of defence, not error handling: one faulty request must not take the gateway down, but the bug must show. */
  #failHandler(error: unknown): void {
    reportHandlerFailure(error);
    if (this.closed) return;
    // Half a stream cannot turn into an error answer: cut it so the client sees it fail.
    if (this.#streaming) this.#res.destroy();
    else this.send(500, ENGINE_ERROR_HEADERS, INTERNAL_ERROR_BODY);
  }
}

