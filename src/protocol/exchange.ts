/**
 * One HTTP request/response carrying one JSON-RPC request: answered as plain
 * JSON, or — once the upstream reports progress — as an SSE stream on which
 * the progress notifications and then the answer travel (both eras accept
 * either for a POST).
 */
import type { HttpResponse } from '../front-door/engine.js';
import { jsonTextBytes, type JsonText } from '../json-text.js';

/** Where one JSON-RPC request's notifications and answer go. */
export interface Exchange {
  readonly closed: boolean;
  onAbort(listener: () => void): void;
  /** Runs the abort listeners (an in-band cancel). */
  cancel(): void;
  /** A notification related to the request (progress, listen events). */
  notify(frame: string): void;
  /** An SSE comment (keep-alive), where a stream is open. */
  comment(text: string): void;
  /** The final answer, a JSON-RPC frame; the status applies where the answer is an HTTP response of its own. Returns the frame's bytes. */
  reply(status: number, frame: JsonText, headers?: Readonly<Record<string, string>>): number;
  empty(status: number, headers?: Readonly<Record<string, string>>): void;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' } as const;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const SSE_MESSAGE_OPEN = Buffer.from('event: message\ndata: ');
const SSE_MESSAGE_CLOSE = Buffer.from('\n\n');

/** A JSON-RPC frame as one SSE `message` event. */
function sseMessage(frame: JsonText): JsonText {
  return typeof frame === 'string' ? `event: message\ndata: ${frame}\n\n` : Buffer.concat([SSE_MESSAGE_OPEN, frame, SSE_MESSAGE_CLOSE]);
}

export class HttpExchange implements Exchange {
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

  onAbort(listener: () => void): void {
    this.#abortListeners.push(listener);
    this.#response.onAbort(listener);
  }

  cancel(): void {
    const listeners = this.#abortListeners;
    this.#abortListeners = [];
    for (const listener of listeners) listener();
    // The 2025 rule: a cancelled request gets no answer. Close the HTTP exchange without one.
    if (this.#done || this.#response.closed) return;
    this.#done = true;
    if (this.#streaming) this.#response.end();
    else this.#response.send(202, this.#headers, '');
  }

  /** Starts the request's own SSE stream on the first notification. */
  notify(frame: string): void {
    if (this.#done || this.#response.closed) return;
    if (!this.#streaming) {
      this.#streaming = true;
      this.#response.startStream(200, { ...SSE_HEADERS, ...this.#headers });
    }
    this.#response.write(sseMessage(frame));
  }

  comment(text: string): void {
    if (this.#streaming && !this.#done && !this.#response.closed) this.#response.write(`: ${text}\n\n`);
  }

  reply(status: number, frame: JsonText, headers: Readonly<Record<string, string>> = {}): number {
    if (this.#done || this.#response.closed) return 0;
    this.#done = true;
    if (this.#streaming) {
      this.#response.write(sseMessage(frame));
      this.#response.end();
      return jsonTextBytes(frame);
    }
    // Encoded once, here: measuring the text and then writing it would read a large answer twice.
    const bytes = typeof frame === 'string' ? Buffer.from(frame) : frame;
    this.#response.send(status, { ...JSON_HEADERS, ...this.#headers, ...headers }, bytes);
    return bytes.byteLength;
  }

  empty(status: number, headers: Readonly<Record<string, string>> = {}): void {
    if (this.#done || this.#response.closed) return;
    this.#done = true;
    this.#response.send(status, { ...this.#headers, ...headers }, '');
  }
}

/**
 * An exchange whose messages go to a session's long-lived stream instead of
 * the request's own response: the legacy HTTP+SSE transport (2024-11-05),
 * where a POST is only acknowledged (202) and every answer arrives on the GET
 * stream.
 */
export class StreamExchange implements Exchange {
  readonly #stream: HttpResponse;
  #abortListeners: (() => void)[] = [];
  #done = false;

  constructor(stream: HttpResponse) {
    this.#stream = stream;
    stream.onAbort(() => this.cancel());
  }

  get closed(): boolean {
    return this.#done || this.#stream.closed;
  }

  onAbort(listener: () => void): void {
    this.#abortListeners.push(listener);
  }

  cancel(): void {
    const listeners = this.#abortListeners;
    this.#abortListeners = [];
    for (const listener of listeners) listener();
    // A cancelled request gets no answer on the stream.
    this.#done = true;
  }

  notify(frame: string): void {
    if (!this.closed) this.#stream.write(sseMessage(frame));
  }

  comment(): void {
    // The session stream has its own keep-alive.
  }

  reply(_status: number, frame: JsonText): number {
    if (this.closed) return 0;
    this.#done = true;
    this.#stream.write(sseMessage(frame));
    return jsonTextBytes(frame);
  }

  empty(): void {
    this.#done = true;
  }
}
