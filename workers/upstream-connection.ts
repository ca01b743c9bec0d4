/**
 * One live connection to one upstream MCP server, of either era. The SDK does
 * the spawning, negotiation, framing, HTTP/SSE and sessions; calls are
 * forwarded with a pass-through result schema so the upstream's answer is not
 * re-validated on the hot path.
 */
import { Client, SdkError, SdkErrorCode, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, ConnectOptions, RequestOptions, StandardSchemaV1, Transport } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../src/config/types.js';
import type { ProtocolEra } from '../src/gateway-types.js';
import type { UpstreamIdentity } from '../src/threads/messages.js';
import { VERSION } from '../src/version.js';
import { carryIdentity } from './identity-fetch.js';
import type { Cancellation } from './cancellation.js';
import { RawForwarder } from './raw-forwarder.js';
import type { ResponseLimit } from './response-limit.js';
import { limitedFetch } from './transports/limited-fetch.js';
import { describeError } from './upstream-errors.js';
import { ProcessGroupStdioTransport } from './transports/stdio.js';
import { WebSocketClientTransport } from './transports/websocket.js';

export const GATEWAY_CLIENT_INFO = { name: 'mcp-gateway', version: VERSION } as const;
const SERVER_INFO_META = 'io.modelcontextprotocol/serverInfo';

/** Results speak for the gateway, not the upstream behind it: their `_meta` serverInfo is replaced. */
export function claimServerInfo(result: unknown): void {
  const meta = (result as { _meta?: Record<string, unknown> } | null)?._meta;
  if (meta && typeof meta === 'object' && SERVER_INFO_META in meta) meta[SERVER_INFO_META] = GATEWAY_CLIENT_INFO;
}
export const MODERN_VERSION = '2026-07-28';

/** Accepts any result as it is: the gateway forwards answers, it does not re-check them. */
export const passthrough: StandardSchemaV1<unknown, unknown> = {
  '~standard': { version: 1, vendor: 'mcp-gateway', validate: (value: unknown) => ({ value }) },
};

/** How long a stdio/WS `server/discover` probe may stay unanswered before the server counts as legacy. */
const PROBE_TIMEOUT_CAP_MS = 5000;

export interface ConnectionHooks {
  onStderrLine(line: string): void;
  onNoise(line: string): void;
  onChildSpawn(pid: number): void;
  onChildExit(pid: number): void;
  /** The connection ended without `close()` being called; `tooLarge` if that was for a message over maxResponseBytes. */
  onUnexpectedClose(reason: string, tooLarge: boolean): void;
  onListChanged(kind: 'tools' | 'resources' | 'prompts'): void;
  /** A subscribed resource changed (unsolicited from a 2025 upstream, on a listen stream from a 2026-07-28 one). */
  onResourceUpdated(uri: string): void;
  /** A 2025 upstream asked for input (elicitation, sampling) mid-call; resolves with the caller's result. */
  onInputRequest(method: string, params: unknown): Promise<unknown>;
}

/** Input a 2025 upstream may ask of the gateway, which relays it to the caller (2026-07-28 upstreams ask by result instead). */
const RELAYED_INPUT = ['elicitation/create', 'sampling/createMessage'] as const;

export class UpstreamConnection {
  readonly client: Client;
  readonly identity: UpstreamIdentity;
  readonly #transport: Transport;
  /** The fast path for calls on single-channel transports; undefined on HTTP, where the SDK's request() is used. */
  readonly #raw: RawForwarder | undefined;
  #closing = false;

  private constructor(client: Client, transport: Transport, identity: UpstreamIdentity, capabilities: Readonly<Record<string, unknown>>) {
    this.client = client;
    this.#transport = transport;
    this.identity = identity;
    const singleChannel = transport instanceof ProcessGroupStdioTransport || transport instanceof WebSocketClientTransport;
    this.#raw = singleChannel
      ? new RawForwarder(transport, { ...(identity.era === 'modern' ? { modernVersion: identity.protocolVersion } : {}), clientInfo: GATEWAY_CLIENT_INFO, clientCapabilities: capabilities })
      : undefined;
  }

