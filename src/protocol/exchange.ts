/**
 * One HTTP request/response carrying one JSON-RPC request: answered as plain
 * JSON, or — once the upstream reports progress — as an SSE stream on which
 * the progress notifications and then the answer travel (both eras accept
 * either for a POST).
 */
import type { HttpResponse } from '../front-door/engine.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' } as const;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export class Exchange {
  readonly #response: HttpResponse;
  readonly #headers: Readonly<Record<string, string>>;
  #streaming = false;
  #abortListeners: (() => void)[] = [];
  #done = false;

  constructor(response: HttpResponse, headers: Readonly<Record<string, string>> = {}) {
    this.#response = response;
    this.#headers = headers;
  }

  get closed(): boolean {
    return this.#response.closed;
  }

  /** The client went away, or cancelled the request in-band (legacy `notifications/cancelled`). */
  onAbort(listener: () => void): void {
    this.#abortListeners.push(listener);
    this.#response.onAbort(listener);
  }

  /** Cancels in-band: runs the abort listeners; the answer that follows is still sent if the client waits. */
  cancel(): void {
    const listeners = this.#abortListeners;
    this.#abortListeners = [];
    for (const listener of listeners) listener();
  }

  /** Sends a notification on the request's own stream (starting it if need be). */
  notify(frame: string): void {
    if (this.#done || this.#response.closed) return;
    if (!this.#streaming) {
      this.#streaming = true;
      this.#response.startStream(200, { ...SSE_HEADERS, ...this.#headers });
    }
    this.#response.write(`event: message\ndata: ${frame}\n\n`);
  }

  /** An SSE comment (keep-alive); only on a stream already open. */
  comment(text: string): void {
    if (this.#streaming && !this.#done && !this.#response.closed) this.#response.write(`: ${text}\n\n`);
  }

  /** The final answer: a JSON-RPC frame with its HTTP status (used only when not streaming yet). */
  reply(status: number, frame: string, headers: Readonly<Record<string, string>> = {}): number {
    if (this.#done || this.#response.closed) return 0;
    this.#done = true;
    if (this.#streaming) {
      this.#response.write(`event: message\ndata: ${frame}\n\n`);
      this.#response.end();
    } else {
      this.#response.send(status, { ...JSON_HEADERS, ...this.#headers, ...headers }, frame);
    }
    return Buffer.byteLength(frame);
  }

  /** A bodyless answer (202 for notifications, 200 for DELETE). */
  empty(status: number, headers: Readonly<Record<string, string>> = {}): void {
    if (this.#done || this.#response.closed) return;
    this.#done = true;
    this.#response.send(status, { ...this.#headers, ...headers }, '');
  }
}
