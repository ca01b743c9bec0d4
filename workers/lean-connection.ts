/**
 * The connection to a single-channel upstream (stdio, WebSocket) without the
 * SDK: the era probe and handshake, the gateway's own requests, the
 * upstream's requests and notifications, and `subscriptions/listen` — a small
 * state machine over the raw forwarder that already carries every call.
 *
 * Why not the SDK's Client here: each worker thread is an isolate of its own,
 * and loading the SDK (its zod schemas, a bundled second copy of ajv) costs
 * every stdio worker ~17 MiB of heap while calls never touch it
 * (bench/README.md, "Memory per upstream worker"). HTTP upstreams keep the SDK
 * (workers/sdk-connection.ts). The behaviour follows the SDK client's for the
 * same transports: the probe runs in place, an unanswered or refused probe
 * means a 2025 server (initialized on the same connection), a probe that
 * closes the connection is retried fresh with `initialize` (upstream-connection.ts).
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../src/config/types.js';
import { META_SERVER_INFO, META_SUBSCRIPTION_ID, MODERN_VERSION } from '../src/protocol/versions.js';
import type { UpstreamIdentity } from '../src/threads/messages.js';
import { Cancellation } from './cancellation.js';
import { RawForwarder } from './raw-forwarder.js';
import type { ResponseLimit } from './response-limit.js';
import { ProcessGroupStdioTransport } from './transports/stdio.js';
import { UpstreamError, UpstreamErrorCode } from './upstream-errors.js';
import {
  GATEWAY_CLIENT_CAPABILITIES,
  GATEWAY_CLIENT_INFO,
  probeTimeoutMs,
  RELAYED_INPUT,
  startupError,
  type ConnectAttempt,
  type ConnectionHooks,
  type ConnectMode,
  type ForwardOptions,
  type ForwardedResult,
  type ResourceListen,
  type UpstreamConnection,
} from './upstream-connection.js';

/** The 2025-era revisions an upstream may settle on (the SDK client's list); the first is offered. */
const LEGACY_UPSTREAM_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];

/** The transport, with what only it can say about how it ended. */
interface Channel {
  readonly transport: ProcessGroupStdioTransport | import('./transports/websocket.js').WebSocketClientTransport;
  /** Why the connection ended, for operators. */
  closeReason(limit: ResponseLimit): string;
  /** Whether it ended over a message larger than maxResponseBytes. */
  tooLarge(): boolean;
  /** The child's exit, for a start-up error ('' when there is none). */
  exitDetail(): string;
}

type Verdict = { readonly era: 'modern'; readonly discover: Record<string, unknown> } | { readonly era: 'legacy' };

interface ListenState {
  acknowledge(notifications: Record<string, unknown>): void;
  end(reason: string): void;
}

/** A JSON-RPC error answer to one of the gateway's own requests. */
class UpstreamRpcError extends Error {
  override readonly name = 'UpstreamRpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message);
  }
}

export const openLean: ConnectAttempt = async (server, hooks, limit, mode) => {
  const channel = await openChannel(server, hooks, limit);
  const connection = new LeanConnection(channel, hooks, limit);
  try {
    await channel.transport.start();
    await connection.negotiate(server, mode);
  } catch (error) {
    await connection.close();
    throw startupError(error, channel.exitDetail());
  }
  return connection;
};

class LeanConnection implements UpstreamConnection {
  #identity: UpstreamIdentity | undefined;
  readonly #channel: Channel;
  readonly #hooks: ConnectionHooks;
  readonly #forwarder: RawForwarder;
  readonly #listens = new Map<string, ListenState>();
  #nextListen = 1;
  #closing = false;
  #closed = false;

