/**
 * Reads one member of a JSON object out of its text (or writes members in
 * front of the others), without building the object: the worker passes an
 * upstream's `result` on as the text it came in, and the REST API a call's
 * `arguments`, instead of re-serialising what JSON.parse just built (for a
 * 100 KiB payload, the larger part of each thread's cost per call).
 *
 * Only for text JSON.parse has accepted: it finds boundaries, it does not
 * validate. String contents are skipped with `indexOf`, so a long string costs
 * about what a search for its closing quote does.
 */
import { asBuffer } from './json-text.js';

/** JSON's structural characters (as UTF-16 code units, and as the UTF-8 bytes they are). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * The text of member `name` of the object `json` holds at its top level, or
 * undefined when it has none (or `json` is not an object). With duplicate
 * names the last one counts, as in JSON.parse.
 */
export function memberText(json: string, name: string): string | undefined {
  const span = lastMember(json, name);
  return span === undefined ? undefined : json.slice(span.valueStart, span.valueEnd);
}

/**
 * memberText, but undefined when the text would not say what JSON.parse read
 * from it: a number beyond a double's range (`1e999` reads as Infinity, which
 * JSON.stringify writes as null; `1e-999` reads as 0). Callers then serialise
 * the parsed value, as before, so such a number means the same on every side.
 */
export function parsedMemberText(json: string, name: string): string | undefined {
  const text = memberText(json, name);
  return text === undefined || !numbersInRange(text) ? undefined : text;
}

/** Every number in `json` (valid JSON text) reads as a finite double, and a zero only where zero is written. */
function numbersInRange(json: string): boolean {
  for (let at = 0; at < json.length; ) {
    const code = json.charCodeAt(at);
    if (code === QUOTE) {
      at = endOfString(json, at);
    } else if (code === MINUS || (code >= DIGIT_0 && code <= DIGIT_9)) {
      const end = endOfValue(json, at);
      const token = json.slice(at, end);
      const value = Number(token);
      if (!Number.isFinite(value) || (value === 0 && NONZERO_MANTISSA.test(token))) return false;
      at = end;
    } else {
      at++;
    }
  }
  return true;
}

/** A digit 1-9 before any exponent. */
const NONZERO_MANTISSA = /^-?[0.]*[1-9]/;

/** `json` (an object's text) without its member(s) called `name`; the same text when it has none. */
export function withoutMember(json: string, name: string): string {
  const spans = memberSpans(json, name);
  return withoutSpans(json, spans, spans.length);
}

/**
 * `text` without the first `count` of `spans` (one scan found them all). Cut from the last: an earlier span's
 * offsets stay as they were, and the text is never scanned again after a cut (that would flatten the
 * concatenation, a copy of all of it).
 */
function withoutSpans(text: string, spans: readonly MemberSpan[], count: number): string {
  for (let i = count - 1; i >= 0; i--) text = withoutSpan(text, spans[i]!);
  return text;
}

/** Takes the comma on one side with the member: the one after, or for the last member the one before. */
function withoutSpan(text: string, span: MemberSpan): string {
  const after = skipSpace(text, span.valueEnd);
  if (text.charCodeAt(after) === COMMA) return text.slice(0, span.start) + text.slice(skipSpace(text, after + 1));
  return text.slice(0, span.previousEnd) + text.slice(span.valueEnd);
}

