/**
 * The hot path for calls on a single-channel transport (stdio, WebSocket):
 * requests go straight onto the transport with the gateway's own ids, and
 * their answers are taken off it before anything else sees them — no
 * per-call envelope building through a codec, result decoding, zod or
 * AbortSignal listeners (workers/cancellation.ts). Everything else that
 * arrives (the upstream's own requests and notifications, answers to other
 * ids) is passed on to the lean connection (workers/lean-connection.ts),
 * which also sends its handshake and listings through here.
 *
 * Measured in bench/RESULTS.md (scenario 2, the worker's share of gateway CPU
 * per call).
 */
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { GatewayError } from '../src/errors.js';
import { META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION } from '../src/protocol/versions.js';
import { timerDelay } from '../src/timer-delay.js';
import type { Cancellation } from './cancellation.js';
import { OPEN_BRACE, parsedMemberText, withoutMember } from '../src/json-member.js';
import type { ForwardedResult } from './upstream-connection.js';
import { UpstreamError, UpstreamErrorCode } from './upstream-errors.js';
import { IdTable } from '../src/id-table.js';

/** The ids of requests sent through here; a listen's id is `listen:N` (lean-connection.ts), so the two never meet. */
const RAW_PREFIX = 'mcpgw:';

export interface RawRequestOptions {
  readonly cancellation: Cancellation;
  readonly timeoutMs: number;
  readonly onprogress?: (progress: Record<string, unknown>) => void;
  /** Give up without telling the upstream (`notifications/cancelled`): for the era probe, which a 2025 server must see nothing after but `initialize`. */
  readonly quietTimeout?: boolean;
}

/**
 * A transport that hands over messages with their text and takes text to send,
 * so a call's params and result cross the worker as the strings they arrive as.
 */
export interface RawTransport extends Transport {
  ontextmessage?: (message: JSONRPCMessage, text: string) => void;
  sendText(text: string): Promise<void>;
}

interface Pending {
  /** Its key in the table, and its JSON-RPC id on the wire (`mcpgw:<seq>`). */
  readonly seq: number;
  readonly id: string;
  readonly resolve: (result: unknown, text: string | undefined) => void;
  readonly reject: (error: unknown) => void;
  readonly onprogress: ((progress: Record<string, unknown>) => void) | undefined;
  readonly timer: NodeJS.Timeout;
  readonly cancellation: Cancellation;
  readonly wantsText: boolean;
}

export interface RawEnvelope {
  /** The negotiated version, for a 2026-07-28 upstream (whose every request carries the `_meta` envelope). */
  readonly modernVersion?: string;
  readonly clientInfo: { readonly name: string; readonly version: string };
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
}

/** Where what is not an answer to one of our requests goes. */
export interface PassOn {
  onmessage(message: JSONRPCMessage): void;
  onclose(): void;
}

export class RawForwarder {
  readonly #transport: RawTransport;
  #envelope: RawEnvelope;
  /** JSON text of envelopeMeta(), or undefined while it is empty (2025). */
  #envelopeText: string | undefined;
  readonly #pending = new IdTable<Pending>();
  #next = 1;
  #closedReason: string | undefined;

