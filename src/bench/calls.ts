/**
 * The call mix: which call comes next (weighted, deterministic), its arguments
 * (a fresh payload per call when asked, so an answer delivered to the wrong
 * request shows up as a mismatch) and what its answer must be.
 */
import type { CallReply, CallSpec, Expectation, PreparedCall } from './types.js';

const FILLER_UNIT = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
let filler = FILLER_UNIT;

/** An ASCII string of exactly `size` bytes (or the tag alone when the tag is longer), starting with `tag`. */
export function makeMessage(size: number, tag: string): string {
  const rest = size - tag.length;
  if (rest <= 0) return tag;
  while (filler.length < rest) filler += filler;
  return tag + filler.slice(0, rest);
}

/** Largest deck built for integer weights; beyond it picks are random by weight. */
const MAX_DECK = 10_000;

export class CallPlan {
  readonly #specs: readonly CallSpec[];
  readonly #deck: readonly number[] | undefined;
  readonly #cumulative: readonly number[];
  readonly #tagPrefix: string;
  #sequence = 0;

  /** `tagPrefix` keeps payloads unique across load threads. */
  constructor(specs: readonly CallSpec[], tagPrefix: string) {
    if (specs.length === 0) throw new Error('the call mix is empty');
    this.#specs = specs;
    this.#tagPrefix = tagPrefix;
    const weights = specs.map((spec) => spec.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    let sum = 0;
    this.#cumulative = weights.map((w) => (sum += w / total));
    this.#deck = weights.every((w) => Number.isInteger(w)) && total <= MAX_DECK ? interleave(weights) : undefined;
  }

  next(): PreparedCall {
    const seq = this.#sequence++;
    const index = this.#deck ? this.#deck[seq % this.#deck.length]! : this.#pick();
    return prepare(this.#specs[index]!, `${this.#tagPrefix}${seq.toString(36)}:`);
  }

  #pick(): number {
    const r = Math.random();
    const index = this.#cumulative.findIndex((c) => r < c);
    return index === -1 ? this.#specs.length - 1 : index;
  }
}

/** Spreads each entry evenly over a cycle (smooth weighted round-robin), so a short run still sees the mix. */
function interleave(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const current = weights.map(() => 0);
  const deck: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    deck.push(best);
  }
  return deck;
}

export function prepare(spec: CallSpec, tag: string): PreparedCall {
  const method = spec.method ?? 'tools/call';
  if (method === 'tools/list') {
    const expect = spec.expect;
    if (expect !== undefined && expect !== 'ok' && expect !== 'any' && !(typeof expect === 'object' && 'tools' in expect)) throw new Error('tools/list: expect must be "ok", "any" or "tools:N"');
    const expectTools = typeof expect === 'object' && 'tools' in expect ? expect.tools : undefined;
    return { method, tool: '', arguments: {}, allowToolError: false, ...(expectTools !== undefined ? { expectTools } : {}) };
  }
  const args: Record<string, unknown> = { ...spec.arguments };
  if (spec.payload !== undefined) args.message = makeMessage(spec.payload, tag);
  const expect: Expectation = spec.expect ?? (spec.payload !== undefined ? 'echo' : 'ok');
  let expectText: string | undefined;
  let allowToolError = false;
  if (expect === 'echo') {
    if (typeof args.message !== 'string') throw new Error(`call "${spec.tool}": expect "echo" needs a string arguments.message (or a payload)`);
    expectText = args.message;
  } else if (expect === 'any') {
    allowToolError = true;
  } else if (typeof expect === 'object' && 'tools' in expect) {
    throw new Error(`call "${spec.tool}": expect "tools:N" is for --method tools/list`);
  } else if (typeof expect === 'object') {
    expectText = expect.text;
    allowToolError = expect.isError === true;
  }
  return {
    method,
    tool: spec.tool,
    arguments: args,
    ...(spec.server !== undefined ? { server: spec.server } : {}),
    ...(expectText !== undefined ? { expectText } : {}),
    allowToolError,
  };
}

/**
 * Checks a CallToolResult against its call. Returns the error kind, or
 * undefined when it passes. Lean on purpose: no schema, only what the contract needs.
 */
export function checkToolResult(result: unknown, call: PreparedCall): { error: string; detail: string } | undefined {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) return { error: 'bad_response', detail: `result is not an object: ${preview(result)}` };
  const shape = result as { isError?: unknown; content?: unknown };
  if (shape.isError === true && !call.allowToolError) return { error: 'tool_error', detail: `isError: ${preview(firstText(shape.content))}` };
  if (call.expectText !== undefined) {
    const text = firstText(shape.content);
    if (text !== call.expectText) return { error: 'mismatch', detail: `expected ${preview(call.expectText)}, got ${preview(text)}` };
  }
  return undefined;
}

/** Upper bound on pages one listing may take: a server whose cursor never ends is an error, not a hang. */
export const MAX_LIST_PAGES = 1000;

/**
 * One page of a `tools/list` answer: the tools it holds and the cursor of the
 * next page, or the error kind when it is not a listing.
 */
export function readListPage(result: unknown): { tools: number; nextCursor?: string } | { error: string; detail: string } {
  const page = result as { tools?: unknown; nextCursor?: unknown } | null;
  if (typeof page !== 'object' || page === null || !Array.isArray(page.tools)) return { error: 'bad_response', detail: `not a tools/list result: ${preview(result)}` };
  if (page.nextCursor !== undefined && typeof page.nextCursor !== 'string') return { error: 'bad_response', detail: `nextCursor is not a string: ${preview(page.nextCursor)}` };
  return page.nextCursor === undefined || page.nextCursor === '' ? { tools: page.tools.length } : { tools: page.tools.length, nextCursor: page.nextCursor };
}