interface MemberSpan {
  /** Where the member's key starts. */
  readonly start: number;
  /** Where the previous member's value ends (the opening brace + 1 for the first). */
  readonly previousEnd: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

function lastMember(json: string, name: string): MemberSpan | undefined {
  const spans = memberSpans(json, name);
  return spans[spans.length - 1];
}

/** Every member called `name` at the top level of the object `json` holds, in order (none when it is not an object). */
function memberSpans(json: string, name: string): MemberSpan[] {
  const found: MemberSpan[] = [];
  let at = skipSpace(json, 0);
  if (json.charCodeAt(at) !== OPEN_BRACE) return found;
  let previousEnd = at + 1;
  at = skipSpace(json, at + 1);
  while (json.charCodeAt(at) === QUOTE) {
    const keyEnd = endOfString(json, at);
    const colon = skipSpace(json, keyEnd);
    if (json.charCodeAt(colon) !== COLON) return [];
    const valueStart = skipSpace(json, colon + 1);
    const valueEnd = endOfValue(json, valueStart);
    if (keyMeans(json, at + 1, keyEnd - 1, name)) found.push({ start: at, previousEnd, valueStart, valueEnd });
    previousEnd = valueEnd;
    at = skipSpace(json, valueEnd);
    if (json.charCodeAt(at) !== COMMA) break;
    at = skipSpace(json, at + 1);
  }
  return found;
}

/**
 * Whether the key written as `json[start, end)` (without its quotes) means `name`, compared in place: this runs
 * for every member scanned. An escape only lengthens what is written, so a shorter text cannot mean `name`, and
 * other text can only through a backslash in it.
 */
function keyMeans(json: string, start: number, end: number, name: string): boolean {
  const length = end - start;
  if (length < name.length) return false;
  if (length === name.length && json.startsWith(name, start) && !name.includes('\\')) return true;
  for (let i = start; i < end; i++) if (json.charCodeAt(i) === BACKSLASH) return JSON.parse(`"${json.slice(start, end)}"`) === name;
  return false;
}

function skipSpace(json: string, at: number): number {
  for (;;) {
    const code = json.charCodeAt(at);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return at;
    at++;
  }
}

/** `json[at]` opens a string: the index just past its closing quote. */
function endOfString(json: string, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = json.indexOf('"', from);
    if (quote < 0) return json.length;
    // A quote is escaped only by an odd run of backslashes before it.
    let backslashes = 0;
    while (json.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** `json[at]` starts a value: the index just past it. */
function endOfValue(json: string, at: number): number {
  const first = json.charCodeAt(at);
  if (first === QUOTE) return endOfString(json, at);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    // A number, true, false or null: up to the next delimiter.
    let end = at;
    for (;;) {
      const code = json.charCodeAt(end);
      if (Number.isNaN(code) || code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) return end;
      end++;
    }
  }
  let depth = 0;
  let end = at;
  while (end < json.length) {
    const code = json.charCodeAt(end);
    if (code === QUOTE) {
      end = endOfString(json, end);
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if ((code === CLOSE_BRACE || code === CLOSE_BRACKET) && --depth === 0) return end + 1;
    end++;
  }
  return end;
}

/**
 * Adds fields to the front of a JSON object's text (`{"a":1}` → `{"x":…,"a":1}`)
 * so a result can be stamped (`resultType`) without a parse. Keys already in
 * the object win for readers that keep the last duplicate, so callers only
 * stamp keys the upstream cannot have sent (the SDK client strips `resultType`).
 */
export function stampObject(json: string, fields: Readonly<Record<string, unknown>>): string {
  return withPrefix(json, JSON.stringify(fields).slice(1, -1));
}

/**
 * `json` (an object's text) with member `name` holding `valueText` (JSON text): the last such member's value
 * replaced and any earlier copy cut, in one scan; added in front when there is none.
 */
export function withMemberValue(json: string, name: string, valueText: string): string {
  const spans = memberSpans(json, name);
  const last = spans[spans.length - 1];
  if (last === undefined) return withPrefix(json, `${JSON.stringify(name)}:${valueText}`);
  return withoutSpans(json.slice(0, last.valueStart) + valueText + json.slice(last.valueEnd), spans, spans.length - 1);
}

/** Members' text (`"a":1,"b":2`) put in front of the object's others. */
function withPrefix(json: string, prefix: string): string {
  if (prefix === '') return json;
  const open = json.indexOf('{');
  if (open === -1) return json;
  const rest = json.slice(open + 1).trimStart();
  return `{${prefix}${rest.startsWith('}') ? '' : ','}${rest}`;
}

/** stampObject for UTF-8 bytes (a large result as it crossed from a worker): one copy, nothing decoded. */
export function stampObjectBytes(json: Uint8Array, fields: Readonly<Record<string, unknown>>): Uint8Array {
  const prefix = JSON.stringify(fields).slice(1, -1);
  const bytes = asBuffer(json);
  const open = bytes.indexOf(OPEN_BRACE);
  if (prefix === '' || open === -1) return json;
  let rest = open + 1;
  while (rest < bytes.length && isJsonWhitespace(bytes[rest]!)) rest++;
  return Buffer.concat([Buffer.from(`{${prefix}${bytes[rest] === CLOSE_BRACE ? '' : ','}`), bytes.subarray(rest)]);
}

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