  /** Takes over the transport's inbound side, passing everything not ours on to `passOn`. */
  constructor(transport: RawTransport, envelope: RawEnvelope, passOn: PassOn) {
    this.#transport = transport;
    this.#envelope = envelope;
    this.#envelopeText = envelopeText(this.envelopeMeta());
    transport.ontextmessage = (message, text) => {
      if (!this.#take(message, text)) passOn.onmessage(message);
    };
    transport.onclose = () => {
      this.failAll('the upstream connection closed');
      passOn.onclose();
    };
  }

  /** Switches the era requests are sent in: a 2026-07-28 version adds the `_meta` envelope, undefined (2025) sends none. */
  speak(modernVersion: string | undefined): void {
    const { clientInfo, clientCapabilities } = this.#envelope;
    this.#envelope = modernVersion === undefined ? { clientInfo, clientCapabilities } : { modernVersion, clientInfo, clientCapabilities };
    this.#envelopeText = envelopeText(this.envelopeMeta());
  }

  /** The `_meta` every request carries in the current era (empty for 2025). */
  envelopeMeta(): Record<string, unknown> {
    const meta: Record<string, unknown> = {};
    if (this.#envelope.modernVersion !== undefined) {
      meta[META_PROTOCOL_VERSION] = this.#envelope.modernVersion;
      meta[META_CLIENT_INFO] = this.#envelope.clientInfo;
      meta[META_CLIENT_CAPABILITIES] = this.#envelope.clientCapabilities;
    }
    return meta;
  }

  request(method: string, params: Record<string, unknown> | undefined, options: RawRequestOptions): Promise<unknown> {
    return new Promise((resolve, reject) => this.#send(method, params, undefined, options, resolve, reject));
  }

  /**
   * A call passed on for a client: `paramsText` is `params` as JSON text, as
   * the main thread posted it, and goes out as it is, with the era's `_meta`
   * (merged with the params' own) spliced in; the result comes back with its
   * text as the upstream wrote it.
   */
  forward(method: string, params: Record<string, unknown>, paramsText: string | undefined, options: RawRequestOptions): Promise<ForwardedResult> {
    // No closure here sees the params: the pending call's callbacks would keep a large payload alive until its answer.
    const answer = deferred<ForwardedResult>();
    this.#send(method, params, paramsText, options, (result, text) => answer.resolve({ result, text }), answer.reject, true);
    return answer.promise;
  }

  #send(
    method: string,
    params: Record<string, unknown> | undefined,
    paramsText: string | undefined,
    options: RawRequestOptions,
    resolve: (result: unknown, text: string | undefined) => void,
    reject: (error: unknown) => void,
    wantsText = false,
  ): void {
    if (this.#closedReason !== undefined) return reject(new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${method} failed: ${this.#closedReason}`));
    const seq = this.#next++;
    const id = `${RAW_PREFIX}${seq}`;
    const line = this.#line(id, method, params, paramsText, options.onprogress !== undefined);
    const cancel = (reason: unknown, error: unknown, quiet = false) => {
      if (!this.#settle(seq)) return;
      if (!quiet) void this.#transport.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: String((reason as Error)?.message ?? reason) } }).catch(() => undefined);
      reject(error);
    };
    // Closures here see no more of `options` than they need: it may carry the params' text (forward).
    const { cancellation, timeoutMs, quietTimeout } = options;
    if (cancellation.aborted) return reject(cancellation.reason);
    const timer = setTimeout(
      () => cancel('timeout', new UpstreamError(UpstreamErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs }), quietTimeout),
      timerDelay(timeoutMs),
    );
    cancellation.onAbort(() => cancel(cancellation.reason, cancellation.reason));
    this.#pending.set(seq, { seq, id, resolve, reject, timer, cancellation, wantsText, onprogress: options.onprogress });
    this.#transport.sendText(line).catch((error: unknown) => {
      if (this.#settle(seq)) reject(new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `${method} could not be sent: ${(error as Error).message}`));
    });
  }

  /** The request as one line of JSON. */
  #line(id: string, method: string, params: Record<string, unknown> | undefined, paramsText: string | undefined, progress: boolean): string {
    const head = `{"jsonrpc":"2.0","id":"${id}","method":${JSON.stringify(method)}`;
    const own = params?._meta as Record<string, unknown> | undefined;
    // The caller's own `_meta` keys (its capabilities) win over the connection's.
    const merged = own === undefined && !progress ? undefined : Object.assign(this.envelopeMeta(), own, progress ? { progressToken: id } : undefined);
    if (paramsText === undefined || paramsText.charCodeAt(0) !== OPEN_BRACE) {
      const meta = merged ?? this.envelopeMeta();
      const sent = Object.keys(meta).length > 0 ? { ...params, _meta: meta } : params;
      return sent === undefined ? `${head}}` : `${head},"params":${JSON.stringify(sent)}}`;
    }
    // The params' own text goes out as it came, its `_meta` replaced by the merged one.
    const metaText = merged === undefined ? this.#envelopeText : envelopeText(merged);
    const rest = own === undefined ? paramsText : withoutMember(paramsText, '_meta');
    if (metaText === undefined) return `${head},"params":${rest}}`;
    return `${head},"params":{"_meta":${metaText}${EMPTY_OBJECT.test(rest) ? '}' : `,${rest.slice(1)}`}}`;
  }

  /** Fails every call in flight (the connection is gone). */
  failAll(reason: string): void {
    this.#closedReason ??= reason;
    for (const pending of this.#pending.values()) {
      this.#settle(pending.seq);
      pending.reject(new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `the call failed: ${reason}`));
    }
  }

  /** Our answers and our progress notifications; false for anything to pass on. */
  #take(message: JSONRPCMessage, text: string): boolean {
    const record = message as { id?: unknown; method?: unknown; params?: Record<string, unknown>; result?: unknown; error?: { code: number; message: string; data?: unknown } };
    if (record.method === 'notifications/progress') {
      const token = record.params?.progressToken;
      if (typeof token !== 'string' || !token.startsWith(RAW_PREFIX)) return false;
      const { progressToken: _token, ...progress } = record.params!;
      this.#pendingFor(token)?.onprogress?.(progress);
      return true;
    }
    if (typeof record.id !== 'string' || !record.id.startsWith(RAW_PREFIX) || record.method !== undefined) return false;
    const pending = this.#pendingFor(record.id);
    if (!pending || !this.#settle(pending.seq)) return true;
    if (record.error) pending.reject(record.error);
    else pending.resolve(...settled(record.result, pending.wantsText ? text : undefined));
    return true;
  }

  /** The request a wire id (`mcpgw:N`) names; undefined for one not in flight (or not written as we write ids). */
  #pendingFor(wireId: string): Pending | undefined {
    const pending = this.#pending.get(Number(wireId.slice(RAW_PREFIX.length)));
    return pending?.id === wireId ? pending : undefined;
  }

  #settle(seq: number): boolean {
    const pending = this.#pending.get(seq);
    if (!pending) return false;
    this.#pending.delete(seq);
    clearTimeout(pending.timer);
    pending.cancellation.onAbort(undefined);
    return true;
  }
}

/**
 * The result passed on, and its text when the message's is at hand. As the SDK client does,
 * `resultType: "complete"` (the default) is not passed on; other kinds are.
 */
function settled(result: unknown, messageText: string | undefined): [unknown, string | undefined] {
  const text = messageText === undefined ? undefined : parsedMemberText(messageText, 'result');
  if (typeof result !== 'object' || result === null || (result as { resultType?: unknown }).resultType !== 'complete') return [result, text];
  const { resultType: _complete, ...rest } = result as Record<string, unknown>;
  return [rest, text === undefined ? undefined : withoutMember(text, 'resultType')];
}

const EMPTY_OBJECT = /^\{\s*\}$/;

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

function envelopeText(meta: Record<string, unknown>): string | undefined {
  return Object.keys(meta).length === 0 ? undefined : JSON.stringify(meta);
}