  /**
   * Connects, settling the era: `legacy`/`2026-07-28` skip the probe; `auto`
   * probes (in place on stdio and WebSocket, by the SDK on HTTP) and falls back
   * to a legacy handshake on a fresh connection when an in-place probe killed
   * or stalled the upstream.
   */
  static async open(server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit, priorEra?: ProtocolEra): Promise<UpstreamConnection> {
    const preference = priorEra === 'legacy' ? 'legacy' : priorEra === 'modern' ? MODERN_VERSION : server.protocol;
    // HTTP+SSE is a 2024-11-05 transport: no modern server speaks it.
    if (preference === 'legacy' || server.transport === 'sse') return UpstreamConnection.#attempt(server, hooks, limit, 'legacy');
    if (preference === MODERN_VERSION) return UpstreamConnection.#attempt(server, hooks, limit, 'pin');
    try {
      return await UpstreamConnection.#attempt(server, hooks, limit, 'auto');
    } catch (error) {
      if (server.transport === 'streamable-http' || !isProbeFailure(error)) throw error;
      return UpstreamConnection.#attempt(server, hooks, limit, 'legacy');
    }
  }

  static async #attempt(server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit, mode: 'legacy' | 'auto' | 'pin'): Promise<UpstreamConnection> {
    // Declared so 2025 upstreams may ask for input; the gateway relays each request to the caller of the call.
    const options: ClientOptions = { capabilities: { elicitation: { form: {} }, sampling: {} } };
    if (mode !== 'legacy') {
      options.versionNegotiation = {
        mode: mode === 'pin' ? { pin: MODERN_VERSION } : 'auto',
        probe: { timeoutMs: Math.min(PROBE_TIMEOUT_CAP_MS, Math.max(500, Math.floor(server.startupTimeoutMs / 3))) },
      };
    }
    const client = new Client(GATEWAY_CLIENT_INFO, options);
    const transport = createTransport(server, hooks, limit);
    const connectOptions: ConnectOptions = { timeout: server.startupTimeoutMs };
    if (mode === 'legacy') connectOptions.prior = { kind: 'legacy' };

    for (const method of RELAYED_INPUT) {
      client.setRequestHandler(method, ((request: { params?: unknown }) => hooks.onInputRequest(method, request.params)) as never);
    }
    let connection: UpstreamConnection | undefined;
    client.onclose = () => {
      if (connection && !connection.#closing) hooks.onUnexpectedClose(describeClose(transport, limit), transport instanceof WebSocketClientTransport && transport.tooBig);
    };
    try {
      await client.connect(transport, connectOptions);
    } catch (error) {
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      throw enrichStartupError(error, transport);
    }
    const era: ProtocolEra = client.getProtocolEra() === 'modern' ? 'modern' : 'legacy';
    const serverInfo = client.getServerVersion();
    const identity: UpstreamIdentity = {
      era,
      protocolVersion: client.getNegotiatedProtocolVersion() ?? 'unknown',
      capabilities: (client.getServerCapabilities() ?? {}) as Record<string, unknown>,
      ...(serverInfo ? { serverInfo: { name: serverInfo.name, version: serverInfo.version, ...(serverInfo.title ? { title: serverInfo.title } : {}) } } : {}),
      ...(client.getInstructions() ? { instructions: client.getInstructions()! } : {}),
    };
    connection = new UpstreamConnection(client, transport, identity, (options.capabilities ?? {}) as Record<string, unknown>);
    connection.#watchListChanges(hooks);
    return connection;
  }

