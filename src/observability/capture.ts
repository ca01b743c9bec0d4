/**
 * What the request log keeps of a call when `monitor.capture` asks for it:
 * the request (arguments and the client's `_meta`) and the result, redacted
 * (values under sensitive keys, at any depth) before anything is stored, then
 * cut to `maxBytes`. Every call (`arguments`, `results`) or only those of
 * tools matching `monitor.capture.tools` globs. Only the request-log entry
 * holds the outcome; metrics and logs never see it.
 */
import type { CaptureConfig } from '../config/types.js';
import { globsPattern } from '../policy/glob.js';
import { pointerSegment } from '../json-pointer.js';
import { jsonTextString, type JsonText } from '../json-text.js';

export const REDACTED = '[redacted]';

/** Deeper than this, a captured value is cut (a result from an upstream has no depth limit of its own). */
const MAX_DEPTH = 64;
const TOO_DEEP = '[truncated: nested too deep]';

export type CapturedPart = 'arguments' | '_meta' | 'result';

/** The request as the client sent it, redacted. `arguments` is absent when the call had none. */
export interface CapturedRequest {
  readonly arguments?: unknown;
  /** The client's own `_meta` (progress token, trace context, …), redacted; the gateway's additions are not in it. */
  readonly _meta?: unknown;
}

export interface Captured {
  /** Present when the request was captured. */
  readonly request?: CapturedRequest;
  /** The upstream's result (content, structuredContent, isError, …); absent for a failed call or when results are not captured. */
  readonly result?: unknown;
  /** Parts whose JSON was longer than maxBytes: each is kept as that JSON cut to maxBytes, ending in a marker. */
  readonly truncated?: readonly CapturedPart[];
  /** JSON Pointers, into this object, of every value redaction replaced (e.g. `/request/arguments/password`). */
  readonly redacted?: readonly string[];
}

export class Capture {
  readonly #arguments: boolean;
  readonly #results: boolean;
  readonly #maxBytes: number;
  readonly #redact: ReadonlySet<string>;
  /** Calls of matching `server/tool` are captured in full, whatever `arguments` and `results` say. */
  readonly #tools: RegExp | undefined;

  constructor(config: CaptureConfig) {
    this.#arguments = config.arguments;
    this.#results = config.results;
    this.#maxBytes = config.maxBytes;
    this.#redact = new Set(config.redact.map((key) => key.toLowerCase()));
    this.#tools = globsPattern(config.tools);
  }

  /** False when nothing is ever captured: the recorder then skips the work entirely. */
  get active(): boolean {
    return this.#arguments || this.#results || this.#tools !== undefined;
  }

  /**
   * `resultJson` is the upstream's result as JSON text (parsed only here, only
   * when results are captured). Undefined when this call is not captured.
   */
  take(server: string | null, tool: string, args: unknown, meta: unknown, resultJson: JsonText | undefined): Captured | undefined {
    const full = this.#tools !== undefined && server !== null && this.#tools.test(`${server}/${tool}`);
    const wantsRequest = this.#arguments || full;
    const wantsResult = (this.#results || full) && resultJson !== undefined;
    if (!wantsRequest && !wantsResult) return undefined;
    const truncated: CapturedPart[] = [];
    const redacted: string[] = [];
    const captured: { request?: CapturedRequest; result?: unknown } = {};
    if (wantsRequest) {
      const request: { arguments?: unknown; _meta?: unknown } = {};
      if (args !== undefined) request.arguments = this.#keep(args, '/request/arguments', 'arguments', truncated, redacted);
      if (meta !== undefined) request._meta = this.#keep(meta, '/request/_meta', '_meta', truncated, redacted);
      captured.request = request;
    }
    if (wantsResult) captured.result = this.#keep(parseOrText(jsonTextString(resultJson)), '/result', 'result', truncated, redacted);
    return { ...captured, ...(truncated.length > 0 ? { truncated } : {}), ...(redacted.length > 0 ? { redacted } : {}) };
  }

  /** A value (a replayed call's result) redacted as a capture would be, so the two compare. */
  redact(value: unknown): unknown {
    return redact(value, this.#redact, 0, '', []);
  }

  #keep(value: unknown, at: string, part: CapturedPart, truncated: CapturedPart[], redacted: string[]): unknown {
    const copy = redact(value, this.#redact, 0, at, redacted);
    const json = JSON.stringify(copy) ?? 'null';
    const bytes = Buffer.byteLength(json);
    if (bytes <= this.#maxBytes) return copy;
    truncated.push(part);
    return `${cutUtf8(json, this.#maxBytes)}…[truncated: ${bytes} bytes]`;
  }
}

/**
 * A copy of `value` with the values of keys in `keys` (lower-case) replaced,
 * their pointers (under `at`) added to `found`; the original is left as it is
 * (it may still be on its way upstream).
 */
export function redact(value: unknown, keys: ReadonlySet<string>, depth: number, at: string, found: string[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item, i) => redact(item, keys, depth + 1, `${at}/${i}`, found));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const path = `${at}/${pointerSegment(key)}`;
    if (keys.has(key.toLowerCase())) {
      copy[key] = REDACTED;
      found.push(path);
    } else copy[key] = redact(item, keys, depth + 1, path, found);
  }
  return copy;
}

/** The first `maxBytes` bytes of `text` as UTF-8, never splitting a character. */
function cutUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.min(maxBytes, bytes.length);
  // Back off continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

function parseOrText(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // An upstream answer is JSON text by the time it gets here; keep anything else as it came.
    return json;
  }
}
