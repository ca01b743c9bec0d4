/**
 * JSON text on its way through the gateway: a string, or bytes already
 * encoded as UTF-8 — a cached list page (encoded when the catalog changes, not
 * per answer), or a large result that crossed from a worker as a transferred
 * buffer (no structured-clone copy on either side, and nothing on the main
 * thread's heap) and goes to the client as it came.
 */
export type JsonText = string | Uint8Array;

/** The byte length of JSON text as it goes on the wire. */
export function jsonTextBytes(text: JsonText): number {
  return typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength;
}

/** The same bytes as a Buffer (a view, no copy), for Buffer's search and decoding. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** As a string, for the few paths that edit or parse a result (tasks, input requests, captures): a decode only there. */
export function jsonTextString(text: JsonText): string {
  return typeof text === 'string' ? text : asBuffer(text).toString('utf8');
}

/**
 * Results at least this long (in UTF-16 units) cross the thread hop as UTF-8
 * bytes in a buffer of their own, transferred. Below it, cloning a string
 * costs less than allocating and transferring a buffer.
 */
export const TRANSFER_MIN_CHARS = 16 * 1024;

const encoder = new TextEncoder();

/** `text` as UTF-8 bytes in a buffer of its own (never Buffer's shared pool), so that buffer can be transferred. */
export function ownedUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}
