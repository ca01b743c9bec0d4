/**
 * The 2025 revisions of Streamable HTTP on the gateway's front door:
 * `initialize` opens a session (`Mcp-Session-Id`), the GET stream carries the
 * gateway's notifications (list changes, updates of subscribed resources),
 * DELETE ends the session, idle sessions expire, and `notifications/cancelled`
 * reaches the call it names.
 *
 * In a cluster (`shared`), Streamable HTTP sessions live in Redis
 * (cluster/session-registry.ts): any instance continues a session another
 * opened, and what only one instance holds — the GET stream, a question to the
 * client — is reached from the others over the cluster's event bus. HTTP+SSE
 * (2024-11-05) sessions stay with the instance holding their stream.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError, toGatewayError } from '../errors.js';
import type { HttpRequest, HttpResponse } from '../front-door/engine.js';
import { dispatchShared, InFlight, SHARED_METHODS, type Arrival } from './dispatch.js';
import { HttpExchange, StreamExchange, type Exchange } from './exchange.js';
import { errorFrame, notificationFrame, requestFrame, resultFrame, type Inbound, type RpcRequest, type RpcResponse } from './jsonrpc.js';
import { jsonTextString, type JsonText } from '../json-text.js';
import type { ListStamp, McpService } from './mcp-service.js';
import type { Caller } from '../policy/caller.js';
import type { ResourceSubscriber, ResourceSubscriptions } from './resource-subscriptions.js';
import type { SessionEvent, SharedSessions } from '../cluster/session-registry.js';
import { LEGACY_TASK_METHODS } from './tasks.js';
import { canAnswer, missingCapability, negotiateLegacy } from './versions.js';

export interface LegacyOptions {
  readonly service: McpService;
  readonly subscriptions: ResourceSubscriptions;
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions?: string;
  /** A session with no request for this long is dropped. */
  readonly idleTimeoutMs: number;
  /** In a cluster: sessions shared with the other instances. */
  readonly shared?: SharedSessions;
}

interface Session {
  readonly id: string;
  /** `streamable`: Streamable HTTP (2025); `sse`: HTTP+SSE (2024-11-05), where every answer goes on the stream. */
  readonly transport: 'streamable' | 'sse';
  /** Who opened it; only the same principal may use it (a session id is not a credential). */
  readonly owner: Caller;
  protocolVersion: string | undefined;
  clientInfo: unknown;
  capabilities: unknown;
  readonly inFlight: InFlight;
  lastSeen: number;
  /** When the shared record's TTL was last renewed. */
  touchedAt: number;
  stream: HttpResponse | undefined;
  /** Recent events of the GET stream, for `Last-Event-ID` resumption after a dropped connection. */
  readonly history: { readonly id: number; readonly data: string }[];
  nextEventId: number;
  /** Requests the gateway sent this client (elicitation, sampling, roots), awaiting its answer. */
  readonly asked: Map<string, { resolve: (result: unknown) => void; reject: (error: GatewayError) => void }>;
  nextAskId: number;
  /** This session as a subscriber of resource updates (`resources/subscribe`). */
  readonly subscriber: ResourceSubscriber;
}

/** Rounds of input a single call may ask for before the gateway gives up on it. */
const MAX_INPUT_ROUNDS = 8;



/** Events kept per session for resumption; older ones are gone (the client re-lists). */
const HISTORY_LIMIT = 100;

/** The 2025 revisions add nothing to a list page. */
const LEGACY_LIST_STAMP: ListStamp = { era: 'legacy' };

const SESSION_HEADER = 'mcp-session-id';

export class LegacySessions {
  readonly #options: LegacyOptions;
  readonly #sessions = new Map<string, Session>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #shared: SharedSessions | undefined;
  readonly #unlisten: (() => void) | undefined;

  constructor(options: LegacyOptions) {
    this.#options = options;
    this.#shared = options.shared;
    this.#sweeper = setInterval(() => this.#expire(Date.now()), Math.max(1000, Math.min(60_000, options.idleTimeoutMs / 4)));
    this.#sweeper.unref();
    this.#unlisten = this.#shared?.onEvent((event) => this.#fromPeer(event));
  }

