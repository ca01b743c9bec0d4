/**
 * The MCP client `Transport` for WebSocket upstreams. SDK v2 ships none, and v1's
 * needs a global `WebSocket` that Node 20 lacks, so this one sits on `ws`.
 *
 * Wire: subprotocol `mcp`, one JSON-RPC message per text frame.
 *
 * Life cycle, as the SDK's `Protocol` expects it:
 * - `start()` resolves once the socket is open. It rejects on a connection error,
 *   a refused upgrade (the HTTP status is in the message), a missing `mcp`
 *   subprotocol or a handshake timeout.
 * - `onclose` fires exactly once, when the socket ends for any reason: the peer
 *   closed, the connection broke, the handshake failed, or `close()` was called.
 * - A frame that is not a JSON-RPC message goes to `onerror` and is dropped;
 *   the connection stays up.
 * - A message over `maxMessageBytes` is refused by ws from its frame header,
 *   before the payload is read, and the connection closes with 1009 (Message
 *   Too Big): WebSocket offers no way to skip one message. `tooBig` then says so.
 */
import WebSocket from 'ws';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';

export interface WebSocketClientTransportOptions {
  /** `ws://` or `wss://` URL of the upstream. */
  readonly url: string | URL;
  /** Extra headers for the upgrade request (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Largest frame accepted; a bigger one closes the connection (1009). Default {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
  /** How long the opening handshake may take. Default {@link DEFAULT_HANDSHAKE_TIMEOUT_MS}. */
  readonly handshakeTimeoutMs?: number;
}

/** The same ceiling the SDK's stdio transport puts on one message (10 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** A blackholed host would otherwise hold `start()` for the OS's TCP timeout (minutes). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long `close()` waits for the peer's close frame before dropping the TCP connection. */
const CLOSE_GRACE_MS = 2_000;
const SUBPROTOCOL = 'mcp';

export class WebSocketClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** When set, takes each message with the frame's text (instead of onmessage): see RawTransport. */
  ontextmessage?: (message: JSONRPCMessage, text: string) => void;

  readonly #options: WebSocketClientTransportOptions;
  #socket: WebSocket | undefined;
  #closeFired = false;
  #tooBig = false;
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;

  constructor(options: WebSocketClientTransportOptions) {
    this.#options = options;
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** True once the connection was closed because the peer sent a message over `maxMessageBytes`. */
  get tooBig(): boolean {
    return this.#tooBig;
  }

  start(): Promise<void> {
    if (this.#socket !== undefined) return Promise.reject(new Error('WebSocketClientTransport already started'));
    if (this.#closeFired) return Promise.reject(new Error('WebSocketClientTransport is closed'));
    const url = String(this.#options.url);
    // ws itself fails the handshake when the server does not pick `mcp`.
    const socket = new WebSocket(url, SUBPROTOCOL, {
      headers: { ...this.#options.headers },
      maxPayload: this.#options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      handshakeTimeout: this.#options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    });
    this.#socket = socket;
    socket.on('close', () => this.#fireClose());
    socket.on('message', (data) => this.#receive(data));

    return new Promise<void>((resolve, reject) => {
      let opened = false;
      // ws reports a refused upgrade only as "Unexpected server response: 401";
      // keep the status and reason so the caller can tell auth from routing errors.
      let refusal: Error | undefined;
      socket.once('unexpected-response', (_req, res) => {
        refusal = new Error(`WebSocket upgrade to ${url} refused: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trimEnd());
        res.resume();
        socket.terminate();
      });
      socket.once('open', () => {
        opened = true;
        resolve();
      });
      // One listener for the socket's whole life: an 'error' with none would throw.
      socket.on('error', (error) => {
        if ((error as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#tooBig = true;
        if (opened) this.onerror?.(error);
        else reject(refusal ?? new Error(`WebSocket connection to ${url} failed: ${error.message}`, { cause: error }));
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendText(JSON.stringify(message));
  }

  /** Sends one message already serialised as JSON text. */
  sendText(text: string): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new Error('WebSocket is not open'));
    }
    return new Promise((resolve, reject) => {
      socket.send(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState === WebSocket.CLOSED) {
      this.#fireClose();
      return;
    }
    if (socket.readyState === WebSocket.CONNECTING) {
      socket.terminate();
    } else {
      socket.close(1000);
      const grace = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
      grace.unref();
      void this.#closed.then(() => clearTimeout(grace));
    }
    await this.#closed;
  }

  #receive(data: WebSocket.RawData): void {
    // Text frames are the contract; a binary frame holding UTF-8 JSON is read the
    // same way, since rejecting it would only break lax servers.
    const text = rawToString(data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      this.onerror?.(new Error(`Malformed WebSocket frame (not JSON): ${preview(text)}`, { cause: error }));
      return;
    }
    // No schema parse per frame (this is the hot path): only what every
    // JSON-RPC message has is checked here.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || (parsed as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.onerror?.(new Error(`Malformed WebSocket frame (not a JSON-RPC 2.0 message): ${preview(text)}`));
      return;
    }
    if (this.ontextmessage === undefined) this.onmessage?.(parsed as JSONRPCMessage);
    else this.ontextmessage(parsed as JSONRPCMessage, text);
  }

  #fireClose(): void {
    if (this.#closeFired) return;
    this.#closeFired = true;
    this.#resolveClosed();
    this.onclose?.();
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