/** The whole listing's verdict: the tool count against `tools:N`. */
export function checkListing(tools: number, call: PreparedCall): { error: string; detail: string } | undefined {
  if (call.expectTools !== undefined && tools !== call.expectTools) return { error: 'mismatch', detail: `expected ${call.expectTools} tools, the listing had ${tools}` };
  return undefined;
}

/**
 * Walks a paginated `tools/list` through `fetchPage` (one request per page),
 * for every target alike. Bytes add up over the pages.
 */
export async function walkListing(fetchPage: (cursor: string | undefined) => Promise<{ result?: unknown; error?: string; detail?: string; sent: number; received: number }>, call: PreparedCall): Promise<CallReply> {
  let tools = 0;
  let sent = 0;
  let received = 0;
  let cursor: string | undefined;
  for (let pages = 0; pages < MAX_LIST_PAGES; pages++) {
    const answer = await fetchPage(cursor);
    sent += answer.sent;
    received += answer.received;
    if (answer.error !== undefined) return { error: answer.error, ...(answer.detail !== undefined ? { detail: answer.detail } : {}), sent, received };
    const page = readListPage(answer.result);
    if ('error' in page) return { ...page, sent, received };
    tools += page.tools;
    if (page.nextCursor === undefined) {
      const verdict = checkListing(tools, call);
      return verdict ? { ...verdict, sent, received } : { sent, received };
    }
    if (page.nextCursor === cursor) return { error: 'bad_response', detail: `nextCursor ${preview(cursor)} repeats`, sent, received };
    cursor = page.nextCursor;
  }
  return { error: 'bad_response', detail: `the listing did not end within ${MAX_LIST_PAGES} pages`, sent, received };
}

function firstText(content: unknown): unknown {
  if (!Array.isArray(content)) return undefined;
  const first = content[0] as { text?: unknown } | undefined;
  return first?.text;
}

export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

/** `100`, `1k`, `100KB`, `1MiB` → bytes (k = 1024). */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(text);
  if (!match) throw new Error(`not a size: ${JSON.stringify(text)} (try 100, 1k, 100KB, 1MB)`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  return Math.round(Number(match[1]) * factor);
}

/** `10` (seconds), `10s`, `500ms`, `2m` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/i.exec(text);
  if (!match) throw new Error(`not a duration: ${JSON.stringify(text)} (try 10, 10s, 500ms, 2m)`);
  const unit = (match[2] ?? 's').toLowerCase();
  return Math.round(Number(match[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
}

/** Validates a `--calls FILE` document: an array of CallSpec (or `{calls: [...]}`). */
export function parseCallMix(document: unknown, source: string): CallSpec[] {
  const list = Array.isArray(document) ? document : (document as { calls?: unknown } | null)?.calls;
  if (!Array.isArray(list) || list.length === 0) throw new Error(`${source}: expected a non-empty array of calls, or {"calls": [...]}`);
  return list.map((entry: unknown, i) => {
    const at = `${source}[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error(`${at}: must be an object {"tool", "arguments"?, "payload"?, "weight"?, "server"?, "expect"?}`);
    const e = entry as Record<string, unknown>;
    const known = new Set(['method', 'tool', 'arguments', 'payload', 'weight', 'server', 'expect']);
    const unknown = Object.keys(e).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new Error(`${at}: unknown field(s) ${unknown.join(', ')}`);
    if (e.method !== undefined && e.method !== 'tools/call' && e.method !== 'tools/list') throw new Error(`${at}.method: must be "tools/call" or "tools/list"`);
    if (e.method === 'tools/list') e.tool ??= 'tools/list';
    if (typeof e.tool !== 'string' || e.tool === '') throw new Error(`${at}.tool: must be a non-empty string`);
    if (e.arguments !== undefined && (typeof e.arguments !== 'object' || e.arguments === null || Array.isArray(e.arguments))) throw new Error(`${at}.arguments: must be an object`);
    if (e.payload !== undefined && (typeof e.payload !== 'number' || !Number.isInteger(e.payload) || e.payload < 0)) {
      if (typeof e.payload === 'string') e.payload = parseSize(e.payload);
      else throw new Error(`${at}.payload: must be a byte count`);
    }
    if (e.weight !== undefined && (typeof e.weight !== 'number' || !(e.weight > 0))) throw new Error(`${at}.weight: must be a positive number`);
    if (e.server !== undefined && typeof e.server !== 'string') throw new Error(`${at}.server: must be a string`);
    if (e.expect !== undefined) e.expect = parseExpectation(e.expect, `${at}.expect`);
    return e as unknown as CallSpec;
  });
}

export function parseExpectation(value: unknown, at: string): Expectation {
  if (value === 'echo' || value === 'ok' || value === 'any') return value;
  if (typeof value === 'string' && value.startsWith('text:')) return { text: value.slice(5) };
  if (typeof value === 'string' && /^tools:\d+$/.test(value)) return { tools: Number(value.slice(6)) };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const e = value as Record<string, unknown>;
    if (Object.keys(e).length === 1 && typeof e.tools === 'number' && Number.isInteger(e.tools) && e.tools >= 0) return { tools: e.tools };
    if ((e.text === undefined || typeof e.text === 'string') && (e.isError === undefined || typeof e.isError === 'boolean')) return e as Expectation;
  }
  throw new Error(`${at}: must be "echo", "ok", "any", "text:VALUE", "tools:N" or {"text"?, "isError"?}`);
}