  /** Legacy servers push `list_changed`; modern ones only through `subscriptions/listen`. */
  #watchListChanges(hooks: ConnectionHooks): void {
    const capabilities = this.identity.capabilities as { tools?: { listChanged?: boolean }; resources?: { listChanged?: boolean }; prompts?: { listChanged?: boolean } };
    this.client.setNotificationHandler('notifications/tools/list_changed', () => hooks.onListChanged('tools'));
    this.client.setNotificationHandler('notifications/resources/list_changed', () => hooks.onListChanged('resources'));
    this.client.setNotificationHandler('notifications/prompts/list_changed', () => hooks.onListChanged('prompts'));
    this.client.setNotificationHandler('notifications/resources/updated', (notification: { params?: { uri?: unknown } }) => {
      const uri = notification.params?.uri;
      if (typeof uri === 'string') hooks.onResourceUpdated(uri);
    });
    if (this.identity.era !== 'modern') return;
    const filter = {
      toolsListChanged: capabilities.tools?.listChanged === true,
      resourcesListChanged: capabilities.resources?.listChanged === true,
      promptsListChanged: capabilities.prompts?.listChanged === true,
    };
    if (!filter.toolsListChanged && !filter.resourcesListChanged && !filter.promptsListChanged) return;
    this.client.listen(filter, { timeout: 0x7fffffff }).catch((error: unknown) => {
      if (!this.#closing) hooks.onStderrLine(`subscriptions/listen failed: ${(error as Error).message}`);
    });
  }

  request(method: string, params: Record<string, unknown> | undefined, options: RequestOptions): Promise<unknown> {
    return this.client.request(params === undefined ? { method } : { method, params }, passthrough, options);
  }

  /** A forwarded call: the raw fast path where the transport allows it, else the SDK's request(). */
  forward(method: string, params: Record<string, unknown>, options: { cancellation: Cancellation; timeoutMs: number; onprogress?: (progress: Record<string, unknown>) => void; headers?: Readonly<Record<string, string>> }): Promise<unknown> {
    if (this.#raw) return this.#raw.request(method, params, options);
    return this.request(method, params, {
      signal: options.cancellation.signal,
      timeout: options.timeoutMs,
      allowInputRequired: true,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.onprogress ? { onprogress: options.onprogress as (progress: unknown) => void } : {}),
    } as RequestOptions);
  }

  /** The era's liveness check: `ping` (legacy) or `server/discover` (modern, where ping was removed). */
  async check(timeoutMs: number): Promise<void> {
    if (this.identity.era === 'modern') await this.client.discover({ timeout: timeoutMs });
    else await this.client.ping({ timeout: timeoutMs });
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.client.close().catch(() => undefined);
    await this.#transport.close().catch(() => undefined);
  }
}

function createTransport(server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit): Transport {
  const headers = { ...server.headers };
  switch (server.transport) {
    case 'stdio':
      return new ProcessGroupStdioTransport({
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
    case 'streamable-http':
      return new StreamableHTTPClientTransport(new URL(server.url!), {
        requestInit: { headers },
        fetch: limitedFetch(limit, server.identity ? carryIdentity(server.identity.header) : fetch),
      });
    case 'sse': {
      const limited = limitedFetch(limit);
      return new SSEClientTransport(new URL(server.url!), {
        requestInit: { headers },
        fetch: limited,
        eventSourceInit: { fetch: (url, init) => limited(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
      });
    }
    case 'websocket':
      return new WebSocketClientTransport({ url: server.url!, headers, maxMessageBytes: limit.maxBytes });
  }
}

/** The probe closed the connection or went unanswered: a legacy server, worth one more try with `initialize`. */
function isProbeFailure(error: unknown): boolean {
  if (!(error instanceof SdkError)) return false;
  return error.code === SdkErrorCode.EraNegotiationFailed || error.code === SdkErrorCode.RequestTimeout || error.code === SdkErrorCode.ConnectionClosed;
}

function describeClose(transport: Transport, limit: ResponseLimit): string {
  if (transport instanceof ProcessGroupStdioTransport) return `upstream process ${transport.exitDetail || 'closed its pipes'}`;
  if (transport instanceof WebSocketClientTransport && transport.tooBig) {
    return `the upstream sent a WebSocket message larger than maxResponseBytes (${limit.maxBytes} bytes), so the connection was closed (1009)`;
  }
  return 'upstream connection closed';
}

function enrichStartupError(error: unknown, transport: Transport): Error {
  const message = describeError(error);
  if (transport instanceof ProcessGroupStdioTransport && transport.exitDetail) {
    return new Error(`${message} (process ${transport.exitDetail})`, { cause: error });
  }
  return new Error(message, { cause: error });
}
