/**
 * What the request log keeps of a call's arguments and result when
 * `monitor.capture` asks for them: redacted (values under sensitive keys, at
 * any depth), then cut to `maxBytes`. Only the request-log entry holds the
 * outcome; metrics and logs never see it.
 */
import type { CaptureConfig } from '../config/types.js';

export const REDACTED = '[redacted]';

/** Deeper than this, a captured value is cut (a result from an upstream has no depth limit of its own). */
const MAX_DEPTH = 64;
const TOO_DEEP = '[truncated: nested too deep]';

export interface Captured {
  /** The redacted arguments: the value itself, or, when its JSON was longer than maxBytes, the cut JSON text ending in a marker. */
  readonly arguments?: unknown;
  readonly result?: unknown;
  /** Which of the two were cut. */
  readonly truncated?: readonly ('arguments' | 'result')[];
}

export class Capture {
  readonly #arguments: boolean;
  readonly #results: boolean;
  readonly #maxBytes: number;
  readonly #redact: ReadonlySet<string>;

  constructor(config: CaptureConfig) {
    this.#arguments = config.arguments;
    this.#results = config.results;
    this.#maxBytes = config.maxBytes;
    this.#redact = new Set(config.redact.map((key) => key.toLowerCase()));
  }

  /** False when nothing is captured: the recorder then skips the work entirely. */
  get active(): boolean {
    return this.#arguments || this.#results;
  }

  /** `resultJson` is the upstream's result as JSON text (parsed only here, only when results are captured). */
  take(args: unknown, resultJson: string | undefined): Captured | undefined {
    const captured: { arguments?: unknown; result?: unknown } = {};
    const truncated: ('arguments' | 'result')[] = [];
    if (this.#arguments && args !== undefined) {
      const kept = this.#keep(args);
      captured.arguments = kept.value;
      if (kept.truncated) truncated.push('arguments');
    }
    if (this.#results && resultJson !== undefined) {
      const kept = this.#keep(parseOrText(resultJson));
      captured.result = kept.value;
      if (kept.truncated) truncated.push('result');
    }
    if (!('arguments' in captured) && !('result' in captured)) return undefined;
    return truncated.length > 0 ? { ...captured, truncated } : captured;
  }

  #keep(value: unknown): { value: unknown; truncated: boolean } {
    const redacted = redact(value, this.#redact, 0);
    const json = JSON.stringify(redacted) ?? 'null';
    const bytes = Buffer.byteLength(json);
    if (bytes <= this.#maxBytes) return { value: redacted, truncated: false };
    return { value: `${cutUtf8(json, this.#maxBytes)}…[truncated: ${bytes} bytes]`, truncated: true };
  }
}

/** A copy of `value` with the values of keys in `keys` (lower-case) replaced; the original is left as it is (it may still be on its way upstream). */
export function redact(value: unknown, keys: ReadonlySet<string>, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((item) => redact(item, keys, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = keys.has(key.toLowerCase()) ? REDACTED : redact(item, keys, depth + 1);
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
