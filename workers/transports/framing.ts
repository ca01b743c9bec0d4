/**
 * Newline-delimited JSON-RPC framing for stdio. The SDK's ReadBuffer runs every
 * line through a zod schema; on the hot path a JSON.parse and a shape check do
 * the same job for well-formed peers, and garbage is reported, not thrown.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** Splits a byte stream into lines, bounding how long one line may grow. */
export class LineDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #maxLineBytes: number;
  /** Truncate an overlong line instead of failing (stderr: keep reading). */
  readonly #truncate: boolean;

  constructor(maxLineBytes: number, truncate = false) {
    this.#maxLineBytes = maxLineBytes;
    this.#truncate = truncate;
  }

  /** Returns the complete lines in `chunk` (without `\n`, `\r` stripped). Throws on an overlong line unless truncating. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let newline = chunk.indexOf(0x0a, start);
    while (newline !== -1) {
      this.#append(chunk.subarray(start, newline));
      lines.push(this.#take());
      start = newline + 1;
      newline = chunk.indexOf(0x0a, start);
    }
    if (start < chunk.length) this.#append(chunk.subarray(start));
    return lines;
  }

  #append(part: Buffer): void {
    if (this.#pendingBytes + part.length > this.#maxLineBytes) {
      if (this.#truncate) {
        const room = this.#maxLineBytes - this.#pendingBytes;
        if (room > 0) this.#keep(part.subarray(0, room));
        return;
      }
      this.#pending = [];
      this.#pendingBytes = 0;
      throw new Error(`upstream message exceeds ${this.#maxLineBytes} bytes`);
    }
    this.#keep(part);
  }

  #keep(part: Buffer): void {
    if (part.length === 0) return;
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
