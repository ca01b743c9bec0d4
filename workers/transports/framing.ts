/**
 * Newline-delimited JSON-RPC framing for stdio. The SDK's ReadBuffer runs every
 * line through a zod schema; on the hot path a JSON.parse and a shape check do
 * the same job for well-formed peers, and garbage is reported, not thrown.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/**
 * Splits a byte stream into lines, bounding how long one line may grow. An
 * overlong line is either truncated (stderr: keep reading) or dropped whole,
 * up to its newline, and reported through `onOverlong` — so its tail is never
 * mistaken for a message and the lines around it are kept.
 */
export class LineDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #discarding = false;
  readonly #maxLineBytes: number;
  readonly #onOverlong: ((maxLineBytes: number) => void) | 'truncate';

  constructor(maxLineBytes: number, onOverlong: ((maxLineBytes: number) => void) | 'truncate') {
    this.#maxLineBytes = maxLineBytes;
    this.#onOverlong = onOverlong;
  }

  /** Returns the complete lines in `chunk` (without `\n`, `\r` stripped). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (!this.#discarding) this.#append(chunk.subarray(start, end));
      if (newline === -1) return lines;
      if (this.#discarding) this.#discarding = false;
      else lines.push(this.#take());
      start = newline + 1;
    }
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.#pendingBytes + part.length <= this.#maxLineBytes) return this.#keep(part);
    if (this.#onOverlong === 'truncate') {
      const room = this.#maxLineBytes - this.#pendingBytes;
      if (room > 0) this.#keep(part.subarray(0, room));
      return;
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discarding = true;
    this.#onOverlong(this.#maxLineBytes);
  }

  #keep(part: Buffer): void {
    // Copy: the stream may reuse the chunk's memory.
    this.#pending.push(Buffer.from(part));
    this.#pendingBytes += part.length;
  }

  #take(): string {
    const text = this.#pending.length === 1 ? this.#pending[0]!.toString('utf8') : Buffer.concat(this.#pending, this.#pendingBytes).toString('utf8');
    this.#pending = [];
    this.#pendingBytes = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  }
}

/** A JSON-RPC 2.0 message, or undefined when the line is not one. */
export function parseJsonRpcLine(line: string): JSONRPCMessage | undefined {
  if (line.length === 0 || line.charCodeAt(0) !== 0x7b /* { */) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isJsonRpcMessage(value) ? value : undefined;
}

export function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return false;
  if (typeof message.method === 'string') return true;
  return 'id' in message && ('result' in message || 'error' in message);
}