  /** What another instance sends this one's copy of a session. */
  #fromPeer(event: SessionEvent): void {
    const session = this.#sessions.get(event.sid);
    if (session === undefined) return;
    switch (event.t) {
      case 'session':
        // Only the instance holding the stream writes it (and keeps it for Last-Event-ID).
        if (session.stream !== undefined && !session.stream.closed) this.#send(session, event.data);
        return;
      case 'answer':
        this.#answered(session, event.response, false);
        return;
      case 'cancel':
        session.inFlight.cancel(event.requestId);
        return;
      case 'end':
        this.#drop(session);
        return;
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** POST /mcp: one JSON-RPC message of a 2025-era Streamable HTTP client. */
  async post(request: HttpRequest, inbound: Inbound, response: HttpResponse, caller: Caller, arrival: Arrival): Promise<void> {
    const exchange = new HttpExchange(response);
    try {
      if (inbound.kind === 'request' && inbound.message.method === 'initialize') {
        const problem = initializeProblem(inbound.message.params);
        // Refused before a session exists, with a 400 as the SDK servers do: a malformed initialize must not cost a session.
        if (problem !== undefined) {
          exchange.reply(400, errorFrame(inbound.message.id, new GatewayError('MCPGW_ERR_INVALID_PARAMS', problem)));
          return;
        }
        const session = this.#create('streamable', caller);
        this.#initialize(session, inbound.message.params);
        // Saved before the answer: the client's next request may land on another instance.
        await this.#shared?.save({ id: session.id, owner: caller.key, protocolVersion: session.protocolVersion, clientInfo: session.clientInfo, capabilities: session.capabilities });
        exchange.reply(200, resultFrame(inbound.message.id, JSON.stringify(this.#initializeResult(session))), { 'mcp-session-id': session.id });
        return;
      }
      await this.#handle(await this.#sessionAnywhere(request.headers[SESSION_HEADER], caller), inbound, exchange, caller, arrival);
    } catch (error) {
      replyError(exchange, inbound, toGatewayError(error));
    }
  }

  /** GET /sse: opens a 2024-11-05 HTTP+SSE session; the first event names where to POST. */
  openSseSession(response: HttpResponse, caller: Caller, messagesPath: string): void {
    const session = this.#create('sse', caller);
    session.stream = response;
    response.startStream(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' });
    response.write(`event: endpoint\ndata: ${messagesPath}?sessionId=${session.id}\n\n`);
    // The stream is the session: when it goes, so does the session.
    response.onAbort(() => this.#drop(session));
  }

  /** POST /messages?sessionId=…: acknowledged at once (202); the answer goes on the session's stream. */
  async postMessage(sessionId: string | undefined, inbound: Inbound, response: HttpResponse, caller: Caller, arrival: Arrival): Promise<void> {
    const session = this.#session(sessionId, caller);
    if (session.transport !== 'sse' || !session.stream) throw new GatewayError('MCPGW_ERR_UNKNOWN_SESSION', 'that session has no HTTP+SSE stream; use POST /mcp');
    response.send(202, {}, 'Accepted');
    const exchange = new StreamExchange(session.stream);
    try {
      if (inbound.kind === 'request' && inbound.message.method === 'initialize') {
        const problem = initializeProblem(inbound.message.params);
        if (problem !== undefined) throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', problem);
        this.#initialize(session, inbound.message.params);
        exchange.reply(200, resultFrame(inbound.message.id, JSON.stringify(this.#initializeResult(session))));
        return;
      }
      await this.#handle(session, inbound, exchange, caller, arrival);
    } catch (error) {
      replyError(exchange, inbound, toGatewayError(error));
    }
  }

  async #handle(session: Session, inbound: Inbound, exchange: Exchange, caller: Caller, arrival: Arrival): Promise<void> {
    session.lastSeen = arrival.receivedAt;
    this.#keepShared(session, arrival.receivedAt);
    if (inbound.kind === 'response') {
      this.#answered(session, inbound.message, true);
      exchange.empty(202);
      return;
    }
    if (inbound.kind !== 'request') {
      if (inbound.kind === 'notification' && inbound.message.method === 'notifications/cancelled') {
        session.inFlight.cancel(inbound.message.params.requestId);
        // The call may be running on another instance (its POST landed there).
        this.#shared?.publish({ t: 'cancel', sid: session.id, requestId: inbound.message.params.requestId });
      }
      exchange.empty(202);
      return;
    }
    const message = inbound.message;
    session.inFlight.add(message.id, exchange);
    try {
      exchange.reply(200, resultFrame(message.id, await this.#serve(session, message, exchange, caller, arrival)));
    } finally {
      session.inFlight.delete(message.id);
    }
  }

  /** GET: the session's stream for the gateway's own notifications. */
  async openStream(request: HttpRequest, response: HttpResponse, caller: Caller): Promise<void> {
    const session = await this.#sessionAnywhere(request.headers[SESSION_HEADER], caller);
    if (session.transport !== 'streamable') throw new GatewayError('MCPGW_ERR_UNKNOWN_SESSION', 'that session belongs to the HTTP+SSE transport');
    // One stream per session: a new GET replaces the old one.
    session.stream?.end();
    session.stream = response;
    response.startStream(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'mcp-session-id': session.id });
    // Headers go out with the first chunk; a comment opens the stream at once.
    response.write(': stream open\n\n');
    const lastEventId = Number(request.headers['last-event-id']);
    if (Number.isInteger(lastEventId)) for (const event of session.history) if (event.id > lastEventId) response.write(eventText(event.id, event.data));
    response.onAbort(() => {
      if (session.stream === response) session.stream = undefined;
    });
  }

  /** DELETE: ends the session; its calls in flight are cancelled. */
  async close(request: HttpRequest, caller: Caller): Promise<string> {
    const session = await this.#sessionAnywhere(request.headers[SESSION_HEADER], caller);
    this.#drop(session);
    // Every instance's copy goes too, with its calls in flight and its stream.
    if (session.transport === 'streamable') this.#shared?.remove(session.id);
    return session.id;
  }

  /** Tells every session with an open stream (whose owner is in `audience`, when given), e.g. `notifications/tools/list_changed`. */
  broadcast(method: string, params: Record<string, unknown> = {}, audience?: (owner: Caller) => boolean): void {
    const data = notificationFrame(method, params);
    // In a cluster every instance broadcasts the change itself: only the copy holding the stream tells the client.
    for (const session of this.#sessions.values()) {
      if (audience !== undefined && !audience(session.owner)) continue;
      if (this.#shared === undefined || this.#holdsStream(session)) this.#send(session, data);
    }
  }

  #holdsStream(session: Session): boolean {
    return session.stream !== undefined && !session.stream.closed;
  }

  /** Renews the shared record while the session is used (not on every request: a quarter of the TTL is plenty). */
  #keepShared(session: Session, now: number): void {
    if (this.#shared === undefined || session.transport !== 'streamable' || now - session.touchedAt < this.#options.idleTimeoutMs / 4) return;
    session.touchedAt = now;
    this.#shared.touch(session.id);
  }

  /** A notification on the session's stream (GET for Streamable HTTP, the session stream for HTTP+SSE). */
  #send(session: Session, data: string): void {
    if (session.transport === 'sse') {
      if (session.stream && !session.stream.closed) session.stream.write(`event: message\ndata: ${data}\n\n`);
      return;
    }
    // Another instance may hold the stream: it writes it there.
    if (this.#shared !== undefined && !this.#holdsStream(session)) {
      this.#shared.publish({ t: 'session', sid: session.id, data });
      return;
    }
    // Kept even while no stream is open: a client that reconnects with Last-Event-ID gets them.
    const event = { id: session.nextEventId++, data };
    session.history.push(event);
    if (session.history.length > HISTORY_LIMIT) session.history.shift();
    if (session.stream && !session.stream.closed) session.stream.write(eventText(event.id, data));
  }

  closeAll(): void {
    clearInterval(this.#sweeper);
    this.#unlisten?.();
    for (const session of [...this.#sessions.values()]) this.#drop(session);
  }

  async #serve(session: Session, message: RpcRequest, exchange: Exchange, caller: Caller, arrival: Arrival): Promise<JsonText> {
    switch (message.method) {
      case 'ping':
      case 'logging/setLevel':
        return '{}';
      case 'resources/subscribe':
        this.#options.subscriptions.subscribe(session.subscriber, message.params.uri as string, (uri) => this.#options.service.resourceOwner(uri, caller));
        return '{}';
      case 'resources/unsubscribe':
        if (typeof message.params.uri !== 'string') throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', 'resources/unsubscribe needs a string "uri"');
        this.#options.subscriptions.unsubscribe(session.subscriber, message.params.uri);
        return '{}';
    }
    if (!SHARED_METHODS.has(message.method) && !LEGACY_TASK_METHODS.has(message.method)) throw new GatewayError('MCPGW_ERR_METHOD_NOT_FOUND', `method "${message.method}" is not supported`);
    const context = { caller, clientCapabilities: session.capabilities ?? {}, onInputRequest: (method: string, params: unknown) => this.#ask(session, exchange, method, params), resends: true };
    let dispatched = await dispatchShared(this.#options.service, message, exchange, arrival, context, LEGACY_LIST_STAMP);
    // The era bridge: a 2026-07-28 upstream asks for input with a result; a 2025 client is asked with requests.
    for (let round = 0; dispatched.inputRequired; round++) {
      if (round === MAX_INPUT_ROUNDS) throw new GatewayError('MCPGW_ERR_UPSTREAM', `the upstream asked for input more than ${MAX_INPUT_ROUNDS} times in one call`);
      // Taken only after a call to a 2025 upstream, which never asks by result: never resent without its
      // arguments, and the client is not asked for what could not be used.
      if (message.payloadTaken) throw new GatewayError('MCPGW_ERR_UPSTREAM', 'the upstream asked for input by result although it was connected as a 2025 server; the call cannot be sent again');
      const asking = JSON.parse(jsonTextString(dispatched.resultJson)) as { inputRequests?: Record<string, { method: string; params?: unknown }>; requestState?: string };
      const inputResponses: Record<string, unknown> = {};
      for (const [key, request] of Object.entries(asking.inputRequests ?? {})) inputResponses[key] = await this.#ask(session, exchange, request.method, request.params);
      const params = { ...message.params, inputResponses, ...(asking.requestState === undefined ? {} : { requestState: asking.requestState }) };
      dispatched = await dispatchShared(this.#options.service, { ...message, params }, exchange, { ...arrival, receivedAt: Date.now() }, context, LEGACY_LIST_STAMP);
    }
    return dispatched.resultJson;
  }

  /** Sends the client a request on the call's own stream and waits for its answer (a POST of a JSON-RPC response). */
  #ask(session: Session, exchange: Exchange, method: string, params: unknown): Promise<unknown> {
    if (!canAnswer(session.capabilities, method)) return Promise.reject(missingCapability(method));
    // The instance's tag in the id: in a cluster, the answer may be posted to another instance.
    const id = this.#shared === undefined ? `mcpgw-${session.nextAskId++}` : `mcpgw-${this.#shared.instanceTag}-${session.nextAskId++}`;
    return new Promise((resolve, reject) => {
      session.asked.set(id, { resolve, reject });
      exchange.onAbort(() => {
        if (session.asked.delete(id)) reject(new GatewayError('MCPGW_ERR_CANCELLED', `the client went away while asked for ${method}`));
      });
      exchange.notify(requestFrame(id, method, params));
    });
  }

  #answered(session: Session, response: Pick<RpcResponse, 'id' | 'result' | 'error'>, relay: boolean): void {
    const waiting = session.asked.get(String(response.id));
    if (!waiting) {
      // Asked by another instance (its POST is held there): the answer goes to it.
      if (relay && this.#shared !== undefined) this.#shared.publish({ t: 'answer', sid: session.id, response: { id: response.id as string | number, ...(response.error ? { error: { code: response.error.code, message: response.error.message } } : { result: response.result }) } });
      return;
    }
    session.asked.delete(String(response.id));
    if (response.error) waiting.reject(new GatewayError('MCPGW_ERR_UPSTREAM', `the client refused the input request: ${response.error.message}`, { clientCode: response.error.code }));
    else waiting.resolve(response.result);
  }

  #create(transport: Session['transport'], owner: Caller, id: string = randomUUID()): Session {
    const session: Session = {
      subscriber: { resourceUpdated: (uri) => this.#send(session, notificationFrame('notifications/resources/updated', { uri })) },
      id,
      transport,
      owner,
      protocolVersion: undefined,
      clientInfo: undefined,
      capabilities: undefined,
      inFlight: new InFlight(),
      lastSeen: Date.now(),
      touchedAt: Date.now(),
      stream: undefined,
      history: [],
      nextEventId: 1,
      asked: new Map(),
      nextAskId: 1,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  #initialize(session: Session, params: Record<string, unknown>): void {
    session.protocolVersion = session.transport === 'sse' && params.protocolVersion === '2024-11-05' ? '2024-11-05' : negotiateLegacy(params.protocolVersion);
    session.clientInfo = params.clientInfo;
    session.capabilities = params.capabilities;
  }

  #initializeResult(session: Session): Record<string, unknown> {
    return {
      protocolVersion: session.protocolVersion,
      capabilities: { ...this.#options.service.capabilities('legacy', session.owner), logging: {} },
      serverInfo: this.#options.serverInfo,
      ...(this.#options.instructions ? { instructions: this.#options.instructions } : {}),
    };
  }

  /** The session here, or (in a cluster) one another instance opened, copied here from its record. */
  async #sessionAnywhere(id: string | undefined, caller: Caller): Promise<Session> {
    if (id === undefined || this.#shared === undefined || this.#sessions.has(id)) return this.#session(id, caller);
    const record = await this.#shared.load(id);
    // Another principal's session is reported exactly like a missing one.
    if (record === undefined || record.owner !== caller.key || this.#sessions.has(id)) return this.#session(id, caller);
    const session = this.#create('streamable', caller, id);
    session.protocolVersion = record.protocolVersion;
    session.clientInfo = record.clientInfo;
    session.capabilities = record.capabilities;
    return session;
  }

  #session(id: string | undefined, caller: Caller): Session {
    if (id === undefined) throw new GatewayError('MCPGW_ERR_SESSION_REQUIRED', 'missing Mcp-Session-Id header: send initialize first (or, for MCP 2026-07-28, the _meta envelope)');
    const session = this.#sessions.get(id);
    // Another principal's session is reported exactly like a missing one: its existence is not theirs to learn.
    if (!session || session.owner.key !== caller.key) throw new GatewayError('MCPGW_ERR_UNKNOWN_SESSION', 'unknown or expired session; initialize again');
    return session;
  }

  #drop(session: Session): void {
    this.#sessions.delete(session.id);
    this.#options.subscriptions.drop(session.subscriber);
    for (const waiting of session.asked.values()) waiting.reject(new GatewayError('MCPGW_ERR_CANCELLED', 'the session ended'));
    session.asked.clear();
    session.inFlight.cancelAll();
    session.stream?.end();
    session.stream = undefined;
  }

  #expire(now: number): void {
    for (const session of [...this.#sessions.values()]) {
      // A session whose client holds its stream open is in use, even without requests.
      const streaming = session.stream !== undefined && !session.stream.closed;
      // A held stream keeps the shared record alive too (the client may send nothing for a long time).
      if (streaming) this.#keepShared(session, now);
      // In a cluster this drops only this instance's copy; the record expires by its own TTL when no instance uses it.
      if (!streaming && now - session.lastSeen > this.#options.idleTimeoutMs) this.#drop(session);
    }
  }
}

/** What is wrong with `initialize` params (2025 and 2024-11-05 alike: protocolVersion, capabilities, clientInfo {name, version}), if anything. */
function initializeProblem(params: Record<string, unknown>): string | undefined {
  const problems: string[] = [];
  if (typeof params.protocolVersion !== 'string') problems.push('"protocolVersion" must be a string');
  if (!isPlainObject(params.capabilities)) problems.push('"capabilities" must be an object');
  const info = params.clientInfo;
  if (!isPlainObject(info)) problems.push('"clientInfo" must be an object');
  else if (typeof info.name !== 'string' || typeof info.version !== 'string') problems.push('"clientInfo" needs a string "name" and "version"');
  return problems.length === 0 ? undefined : `initialize: ${problems.join('; ')}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Session problems and malformed messages are HTTP errors; everything else is a JSON-RPC error on a 200. */
function replyError(exchange: Exchange, inbound: Inbound, error: GatewayError): void {
  const id = inbound.kind === 'request' ? inbound.message.id : null;
  const transportLevel = error.code === 'MCPGW_ERR_SESSION_REQUIRED' || error.code === 'MCPGW_ERR_UNKNOWN_SESSION' || error.code === 'MCPGW_ERR_BAD_JSON' || error.code === 'MCPGW_ERR_BAD_REQUEST';
  exchange.reply(transportLevel ? error.status : 200, errorFrame(id, error));
}

function eventText(id: number, data: string): string {
  return `id: ${id}\nevent: message\ndata: ${data}\n\n`;
}
