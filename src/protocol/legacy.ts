/**
 * The 2025 revisions of Streamable HTTP on the gateway's front door:
 * `initialize` opens a session (`Mcp-Session-Id`), the GET stream carries the
 * gateway's notifications (list changes), DELETE ends the session, idle
 * sessions expire, and `notifications/cancelled` reaches the call it names.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, toGatewayError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../front-door/engine.js';
import { dispatchShared, InFlight, SHARED_METHODS } from './dispatch.js';
import { Exchange } from './exchange.js';
import { errorFrame, notificationFrame, resultFrame, type Inbound } from './jsonrpc.js';
import type { McpService } from './mcp-service.js';
import { negotiateLegacy } from './versions.js';

export interface LegacyOptions {
  readonly service: McpService;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions?: string;
  /** A session with no request for this long is dropped. */
  readonly idleTimeoutMs: number;
}

interface Session {
  readonly id: string;
  readonly protocolVersion: string;
  readonly clientInfo: unknown;
  readonly capabilities: unknown;
  readonly inFlight: InFlight;
  lastSeen: number;
  stream: HttpResponse | undefined;
}

const SESSION_HEADER = 'mcp-session-id';

export class LegacySessions {
  readonly #options: LegacyOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: LegacyOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => this.#expire(Date.now()), Math.max(1000, Math.min(60_000, options.idleTimeoutMs / 2)));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** POST: one JSON-RPC message of a 2025-era client. */
  async post(request: HttpRequest, inbound: Inbound, response: HttpResponse, requestBytes: number, receivedAt: number): Promise<void> {
    const exchange = new Exchange(response);
    const id = inbound.kind === 'request' ? inbound.message.id : null;
    try {
      if (inbound.kind === 'request' && inbound.message.method === 'initialize') {
        const session = this.#open(inbound.message.params);
        exchange.reply(200, resultFrame(inbound.message.id, JSON.stringify(this.#initializeResult(session))), { 'mcp-session-id': session.id });
        return;
      }
      const session = this.#session(request);
      session.lastSeen = receivedAt;
      if (inbound.kind !== 'request') {
        if (inbound.kind === 'notification' && inbound.message.method === 'notifications/cancelled') session.inFlight.cancel(inbound.message.params.requestId);
        exchange.empty(202);
        return;
      }
      const message = inbound.message;
      session.inFlight.add(message.id, exchange);
      try {
        exchange.reply(200, resultFrame(message.id, await this.#serve(message, exchange, requestBytes, receivedAt)));
      } finally {
        session.inFlight.delete(message.id);
      }
    } catch (error) {
      const gatewayError = toGatewayError(error);
      const transportLevel = gatewayError.code === 'MCPGW_ERR_SESSION_REQUIRED' || gatewayError.code === 'MCPGW_ERR_UNKNOWN_SESSION' || gatewayError.code === 'MCPGW_ERR_BAD_JSON' || gatewayError.code === 'MCPGW_ERR_BAD_REQUEST';
      exchange.reply(transportLevel ? gatewayError.status : 200, errorFrame(id, gatewayError));
    }
  }

  /** GET: the session's stream for the gateway's own notifications. */
  openStream(request: HttpRequest, response: HttpResponse): void {
    const session = this.#session(request);
    // One stream per session: a new GET replaces the old one.
    session.stream?.end();
    session.stream = response;
    response.startStream(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'mcp-session-id': session.id });
    // Headers go out with the first chunk; a comment opens the stream at once.
    response.write(': stream open\n\n');
    response.onAbort(() => {
      if (session.stream === response) session.stream = undefined;
    });
  }

  /** DELETE: ends the session; its calls in flight are cancelled. */
  close(request: HttpRequest): string {
    const session = this.#session(request);
    this.#drop(session);
    return session.id;
  }

  /** Tells every session with an open stream, e.g. `notifications/tools/list_changed`. */
  broadcast(method: string, params: Record<string, unknown> = {}): void {
    const frame = `event: message\ndata: ${notificationFrame(method, params)}\n\n`;
    for (const session of this.#sessions.values()) if (session.stream && !session.stream.closed) session.stream.write(frame);
  }

  closeAll(): void {
    clearInterval(this.#sweeper);
    for (const session of [...this.#sessions.values()]) this.#drop(session);
  }

  async #serve(message: { id: string | number; method: string; params: Record<string, unknown> }, exchange: Exchange, requestBytes: number, receivedAt: number): Promise<string> {
    switch (message.method) {
      case 'ping':
      case 'logging/setLevel':
        return '{}';
    }
    if (!SHARED_METHODS.has(message.method)) throw new GatewayError('MCPGW_ERR_METHOD_NOT_FOUND', `method "${message.method}" is not supported`);
    const { resultJson } = await dispatchShared(this.#options.service, message, exchange, requestBytes, receivedAt);
    return resultJson;
  }

  #open(params: Record<string, unknown>): Session {
    const session: Session = {
      id: randomUUID(),
      protocolVersion: negotiateLegacy(params.protocolVersion),
      clientInfo: params.clientInfo,
      capabilities: params.capabilities,
      inFlight: new InFlight(),
      lastSeen: Date.now(),
      stream: undefined,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  #initializeResult(session: Session): Record<string, unknown> {
    return {
      protocolVersion: session.protocolVersion,
      capabilities: { tools: { listChanged: true }, resources: { listChanged: true }, prompts: { listChanged: true }, completions: {}, logging: {} },
      serverInfo: this.#options.serverInfo,
      ...(this.#options.instructions ? { instructions: this.#options.instructions } : {}),
    };
  }

  #session(request: HttpRequest): Session {
    const id = request.headers[SESSION_HEADER];
    if (id === undefined) throw new GatewayError('MCPGW_ERR_SESSION_REQUIRED', 'missing Mcp-Session-Id header: send initialize first (or, for MCP 2026-07-28, the _meta envelope)');
    const session = this.#sessions.get(id);
    if (!session) throw new GatewayError('MCPGW_ERR_UNKNOWN_SESSION', 'unknown or expired session; initialize again');
    return session;
  }

  #drop(session: Session): void {
    this.#sessions.delete(session.id);
    session.inFlight.cancelAll();
    session.stream?.end();
    session.stream = undefined;
  }

  #expire(now: number): void {
    for (const session of [...this.#sessions.values()]) {
      // A session whose client holds its stream open is in use, even without requests.
      const streaming = session.stream !== undefined && !session.stream.closed;
      if (!streaming && now - session.lastSeen > this.#options.idleTimeoutMs) this.#drop(session);
    }
  }
}
