/**
 * A stdio MCP server that forwards to a remote MCP server over Streamable
 * HTTP, for clients that can only launch stdio servers. Backs
 * `mcp-gateway connect <url>`, and is usable on its own:
 *
 *   const bridge = await startStdioBridge({ url: 'http://127.0.0.1:4000/mcp', headers: { 'x-api-key': key } });
 *   await bridge.closed; // the stdio client hung up
 *
 * The stdio side speaks both protocol eras to whatever client launched it
 * (`serveStdio` picks the era from the opening message); the remote side is
 * one SDK `Client` whose era follows `protocol` (default `auto`).
 *
 * Forwarded: tools/list, tools/call, resources/list, resources/templates/list,
 * resources/read, prompts/list, prompts/get, completion/complete. Results pass
 * through unvalidated; progress comes back under the stdio client's own
 * progressToken; a cancelled stdio request aborts its remote request; the
 * remote's list_changed notifications reach the stdio client (a legacy
 * remote's unsolicited ones, or a modern remote's `subscriptions/listen`).
 * A modern remote's `input_required` (elicitation, sampling, roots) reaches a
 * 2026-07-28 stdio client as it is; a 2025 stdio client is asked with real
 * requests by the bridge, which then retries. The stdio client's declared
 * capabilities travel in the envelope, so the remote knows what it may ask.
 * Not relayed: resource subscriptions, logging.
 *
 * The remote is connected before the stdio side opens, so a bad URL or a
 * rejected credential fails `startStdioBridge` at once. Later, a request that
 * finds the remote gone gets a JSON-RPC error naming it, and the next request
 * reconnects. A request that surely never reached the remote (connection
 * refused, an expired 2025 session) is retried once on a fresh connection.
 *
 * Nothing but JSON-RPC is written to stdout; `log` (default: stderr) gets the rest.
 */
import { CLIENT_CAPABILITIES_META_KEY, Client, ProtocolError as ClientProtocolError, SdkError, SdkErrorCode, SdkHttpError, SERVER_INFO_META_KEY, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Implementation as ClientImplementation, McpSubscription, Progress, RequestOptions, ServerCapabilities as RemoteCapabilities, StandardSchemaV1, SubscriptionFilter } from '@modelcontextprotocol/client';
import { ProtocolError, ProtocolErrorCode, Server } from '@modelcontextprotocol/server';
import type { JSONRPCMessage, Result, ServerCapabilities, ServerContext, Transport } from '@modelcontextprotocol/server';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { VERSION } from '../version.js';

export const MODERN_PROTOCOL = '2026-07-28';
/** `auto`: probe with `server/discover`, fall back to `initialize`; a version: modern only; `legacy`: `initialize` only. */
export const REMOTE_PROTOCOLS = ['auto', MODERN_PROTOCOL, 'legacy'] as const;
export type RemoteProtocol = (typeof REMOTE_PROTOCOLS)[number];

/** The requests the bridge forwards; anything else gets -32601 from the bridge itself. */
export const FORWARDED_METHODS: ReadonlySet<string> = new Set([
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
]);

export interface StdioBridgeOptions {
  /** The remote's Streamable HTTP endpoint, e.g. `http://127.0.0.1:4000/mcp`. */
  readonly url: string | URL;
  /** Sent on every HTTP request to the remote (an API key, `Authorization`, …). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Default `auto`. */
  readonly protocol?: RemoteProtocol;
  /** The stdio side. Default: this process's stdin/stdout. */
  readonly transport?: Transport;
  /** Diagnostics, one line per call, no newline. Default: stderr. Never stdout. */
  readonly log?: (line: string) => void;
  /** Budget for connecting (probe/initialize), and for re-connecting. Default 30 s. */
  readonly connectTimeoutMs?: number;
  /**
   * Budget for one forwarded request, restarted by each progress notification.
   * The stdio client keeps its own timeout and cancels when it gives up; this
   * only bounds a remote that went silent. Default 1 hour.
   */
  readonly requestTimeoutMs?: number;
  /** How the bridge introduces itself to the remote. Default `mcp-gateway-connect` and the package version. */
  readonly clientInfo?: ClientImplementation;
}

