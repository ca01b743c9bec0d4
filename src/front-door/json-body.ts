/**
 * The one way a request body becomes JSON, so every path reports malformed JSON
 * alike (400 / -32700) and refuses deep nesting alike (400 / -32600).
 */
import { GatewayError } from '../errors.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, OPEN_BRACE, OPEN_BRACKET, QUOTE } from '../json-member.js';

export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  return readJsonBody(body, maxDepth).value;
}

/** The value and the text it was parsed from (for passing parts of it on as they came: src/json-member.ts). */
export function readJsonBody(body: Buffer, maxDepth: number): { value: unknown; text: string } {
  assertDepth(body, maxDepth);
  const text = body.toString('utf8');
  try {
    return { value: JSON.parse(text), text };
  } catch (error) {
    throw new GatewayError('MCPGW_ERR_BAD_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * V8 parses any depth, but what handles the value afterwards recurses
 * (structured clone to the worker, ajv, JSON.stringify, upstream SDKs), so
 * depth is refused before anything is built. One pass over the bytes, counting
 * brackets outside strings; string contents are skipped with indexOf, since a
 * large body is mostly strings. Malformed input is left for JSON.parse to report.
 * UTF-8 continuation bytes are all >= 0x80, so a byte-wise scan cannot mistake them.
 */
function assertDepth(body: Buffer, maxDepth: number): void {
  // Each level needs at least one opening byte.
  if (body.length <= maxDepth) return;
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === QUOTE) {
      i = closingQuote(body, i);
      if (i < 0) return;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > maxDepth) {
        throw new GatewayError('MCPGW_ERR_JSON_TOO_DEEP', `request body nests objects and arrays deeper than ${maxDepth} levels (maxJsonDepth)`, { maxDepth });
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
    }
  }
}

/** Strings up to this long are scanned here; past it, Buffer.indexOf (a native call, worth it only for long strings). */
const INLINE_SCAN_BYTES = 48;

/** Index of the quote that ends the string opened at `open`, or -1 if it never ends. */
function closingQuote(body: Buffer, open: number): number {
  let end = open;
  const inlineEnd = Math.min(body.length, open + 1 + INLINE_SCAN_BYTES);
  for (;;) {
    end++;
    while (end < inlineEnd && body[end] !== QUOTE) end++;
    if (end >= inlineEnd) end = body.indexOf(QUOTE, end);
    if (end < 0) return -1;
    let backslashes = 0;
    while (body[end - 1 - backslashes] === BACKSLASH) backslashes++;
    // An even run of backslashes escapes itself, not the quote.
    if (backslashes % 2 === 0) return end;
  }
}