  constructor(channel: Channel, hooks: ConnectionHooks, limit: ResponseLimit) {
    this.#channel = channel;
    this.#hooks = hooks;
    this.#forwarder = new RawForwarder(
      channel.transport,
      { clientInfo: GATEWAY_CLIENT_INFO, clientCapabilities: GATEWAY_CLIENT_CAPABILITIES },
      {
        onmessage: (message) => this.#dispatch(message),
        onclose: () => {
          this.#closed = true;
          for (const listen of [...this.#listens.values()]) listen.end('the upstream connection closed');
          // Before the era is settled a close fails the handshake instead (openLean).
          if (this.#identity && !this.#closing) hooks.onUnexpectedClose(channel.closeReason(limit), channel.tooLarge());
        },
      },
    );
  }

  get identity(): UpstreamIdentity {
    if (!this.#identity) throw new Error('the upstream connection has not settled its era yet');
    return this.#identity;
  }

  async negotiate(server: ServerConfig, mode: ConnectMode): Promise<void> {
    if (mode !== 'legacy') {
      const verdict = await this.#probe(probeTimeoutMs(server));
      if (verdict.era === 'modern') {
        this.#identity = modernIdentity(verdict.discover);
        this.#listenForListChanges();
        return;
      }
      if (mode === 'pin') {
        throw new UpstreamError(UpstreamErrorCode.EraNegotiationFailed, `Version negotiation failed: the server did not offer pinned protocol version ${MODERN_VERSION} via server/discover (no fallback in pin mode)`);
      }
    }
    this.#identity = await this.#initialize(server.startupTimeoutMs);
  }

  /** `server/discover` in the 2026-07-28 envelope: a result offering that version is modern; no answer, an error or another answer means try 2025. */
  async #probe(timeoutMs: number): Promise<Verdict> {
    this.#forwarder.speak(MODERN_VERSION);
    try {
      const discover = await this.#forwarder.request('server/discover', undefined, { cancellation: new Cancellation(), timeoutMs, quietTimeout: true });
      const supported = (discover as { supportedVersions?: unknown } | null)?.supportedVersions;
      if (Array.isArray(supported) && supported.includes(MODERN_VERSION) && isObject((discover as { capabilities?: unknown }).capabilities)) {
        return { era: 'modern', discover: discover as Record<string, unknown> };
      }
    } catch (error) {
      // Any refusal (-32601, or -32022 for a version list without ours) or no answer in time: the server may still speak 2025.
      if (this.#closed) throw new UpstreamError(UpstreamErrorCode.ProbeClosedConnection, 'Version negotiation failed: the connection closed during the server/discover probe', undefined, { cause: error });
    }
    this.#forwarder.speak(undefined);
    return { era: 'legacy' };
  }

  async #initialize(timeoutMs: number): Promise<UpstreamIdentity> {
    const offered = LEGACY_UPSTREAM_VERSIONS[0]!;
    const result = await this.request('initialize', { protocolVersion: offered, capabilities: GATEWAY_CLIENT_CAPABILITIES, clientInfo: GATEWAY_CLIENT_INFO }, { timeout: timeoutMs });
    const answer = result as { protocolVersion?: unknown; capabilities?: unknown; serverInfo?: unknown; instructions?: unknown } | null;
    if (!isObject(answer) || !isObject(answer.capabilities)) {
      throw new UpstreamError(UpstreamErrorCode.InvalidResult, `Server sent invalid initialize result: ${JSON.stringify(result)?.slice(0, 200)}`);
    }
    if (typeof answer.protocolVersion !== 'string' || !LEGACY_UPSTREAM_VERSIONS.includes(answer.protocolVersion)) {
      throw new UpstreamError(UpstreamErrorCode.EraNegotiationFailed, `Server's protocol version is not supported: ${String(answer.protocolVersion)}`);
    }
    await this.#channel.transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const serverInfo = implementation(answer.serverInfo);
    return {
      era: 'legacy',
      protocolVersion: answer.protocolVersion,
      capabilities: answer.capabilities,
      ...(serverInfo ? { serverInfo } : {}),
      ...(typeof answer.instructions === 'string' && answer.instructions !== '' ? { instructions: answer.instructions } : {}),
    };
  }

  request(method: string, params: Record<string, unknown> | undefined, options: { timeout: number }): Promise<unknown> {
    return this.#forwarder.request(method, params, { cancellation: new Cancellation(), timeoutMs: options.timeout }).catch((error: unknown) => {
      throw asError(error);
    });
  }

  forward(method: string, params: Record<string, unknown>, options: ForwardOptions): Promise<ForwardedResult> {
    return this.#forwarder.forward(method, params, options.paramsText, options);
  }

  async check(timeoutMs: number): Promise<void> {
    await this.request(this.identity.era === 'modern' ? 'server/discover' : 'ping', undefined, { timeout: timeoutMs });
  }

