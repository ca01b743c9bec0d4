/**
 * The connection to an HTTP upstream (Streamable HTTP or HTTP+SSE) through the
 * SDK's Client, which owns the sessions, per-request headers and SSE streams.
 * Calls are forwarded with a pass-through result schema so the upstream's
 * answer is not re-validated on the hot path. SdkErrors become UpstreamErrors
 * here, so nothing past this module needs the SDK to read them.
 */
import { Client, SdkError, SSEClientTransport, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { ClientOptions, ConnectOptions, RequestOptions, StandardSchemaV1, Transport } from '@modelcontextprotocol/client';
import type { ServerConfig } from '../src/config/types.js';
import type { UpstreamIdentity } from '../src/threads/messages.js';
import { carryIdentity } from './identity-fetch.js';
import type { ResponseLimit } from './response-limit.js';
import { limitedFetch } from './transports/limited-fetch.js';
import { UpstreamError } from './upstream-errors.js';
import {
  GATEWAY_CLIENT_CAPABILITIES,
  GATEWAY_CLIENT_INFO,
  MODERN_VERSION,
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

/** Accepts any result as it is: the gateway forwards answers, it does not re-check them. */
const passthrough: StandardSchemaV1<unknown, unknown> = {
  '~standard': { version: 1, vendor: 'mcp-gateway', validate: (value: unknown) => ({ value }) },
};

export const openSdk: ConnectAttempt = async (server, hooks, limit, mode) => SdkConnection.open(server, hooks, limit, mode);

class SdkConnection implements UpstreamConnection {
  readonly #client: Client;
  readonly identity: UpstreamIdentity;
  readonly #transport: Transport;
  #closing = false;

  private constructor(client: Client, transport: Transport, identity: UpstreamIdentity) {
    this.#client = client;
    this.#transport = transport;
    this.identity = identity;
  }

  static async open(server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit, mode: ConnectMode): Promise<SdkConnection> {
    const options: ClientOptions = { capabilities: { ...GATEWAY_CLIENT_CAPABILITIES } };
    if (mode !== 'legacy') {
      options.versionNegotiation = { mode: mode === 'pin' ? { pin: MODERN_VERSION } : 'auto', probe: { timeoutMs: probeTimeoutMs(server) } };
    }
    const client = new Client(GATEWAY_CLIENT_INFO, options);
    const transport = createTransport(server, limit);
    const connectOptions: ConnectOptions = { timeout: server.startupTimeoutMs };
    if (mode === 'legacy') connectOptions.prior = { kind: 'legacy' };

    for (const method of RELAYED_INPUT) {
      client.setRequestHandler(method as 'elicitation/create', ((request: { params?: unknown }) => hooks.onInputRequest(method, request.params)) as never);
    }
    let connection: SdkConnection | undefined;
    client.onclose = () => {
      if (connection && !connection.#closing) hooks.onUnexpectedClose('upstream connection closed', false);
    };
    try {
      await client.connect(transport, connectOptions);
    } catch (error) {
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      throw startupError(fromSdk(error));
    }
    const serverInfo = client.getServerVersion();
    const identity: UpstreamIdentity = {
      era: client.getProtocolEra() === 'modern' ? 'modern' : 'legacy',
      protocolVersion: client.getNegotiatedProtocolVersion() ?? 'unknown',
      capabilities: (client.getServerCapabilities() ?? {}) as Record<string, unknown>,
      ...(serverInfo ? { serverInfo: { name: serverInfo.name, version: serverInfo.version, ...(serverInfo.title ? { title: serverInfo.title } : {}) } } : {}),
      ...(client.getInstructions() ? { instructions: client.getInstructions()! } : {}),
    };
    connection = new SdkConnection(client, transport, identity);
    connection.#watchListChanges(hooks);
    return connection;
  }

  /** Legacy servers push `list_changed`; modern ones only through `subscriptions/listen`. */
  #watchListChanges(hooks: ConnectionHooks): void {
    const capabilities = this.identity.capabilities as { tools?: { listChanged?: boolean }; resources?: { listChanged?: boolean }; prompts?: { listChanged?: boolean } };
    const client = this.#client;
    client.setNotificationHandler('notifications/tools/list_changed', () => hooks.onListChanged('tools'));
    client.setNotificationHandler('notifications/resources/list_changed', () => hooks.onListChanged('resources'));
    client.setNotificationHandler('notifications/prompts/list_changed', () => hooks.onListChanged('prompts'));
    client.setNotificationHandler('notifications/resources/updated', (notification: { params?: { uri?: unknown } }) => {
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
    client.listen(filter, { timeout: 0x7fffffff }).catch((error: unknown) => {
      if (!this.#closing) hooks.onStderrLine(`subscriptions/listen failed: ${(error as Error).message}`);
    });
  }

  request(method: string, params: Record<string, unknown> | undefined, options: { timeout: number }): Promise<unknown> {
    return this.#request(method, params, options);
  }

  async forward(method: string, params: Record<string, unknown>, options: ForwardOptions): Promise<ForwardedResult> {
    const result = await this.#request(method, params, {
      signal: options.cancellation.signal,
      timeout: options.timeoutMs,
      allowInputRequired: true,
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.onprogress ? { onprogress: options.onprogress as (progress: unknown) => void } : {}),
    } as RequestOptions);
    return { result, text: undefined };
  }

  #request(method: string, params: Record<string, unknown> | undefined, options: RequestOptions): Promise<unknown> {
    return this.#client.request(params === undefined ? { method } : { method, params }, passthrough, options).catch(rethrowFromSdk);
  }

  async check(timeoutMs: number): Promise<void> {
    const checked = this.identity.era === 'modern' ? this.#client.discover({ timeout: timeoutMs }) : this.#client.ping({ timeout: timeoutMs });
    await checked.catch(rethrowFromSdk);
  }

  async listenResources(uris: readonly string[], timeoutMs: number): Promise<ResourceListen> {
    const listen = await this.#client.listen({ resourceSubscriptions: [...uris] }, { timeout: timeoutMs }).catch(rethrowFromSdk);
    return { honored: listen.honoredFilter.resourceSubscriptions ?? [], close: () => listen.close() };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#client.close().catch(() => undefined);
    await this.#transport.close().catch(() => undefined);
  }
}

function fromSdk(error: unknown): unknown {
  if (!(error instanceof SdkError)) return error;
  // It takes the SdkError's place in the cause chain (its message and data carried over).
  return new UpstreamError(error.code, error.message, (error as { data?: Record<string, unknown> }).data, { cause: error.cause });
}

function rethrowFromSdk(error: unknown): never {
  throw fromSdk(error);
}

function createTransport(server: ServerConfig, limit: ResponseLimit): Transport {
  const headers = { ...server.headers };
  if (server.transport === 'streamable-http') {
    return new StreamableHTTPClientTransport(new URL(server.url!), {
      requestInit: { headers },
      fetch: limitedFetch(limit, server.identity ? carryIdentity(server.identity.header) : fetch),
    });
  }
  const limited = limitedFetch(limit);
  return new SSEClientTransport(new URL(server.url!), {
    requestInit: { headers },
    fetch: limited,
    eventSourceInit: { fetch: (url, init) => limited(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
  });
}
