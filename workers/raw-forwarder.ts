/**
 * The hot path for calls on a single-channel transport (stdio, WebSocket):
 * requests go straight onto the transport with the gateway's own ids, and
 * their answers are taken off it before the SDK's Protocol sees them — no
 * per-call envelope building through the codec, result decoding, zod or
 * AbortSignal listeners of the SDK (workers/cancellation.ts). Everything else on the connection (the
 * handshake, health checks, listings, list_changed, the upstream's own
 * requests) still goes through the SDK Client.
 *
 * Measured in bench/RESULTS.md (scenario 2, the worker's share of gateway CPU
 * per call); the SDK's `request()` path stays for HTTP transports, whose
 * per-request headers and sessions the SDK transport manages.
 */
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY, SdkError, SdkErrorCode } from '@modelcontextprotocol/client';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { GatewayError } from '../src/errors.js';
import { timerDelay } from '../src/timer-delay.js';
import type { Cancellation } from './cancellation.js';

/** Ids the gateway uses for its own requests; the SDK numbers its ids, so the two never meet. */
const RAW_PREFIX = 'mcpgw:';

export interface RawRequestOptions {
  readonly cancellation: Cancellation;
  readonly timeoutMs: number;
  readonly onprogress?: (progress: Record<string, unknown>) => void;
}

interface Pending {
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onprogress?: (progress: Record<string, unknown>) => void;
  readonly timer: NodeJS.Timeout;
  readonly cancellation: Cancellation;
}

export interface RawEnvelope {
  /** The negotiated version, for a 2026-07-28 upstream (whose every request carries the `_meta` envelope). */
  readonly modernVersion?: string;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
}

export class RawForwarder {
  readonly #transport: Transport;
  readonly #envelope: RawEnvelope;
  readonly #pending = new Map<string, Pending>();
  #next = 1;
  #closedReason: string | undefined;

  /** Takes over the transport's inbound side, passing everything not ours on to the SDK's handler. */
  constructor(transport: Transport, envelope: RawEnvelope) {
    this.#transport = transport;
    this.#envelope = envelope;
    const sdkOnMessage = transport.onmessage;
    const sdkOnClose = transport.onclose;
    transport.onmessage = (message, extra) => {
      if (!this.#take(message)) sdkOnMessage?.(message, extra);
    };
    transport.onclose = () => {
      this.failAll('the upstream connection closed');
      sdkOnClose?.();
    };
  }

  request(method: string, params: Record<string, unknown>, options: RawRequestOptions): Promise<unknown> {
    if (this.#closedReason !== undefined) return Promise.reject(new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${method} failed: ${this.#closedReason}`));
    const id = `${RAW_PREFIX}${this.#next++}`;
    const meta: Record<string, unknown> = {};
    if (this.#envelope.modernVersion !== undefined) {
      meta[PROTOCOL_VERSION_META_KEY] = this.#envelope.modernVersion;
      meta[CLIENT_INFO_META_KEY] = this.#envelope.clientInfo;
      meta[CLIENT_CAPABILITIES_META_KEY] = this.#envelope.clientCapabilities;
    }
    // The caller's own `_meta` keys (its capabilities) win over the connection's.
    Object.assign(meta, params._meta as Record<string, unknown> | undefined);
    if (options.onprogress) meta.progressToken = id;
    const message = { jsonrpc: '2.0' as const, id, method, params: Object.keys(meta).length > 0 ? { ...params, _meta: meta } : params };
    return new Promise((resolve, reject) => {
      const cancel = (reason: unknown, error: unknown) => {
        if (!this.#settle(id)) return;
        void this.#transport.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: String((reason as Error)?.message ?? reason) } }).catch(() => undefined);
        reject(error);
      };
      const { cancellation } = options;
      // The SDK's own timeout error, so it is worded like every other upstream timeout (upstream-errors.ts).
      const timer = setTimeout(() => cancel('timeout', new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: options.timeoutMs })), timerDelay(options.timeoutMs));
      if (cancellation.aborted) {
        clearTimeout(timer);
        reject(cancellation.reason);
        return;
      }
      cancellation.onAbort(() => cancel(cancellation.reason, cancellation.reason));
      this.#pending.set(id, { resolve, reject, timer, cancellation, ...(options.onprogress ? { onprogress: options.onprogress } : {}) });
      this.#transport.send(message as JSONRPCMessage).catch((error: unknown) => {
        if (this.#settle(id)) reject(new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${method} could not be sent: ${(error as Error).message}`));
      });
    });
  }

  /** Fails every call in flight (the connection is gone). */
  failAll(reason: string): void {
    this.#closedReason ??= reason;
    for (const [id, pending] of [...this.#pending]) {
      this.#settle(id);
      pending.reject(new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `the call failed: ${reason}`));
    }
  }

  /** Our answers and our progress notifications; false for anything the SDK should handle. */
  #take(message: JSONRPCMessage): boolean {
    const record = message as { id?: unknown; method?: unknown; params?: Record<string, unknown>; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (record.method === 'notifications/progress') {
      const token = record.params?.progressToken;
      if (typeof token !== 'string' || !token.startsWith(RAW_PREFIX)) return false;
      const { progressToken: _token, ...progress } = record.params!;
      this.#pending.get(token)?.onprogress?.(progress);
      return true;
    }
    if (typeof record.id !== 'string' || !record.id.startsWith(RAW_PREFIX) || record.method !== undefined) return false;
    const pending = this.#pending.get(record.id);
    if (!pending || !this.#settle(record.id)) return true;
    if (record.error) pending.reject(record.error);
    else pending.resolve(stripComplete(record.result));
    return true;
  }

  #settle(id: string): boolean {
    const pending = this.#pending.get(id);
    if (!pending) return false;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.cancellation.onAbort(undefined);
    return true;
  }
}

/** As the SDK client does: `resultType: "complete"` is the default and is not passed on; other kinds are. */
function stripComplete(result: unknown): unknown {
  if (typeof result === 'object' && result !== null && (result as { resultType?: unknown }).resultType === 'complete') {
    const { resultType: _complete, ...rest } = result as Record<string, unknown>;
    return rest;
  }
  return result;
}