  async listenResources(uris: readonly string[], timeoutMs: number): Promise<ResourceListen> {
    const { honored, close } = await this.#listen({ resourceSubscriptions: [...uris] }, timeoutMs);
    const acknowledged = honored.resourceSubscriptions;
    return { honored: Array.isArray(acknowledged) ? acknowledged.filter((uri): uri is string => typeof uri === 'string') : [], close };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    for (const listen of [...this.#listens.values()]) listen.end('the gateway closed the connection');
    await this.#channel.transport.close().catch(() => undefined);
  }

  /** 2026-07-28 servers send list_changed only on a listen stream: one for the lists they say change. */
  #listenForListChanges(): void {
    const capabilities = this.identity.capabilities as { tools?: { listChanged?: boolean }; resources?: { listChanged?: boolean }; prompts?: { listChanged?: boolean } };
    const filter = {
      toolsListChanged: capabilities.tools?.listChanged === true,
      resourcesListChanged: capabilities.resources?.listChanged === true,
      promptsListChanged: capabilities.prompts?.listChanged === true,
    };
    if (!filter.toolsListChanged && !filter.resourcesListChanged && !filter.promptsListChanged) return;
    this.#listen(filter, 0x7fffffff).catch((error: unknown) => {
      if (!this.#closing) this.#hooks.onStderrLine(`subscriptions/listen failed: ${(error as Error).message}`);
    });
  }

  /**
   * Opens a `subscriptions/listen`: resolves on the upstream's acknowledgement
   * (with the filter it honours); closing it cancels the request. Its
   * notifications arrive tagged with its id and go to the usual handlers.
   */
  #listen(filter: Record<string, unknown>, ackTimeoutMs: number): Promise<{ honored: Record<string, unknown>; close: () => Promise<void> }> {
    const id = `listen:${this.#nextListen++}`;
    const close = async (): Promise<void> => {
      if (!this.#listens.delete(id) || this.#closed) return;
      await this.#channel.transport.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id } }).catch(() => undefined);
    };
    return new Promise((resolve, reject) => {
      let opening = true;
      const timer = setTimeout(() => {
        void close();
        reject(new UpstreamError(UpstreamErrorCode.RequestTimeout, 'subscriptions/listen ack timed out', { timeout: ackTimeoutMs }));
      }, Math.min(ackTimeoutMs, 0x7fffffff));
      this.#listens.set(id, {
        acknowledge: (notifications) => {
          if (!opening) return;
          opening = false;
          clearTimeout(timer);
          resolve({ honored: notifications, close });
        },
        end: (reason) => {
          this.#listens.delete(id);
          clearTimeout(timer);
          if (opening) reject(new UpstreamError(UpstreamErrorCode.ConnectionClosed, `subscriptions/listen ended before the upstream acknowledged it: ${reason}`));
          opening = false;
        },
      });
      const params = { _meta: this.#forwarder.envelopeMeta(), notifications: filter };
      this.#channel.transport.send({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params }).catch((error: unknown) => {
        this.#listens.get(id)?.end(`it could not be sent (${(error as Error).message})`);
      });
    });
  }

  /** Whatever is not an answer to the forwarder: the upstream's requests and notifications, and a listen's end. */
  #dispatch(message: JSONRPCMessage): void {
    const record = message as { id?: unknown; method?: unknown; params?: Record<string, unknown>; error?: { message?: unknown } };
    if (typeof record.method !== 'string') {
      // An answer to a listen is its end (the server closed or refused it); any other stray answer is dropped.
      if (typeof record.id === 'string') this.#listens.get(record.id)?.end(record.error ? `the upstream refused it (${String(record.error.message)})` : 'the upstream closed it');
      return;
    }
    if (record.id !== undefined) {
      void this.#answer(record.id as string | number, record.method, record.params);
      return;
    }
    this.#notified(record.method, record.params);
  }

  #notified(method: string, params: Record<string, unknown> | undefined): void {
    switch (method) {
      case 'notifications/tools/list_changed':
        return this.#hooks.onListChanged('tools');
      case 'notifications/resources/list_changed':
        return this.#hooks.onListChanged('resources');
      case 'notifications/prompts/list_changed':
        return this.#hooks.onListChanged('prompts');
      case 'notifications/resources/updated':
        if (typeof params?.uri === 'string') this.#hooks.onResourceUpdated(params.uri);
        return;
      case 'notifications/subscriptions/acknowledged': {
        const id = (params?._meta as Record<string, unknown> | undefined)?.[META_SUBSCRIPTION_ID];
        if (typeof id === 'string') this.#listens.get(id)?.acknowledge(isObject(params?.notifications) ? params.notifications : {});
        return;
      }
      case 'notifications/cancelled':
        // From a server, only the end of a listen.
        if (typeof params?.requestId === 'string') this.#listens.get(params.requestId)?.end('the upstream cancelled it');
        return;
    }
  }

  /** A 2025 server's own request: `ping` is answered here, input requests are relayed to the caller, anything else is unknown. */
  async #answer(id: string | number, method: string, params: unknown): Promise<void> {
    let reply: { result: unknown } | { error: { code: number; message: string } };
    if (method === 'ping') reply = { result: {} };
    else if (RELAYED_INPUT.includes(method)) {
      try {
        reply = { result: await this.#hooks.onInputRequest(method, params) };
      } catch (error) {
        reply = { error: { code: -32603, message: (error as Error).message } };
      }
    } else reply = { error: { code: -32601, message: `Method not found: ${method}` } };
    if (this.#closed) return;
    await this.#channel.transport.send({ jsonrpc: '2.0', id, ...reply } as JSONRPCMessage).catch(() => undefined);
  }
}

