/**
 * `maxResponseBytes`: the largest single message an upstream may send. The
 * transports count bytes as they arrive and drop an oversized message without
 * ever holding it whole; what stands in for it is decided here, in one place:
 *
 * - where its JSON-RPC id can be read from the message's ends (stdio lines, SSE
 *   events), a JSON-RPC error response for that id takes its place, so exactly
 *   that request fails and the connection goes on;
 * - where the whole body is one answer (an HTTP JSON body), the body's stream
 *   fails with {@link ResponseTooLarge}, which fails that request.
 *
 * The stand-in error carries a marker drawn per connection, so an upstream
 * cannot pass its own errors off as the gateway's.
 */
import { randomUUID } from 'node:crypto';
import type { JSONRPCMessage } from '@modelcontextprotocol/client';
import { GatewayError } from '../src/errors.js';

const MARKER_KEY = 'mcpgw/responseTooLarge';

/** Thrown through an HTTP body stream that went over the limit. */
export class ResponseTooLarge extends Error {
  readonly bytes: number | undefined;

  constructor(maxBytes: number, bytes?: number) {
    super(`the upstream's answer${bytes === undefined ? '' : ` (${bytes} bytes)`} is larger than maxResponseBytes (${maxBytes} bytes)`);
    this.name = 'ResponseTooLarge';
    this.bytes = bytes;
  }
}

export class ResponseLimit {
  readonly maxBytes: number;
  readonly #marker = randomUUID();

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The error response that replaces an oversized answer to request `id`. */
  errorResponse(id: string | number, bytes: number): JSONRPCMessage {
    return {
      jsonrpc: '2.0',
      id,
      error: { code: -32603, message: new ResponseTooLarge(this.maxBytes, bytes).message, data: { [MARKER_KEY]: this.#marker, bytes } },
    } as JSONRPCMessage;
  }

  /** MCPGW_ERR_RESPONSE_TOO_LARGE if `error` says an answer went over the limit, else undefined. */
  recognise(error: unknown, where: string): GatewayError | undefined {
    let bytes: number | undefined;
    if (error instanceof ResponseTooLarge) bytes = error.bytes;
    else {
      const data = (error as { data?: Record<string, unknown> } | null)?.data;
      if (typeof data !== 'object' || data === null || data[MARKER_KEY] !== this.#marker) return undefined;
      bytes = typeof data.bytes === 'number' ? data.bytes : undefined;
    }
    const size = bytes === undefined ? '' : ` (${bytes} bytes)`;
    return new GatewayError('MCPGW_ERR_RESPONSE_TOO_LARGE', `${where}: the upstream's answer${size} is larger than maxResponseBytes (${this.maxBytes} bytes); it was dropped`, {
      maxResponseBytes: this.maxBytes,
      ...(bytes === undefined ? {} : { bytes }),
    });
  }
}

const ID = String.raw`("(?:[^"\\]|\\.)*"|-?\d+)`;
const VERSION = String.raw`"jsonrpc"\s*:\s*"2\.0"`;
/** `{"jsonrpc":"2.0","id":…,"result"` or `{"id":…,"error"`: a response that names its id first. */
const HEAD = new RegExp(String.raw`^\s*\{\s*(?:${VERSION}\s*,\s*)?"id"\s*:\s*${ID}\s*,\s*(?:${VERSION}\s*,\s*)?"(?:result|error)"`);
/** `…,"jsonrpc":"2.0","id":…}` at the very end (as the SDKs write it): the outermost object's last key. */
const TAIL = new RegExp(String.raw`,\s*"id"\s*:\s*${ID}\s*(?:,\s*${VERSION}\s*)?\}\s*$`);
/** A message that starts with its method is a request or notification, whatever its end looks like. */
const REQUEST_HEAD = new RegExp(String.raw`^\s*\{\s*(?:${VERSION}\s*,\s*)?"method"`);

/**
 * The id of a JSON-RPC response known only by its first and last bytes.
 * Undefined when neither end names it the way a response does (the message
 * may have been a request or a notification, or the id sits in the middle).
 */
export function responseIdFromEdges(head: string, tail: string): string | number | undefined {
  if (REQUEST_HEAD.test(head)) return undefined;
  const match = HEAD.exec(head) ?? TAIL.exec(tail);
  return match ? (JSON.parse(match[1]!) as string | number) : undefined;
}