/** What the bridge's current remote connection negotiated. */
export interface RemoteInfo {
  readonly url: string;
  readonly era: 'modern' | 'legacy';
  readonly protocolVersion: string | undefined;
  readonly serverInfo: ClientImplementation | undefined;
  readonly capabilities: RemoteCapabilities | undefined;
  readonly instructions: string | undefined;
}

export interface StdioBridge {
  /** The remote as of the latest (re)connection. */
  readonly remote: RemoteInfo;
  /** Resolves once the bridge has shut down: the stdio client closed stdin, or `close()` ran. */
  readonly closed: Promise<void>;
  /** Stops serving stdio and closes the remote connection (a 2025 session is ended). Idempotent. */
  close(): Promise<void>;
}

/** The remote could not be reached or refused the bridge; `message` says which and what to do. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  /** HTTP status, when the remote answered with one. */
  readonly status: number | undefined;
  constructor(
    readonly url: string,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
  }
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60 * 60_000;
/** Rounds of input_required the bridge fulfils for a 2025 client before giving up (the SDK's own shim allows 8). */
const MAX_INPUT_ROUNDS = 8;
/** Bound on each goodbye to the remote (closing the listen stream, ending a 2025 session). */
const GOODBYE_MS = 2_000;

type ListKind = 'tools' | 'resources' | 'prompts';
const LIST_KINDS: readonly ListKind[] = ['tools', 'resources', 'prompts'];
const LISTEN_FILTER_KEYS = { tools: 'toolsListChanged', resources: 'resourcesListChanged', prompts: 'promptsListChanged' } as const;

/** Results go back to the stdio client exactly as the remote sent them. */
const PASSTHROUGH: StandardSchemaV1<unknown, Result> = {
  '~standard': { version: 1, vendor: 'mcp-gateway', validate: (value: unknown) => ({ value: value as Result }) },
};

/**
 * Connects to the remote (throwing a `RemoteError` if it cannot), then serves
 * MCP on stdio until the stdio client closes it or `close()` is called.
 */
export async function startStdioBridge(options: StdioBridgeOptions): Promise<StdioBridge> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const servers = new Set<Server>();
  const link = new RemoteLink(options, log, (kinds) => {
    for (const server of servers) for (const kind of kinds) void notifyListChanged(server, kind, log);
  });
  await link.connect();

  const { wire, closed: wireClosed } = watchClose(options.transport ?? new StdioServerTransport());
  const handle = serveStdio(
    ({ era }) => {
      const remote = link.info;
      const server = new Server(remote.serverInfo ?? { name: 'mcp-gateway-connect', version: VERSION }, {
        capabilities: bridgedCapabilities(remote.capabilities),
        ...(remote.instructions === undefined ? {} : { instructions: remote.instructions }),
      });
      const connection: StdioConnection = { server, era: era === 'modern' ? 'modern' : 'legacy' };
      server.fallbackRequestHandler = (request, ctx) => forward(link, connection, request.method, request.params, ctx);
      server.onclose = () => void servers.delete(server);
      servers.add(server);
      return server;
    },
    { transport: wire, onerror: (error) => log(`stdio: ${error.message}`) },
  );

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await handle.close().catch((error: unknown) => log(`closing stdio: ${messageOf(error)}`));
      await link.close();
    })());
  // The stdio client hanging up ends the bridge too.
  const closed = wireClosed.then(close);
  return {
    get remote() {
      return link.info;
    },
    closed,
    close: async () => {
      await close();
      await closed;
    },
  };
}

/** One stdio connection's server instance, and the era its client speaks. */
interface StdioConnection {
  readonly server: Server;
  readonly era: 'modern' | 'legacy';
}

