/**
 * The trace id each call is known by: the client's own, when it sent a valid
 * W3C `traceparent`, so its traces and the gateway's request log line up;
 * otherwise a fresh random one.
 */
import { randomFillSync } from 'node:crypto';

/** version-traceid-parentid-flags; versions after 00 may append fields (the spec's forward compatibility). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_PARENT_ID = '0'.repeat(16);

export interface Traceparent {
  readonly traceId: string;
  readonly parentId: string;
  readonly sampled: boolean;
}

/** A valid `traceparent` header value, parsed; undefined when absent or invalid (then a fresh trace starts). */
export function parseTraceparent(value: string | undefined): Traceparent | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match;
  // ff is forbidden; version 00 has exactly four fields; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined) || traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return undefined;
  return { traceId: traceId!, parentId: parentId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}

/** The trace id of a `traceparent` header value, or undefined when the header is absent or invalid. */
export function traceIdOfHeader(value: string | undefined): string | undefined {
  return parseTraceparent(value)?.traceId;
}

/** Fresh trace ids: 16 random bytes as 32 lower-case hex digits, drawn from a pool so a call costs no system call. */
export class TraceIds {
  readonly #pool = Buffer.allocUnsafe(16 * 256);
  #offset = this.#pool.length;

  next(): string {
    for (;;) {
      if (this.#offset === this.#pool.length) {
        randomFillSync(this.#pool);
        this.#offset = 0;
      }
      const id = this.#pool.toString('hex', this.#offset, this.#offset + 16);
      this.#offset += 16;
      if (id !== ZERO_TRACE_ID) return id;
    }
  }

  /** The client's trace id from the request headers, else a fresh one. */
  of(headers: Readonly<Record<string, string>>): string {
    return traceIdOfHeader(headers.traceparent) ?? this.next();
  }
}