async function openChannel(server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit): Promise<Channel> {
  if (server.transport === 'stdio') {
    const transport = new ProcessGroupStdioTransport({
      command: server.command!,
      args: server.args,
      env: server.env,
      envPassthrough: server.envPassthrough,
      ...(server.sandbox !== undefined ? { sandbox: server.sandbox } : {}),
      ...(server.cwd ? { cwd: server.cwd } : {}),
      responseLimit: limit,
      killGraceMs: 2000,
      onStderrLine: hooks.onStderrLine,
      onNoise: hooks.onNoise,
      onSpawn: hooks.onChildSpawn,
      onExit: hooks.onChildExit,
    });
    return { transport, closeReason: () => `upstream process ${transport.exitDetail || 'closed its pipes'}`, tooLarge: () => false, exitDetail: () => transport.exitDetail };
  }
  // ws is loaded only by the workers that need it.
  const { WebSocketClientTransport } = await import('./transports/websocket.js');
  const transport = new WebSocketClientTransport({ url: server.url!, headers: { ...server.headers }, maxMessageBytes: limit.maxBytes });
  return {
    transport,
    closeReason: () =>
      transport.tooBig
        ? `the upstream sent a WebSocket message larger than maxResponseBytes (${limit.maxBytes} bytes), so the connection was closed (1009)`
        : 'upstream connection closed',
    tooLarge: () => transport.tooBig,
    exitDetail: () => '',
  };
}

function modernIdentity(discover: Record<string, unknown>): UpstreamIdentity {
  const serverInfo = implementation((discover._meta as Record<string, unknown> | undefined)?.[META_SERVER_INFO]);
  const instructions = discover.instructions;
  return {
    era: 'modern',
    protocolVersion: MODERN_VERSION,
    capabilities: discover.capabilities as Record<string, unknown>,
    ...(serverInfo ? { serverInfo } : {}),
    ...(typeof instructions === 'string' && instructions !== '' ? { instructions } : {}),
  };
}

/** `{ name, version, title? }` when `value` is an MCP Implementation, else undefined. */
function implementation(value: unknown): UpstreamIdentity['serverInfo'] {
  const info = value as { name?: unknown; version?: unknown; title?: unknown } | null;
  if (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string') return undefined;
  return { name: info.name, version: info.version, ...(typeof info.title === 'string' ? { title: info.title } : {}) };
}

/** The forwarder rejects with the upstream's JSON-RPC error object as sent; the gateway's own requests want an Error. */
function asError(error: unknown): unknown {
  if (error instanceof Error) return error;
  const rpc = error as { code?: unknown; message?: unknown; data?: unknown } | null;
  if (typeof rpc?.code === 'number') return new UpstreamRpcError(rpc.code, String(rpc.message ?? ''), rpc.data);
  return new Error(String(error));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
