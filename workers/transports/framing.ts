/**
 * Newline-delimited JSON-RPC framing for stdio. The SDK's ReadBuffer runs every
 * line through a zod schema; on the hot path a JSON.parse and a shape check do
 * the same job for well-formed peers, and garbage is reported, not thrown.
 */
import type { JSONRPCMessage } from '@modelcontextprotocol/client';

/** How many bytes of each end of an overlong line are kept, so its JSON-RPC id can still be read. */
export const EDGE_BYTES = 256;

/** What is left of a line that was over the limit: its two ends and its size. */
export interface OverlongLine {
  /** The first bytes (up to EDGE_BYTES). */
  readonly head: Buffer;
  /** The last bytes (up to EDGE_BYTES) before the newline. */
  readonly tail: Buffer;
  /** The whole line's length in bytes. */
  readonly bytes: number;
}

/**
 * Splits a byte stream into lines, bounding how long one line may grow. An
 * overlong line is either truncated (stderr: keep reading) or dropped whole,
 * up to its newline, and reported through `onOverlong` once it has ended — so
 * its tail is never mistaken for a message, the lines around it are kept, and
 * memory stays bounded by the limit however long the line is.
 */
export class LineDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #discarding = false;
  #head: Buffer = Buffer.alloc(0);
  #tail: Buffer = Buffer.alloc(0);
  #discardedBytes = 0;
  readonly #maxLineBytes: number;
  readonly #onOverlong: ((line: OverlongLine) => void) | 'truncate';

  constructor(maxLineBytes: number, onOverlong: ((line: OverlongLine) => void) | 'truncate') {
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
      // A whole line inside this chunk, nothing held from before: decoded in place, never copied first.
      if (newline !== -1 && this.#pendingBytes === 0 && !this.#discarding && end - start <= this.#maxLineBytes) {
        lines.push(withoutCarriageReturn(chunk.toString('utf8', start, end)));
        start = newline + 1;
        continue;
      }
      this.#append(chunk.subarray(start, end));
      if (newline === -1) return lines;
      if (this.#discarding) this.#endOverlong();
      else lines.push(this.#take());
      start = newline + 1;
    }
  }

  #append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.#discarding) return this.#discard(part);
    if (this.#pendingBytes + part.length <= this.#maxLineBytes) return this.#keep(part);
    if (this.#onOverlong === 'truncate') {
      const room = this.#maxLineBytes - this.#pendingBytes;
      if (room > 0) this.#keep(part.subarray(0, room));
      return;
    }
    // Over the limit: from here on only the two ends and the count are kept.
    this.#discarding = true;
    this.#head = Buffer.alloc(0);
    this.#tail = Buffer.alloc(0);
    this.#discardedBytes = 0;
    for (const kept of this.#pending) this.#discard(kept);
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#discard(part);
  }

  /** Counts `part` and keeps the first and last EDGE_BYTES seen; copies at most that much, whatever the part's size. */
  #discard(part: Buffer): void {
    this.#discardedBytes += part.length;
    if (this.#head.length < EDGE_BYTES) this.#head = firstBytes([this.#head, part], EDGE_BYTES);
    this.#tail =
      part.length >= EDGE_BYTES ? Buffer.from(part.subarray(part.length - EDGE_BYTES)) : Buffer.concat([this.#tail, part]).subarray(-EDGE_BYTES);
  }

  #endOverlong(): void {
    this.#discarding = false;
    const line = { head: this.#head, tail: this.#tail, bytes: this.#discardedBytes };
    this.#head = Buffer.alloc(0);
    this.#tail = Buffer.alloc(0);
    this.#discardedBytes = 0;
    if (this.#onOverlong !== 'truncate') this.#onOverlong(line);
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
    return withoutCarriageReturn(text);
  }
}

function withoutCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** The first `count` bytes of `chunks` together, copying no more than that. */
export function firstBytes(chunks: readonly Uint8Array[], count: number): Buffer {
  const parts: Uint8Array[] = [];
  let taken = 0;
  for (const chunk of chunks) {
    if (taken >= count) break;
    const part = chunk.subarray(0, count - taken);
    parts.push(part);
    taken += part.length;
  }
  return Buffer.concat(parts, taken);
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