/** Forwards one stdio request; the stdio client's cancellation and progress cross over. */
async function forward(link: RemoteLink, connection: StdioConnection, method: string, params: Record<string, unknown> | undefined, ctx: ServerContext): Promise<Result> {
  if (!FORWARDED_METHODS.has(method)) throw new ProtocolError(ProtocolErrorCode.MethodNotFound, `Method not found: ${method} (not forwarded by the bridge to ${link.url})`);
  // The stdio client's envelope and progress token are its own; the remote client adds ours.
  const { _meta: _envelope, ...rest } = params ?? {};
  const { progressToken, ...otherMeta } = ctx.mcpReq._meta ?? {};
  const meta: Record<string, unknown> = Object.fromEntries(Object.entries(otherMeta).filter(([key]) => !key.startsWith('io.modelcontextprotocol/')));
  // What the stdio client can do (elicitation, sampling, roots) decides whether a 2026-07-28 remote may ask it for input.
  const capabilities = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] ?? connection.server.getClientCapabilities();
  if (capabilities !== undefined) meta[CLIENT_CAPABILITIES_META_KEY] = capabilities;
  const forwarded: Record<string, unknown> = { ...rest, ...(Object.keys(meta).length > 0 ? { _meta: meta } : {}) };
  // A 2026-07-28 client's retry after input_required: the SDK lifts these two out of the params the handler sees; put them back.
  if (ctx.mcpReq.inputResponses !== undefined && forwarded.inputResponses === undefined) forwarded.inputResponses = ctx.mcpReq.inputResponses;
  const requestState = ctx.mcpReq.requestState();
  if (typeof requestState === 'string' && forwarded.requestState === undefined) forwarded.requestState = requestState;
  const requestOptions: RequestOptions = {
    signal: ctx.mcpReq.signal,
    timeout: link.requestTimeoutMs,
    resetTimeoutOnProgress: true,
    // An input_required result (2026-07-28) goes back to the client as it came.
    allowInputRequired: true,
  };
  if (progressToken !== undefined) {
    requestOptions.onprogress = (progress: Progress) => {
      ctx.mcpReq.notify({ method: 'notifications/progress', params: { ...progress, progressToken } }).catch(() => undefined);
    };
  }
  let result = await link.request({ method, params: forwarded }, requestOptions);
  // A 2026-07-28 client fulfils input_required itself. A 2025 client cannot: the bridge asks it with
  // real requests (elicitation/create, sampling/createMessage, roots/list) and retries, as the SDK's own shim does.
  for (let round = 1; connection.era === 'legacy' && result.resultType === 'input_required'; round++) {
    if (round > MAX_INPUT_ROUNDS) throw new ProtocolError(ProtocolErrorCode.InternalError, `${link.url} still asked for input after ${MAX_INPUT_ROUNDS} rounds`);
    const inputRequests = (result.inputRequests ?? {}) as Record<string, { method: string; params?: Record<string, unknown> }>;
    const inputResponses: Record<string, unknown> = {};
    for (const [key, inputRequest] of Object.entries(inputRequests)) {
      const request = { method: inputRequest.method, ...(inputRequest.params === undefined ? {} : { params: inputRequest.params }) };
      inputResponses[key] = await ctx.mcpReq.send(request, PASSTHROUGH, { signal: ctx.mcpReq.signal, timeout: link.requestTimeoutMs });
    }
    const { inputResponses: _previous, requestState: _previousState, ...base } = forwarded;
    const retry = { ...base, inputResponses, ...(typeof result.requestState === 'string' ? { requestState: result.requestState } : {}) };
    result = await link.request({ method, params: retry }, requestOptions);
  }
  return result;
}

/** The remote connection: connected once up front, re-connected lazily after it breaks. */
class RemoteLink {
  readonly url: string;
  readonly requestTimeoutMs: number;
  readonly #endpoint: URL;
  readonly #options: StdioBridgeOptions;
  readonly #log: (line: string) => void;
  readonly #onListChanged: (kinds: readonly ListKind[]) => void;
  #client: Client | undefined;
  #subscription: McpSubscription | undefined;
  #info: RemoteInfo | undefined;
  #stale = false;
  #closed = false;
  #connecting: Promise<Client> | undefined;

