/**
 * One live connection to one upstream MCP server, of either era, behind one
 * interface with two implementations: a lean one for the single-channel
 * transports (stdio, WebSocket; workers/lean-connection.ts), and the SDK's
 * Client for HTTP (Streamable HTTP, HTTP+SSE; workers/sdk-connection.ts),
 * whose sessions, per-request headers and SSE streams the SDK manages. Each is
 * imported only when a worker needs it: a stdio worker never loads the SDK,
 * zod or ws (bench/README.md, "Memory per upstream worker").
 */
import type { ServerConfig } from '../src/config/types.js';
import type { ProtocolEra } from '../src/gateway-types.js';
import { withMemberValue } from '../src/json-member.js';
import { META_SERVER_INFO } from '../src/protocol/versions.js';
import type { UpstreamIdentity } from '../src/threads/messages.js';
import { VERSION } from '../src/version.js';
import type { Cancellation } from './cancellation.js';
import type { ResponseLimit } from './response-limit.js';
import { describeError, UpstreamError, UpstreamErrorCode } from './upstream-errors.js';

export { MODERN_VERSION } from '../src/protocol/versions.js';

export const GATEWAY_CLIENT_INFO = { name: 'mcp-gateway', version: VERSION } as const;
/** Declared so 2025 upstreams may ask for input; the gateway relays each request to the caller of the call. */
export const GATEWAY_CLIENT_CAPABILITIES: Readonly<Record<string, unknown>> = { elicitation: { form: {} }, sampling: {} };
/** Input a 2025 upstream may ask of the gateway, which relays it to the caller (2026-07-28 upstreams ask by result instead). */
export const RELAYED_INPUT: readonly string[] = ['elicitation/create', 'sampling/createMessage'];

/** Results speak for the gateway, not the upstream behind it: their `_meta` serverInfo is replaced. Returns whether it changed the result. */
export function claimServerInfo(result: unknown): boolean {
  const meta = (result as { _meta?: Record<string, unknown> } | null)?._meta;
  if (!meta || typeof meta !== 'object' || !(META_SERVER_INFO in meta)) return false;
  meta[META_SERVER_INFO] = GATEWAY_CLIENT_INFO;
  return true;
}

/**
 * A claimed result's text (see claimServerInfo): the upstream's own text with
 * only its `_meta` written anew, so that a large result (a 2026-07-28 upstream
 * stamps serverInfo on every one) is not serialised again for one small member.
 */
export function claimedResultText(text: string, result: object): string {
  return withMemberValue(text, '_meta', JSON.stringify((result as { _meta: unknown })._meta));
}

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

export interface ForwardOptions {
  readonly cancellation: Cancellation;
  readonly timeoutMs: number;
  readonly onprogress?: (progress: Record<string, unknown>) => void;
  readonly headers?: Readonly<Record<string, string>>;
  /** The params as JSON text (what the main thread posted), sent as it is where the transport allows. */
  readonly paramsText?: string;
}

/** An upstream's result, with its JSON text when that could be taken from the message as it came. */
export interface ForwardedResult {
  readonly result: unknown;
  readonly text: string | undefined;
}

/** An open `subscriptions/listen` for resource updates (2026-07-28 upstreams). */
export interface ResourceListen {
  /** The URIs the upstream acknowledged. */
  readonly honored: readonly string[];
  close(): Promise<void>;
}

export interface UpstreamConnection {
  readonly identity: UpstreamIdentity;
  /** A request of the gateway's own (listings, subscriptions); the result as sent. */
  request(method: string, params: Record<string, unknown> | undefined, options: { timeout: number }): Promise<unknown>;
  /** A caller's call, passed through. */
  forward(method: string, params: Record<string, unknown>, options: ForwardOptions): Promise<ForwardedResult>;
  /** The era's liveness check: `ping` (legacy) or `server/discover` (modern, where ping was removed). */
  check(timeoutMs: number): Promise<void>;
  listenResources(uris: readonly string[], timeoutMs: number): Promise<ResourceListen>;
  close(): Promise<void>;
}

/** How a connection settles its era: `legacy` initializes, `pin` requires 2026-07-28, `auto` probes with `server/discover`. */
export type ConnectMode = 'legacy' | 'auto' | 'pin';

export type ConnectAttempt = (server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit, mode: ConnectMode) => Promise<UpstreamConnection>;

/** How long a `server/discover` probe may stay unanswered before the server counts as legacy. */
export function probeTimeoutMs(server: ServerConfig): number {
  return Math.min(5000, Math.max(500, Math.floor(server.startupTimeoutMs / 3)));
}

/**
 * Connects, settling the era: `legacy`/`2026-07-28` skip the probe; `auto`
 * probes, and falls back to a legacy handshake on a fresh connection when the
 * probe killed the upstream (stdio, WebSocket; the SDK settles HTTP itself).
 */
export async function openUpstream(server: ServerConfig, hooks: ConnectionHooks, limit: ResponseLimit, priorEra?: ProtocolEra): Promise<UpstreamConnection> {
  const attempt: ConnectAttempt =
    server.transport === 'stdio' || server.transport === 'websocket' ? (await import('./lean-connection.js')).openLean : (await import('./sdk-connection.js')).openSdk;
  const mode = connectMode(server, priorEra);
  if (mode !== 'auto') return attempt(server, hooks, limit, mode);
  try {
    return await attempt(server, hooks, limit, 'auto');
  } catch (error) {
    if (!probeClosedConnection(error)) throw error;
    return attempt(server, hooks, limit, 'legacy');
  }
}

/** A restarted replica keeps the era its predecessor settled; HTTP+SSE is a 2024-11-05 transport, which no modern server speaks. */
function connectMode(server: ServerConfig, priorEra: ProtocolEra | undefined): ConnectMode {
  if (server.transport === 'sse' || priorEra === 'legacy') return 'legacy';
  if (priorEra === 'modern') return 'pin';
  return server.protocol === 'legacy' || server.protocol === 'auto' ? server.protocol : 'pin';
}

/**
 * Only a probe that ended the connection is worth a fresh start with
 * `initialize`: a refused or unanswered probe was already followed by
 * `initialize` in place, and a failed handshake would only fail again.
 */
function probeClosedConnection(error: unknown): boolean {
  // Start-up errors arrive wrapped with the process's exit detail; the connection's own error is the cause.
  for (let current = error, depth = 0; current instanceof Error && depth < 3; current = current.cause, depth++) {
    if (current instanceof UpstreamError) return current.code === UpstreamErrorCode.ProbeClosedConnection;
  }
  return false;
}

/** A start-up failure, with the process's exit detail when the upstream died of it. */
export function startupError(error: unknown, exitDetail?: string): Error {
  const message = describeError(error);
  return new Error(exitDetail ? `${message} (process ${exitDetail})` : message, { cause: error });
}