  constructor(options: StdioBridgeOptions, log: (line: string) => void, onListChanged: (kinds: readonly ListKind[]) => void) {
    this.#endpoint = new URL(options.url);
    this.url = this.#endpoint.href;
    this.#options = options;
    this.#log = log;
    this.#onListChanged = onListChanged;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  get info(): RemoteInfo {
    if (this.#info === undefined) throw new Error('the remote is not connected yet');
    return this.#info;
  }

  async connect(): Promise<void> {
    await this.#current();
  }

  async request(request: { method: string; params: Record<string, unknown> }, options: RequestOptions): Promise<Result> {
    let client = await this.#connected();
    for (let attempt = 1; ; attempt++) {
      try {
        return withoutRemoteIdentity(await client.request(request, PASSTHROUGH, options));
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (ClientProtocolError.isInstance(error)) throw new ProtocolError(error.code, error.message, error.data);
        const sessionLost = isSessionLost(error, client);
        // A 2026-07-28 remote answers some JSON-RPC errors with an HTTP error status (404 for an unknown method, 400 for a bad header).
        const answer = sessionLost ? undefined : jsonRpcErrorIn(error);
        if (answer !== undefined) throw new ProtocolError(answer.code, answer.message, answer.data);
        if (!sessionLost && !isConnectionFailure(error)) throw this.#wireError(error);
        this.#markStale(client, error);
        if (attempt > 1 || !(sessionLost || neverDelivered(error))) throw this.#wireError(sessionLost ? new RemoteError(this.url, `${this.url} no longer knows the bridge's 2025 session`, { cause: error, status: 404 }) : error);
        client = await this.#connected();
      }
    }
  }

  /** `#current()` for a stdio request: a failure to connect is that request's JSON-RPC error. */
  async #connected(): Promise<Client> {
    try {
      return await this.#current();
    } catch (error) {
      throw this.#wireError(error);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    await this.#dispose();
  }

  /** The live client, (re)connecting first if there is none; connect failures become `RemoteError`s. */
  #current(): Promise<Client> {
    if (this.#closed) return Promise.reject(new ProtocolError(ProtocolErrorCode.InternalError, 'the bridge is shutting down'));
    if (this.#client !== undefined && !this.#stale) return Promise.resolve(this.#client);
    this.#connecting ??= this.#reconnect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #reconnect(): Promise<Client> {
    const again = this.#client !== undefined || this.#info !== undefined;
    await this.#dispose();
    let client: Client;
    try {
      client = await this.#open();
    } catch (error) {
      if (again) this.#log(`mcp-gateway connect: reconnecting to ${this.url} failed: ${describeRemoteError(error, this.url).message}`);
      throw describeRemoteError(error, this.url, this.#options.protocol);
    }
    if (this.#closed) {
      await client.close().catch(() => undefined);
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'the bridge is shutting down');
    }
    this.#client = client;
    this.#stale = false;
    if (again) {
      this.#log(`mcp-gateway connect: reconnected to ${this.url} (${describeEra(this.info)})`);
      // Whatever changed while we were away was not relayed: have the client re-list.
      this.#onListChanged(LIST_KINDS.filter((kind) => this.info.capabilities?.[kind] !== undefined));
    }
    return client;
  }

  async #open(): Promise<Client> {
    const protocol = this.#options.protocol ?? 'auto';
    const mode = protocol === 'auto' || protocol === 'legacy' ? protocol : { pin: protocol };
    const client = new Client(this.#options.clientInfo ?? { name: 'mcp-gateway-connect', version: VERSION }, { versionNegotiation: { mode } });
    const headers = { ...this.#options.headers };
    const transport = new StreamableHTTPClientTransport(this.#endpoint, { requestInit: { headers } });
    for (const kind of LIST_KINDS) client.setNotificationHandler(`notifications/${kind}/list_changed`, () => this.#changed(client, kind));
    client.onerror = (error) => {
      // A 2025 remote may still answer a request the bridge cancelled; the SDK reports that as an unknown id.
      if (error.message.startsWith('Received a response for an unknown message ID')) return;
      if (this.#client !== client || this.#closed) return;
      // HTTP and network failures also reject the request they hit, which reports them (once per outage).
      if (error instanceof SdkHttpError || isConnectionFailure(error)) return;
      this.#log(`mcp-gateway connect: remote ${this.url}: ${error.message}`);
    };
    client.onclose = () => this.#markStale(client);
    try {
      await client.connect(transport, { timeout: this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
    const capabilities = client.getServerCapabilities();
    this.#info = {
      url: this.url,
      era: client.getProtocolEra() ?? 'legacy',
      protocolVersion: client.getNegotiatedProtocolVersion(),
      serverInfo: client.getServerVersion(),
      capabilities,
      instructions: client.getInstructions(),
    };
    if (this.#info.era === 'modern') await this.#listen(client, capabilities);
    return client;
  }

  /** A 2026-07-28 remote tells of list changes only on a `subscriptions/listen` stream. */
  async #listen(client: Client, capabilities: RemoteCapabilities | undefined): Promise<void> {
    const filter: SubscriptionFilter = {};
    for (const kind of LIST_KINDS) if (capabilities?.[kind]?.listChanged === true) filter[LISTEN_FILTER_KEYS[kind]] = true;
    if (Object.keys(filter).length === 0) return;
    try {
      const subscription = await client.listen(filter, { timeout: this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
      this.#subscription = subscription;
      void subscription.closed.then((reason) => {
        // The stream broke (the remote restarted?): reconnect, and so re-listen, on the next request.
        if (reason !== 'local' && this.#client === client && !this.#closed) {
          this.#log(`mcp-gateway connect: the list-change stream from ${this.url} ended (${reason}); reconnecting on the next request`);
          this.#markStale(client);
        }
      });
    } catch (error) {
      this.#log(`mcp-gateway connect: ${this.url} refused subscriptions/listen (${messageOf(error)}); list changes will not be relayed`);
    }
  }

  #changed(client: Client, kind: ListKind): void {
    if (this.#client === client || this.#connecting !== undefined) this.#onListChanged([kind]);
  }

  #markStale(client: Client, error?: unknown): void {
    if (this.#client !== client || this.#stale || this.#closed) return;
    this.#stale = true;
    if (error === undefined) return;
    if (isSessionLost(error, client)) this.#log(`mcp-gateway connect: ${this.url} no longer knows the bridge's 2025 session (it restarted, or the session expired); opening a new one`);
    else this.#log(`mcp-gateway connect: lost ${this.url}: ${describeRemoteError(error, this.url).message}; reconnecting on the next request`);
  }

  async #dispose(): Promise<void> {
    const client = this.#client;
    const subscription = this.#subscription;
    this.#client = undefined;
    this.#subscription = undefined;
    // Goodbyes are polite but bounded: a remote that stopped answering does not hold the bridge up.
    if (subscription !== undefined) await settleWithin(subscription.close(), GOODBYE_MS);
    if (client === undefined) return;
    // A 2025 session is ended (DELETE) unless the remote already lost it.
    const transport = client.transport as StreamableHTTPClientTransport | undefined;
    if (client.getProtocolEra() === 'legacy' && transport?.sessionId !== undefined && !this.#stale) await settleWithin(transport.terminateSession(), GOODBYE_MS);
    await settleWithin(client.close(), GOODBYE_MS);
  }

  /** A failure that is not the remote's JSON-RPC answer, as the JSON-RPC error the stdio client gets. */
  #wireError(error: unknown): ProtocolError {
    if (error instanceof ProtocolError) return error;
    const described = error instanceof RemoteError ? error : describeRemoteError(error, this.url);
    return new ProtocolError(ProtocolErrorCode.InternalError, described.message, { remote: this.url, ...(described.status === undefined ? {} : { status: described.status }) });
  }
}

/**
 * Turns whatever connecting or a request threw into a `RemoteError` whose
 * message names the remote and, where it can, says what to do.
 */
export function describeRemoteError(error: unknown, url: string, protocol?: RemoteProtocol): RemoteError {
  if (error instanceof RemoteError) return error;
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const statusText = error instanceof SdkHttpError && error.statusText ? ` ${error.statusText}` : '';
    const body = error instanceof SdkHttpError && typeof error.data.text === 'string' ? error.data.text.trim().slice(0, 200) : '';
    const detail = body ? `: ${body}` : '';
    const advice =
      status === 401 || status === 403
        ? ' (the remote wants credentials, or refused those given: pass them with --header, e.g. --header "Authorization: Bearer <token>")'
        : status === 404 || status === 405
          ? ' (is this the MCP endpoint? For mcp-gateway it is <base URL>/mcp)'
          : '';
    return new RemoteError(url, `${url} answered HTTP ${status}${statusText}${detail}${advice}`, { cause: error, status });
  }
  const system = systemCodeOf(error);
  if (system !== undefined) {
    const what: Record<string, string> = {
      ECONNREFUSED: 'connection refused; is the server running?',
      ENOTFOUND: 'no such host',
      EAI_AGAIN: 'the host name could not be resolved right now',
      ECONNRESET: 'the connection was reset',
      ETIMEDOUT: 'the connection timed out',
      EHOSTUNREACH: 'the host is unreachable',
      UND_ERR_SOCKET: 'the connection was closed',
    };
    return new RemoteError(url, `cannot reach ${url}: ${what[system] ?? system} (${system})`, { cause: error });
  }
  if (error instanceof SdkError) {
    if (error.code === SdkErrorCode.RequestTimeout) return new RemoteError(url, `${url} did not answer in time (${error.message})`, { cause: error });
    if (error.code === SdkErrorCode.EraNegotiationFailed && protocol !== undefined && protocol !== 'auto' && protocol !== 'legacy') {
      return new RemoteError(url, `${url} does not speak MCP ${protocol}: ${error.message} (try --protocol auto)`, { cause: error });
    }
    if (error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected) return new RemoteError(url, `lost the connection to ${url} (${error.message})`, { cause: error });
  }
  return new RemoteError(url, `${url}: ${detailOf(error)}`, { cause: error });
}

/** The message, plus the innermost cause's when it says more ("fetch failed" alone does not). */
function detailOf(error: unknown): string {
  const message = messageOf(error);
  let innermost: unknown;
  for (const link of causes(error)) if (link !== error) innermost = link;
  const inner = innermost === undefined ? '' : messageOf(innermost);
  return inner === '' || message.includes(inner) ? message : `${message} (${inner})`;
}

/** Failures of the connection rather than of the request: the link is stale afterwards. */
function isConnectionFailure(error: unknown): boolean {
  if (systemCodeOf(error) !== undefined) return true;
  const status = httpStatusOf(error);
  if (status !== undefined) return status === 404 || status === 401 || status === 403 || status >= 500;
  if (error instanceof SdkError) {
    return error.code === SdkErrorCode.ConnectionClosed || error.code === SdkErrorCode.NotConnected || error.code === SdkErrorCode.SendFailed || error.code === SdkErrorCode.EraNegotiationFailed;
  }
  return error instanceof TypeError && error.message === 'fetch failed';
}

/** Whether the remote surely never got the request, so sending it again on a fresh connection is safe. */
function neverDelivered(error: unknown): boolean {
  const system = systemCodeOf(error);
  return system === 'ECONNREFUSED' || system === 'ENOTFOUND' || system === 'EAI_AGAIN' || system === 'EHOSTUNREACH';
}

/** A 2025 session the remote no longer knows (it restarted, or the session expired): HTTP 404 on a request that carried it. */
function isSessionLost(error: unknown, client: Client): boolean {
  return httpStatusOf(error) === 404 && client.getProtocolEra() === 'legacy' && client.transport?.sessionId !== undefined;
}

/** The JSON-RPC error an HTTP error response carried in its body, if it did. */
function jsonRpcErrorIn(error: unknown): { code: number; message: string; data?: unknown } | undefined {
  if (!(error instanceof SdkHttpError) || typeof error.data.text !== 'string') return undefined;
  try {
    const body = JSON.parse(error.data.text) as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    const answer = body.error;
    if (body.jsonrpc !== '2.0' || typeof answer?.code !== 'number' || typeof answer.message !== 'string') return undefined;
    return { code: answer.code, message: answer.message, ...(answer.data === undefined ? {} : { data: answer.data }) };
  } catch {
    return undefined;
  }
}

function httpStatusOf(error: unknown): number | undefined {
  for (const link of causes(error)) {
    if (link instanceof SdkHttpError) return link.status;
  }
  return undefined;
}

/** `ECONNREFUSED` and the like, from anywhere down the cause chain (fetch nests them). */
function systemCodeOf(error: unknown): string | undefined {
  for (const link of causes(error)) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
  }
  return undefined;
}

function* causes(error: unknown): Generator<unknown> {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    yield current;
    if (current instanceof AggregateError && current.errors.length > 0) yield* causes(current.errors[0]);
    const next = (current as { cause?: unknown }).cause ?? ((current as { data?: { cause?: unknown } }).data?.cause as unknown);
    current = next;
  }
}

/**
 * A result's `_meta` serverInfo names whoever produced it; towards the stdio
 * client the bridge is the server (it stamps its own on 2026-07-28 results).
 */
function withoutRemoteIdentity(result: Result): Result {
  const meta = result._meta;
  if (meta === undefined || !(SERVER_INFO_META_KEY in meta)) return result;
  const { [SERVER_INFO_META_KEY]: _remote, ...rest } = meta;
  const { _meta: _dropped, ...body } = result;
  return Object.keys(rest).length > 0 ? { ...body, _meta: rest } : body;
}

/** What the stdio client is offered: what the remote has, minus what the bridge does not relay. */
function bridgedCapabilities(remote: RemoteCapabilities | undefined): ServerCapabilities {
  const capabilities: ServerCapabilities = {};
  // listChanged is always on: the bridge also announces changes after it reconnects.
  if (remote?.tools !== undefined) capabilities.tools = { listChanged: true };
  // Resource subscriptions are not relayed (2025 `resources/subscribe` and 2026 listen differ too much).
  if (remote?.resources !== undefined) capabilities.resources = { listChanged: true };
  if (remote?.prompts !== undefined) capabilities.prompts = { listChanged: true };
  if (remote?.completions !== undefined) capabilities.completions = {};
  return capabilities;
}

async function notifyListChanged(server: Server, kind: ListKind, log: (line: string) => void): Promise<void> {
  if (server.getCapabilities()[kind] === undefined) return;
  try {
    if (kind === 'tools') await server.sendToolListChanged();
    else if (kind === 'resources') await server.sendResourceListChanged();
    else await server.sendPromptListChanged();
  } catch (error) {
    // Not connected yet (no opening message), or closing: nothing to tell.
    if (server.transport !== undefined) log(`mcp-gateway connect: could not relay ${kind} list_changed: ${messageOf(error)}`);
  }
}

function describeEra(info: RemoteInfo): string {
  const version = info.protocolVersion === undefined ? '' : ` ${info.protocolVersion}`;
  return `MCP${version}, ${info.era === 'modern' ? 'stateless' : 'session'}`;
}

/** Wraps a transport so the bridge learns when it closes (serveStdio takes over its callbacks). */
function watchClose(inner: Transport): { wire: Transport; closed: Promise<void> } {
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  const wire: Transport = {
    start: async () => {
      inner.onmessage = (message, extra) => wire.onmessage?.(message as JSONRPCMessage, extra);
      inner.onerror = (error) => wire.onerror?.(error);
      inner.onclose = () => {
        wire.onclose?.();
        onClosed();
      };
      await inner.start();
    },
    send: (message, options) => inner.send(message, options),
    close: () => inner.close(),
  };
  return { wire, closed };
}

/** Waits for `work` (ignoring how it ends) or `ms`, whichever is first. */
function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([work.then(noop, noop), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

function noop(): void {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
