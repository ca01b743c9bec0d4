/**
 * The hostile-request generator. Each case is built from its own seeded
 * stream and carries its own oracle: the answers it may get, derived from the
 * documented contract (README: routes, status codes, the /mcp envelope rules,
 * docs/errors.md), never from running the gateway. A case that is in fact
 * valid says so, and says what the upstream must receive, so a gateway that
 * refuses good requests fails as surely as one that lets bad ones through.
 *
 * Requests are built as bytes (`Buffer`), not values, so that invalid UTF-8,
 * number literals JavaScript cannot hold (`1e999`), duplicate keys and
 * `__proto__` keys reach the gateway exactly as written.
 */
import type { ErrorCode } from '../../src/errors.js';
import type { EngineName } from '../helpers/gateway.js';
import { caseSeed, Rng } from './rng.js';

export const MODERN = '2026-07-28';
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';

export type Shape = 'rest' | 'rpc';

/** An error answer: one of `status`, one of `codes`, in one of `shapes`. */
export interface Refusal {
  readonly kind: 'refusal';
  readonly status: readonly number[];
  readonly codes: readonly ErrorCode[];
  readonly shapes: readonly Shape[];
  /** The JSON-RPC id the error must echo, when the request had a readable one. */
  readonly rpcId?: string | number | null;
}

/** A success: the request was in fact valid. */
export interface Success {
  readonly kind: 'success';
  readonly status: 200 | 202;
  /** `rest`: a JSON body; `rpc`: a JSON-RPC result; `empty`: no body (a 202). */
  readonly body: 'rest' | 'rpc' | 'empty';
  /** Set when the request calls a counting tool: the arguments the upstream must report it received. */
  readonly upstreamArgs?: unknown;
  readonly rpcId?: string | number;
  /** The answer must open a 2025 session (`Mcp-Session-Id`). */
  readonly opensSession?: boolean;
}

export type Expectation = Refusal | Success;

/** What a raw-socket case may see instead of (more) answers: bytes the engine held, dropped or cut. */
export type Silence = 'held' | 'closed' | 'reset';

interface CaseBase {
  readonly index: number;
  readonly category: Category;
  /** Which sub-kind of the category: what a failure report names. */
  readonly label: string;
}

export interface HttpCase extends CaseBase {
  readonly transport: 'http';
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Buffer;
  /** The answer must match one of these. */
  readonly expect: readonly Expectation[];
  /** Connection outcomes allowed instead of an answer (e.g. uWS drops a header block it cannot hold). */
  readonly silence: readonly Silence[];
}

export interface RawCase extends CaseBase {
  readonly transport: 'raw';
  readonly chunks: readonly Buffer[];
  readonly gapMs?: number;
  readonly stopOnAnswer?: boolean;
  /** One entry per request in the bytes: the i-th answer must match one of `expect[i]`. */
  readonly expect: readonly (readonly Expectation[])[];
  /** Allowed when fewer answers than `expect` come (malformed bytes the engine holds or drops). */
  readonly silence: readonly Silence[];
  readonly headAt?: readonly number[];
  /** The bytes hide a further request an engine that misreads the framing would answer: any answer past `expect` fails. */
  readonly smuggle?: boolean;
}

export type Case = HttpCase | RawCase;

export const CATEGORIES = [
  'rest-json',
  'rest-shape',
  'rest-args',
  'body-size',
  'credentials',
  'headers',
  'paths',
  'mcp-modern',
  'mcp-chaos',
  'request-state',
  'mcp-2025',
  'initialize',
  'sse-messages',
  'http-framing',
] as const;
export type Category = (typeof CATEGORIES)[number];

const WEIGHTS: readonly (readonly [number, Category])[] = [
  [11, 'rest-json'],
  [9, 'rest-shape'],
  [12, 'rest-args'],
  [3, 'body-size'],
  [9, 'credentials'],
  [5, 'headers'],
  [7, 'paths'],
  [12, 'mcp-modern'],
  [4, 'mcp-chaos'],
  [5, 'request-state'],
  [10, 'mcp-2025'],
  [3, 'initialize'],
  [3, 'sse-messages'],
  [7, 'http-framing'],
];

/** What the generator needs from the running gateway: credentials, live sessions, genuine requestStates. */
export interface FuzzContext {
  readonly engine: EngineName;
  readonly key: string;
  /** A 2025 session opened with `key`. */
  readonly session: string;
  /** A 2025 session opened by another caller. */
  readonly foreignSession: string;
  /** A genuine requestState for `deploy`, issued to this caller. */
  readonly deployState: string;
  /** A genuine requestState for `deploy`, issued to another caller. */
  readonly foreignState: string;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly maxHeaderBytes: number;
}

export function generateCase(seed: number, index: number, ctx: FuzzContext): Case {
  const rng = new Rng(caseSeed(seed, index));
  const category = rng.weighted(WEIGHTS);
  const g = new Generator(rng, ctx, index, category);
  return g.run();
}

// ---------------------------------------------------------------------------
// Expectation shorthands

const refuse = (status: number | readonly number[], codes: ErrorCode | readonly ErrorCode[], shapes: Shape | readonly Shape[], rpcId?: string | number | null): Refusal => ({
  kind: 'refusal',
  status: typeof status === 'number' ? [status] : status,
  codes: typeof codes === 'string' ? [codes] : codes,
  shapes: typeof shapes === 'string' ? [shapes] : shapes,
  ...(rpcId !== undefined ? { rpcId } : {}),
});

/** Any client error at all, in any shape: what a request after a desynchronising one may get. */
const ANY_REFUSAL: Refusal = {
  kind: 'refusal',
  status: [400, 401, 403, 404, 405, 408, 413, 431],
  codes: ['MCPGW_ERR_BAD_REQUEST', 'MCPGW_ERR_BAD_JSON', 'MCPGW_ERR_UNAUTHORIZED', 'MCPGW_ERR_ROUTE_NOT_FOUND', 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'MCPGW_ERR_REQUEST_TIMEOUT', 'MCPGW_ERR_BODY_TOO_LARGE', 'MCPGW_ERR_HEADERS_TOO_LARGE', 'MCPGW_ERR_SESSION_REQUIRED', 'MCPGW_ERR_UNKNOWN_SESSION', 'MCPGW_ERR_JSON_TOO_DEEP', 'MCPGW_ERR_INVALID_PARAMS'],
  shapes: ['rest', 'rpc'],
};

const restJson = (): Success => ({ kind: 'success', status: 200, body: 'rest' });
const rpcResult = (rpcId: string | number, upstreamArgs?: unknown): Success => ({ kind: 'success', status: 200, body: 'rpc', rpcId, ...(upstreamArgs !== undefined ? { upstreamArgs } : {}) });
const accepted: Success = { kind: 'success', status: 202, body: 'empty' };

/** An error /mcp sends as a JSON-RPC error on HTTP 200 (only transport-level problems get an HTTP error status there). */
const rpcOn200 = (codes: ErrorCode | readonly ErrorCode[], rpcId: string | number | null): Refusal => refuse(200, codes, 'rpc', rpcId);

// ---------------------------------------------------------------------------
// JSON as bytes

const j = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const text = (raw: string): Buffer => Buffer.from(raw, 'latin1');

/** `{"k":v,...}` from already-encoded values, keys in the given order (duplicates allowed). */
function obj(entries: readonly (readonly [string, Buffer])[]): Buffer {
  const parts: Buffer[] = [text('{')];
  entries.forEach(([key, value], i) => {
    if (i > 0) parts.push(text(','));
    parts.push(j(key), text(':'), value);
  });
  parts.push(text('}'));
  return Buffer.concat(parts);
}

function arr(items: readonly Buffer[]): Buffer {
  return Buffer.concat([text('['), ...items.flatMap((item, i) => (i > 0 ? [text(','), item] : [item])), text(']')]);
}

/** A JSON string literal holding raw bytes (invalid UTF-8 and all) between ordinary characters. */
function rawString(before: string, bytes: readonly number[], after: string): Buffer {
  const open = j(before);
  const close = j(after);
  return Buffer.concat([open.subarray(0, open.length - 1), Buffer.from(bytes), close.subarray(1)]);
}

/** What the gateway reads from bytes: UTF-8 with replacement characters, then JSON, then the JSON data model. */
function parsed(bytes: Buffer): unknown {
  return JSON.parse(JSON.stringify(JSON.parse(bytes.toString('utf8'))));
}

/**
 * The arguments a counting tool reports receiving for argument bytes the
 * gateway forwards as they are. One difference is the upstream's own: its SDK
 * copies the arguments record key by key, so a top-level `__proto__` key is
 * lost there (checked against the fixture over plain stdio, without the
 * gateway); nested ones arrive.
 */
function decoded(bytes: Buffer): unknown {
  const value = parsed(bytes);
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) Reflect.deleteProperty(value, '__proto__');
  return value;
}

// ---------------------------------------------------------------------------
// Hostile strings

const STRING_PIECES = [
  'a', 'tally', 'x', ' ', '0', '-', '.', '/', '..', '../', '%2e%2e', '%00', '%', '\\', '"', "'", '`', '$', '${HOME}', '{{x}}',
  '\u0000', '\u0001', '\u001f', '\u007f', '\t', '\n', '\r\n', '\u2028', '\u2029', '\u0085',
  '\u202e', '\u202d', '\u200b', '\u200d', '\u2066', '\ufeff', '\ufffd', '\uffff', '\ufffe',
  '\ud800', '\udfff', '\udbff\udfff', '\ud83d\ude00', '\ud83d', '\u{10ffff}', 'e\u0301', 'Ω', 'ß', 'İ', 'ﬃ', '中文', 'العربية', 'עברית', '𝕏',
  '<script>', '</', '&amp;', "'; DROP TABLE", '__proto__', 'constructor', 'prototype', 'toString', 'null', 'undefined', 'NaN',
  '[[[[[[[[[[[[[[[[', '{{{{{{{{{{{{{{{{', ']]]]', '}}}}', '\\"[[[[', '\\\\"',
];

/** Bytes that are not valid UTF-8 (overlong forms, CESU surrogates, beyond U+10FFFF, stray continuation bytes). */
const BAD_UTF8: readonly (readonly number[])[] = [
  [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xc1, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff], [0xfe], [0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xc0, 0x80],
];

const TOOL_NAMES = ['echo', 'shared', 'slow', 'whoami', 'crash', 'hang', 'add_tool', 'deploy', 'tally', 'pair', 'legacy_pair', 'annotated', 'broken'];
/** Tools the access rules keep from the fuzzing caller: calling them is a 403 whatever the arguments. */
export const DENIED_TOOLS = ['echo', 'shared', 'slow', 'whoami', 'crash', 'hang', 'add_tool', 'broken'];
const COUNTING_TOOLS = ['tally', 'pair', 'legacy_pair', 'annotated'] as const;
type CountingTool = (typeof COUNTING_TOOLS)[number];

const SERVER = 'fz';

/** How the gateway must treat a tool call, whatever front it comes in by. */
type Verdict = 'counted' | 'invalid' | 'unknown' | 'denied';

/** A request that would succeed (or fail for a known reason) with good credentials. */
interface AuthTarget {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly shape: Shape;
  readonly expect: Expectation;
}

/** A well-formed 2026-07-28 request; `name` is what Mcp-Name must carry when the method names its target. */
interface ModernBase {
  readonly method: string;
  readonly name?: string;
  readonly params: Record<string, Buffer>;
  /** The client capabilities its envelope declares (none by default). */
  readonly capabilities?: Buffer;
  readonly expect: Expectation;
  readonly label: string;
}

/** A 2025 message: a request (or, `id: false`, a notification), or a `response` to send as is. */
interface LegacyBase {
  readonly method: string;
  readonly params?: Buffer;
  readonly id?: boolean;
  readonly expect: Expectation;
  readonly label: string;
  readonly response?: Buffer;
}

class Generator {
  readonly #rng: Rng;
  readonly #ctx: FuzzContext;
  readonly #index: number;
  readonly #category: Category;
  #label = '';

  constructor(rng: Rng, ctx: FuzzContext, index: number, category: Category) {
    this.#rng = rng;
    this.#ctx = ctx;
    this.#index = index;
    this.#category = category;
  }

  run(): Case {
    switch (this.#category) {
      case 'rest-json':
        return this.#restJson();
      case 'rest-shape':
        return this.#restShape();
      case 'rest-args':
        return this.#restArgs();
      case 'body-size':
        return this.#bodySize();
      case 'credentials':
        return this.#credentials();
      case 'headers':
        return this.#headers();
      case 'paths':
        return this.#paths();
      case 'mcp-modern':
        return this.#mcpModern();
      case 'mcp-chaos':
        return this.#mcpChaos();
      case 'request-state':
        return this.#requestState();
      case 'mcp-2025':
        return this.#mcp2025();
      case 'initialize':
        return this.#initialize();
      case 'sse-messages':
        return this.#sseMessages();
      case 'http-framing':
        return this.#httpFraming();
    }
  }

  // ---- plumbing -------------------------------------------------------------

  #http(method: string, path: string, headers: Readonly<Record<string, string | readonly string[]>>, body: Buffer | undefined, expect: Expectation | readonly Expectation[], silence: readonly Silence[] = []): HttpCase {
    return {
      transport: 'http',
      index: this.#index,
      category: this.#category,
      label: this.#label,
      method,
      path,
      headers,
      ...(body !== undefined ? { body } : {}),
      expect: Array.isArray(expect) ? expect : [expect as Expectation],
      silence,
    };
  }

  #raw(chunks: readonly Buffer[], expect: readonly (readonly Expectation[])[], silence: readonly Silence[], options: { gapMs?: number; stopOnAnswer?: boolean; headAt?: readonly number[]; smuggle?: boolean } = {}): RawCase {
    return { transport: 'raw', index: this.#index, category: this.#category, label: this.#label, chunks, expect, silence, ...options };
  }

  #as(label: string): this {
    this.#label = label;
    return this;
  }

  /** Credentials of the fuzzing caller, in one of the accepted forms. */
  #auth(): Record<string, string> {
    const key = this.#ctx.key;
    return this.#rng.weighted<Record<string, string>>([
      [6, { 'x-api-key': key }],
      [2, { authorization: `Bearer ${key}` }],
      [1, { authorization: `bearer ${key}` }],
      [1, { authorization: `Bearer   ${key}` }],
    ]);
  }

  #hostileString(maxPieces = 12): string {
    const rng = this.#rng;
    let out = '';
    const count = rng.int(0, maxPieces);
    for (let i = 0; i < count; i++) out += rng.chance(0.3) ? String.fromCharCode(rng.int(0x20, 0x7e)) : rng.pick(STRING_PIECES);
    return out;
  }

  /** A name no tool has (so a call to it is an unknown-tool error, never a call). */
  #unknownToolName(): string {
    for (;;) {
      const name = this.#rng.weighted<() => string>([
        [4, () => this.#hostileString(6)],
        [2, () => this.#rng.pick(TOOL_NAMES).toUpperCase()],
        [2, () => `${this.#rng.pick(TOOL_NAMES)}${this.#rng.pick([' ', '\u0000', '\u200b', '/', '..', '_', '\ufeff', '%00'])}`],
        [1, () => `${SERVER}__${this.#hostileString(4)}`],
        [1, () => `${this.#hostileString(3)}__tally`],
        [1, () => `${SERVER}__${SERVER}__tally`],
        [1, () => '__proto__'],
        [1, () => 'constructor'],
        [1, () => 'x'.repeat(this.#rng.int(1000, 20_000))],
      ])();
      const plain = name.startsWith(`${SERVER}__`) ? name.slice(SERVER.length + 2) : name;
      if (name !== '' && !TOOL_NAMES.includes(plain)) return name;
    }
  }

  /** Any JSON value, as bytes, nested at most `depth` more levels. */
  #anyJson(depth: number): Buffer {
    const rng = this.#rng;
    const leaf = (): Buffer =>
      rng.pick<() => Buffer>([
        () => text('null'),
        () => text(rng.pick(['true', 'false'])),
        () => text(rng.pick(['0', '-0', '1', '-1', '1.5', '1e308', '-1e-308', '5e-324', '9007199254740993', '1E2', '123456789012345678901234567890'])),
        () => j(this.#hostileString()),
        () => rawString('r', rng.pick(BAD_UTF8), 'w'),
      ])();
    if (depth <= 0 || rng.chance(0.5)) return leaf();
    if (rng.chance(0.5)) return arr(Array.from({ length: rng.int(0, 4) }, () => this.#anyJson(depth - 1)));
    return obj(Array.from({ length: rng.int(0, 4) }, () => [this.#hostileString(3), this.#anyJson(depth - 1)] as const));
  }

  /** Nested arrays `levels` deep around a number. */
  #nested(levels: number): Buffer {
    return Buffer.concat([text('['.repeat(levels)), text('1'), text(']'.repeat(levels))]);
  }

  // ---- arguments: valid and invalid, per counting tool's inputSchema ----------

  /** Arguments `tool`'s inputSchema accepts, as bytes, and what the upstream must receive. */
  #validArgs(tool: CountingTool, depthBudget: number): Buffer {
    const rng = this.#rng;
    const number = () => text(rng.pick(['0', '-0', '1', '-1', '1.5', '1e308', '-1e-308', '5e-324', '9007199254740993', '123456789012345678901234567890', '1E2', '0.0000001', '-0.0e-0']));
    const integer = () => text(rng.pick(['0', '-7', '9007199254740992', '1e3', '1.0', '-0', '12E1', '42']));
    const string = (): Buffer => (rng.chance(0.2) ? rawString(this.#hostileString(3), rng.pick(BAD_UTF8), this.#hostileString(3)) : j(this.#hostileString()));
    // Keys a schema without additionalProperties: false lets through, __proto__ among them.
    const extras = (): (readonly [string, Buffer])[] =>
      rng.chance(0.4) ? Array.from({ length: rng.int(1, 3) }, () => [rng.pick(['__proto__', 'constructor', 'prototype', 'toString', this.#hostileString(3)]), this.#anyJson(Math.max(0, depthBudget - 2))] as const) : [];
    switch (tool) {
      case 'tally': {
        const entries: (readonly [string, Buffer])[] = [['n', number()]];
        if (rng.chance(0.4)) entries[rng.chance(0.5) ? 'push' : 'unshift'](['tag', j(rng.pick(['a', 'b']))]);
        // A duplicate key before the real one: the last one wins, for the gateway and the upstream alike.
        if (rng.chance(0.15)) entries.unshift(['n', j('not a number')]);
        return obj(entries);
      }
      case 'pair':
      case 'legacy_pair': {
        const items = rng.weighted<Buffer[]>([
          [8, [string(), integer()]],
          [1, [string()]],
          [1, []],
        ]);
        return obj([['pair', arr(items)], ...extras()]);
      }
      case 'annotated': {
        const entries: (readonly [string, Buffer])[] = [['when', j(rng.pick(['2026-07-28T10:00:00Z', '2026-07-28T10:00:00.123+02:00', '1999-12-31T23:59:59-05:00']))]];
        if (rng.chance(0.5)) entries.push(['color', string()]);
        return obj([...entries, ...extras()]);
      }
    }
  }

  /** Arguments `tool`'s inputSchema refuses, each for a reason that holds whatever else is in them. */
  #invalidArgs(tool: CountingTool | 'deploy'): Buffer {
    const rng = this.#rng;
    const notNumber = () => rng.pick([j('1'), text('true'), text('null'), text('[]'), text('{}'), text('[1]'), j(this.#hostileString()), text('1e999'), text('-1e999')]);
    const notInteger = () => rng.pick([text('1.5'), j('1'), text('null'), text('1e999'), text('true'), text('[]'), text('0.5'), text('{}')]);
    const notString = () => rng.pick([text('1'), text('null'), text('[]'), text('{}'), text('true'), text('1e999')]);
    switch (tool) {
      case 'tally':
        return rng.pick<() => Buffer>([
          () => obj([]),
          () => obj([['tag', j('a')]]),
          () => obj([['n', notNumber()]]),
          () => obj([['n', text('1')], ['tag', rng.pick([j('c'), j('A'), j('a '), j(' a'), j('a\u0000'), j('\u0430'), j('ab'), j(''), text('1'), text('null'), rawString('a', rng.pick(BAD_UTF8), '')])]]),
          () => obj([['n', text('2')], [rng.pick(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'N', 'n ', this.#hostileString(3) + 'z']), this.#anyJson(2)]]),
          () => obj([['n', text('1')], ['n', j('last one wins')]]),
          () => obj(Array.from({ length: rng.int(50, 3000) }, (_, i) => [`k${i}`, text('1')] as const)),
        ])();
      case 'pair':
      case 'legacy_pair':
        return rng.pick<() => Buffer>([
          () => obj([]),
          () => obj([['Pair', arr([j('a'), text('1')])]]),
          () => obj([['pair', rng.pick([j('a,1'), text('{}'), text('null'), text('1'), text('true')])]]),
          () => obj([['pair', arr([notString(), text('1')])]]),
          () => obj([['pair', arr([j(this.#hostileString()), notInteger()])]]),
          () => obj([['pair', arr([j('a'), text('1'), this.#anyJson(1)])]]),
          () => obj([['pair', arr(Array.from({ length: rng.int(3, 500) }, () => text('1')))]]),
        ])();
      case 'annotated':
        return rng.pick<() => Buffer>([
          () => obj([]),
          () => obj([['color', j('red')]]),
          () => obj([['when', notString()]]),
          () => obj([['when', j(rng.pick(['yesterday', '', '2026-07-28', '10:00:00Z', '2026-13-01T00:00:00Z', '2026-07-28T25:00:00Z', '2026-02-30T00:00:00Z', 'now\u202e', '\ud800']))]]),
          () => obj([['when', j('2026-07-28T10:00:00Z')], ['color', notString()]]),
        ])();
      case 'deploy':
        return rng.pick([obj([]), obj([['env', notString()]])]);
    }
  }

  /** A tool call's arguments and how the gateway must answer it (as a route-independent verdict). */
  #callTarget(depthBudget: number): { tool: string; args: Buffer | undefined; verdict: Verdict } {
    const rng = this.#rng;
    const qualify = (tool: string) => (rng.chance(0.3) ? `${SERVER}__${tool}` : tool);
    return rng.weighted<() => { tool: string; args: Buffer | undefined; verdict: Verdict }>([
      [5, () => { const tool = rng.pick(COUNTING_TOOLS); return { tool: qualify(tool), args: this.#validArgs(tool, depthBudget), verdict: 'counted' }; }],
      [7, () => { const tool = rng.pick(COUNTING_TOOLS); return { tool: qualify(tool), args: this.#invalidArgs(tool), verdict: 'invalid' }; }],
      [1, () => ({ tool: qualify(rng.pick(COUNTING_TOOLS)), args: undefined, verdict: 'invalid' })],
      [1, () => ({ tool: qualify('deploy'), args: this.#invalidArgs('deploy'), verdict: 'invalid' })],
      [2, () => ({ tool: this.#unknownToolName(), args: obj(rng.chance(0.5) ? [[this.#hostileString(3), this.#anyJson(2)]] : []), verdict: 'unknown' })],
      [2, () => ({ tool: qualify(rng.pick(DENIED_TOOLS)), args: rng.chance(0.5) ? obj([['message', j('x')], ['ms', text('60000')]]) : undefined, verdict: 'denied' })],
    ])();
  }

  // ---- REST -----------------------------------------------------------------

  #restHeaders(): Record<string, string> {
    return { 'content-type': 'application/json', ...this.#auth() };
  }

  /** The REST answer to a well-formed call body. */
  #restVerdict(verdict: Verdict, args: Buffer | undefined): Expectation {
    switch (verdict) {
      case 'counted':
        return { ...restJson(), upstreamArgs: decoded(args!) };
      case 'invalid':
        return refuse(400, 'MCPGW_ERR_INVALID_ARGUMENTS', 'rest');
      case 'unknown':
        return refuse(404, ['MCPGW_ERR_UNKNOWN_TOOL', 'MCPGW_ERR_UNKNOWN_SERVER'], 'rest');
      case 'denied':
        return refuse(403, 'MCPGW_ERR_FORBIDDEN', 'rest');
    }
  }

  #restCallBody(tool: Buffer, args: Buffer | undefined, extra: readonly (readonly [string, Buffer])[] = []): Buffer {
    return obj([['tool', tool], ...(args !== undefined ? [['arguments', args] as const] : []), ...extra]);
  }

  #restJson(): Case {
    const rng = this.#rng;
    const valid = this.#restCallBody(j('tally'), obj([['n', text('1')]]));
    const insertAt = (at: number, bytes: Buffer) => Buffer.concat([valid.subarray(0, at), bytes, valid.subarray(at)]);
    const badJson = refuse(400, 'MCPGW_ERR_BAD_JSON', 'rest');
    const badShape = refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest');
    const [label, body, expect] = rng.pick<() => [string, Buffer, Expectation]>([
      () => ['truncated', valid.subarray(0, rng.int(0, valid.length - 1)), badJson],
      () => ['control byte', insertAt(rng.int(0, valid.length), Buffer.from([rng.pick([0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x1f])])), badJson],
      () => ['leading junk', Buffer.concat([Buffer.from(rng.pick(["'", 'x', '\ufeff', ")]}'\n", '<', '\u0000', '//\n']), 'utf8'), valid]), badJson],
      () => ['trailing junk', Buffer.concat([valid, text(rng.pick(['x', '}', ',', '{}', '\u0000', ']', '"', ',{"tool":"tally"}']))]), badJson],
      () => ['single quotes', Buffer.from(valid.toString('latin1').replaceAll('"', "'"), 'latin1'), badJson],
      () => ['comment', insertAt(1, text(rng.pick(['/*c*/', '//c\n', '#c\n']))), badJson],
      () => ['js literal', this.#restCallBody(j('tally'), obj([['n', text(rng.pick(['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '.5', '1.', '+1', '01', '1e', '--1', '1_000']))]])), badJson],
      () => ['bad escape', this.#restCallBody(text(rng.pick(['"\\x41"', '"\\u12"', '"\\uZZZZ"', '"\\a"', "\"\\'\"", '"abc\\"'])), undefined), badJson],
      () => ['trailing comma', Buffer.concat([valid.subarray(0, valid.length - 1), text(',}')]), badJson],
      () => ['bad utf-8 outside strings', insertAt(1, Buffer.from(rng.pick(BAD_UTF8))), badJson],
      () => ['empty', Buffer.alloc(0), badJson],
      () => ['whitespace only', text(rng.pick([' ', '\n', '\r\n\t ', ' '.repeat(100)])), badJson],
      () => ['garbage', Buffer.concat([Buffer.from([0x01]), rng.bytes(rng.int(0, 30))]), badJson],
      () => ['unbalanced shallow', text('['.repeat(rng.int(1, this.#ctx.maxJsonDepth))), badJson],
      // Depth is refused before the body is parsed at all, so unbalanced nesting is too deep, not malformed.
      () => ['unbalanced deep', text(rng.chance(0.5) ? '['.repeat(rng.int(this.#ctx.maxJsonDepth + 1, 100_000)) : '{"a":'.repeat(rng.int(this.#ctx.maxJsonDepth + 1, 5_000))), refuse(400, 'MCPGW_ERR_JSON_TOO_DEEP', 'rest')],
      () => ['not an object', text(rng.pick(['null', '[]', '[{"tool":"tally","arguments":{"n":1}}]', '"tally"', '42', 'true', '1e999'])), badShape],
    ])();
    return this.#as(label).#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, expect);
  }

  #restShape(): Case {
    const rng = this.#rng;
    const badShape = refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest');
    const someArgs = () => (rng.chance(0.5) ? obj([['n', text('1')]]) : undefined);
    const wrongType = () => rng.pick([text('1'), text('null'), text('true'), text('[]'), text('{}'), text('["tally"]'), text('{"name":"tally"}')]);
    const pathSuffix = rng.pick(['', '', '', '/']);
    const [label, body, expect, contentType] = rng.pick<() => [string, Buffer, Expectation, string | undefined]>([
      () => ['no tool', obj(rng.chance(0.5) ? [] : [['arguments', obj([['n', text('1')]])]]), badShape, undefined],
      () => ['tool wrong type', this.#restCallBody(rng.chance(0.8) ? wrongType() : j(''), someArgs()), badShape, undefined],
      () => ['arguments wrong type', this.#restCallBody(j('tally'), rng.pick([j('{"n":1}'), text('[]'), text('[1]'), text('1'), text('true'), text('null')])), badShape, undefined],
      () => ['server wrong type', this.#restCallBody(j('tally'), obj([['n', text('1')]]), [['server', rng.chance(0.8) ? wrongType() : j('')]]), badShape, undefined],
      () => ['unknown field', this.#restCallBody(j('tally'), obj([['n', text('1')]]), [[rng.pick(['__proto__', 'constructor', 'prototype', 'Tool', 'args', 'name', 'params', 'extra', this.#hostileString(3) + 'q']), this.#anyJson(2)]]), badShape, undefined],
      () => ['unknown server', this.#restCallBody(j('tally'), obj([['n', text('1')]]), [['server', j(rng.pick(['nope', 'FZ', 'fz ', '__proto__', 'constructor', this.#hostileString(4) + 'q']))]]), refuse(404, 'MCPGW_ERR_UNKNOWN_SERVER', 'rest'), undefined],
      () => ['unknown tool', this.#restCallBody(j(this.#unknownToolName()), someArgs(), rng.chance(0.3) ? [['server', j(SERVER)]] : []), refuse(404, ['MCPGW_ERR_UNKNOWN_TOOL', 'MCPGW_ERR_UNKNOWN_SERVER'], 'rest'), undefined],
      () => {
        const args = this.#validArgs('tally', 4);
        return ['named server', this.#restCallBody(j('tally'), args, [['server', j(SERVER)]]), { ...restJson(), upstreamArgs: decoded(args) }, undefined];
      },
      () => ['content type', this.#restCallBody(j('tally'), obj([['n', text('1')]])), badShape, rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/xml', 'json', '', 'application/', 'text/json', '*/*'])],
      () => {
        const args = this.#validArgs('tally', 4);
        return ['json content types', this.#restCallBody(j('tally'), args), { ...restJson(), upstreamArgs: decoded(args) }, rng.pick(['application/json', 'APPLICATION/JSON', 'application/json; charset=utf-8', 'application/json;charset=latin1', 'application/vnd.api+json', 'application/problem+json', 'application/json-seq'])];
      },
      () => ['input over REST', this.#restCallBody(j('deploy'), obj([['env', j(this.#hostileString(3) || 'prod')]])), refuse(409, 'MCPGW_ERR_INPUT_REQUIRED', 'rest'), undefined],
    ])();
    const headers: Record<string, string | readonly string[]> = { ...this.#auth() };
    if (contentType !== undefined) headers['content-type'] = contentType;
    else if (rng.chance(0.8)) headers['content-type'] = 'application/json';
    // A wrong HTTP method on the route is refused before the body matters.
    if (rng.chance(0.08)) {
      const method = rng.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
      return this.#as(`method ${method}`).#http(method, '/api/v1/tools/call' + pathSuffix, headers, method === 'GET' ? undefined : body, refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rest'));
    }
    return this.#as(label).#http('POST', '/api/v1/tools/call' + pathSuffix, headers, body, expect);
  }

  #restArgs(): Case {
    const rng = this.#rng;
    const { tool, args, verdict } = this.#callTarget(this.#ctx.maxJsonDepth - 2);
    const server = rng.chance(0.1) && !tool.startsWith(`${SERVER}__`) && verdict !== 'unknown' ? [['server', j(SERVER)] as const] : [];
    const body = this.#restCallBody(j(tool), args, server);
    return this.#as(`${verdict} arguments`).#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, this.#restVerdict(verdict, args));
  }

  /** Bodies at, under and over maxBodyBytes, and JSON nested at, under and over maxJsonDepth. */
  #bodySize(): Case {
    const rng = this.#rng;
    const limit = this.#ctx.maxBodyBytes;
    const depth = this.#ctx.maxJsonDepth;
    return rng.pick<() => Case>([
      () => {
        // A body of exactly `size` bytes: the string in pair[0] pads it.
        const size = rng.pick([limit, limit - 1, rng.int(limit >> 2, limit)]);
        const shell = (fill: number) => this.#restCallBody(j('pair'), obj([['pair', arr([j('s'.repeat(fill)), text('1')])]]));
        const body = shell(size - shell(0).length);
        return this.#as('huge but allowed').#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, { ...restJson(), upstreamArgs: decoded(obj([['pair', arr([j('s'.repeat(size - shell(0).length)), text('1')])]])) });
      },
      () => {
        const size = rng.pick([limit + 1, rng.int(limit + 1, 1024 * 1024)]);
        const piece = rng.pick(['s', '\u00e9', '\ud83d\ude00', '[', '\\\\']);
        const body = this.#restCallBody(j('pair'), obj([['pair', arr([j(piece.repeat(Math.ceil(size / Buffer.byteLength(piece)))), text('1')])]]));
        return this.#as('too large').#overLimit('/api/v1/tools/call', body, 'rest');
      },
      () => this.#as('too large for /mcp').#overLimit('/mcp', this.#modernBody(1, 'tools/call', { name: j('tally'), arguments: obj([['n', j('x'.repeat(limit))]]) }), 'rpc'),
      () => {
        // Arguments sit at depth 2; the nest starts one level further down, in a key pair does not restrict.
        const levels = rng.pick([depth - 3, depth - 2]);
        const args = obj([['pair', arr([j('d'), text('1')])], ['deep', this.#nested(levels)]]);
        const body = this.#restCallBody(j('pair'), args);
        return this.#as('at the depth limit').#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, { ...restJson(), upstreamArgs: decoded(args) });
      },
      () => {
        const body = this.#restCallBody(j('pair'), obj([['pair', arr([j('d'), text('1')])], ['deep', this.#nested(rng.pick([depth - 1, depth, rng.int(depth, 20_000)]))]]));
        return this.#as('past the depth limit').#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, refuse(400, 'MCPGW_ERR_JSON_TOO_DEEP', 'rest'));
      },
      () => {
        // Brackets inside strings are text, however many, and however many escaped quotes come before them.
        const inner = `${'\\'.repeat(rng.int(0, 5))}"${'['.repeat(rng.int(depth, 5000))}${'{'.repeat(rng.int(0, 100))}`;
        const args = obj([['pair', arr([j(inner), text('1')])]]);
        const body = this.#restCallBody(j('pair'), args);
        return this.#as('brackets in strings').#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, { ...restJson(), upstreamArgs: decoded(args) });
      },
      () => {
        const args = obj([['pair', arr([j('w'), text('2')])], ...Array.from({ length: rng.int(1000, 8000) }, (_, i) => [`key${i}`, text(String(i))] as const)]);
        const body = this.#restCallBody(j('pair'), args);
        return this.#as('many keys').#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, body.length > limit ? refuse(413, 'MCPGW_ERR_BODY_TOO_LARGE', 'rest') : { ...restJson(), upstreamArgs: decoded(args) });
      },
      () => {
        const body = this.#restCallBody(j('t'.repeat(rng.int(10_000, limit - 100))), obj([]));
        return this.#as('huge tool name').#http('POST', '/api/v1/tools/call', this.#restHeaders(), body, refuse(404, 'MCPGW_ERR_UNKNOWN_TOOL', 'rest'));
      },
    ])();
  }

  /**
   * A body over maxBodyBytes, over a raw socket: declared in Content-Length,
   * or sent chunked so that only counting can tell. The gateway answers 413
   * without reading the rest, and may reset the connection on bytes already in
   * flight once it has answered.
   */
  #overLimit(path: string, body: Buffer, shape: Shape): Case {
    const rng = this.#rng;
    const head = (framing: string) => text(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-API-Key: ${this.#ctx.key}\r\n${framing}\r\n`);
    const expect = [[refuse(413, 'MCPGW_ERR_BODY_TOO_LARGE', shape)]];
    if (rng.chance(0.5)) {
      // Declared: the answer comes before the body does, whether or not it is ever sent.
      const sent = rng.chance(0.5) ? body : body.subarray(0, rng.int(0, 1000));
      return this.#raw([head(`Content-Length: ${body.length}\r\n`), ...split(sent, 64 * 1024)], expect, ['reset'], { stopOnAnswer: true });
    }
    const chunks = split(body, rng.pick([4096, 65536])).map((piece) => Buffer.concat([text(`${piece.length.toString(16)}\r\n`), piece, text('\r\n')]));
    return this.#raw([head('Transfer-Encoding: chunked\r\n'), ...chunks, text('0\r\n\r\n')], expect, ['reset'], { stopOnAnswer: true });
  }

  // ---- credentials ------------------------------------------------------------

  #credentials(): Case {
    const rng = this.#rng;
    const key = this.#ctx.key;
    const target = this.#authTarget();
    const bare = withoutCredentials(target.headers);
    const bad = rng.pick<() => Record<string, string | readonly string[]>>([
      () => ({}),
      () => ({ 'x-api-key': rng.pick([this.#token(), '', key + 'x', key.slice(0, -1), key.toUpperCase(), `${key}\t${key}`, 'Bearer ' + key, 'null', 'undefined', '*']) }),
      () => ({ 'x-api-key': [key, key] }),
      () => ({ 'x-api-key': 'k'.repeat(rng.int(1000, 6000)) }),
      () => ({ 'x-api-key': this.#token(), authorization: `Bearer ${key}` }),
      () => ({ authorization: rng.pick(['Bearer', 'Bearer ', `Bearer${key}`, `Basic ${Buffer.from(`user:${key}`).toString('base64')}`, `Token ${key}`, `Bearer ${key} extra`, `Bearer ${key},Bearer ${key}`, `${key}`, 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.', 'Digest username="x"', 'Bearer \u00ff\u00fe']) }),
      () => ({ authorization: `Bearer ${this.#token()}` }),
      () => ({ authorization: [`Bearer ${key}`, `Bearer ${key}`] }),
      () => ({ 'X-Api-Key': '', Authorization: '' }),
    ])();
    // Every credential failure is the same 401 on every route, in the route's shape, before anything else is looked at.
    if (rng.chance(0.85) || target.label === 'DELETE session') return this.#as(`refused on ${target.label}`).#http(target.method, target.path, { ...bare, ...bad }, target.body, refuse(401, 'MCPGW_ERR_UNAUTHORIZED', target.shape, target.shape === 'rpc' ? null : undefined));
    return rng.pick<() => Case>([
      // Public paths never look at credentials, good or bad.
      () => this.#as('public path').#http('GET', '/api/v1/health', bad, undefined, restJson()),
      () => this.#as('well-known').#http('GET', rng.pick(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/x', '/.well-known/../api/v1/tools']), bad, undefined, refuse(404, 'MCPGW_ERR_ROUTE_NOT_FOUND', 'rest')),
      // A valid key next to a bad Authorization header: X-API-Key is what counts.
      () => this.#as('valid key, junk bearer').#http(target.method, target.path, { ...bare, authorization: `Bearer ${this.#token()}`, 'x-api-key': key }, target.body, target.expect),
    ])();
  }

  /** A UUID-shaped id no session has (from the case's stream, so a case is the same bytes on every run). */
  #uuid(): string {
    const hex = [...this.#rng.bytes(16)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  }

  /** Printable ASCII without surrounding spaces: what a header can carry unencoded and unchanged. */
  #asciiWord(): string {
    const length = this.#rng.int(1, 24);
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.#rng.int(0x21, 0x7e));
    return out;
  }

  #token(): string {
    const rng = this.#rng;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=';
    return Array.from({ length: rng.int(1, 80) }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('');
  }

  /** A request that would succeed (or fail for a known reason) with good credentials. */
  #authTarget(): AuthTarget {
    const rng = this.#rng;
    const json = { 'content-type': 'application/json' };
    return rng.pick<() => AuthTarget>([
      () => ({ label: 'GET tools', method: 'GET', path: '/api/v1/tools', headers: {}, shape: 'rest', expect: restJson() }),
      () => ({ label: 'GET servers', method: 'GET', path: rng.pick(['/api/v1/servers', `/api/v1/servers/${SERVER}`]), headers: {}, shape: 'rest', expect: restJson() }),
      () => ({ label: 'GET requests', method: 'GET', path: '/api/v1/requests?limit=5', headers: {}, shape: 'rest', expect: restJson() }),
      () => ({ label: 'unknown route', method: rng.pick(['GET', 'POST', 'DELETE']), path: '/api/v1/nope', headers: {}, shape: 'rest', expect: refuse(404, 'MCPGW_ERR_ROUTE_NOT_FOUND', 'rest') }),
      () => {
        const args = obj([['n', text(String(rng.int(0, 1000)))]]);
        return { label: 'tool call', method: 'POST', path: '/api/v1/tools/call', headers: json, body: this.#restCallBody(j('tally'), args), shape: 'rest', expect: { ...restJson(), upstreamArgs: decoded(args) } };
      },
      () => {
        const args = obj([['n', text('7')]]);
        return { label: '/mcp 2026-07-28 call', method: 'POST', path: '/mcp', headers: this.#modernHeaders('tools/call', 'tally'), body: this.#modernBody(3, 'tools/call', { name: j('tally'), arguments: args }), shape: 'rpc', expect: rpcResult(3, decoded(args)) };
      },
      () => ({ label: '/mcp initialize', method: 'POST', path: '/mcp', headers: json, body: j({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }), shape: 'rpc', expect: { ...rpcResult(1), opensSession: true } }),
      () => ({ label: '/mcp 2025 session', method: 'POST', path: '/mcp', headers: { ...json, 'mcp-session-id': this.#ctx.session }, body: j({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }), shape: 'rpc', expect: rpcResult(2) }),
      // With good credentials this would end the session every other case uses; refused first, it must not.
      () => ({ label: 'DELETE session', method: 'DELETE', path: '/mcp', headers: { 'mcp-session-id': this.#ctx.session }, shape: 'rpc', expect: refuse(401, 'MCPGW_ERR_UNAUTHORIZED', 'rpc') }),
      () => ({ label: '/messages', method: 'POST', path: `/messages?sessionId=${this.#ctx.session}`, headers: json, body: j({ jsonrpc: '2.0', id: 1, method: 'ping' }), shape: 'rpc', expect: refuse(404, 'MCPGW_ERR_UNKNOWN_SESSION', 'rpc') }),
    ])();
  }

  // ---- headers ------------------------------------------------------------------

  #headers(): Case {
    const rng = this.#rng;
    const key = this.#ctx.key;
    const limit = this.#ctx.maxHeaderBytes;
    const uws = this.#ctx.engine === 'uws';
    const request = (lines: string, path = '/api/v1/tools') => text(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines}Connection: close\r\n\r\n`);
    // node refuses malformed header lines with a JSON 400. uWS holds or drops most of them without an answer, and
    // reads some past the bad line (the request is then served, or refused for the credential it no longer sees).
    const malformed = {
      expect: [uws ? [refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest'), refuse(401, 'MCPGW_ERR_UNAUTHORIZED', 'rest'), restJson()] : [refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest')]],
      silence: uws ? (['held', 'closed'] as Silence[]) : [],
    };
    return rng.pick<() => Case>([
      () => {
        const size = rng.int(limit + 500, 60_000);
        const target = rng.pick(['/api/v1/tools', '/api/v1/health', '/mcp', '/api/v1/tools/call']);
        const lines = rng.chance(0.5) ? `X-Padding: ${'p'.repeat(size)}\r\n` : Array.from({ length: 30 }, (_, i) => `X-Pad-${i}: ${'q'.repeat(Math.ceil(size / 30))}\r\n`).join('');
        // The engine answers this one itself, in the REST shape whatever the path.
        return this.#as('too large').#raw([request(`X-API-Key: ${key}\r\n${lines}`, target)], [[refuse(431, 'MCPGW_ERR_HEADERS_TOO_LARGE', 'rest')]], []);
      },
      () => this.#as('large but allowed').#raw([request(`X-API-Key: ${key}\r\nX-Padding: ${'p'.repeat(rng.int(100, limit - 1500))}\r\n`)], [[restJson()]], []),
      () => {
        // Headers an intermediary or a framework might honour; the gateway must not (no method override, no trusted forwarding).
        const junk: Record<string, string> = {};
        for (let i = rng.int(1, 20); i > 0; i--) {
          junk[rng.pick(['x-http-method-override', 'x-method-override', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded', 'x-real-ip', 'via', 'cookie', 'referer', 'user-agent', 'accept-language', 'accept-encoding', 'if-none-match', 'range', 'x-original-url', 'x-rewrite-url', 'x-api-version', `x-${this.#token().toLowerCase().replace(/[^a-z0-9]/g, '') || 'z'}`])] = latin1(this.#hostileString(6));
        }
        return this.#as('junk headers').#http('GET', '/api/v1/tools', { ...junk, ...this.#auth() }, undefined, restJson());
      },
      () => this.#as('bare CR').#raw([request(`X-API-Key: ${key}\r\nX-A: v\rX-API-Key: ${key}\r\n`)], malformed.expect, malformed.silence),
      () => this.#as('NUL in value').#raw([request(`X-API-Key: ${key}\0x\r\n`)], malformed.expect, malformed.silence),
      () => this.#as('obs-fold').#raw([request(`X-API-Key: ${key}\r\n extra\r\n`)], malformed.expect, malformed.silence),
      () => this.#as('bad name').#raw([request(`${rng.pick(['X A', 'X-A ', ' X-A', 'X(A)', 'X-A\t', '', 'X\u00ffA'])}: v\r\nX-API-Key: ${key}\r\n`)], malformed.expect, malformed.silence),
      () => this.#as('no colon').#raw([request(`X-API-Key ${key}\r\n`)], malformed.expect, malformed.silence),
      () => {
        // Raw UTF-8 in a credential is only ever an unknown key.
        const token = Buffer.from(this.#hostileString(4).replace(/[\u0000-\u001f\u007f]/g, '') + '\u00e9\u20ac', 'utf8').toString('latin1');
        return this.#as('utf-8 credential').#raw([request(`X-API-Key: ${token}\r\n`)], [[refuse(401, 'MCPGW_ERR_UNAUTHORIZED', 'rest')]], []);
      },
      () => {
        // A bare LF may end a header line (RFC 9112 §2.2 lets a recipient accept it): either the line is refused, or the key on it counts.
        const lf = request(`X-A: v\nX-API-Key: ${key}\r\n`);
        return this.#as('bare LF').#raw([lf], [[refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest'), restJson()]], malformed.silence);
      },
      () => this.#as('many headers').#http('GET', '/api/v1/tools', { ...Object.fromEntries(Array.from({ length: rng.int(10, 35) }, (_, i) => [`x-h${i}`, 'v'])), ...this.#auth() }, undefined, restJson()),
    ])();
  }

  // ---- paths and methods ------------------------------------------------------------

  #paths(): Case {
    const rng = this.#rng;
    const uws = this.#ctx.engine === 'uws';
    const notFound = refuse(404, 'MCPGW_ERR_ROUTE_NOT_FOUND', 'rest');
    const wrongMethod = refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rest');
    const tricks = [
      '/api/v1/../api/v1/tools', '/api/v1/./tools', '/api/v1//tools', '//api/v1/tools', '/api/v1/tools//', '/api/v1/%2e%2e/api/v1/tools', '/api/v1/%2E%2E/%2E%2E/etc/passwd',
      '/api/v1/tools%2f', '/api/v1%2ftools', '/api/v1/tools%00', '/api/v1/tools%', '/api/v1/tools%zz', '/API/V1/TOOLS', '/api/v1/Tools', '/api/v2/tools', '/api/v1/tools;x',
      '/api/v1/tools/', '/api/v1/tools/./', '/api/v1/tools/..', '/api/v1/tools/call/..', '/api/v1/tools/call/x', '/api/v1/tools.json', '/api/v1/health/../tools', '/api/v1/health/..%2ftools',
      '/mcp/', '/mcp/../api/v1/tools', '/mcp%00', '/MCP', '/sse/', '/messages/', '/api', '/api/', '/', '/favicon.ico', '/metrics/../api/v1/tools', '/%2e%2e/%2e%2e/', '/.git/config', '/api/v1/servers/fz/..',
    ];
    return rng.pick<() => Case>([
      () => {
        const path = rng.pick(tricks);
        const route = restRoute(path);
        // A trick that still names a route exactly (`/api/v1/tools/`) is that route.
        const expect = route === undefined ? notFound : route.method === 'GET' ? restJson() : wrongMethod;
        return this.#as('path trick').#http('GET', path + rng.pick(['', '', '?', '?server=fz', '?x=%00']), this.#auth(), undefined, isMcpPath(path) ? refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rpc') : expect);
      },
      () => {
        const id = rng.pick<() => [string, Expectation]>([
          // Path parameters are percent-decoded: this is `fz`.
          () => [pct(SERVER), restJson()],
          () => [SERVER, restJson()],
          () => [rng.pick(['nope', '%00', '%E0%A4%A', '%', '..', '%2e%2e', '__proto__', 'constructor', 'FZ', 'fz%20', pct(this.#hostileString(5)) + 'q', 'x'.repeat(rng.int(100, 6000))]), refuse(404, 'MCPGW_ERR_UNKNOWN_SERVER', 'rest')],
        ])();
        return this.#as('server id').#http('GET', `/api/v1/servers/${id[0]}`, this.#auth(), undefined, id[1]);
      },
      () => {
        const query = rng.pick([`server=${SERVER}`, `tag=${pct(this.#hostileString(4))}`, 'server=nope', 'server=', 'server=%ZZ', 'server=__proto__', `server=${SERVER}%00`, `server=${SERVER}&server=${SERVER}x`, `server=nope&server=${SERVER}`]);
        // A server filter naming no configured server is a 404; of repeated parameters the first counts.
        const server = new URLSearchParams(query).get('server');
        return this.#as('tools query').#http('GET', `/api/v1/tools?${query}`, this.#auth(), undefined, server === null || server === SERVER ? restJson() : refuse(404, 'MCPGW_ERR_UNKNOWN_SERVER', 'rest'));
      },
      () => {
        const limit = rng.pick(['0', '-1', '1.5', 'abc', '', '1e999', 'NaN', '0x10', ' 5', '5', '1000', '999999']);
        // Plain decimal digits only: " 5" or "0x10" are refused rather than read loosely.
        const valid = /^\d+$/.test(limit) && Number(limit) >= 1;
        return this.#as('requests limit').#http('GET', `/api/v1/requests?limit=${encodeURIComponent(limit)}`, this.#auth(), undefined, valid ? restJson() : refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest'));
      },
      () => {
        const [method, path] = rng.pick<() => [string, string]>([
          () => [rng.pick(['POST', 'PUT', 'DELETE', 'PATCH']), rng.pick(['/api/v1/tools', '/api/v1/servers', `/api/v1/servers/${SERVER}`, '/api/v1/metrics', '/api/v1/requests', '/metrics'])],
          () => [rng.pick(['PUT', 'DELETE', 'PATCH']), '/api/v1/tools/call'],
          () => ['OPTIONS', rng.pick(['/api/v1/tools', '/api/v1/tools/call'])],
        ])();
        return this.#as('wrong method').#http(method, path, { ...this.#auth(), 'content-type': 'application/json' }, method === 'DELETE' || method === 'OPTIONS' ? undefined : text('{}'), wrongMethod);
      },
      () => this.#as('public wrong method').#http(rng.pick(['POST', 'PUT', 'DELETE']), '/api/v1/health', {}, undefined, wrongMethod),
      () => {
        // HEAD is no GET here: every route names its method. A HEAD answer has no body to check, only its status and headers.
        const method = rng.pick(['HEAD', 'TRACE']);
        const path = rng.pick(['/api/v1/tools', '/api/v1/tools/call', '/api/v1/nope', '/api/v1/health']);
        return this.#as(method).#http(method, path, this.#auth(), undefined, restRoute(path) === undefined ? notFound : wrongMethod);
      },
      () => {
        const length = rng.pick([rng.int(1000, this.#ctx.maxHeaderBytes - 1000), rng.int(this.#ctx.maxHeaderBytes + 100, 40_000)]);
        const path = `/api/v1/${'a'.repeat(length)}`;
        const tooLong = length > this.#ctx.maxHeaderBytes;
        return this.#as(tooLong ? 'path too long' : 'long path').#raw([text(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${this.#ctx.key}\r\nConnection: close\r\n\r\n`)], [[tooLong ? refuse(431, 'MCPGW_ERR_HEADERS_TOO_LARGE', 'rest') : notFound]], []);
      },
      () => {
        // Methods node's parser does not know: it refuses them itself; uWS drops the connection. Known extension methods reach the router.
        const method = rng.pick(['FOO', 'GETT', 'get', 'M-SEARCH', 'PROPFIND', 'SEARCH', 'PURGE', 'BREW', 'X'.repeat(50)]);
        const known = ['M-SEARCH', 'PROPFIND', 'SEARCH', 'PURGE'].includes(method);
        return this.#as('unknown method').#raw(
          [text(`${method} /api/v1/tools HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${this.#ctx.key}\r\nConnection: close\r\n\r\n`)],
          [known ? [wrongMethod] : [refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest'), wrongMethod]],
          uws ? ['closed', 'held'] : [],
        );
      },
      () => {
        // Bytes no HTTP client puts in a request target.
        const path = rng.pick(['/api/v1/he alth', '/api/v1/health\0', '/api/v1/servers/\xc3\xa9', '/api/v1/\x7f', '/api/v1/\t', 'api/v1/tools', '*', 'http://127.0.0.1/api/v1/tools', '/api/v1/tools\x1b[2J']);
        return this.#as('bytes in target').#raw(
          [text(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${this.#ctx.key}\r\nConnection: close\r\n\r\n`)],
          [[refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest'), notFound, refuse(404, 'MCPGW_ERR_UNKNOWN_SERVER', 'rest')]],
          uws ? ['closed', 'held'] : [],
        );
      },
    ])();
  }

  // ---- /mcp, 2026-07-28 ----------------------------------------------------------------

  #modernHeaders(method: string, name?: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method, ...this.#auth() };
    if (name !== undefined) headers['mcp-name'] = headerName(name);
    return headers;
  }

  /** A 2026-07-28 request body; `params` values are encoded bytes, `_meta` carries the envelope unless `meta` replaces it. */
  #modernBody(id: Buffer | number | string | undefined, method: string | Buffer, params: Record<string, Buffer>, meta?: Buffer | null, capabilities: Buffer = obj([])): Buffer {
    const envelope = meta === undefined ? obj([[META_VERSION, j(MODERN)], [META_CAPABILITIES, capabilities]]) : meta;
    const paramEntries = Object.entries(params) as [string, Buffer][];
    const withMeta = envelope === null ? paramEntries : [...paramEntries, ['_meta', envelope] as [string, Buffer]];
    const entries: (readonly [string, Buffer])[] = [['jsonrpc', j('2.0')]];
    if (id !== undefined) entries.push(['id', Buffer.isBuffer(id) ? id : j(id)]);
    entries.push(['method', Buffer.isBuffer(method) ? method : j(method)], ['params', obj(withMeta)]);
    return obj(entries);
  }

  /**
   * A well-formed 2026-07-28 request and its answer: the base every /mcp
   * mutation starts from. `name` is what Mcp-Name must carry, when the method
   * names its target.
   */
  #modernBase(rpcId: number | string): ModernBase {
    const rng = this.#rng;
    return rng.weighted<() => ModernBase>([
      [6, () => {
        const target = this.#callTarget(this.#ctx.maxJsonDepth - 4);
        const { args, verdict } = target;
        // Capped: the name travels in Mcp-Name too, base64 and all, and must leave the header block under maxHeaderBytes.
        const tool = wellFormed(target.tool.slice(0, 1000));
        const params: Record<string, Buffer> = { name: j(tool), ...(args !== undefined ? { arguments: args } : {}) };
        const expect =
          verdict === 'counted' ? rpcResult(rpcId, decoded(args!))
          : verdict === 'invalid' ? rpcOn200('MCPGW_ERR_INVALID_ARGUMENTS', rpcId)
          : verdict === 'unknown' ? rpcOn200(['MCPGW_ERR_UNKNOWN_TOOL', 'MCPGW_ERR_UNKNOWN_SERVER'], rpcId)
          : rpcOn200('MCPGW_ERR_FORBIDDEN', rpcId);
        return { method: 'tools/call', name: tool, params, expect, label: `tools/call ${verdict}` };
      }],
      [1, () => ({ method: 'tools/call', name: 'deploy', params: { name: j('deploy'), arguments: obj([['env', j('prod')]]) }, capabilities: obj([['elicitation', obj([])]]), expect: rpcResult(rpcId), label: 'tools/call input_required' })],
      // Without the capability the upstream refuses to ask (its -32021 passes through), and the gateway never hangs waiting.
      [1, () => ({ method: 'tools/call', name: 'deploy', params: { name: j('deploy'), arguments: obj([['env', j('prod')]]) }, expect: rpcOn200(['MCPGW_ERR_UPSTREAM', 'MCPGW_ERR_MISSING_CAPABILITY'], rpcId), label: 'tools/call input the client cannot give' })],
      [2, () => ({ method: rng.pick(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']), params: {}, expect: rpcResult(rpcId), label: 'list' })],
      [1, () => ({ method: 'tools/list', params: { cursor: rng.pick([j(this.#hostileString(3) + '!'), text('1'), text('{}'), j(Buffer.from('{"o":-1}').toString('base64url')), j(Buffer.from('{"o":1.5}').toString('base64url'))]) }, expect: refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', rpcId), label: 'bad cursor' })],
      [1, () => ({ method: 'server/discover', params: {}, expect: rpcResult(rpcId), label: 'discover' })],
      [1, () => {
        const uri = wellFormed(rng.pick([`file:///etc/passwd`, 'fixture://fz/counter', this.#hostileString(4) + ':x', 'http://169.254.169.254/latest/meta-data']));
        return { method: 'resources/read', name: uri, params: { uri: j(uri) }, expect: rpcOn200('MCPGW_ERR_UNKNOWN_TOOL', rpcId), label: 'resources/read' };
      }],
      [1, () => {
        const name = wellFormed(this.#hostileString(4) + 'p');
        return { method: 'prompts/get', name, params: { name: j(name), arguments: this.#anyJson(1) }, expect: rpcOn200('MCPGW_ERR_UNKNOWN_TOOL', rpcId), label: 'prompts/get' };
      }],
      [1, () => ({ method: 'completion/complete', params: { ref: rng.pick([text('null'), text('{}'), obj([['type', j('ref/other')]]), obj([['type', j('ref/prompt')], ['name', text('1')]])]), argument: obj([['name', j('a')], ['value', j('b')]]) }, expect: refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', rpcId), label: 'completion bad ref' })],
      [1, () => ({ method: 'completion/complete', params: { ref: obj([['type', j('ref/prompt')], ['name', j(this.#hostileString(3) + 'p')]]), argument: obj([['name', j('a')], ['value', j('b')]]) }, expect: rpcOn200('MCPGW_ERR_UNKNOWN_TOOL', rpcId), label: 'completion unknown prompt' })],
      [1, () => {
        const taskId = wellFormed(rng.pick([`${SERVER}:0:${Buffer.from('nope').toString('base64url')}`, `${SERVER}:0:!!`, `${SERVER}:99:YQ`, 'nope:0:YQ', this.#hostileString(4) + 't', `${SERVER}:0:YQ=`, `${SERVER}:00:YQ`]));
        const method = rng.pick(['tasks/get', 'tasks/cancel', 'tasks/update']);
        return { method, name: taskId, params: { taskId: j(taskId) }, expect: rpcOn200('MCPGW_ERR_UNKNOWN_TASK', rpcId), label: 'forged task id' };
      }],
      [2, () => {
        // Methods this era does not have, including names that are keys of every JavaScript object.
        const method = rng.pick(['ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe', 'tasks/list', 'tasks/result', 'notifications/initialized', 'sampling/createMessage', 'elicitation/create', 'roots/list', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'tools/call/', 'TOOLS/CALL', 'tools/', 'rpc.discover', this.#asciiWord()]);
        return { method, params: {}, expect: refuse(404, 'MCPGW_ERR_METHOD_NOT_FOUND', 'rpc', rpcId), label: 'unknown method' };
      }],
      [1, () => ({ method: 'subscriptions/listen', params: { notifications: obj([['resourceSubscriptions', rng.pick([j('fixture://x'), text('[1]'), text('[""]'), text('{}'), text('[null]'), text('true')])]]) }, expect: refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', rpcId), label: 'listen bad filter' })],
      [1, () => ({ method: 'tools/call', name: '', params: { name: j('') }, expect: refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', rpcId), label: 'empty tool name' })],
      [1, () => ({ method: 'tools/call', name: 'tally', params: { name: j('tally'), arguments: rng.pick([text('[]'), text('"n=1"'), text('1'), text('null'), text('true')]) }, expect: refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', rpcId), label: 'arguments not an object' })],
    ])();
  }

  #rpcId(): number | string {
    const rng = this.#rng;
    return rng.weighted<number | string>([
      [4, rng.int(0, 1_000_000)],
      [1, -rng.int(1, 1000)],
      [1, rng.int(0, 100) + 0.5],
      [2, this.#hostileString(4)],
      [1, ''],
    ]);
  }

  #mcpModern(): Case {
    const rng = this.#rng;
    const id = this.#rpcId();
    const base = this.#modernBase(id);
    const headers: Record<string, string | readonly string[]> = this.#modernHeaders(base.method, base.name);
    const named = base.name !== undefined;
    const body = () => this.#modernBody(id, base.method, base.params, undefined, base.capabilities);
    const mismatch = refuse(400, 'MCPGW_ERR_HEADER_MISMATCH', 'rpc', id);
    const unread = (code: ErrorCode | readonly ErrorCode[]) => refuse(400, code, 'rpc', null);
    const sessionRequired = refuse(400, 'MCPGW_ERR_SESSION_REQUIRED', 'rpc', id);
    type Mutation = () => [string, Record<string, string | readonly string[]>, Buffer | undefined, Expectation, string?];
    const mutations: (readonly [number, Mutation])[] = [
      [3, () => ['unchanged', headers, body(), base.expect]],
      [2, () => { const { 'mcp-protocol-version': _, ...rest } = headers; return ['no MCP-Protocol-Version', rest, body(), mismatch]; }],
      [2, () => ['other MCP-Protocol-Version', { ...headers, 'mcp-protocol-version': rng.pick(['2025-06-18', '2025-11-25', '2026-07-29', '2026-7-28', this.#token(), '', '2026-07-28x']) }, body(), mismatch]],
      [1, () => ['repeated MCP-Protocol-Version', { ...headers, 'mcp-protocol-version': [MODERN, MODERN] }, body(), mismatch]],
      [2, () => { const { 'mcp-method': _, ...rest } = headers; return ['no Mcp-Method', rest, body(), mismatch]; }],
      [2, () => ['other Mcp-Method', { ...headers, 'mcp-method': rng.pick([base.method.toUpperCase() === base.method ? `${base.method}x` : base.method.toUpperCase(), `${base.method}/`, 'tools/list' === base.method ? 'tools/call' : 'tools/list', '', this.#asciiWord() + 'q']) }, body(), mismatch]],
      [2, () => ['unsupported version', headers, this.#modernBody(id, base.method, base.params, obj([[META_VERSION, j(rng.pick(['2026-07-29', '2099-01-01', '9', '2026-07-28 ', 'zzz', '2026-08-01']))], [META_CAPABILITIES, obj([])]])), refuse(400, 'MCPGW_ERR_UNSUPPORTED_VERSION', 'rpc', id)]],
      // No claim of 2026-07-28 in `_meta` makes it a 2025 request, which needs a session.
      [2, () => ['no envelope', headers, this.#modernBody(id, base.method, base.params, rng.pick([null, obj([]), obj([[META_VERSION, rng.pick([text('20260728'), text('null'), text('{}'), j('2025-06-18'), j('')])], [META_CAPABILITIES, obj([])]]), text('"2026-07-28"'), text('[]'), text('null')])), base.method === 'initialize' ? base.expect : sessionRequired]],
      [2, () => ['no client capabilities', headers, this.#modernBody(id, base.method, base.params, obj([[META_VERSION, j(MODERN)], ...(rng.chance(0.5) ? [] : [[META_CAPABILITIES, rng.pick([text('null'), text('[]'), j('all'), text('1'), text('true')])] as const])])), refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', id)]],
      [1, () => ['params not an object', headers, obj([['jsonrpc', j('2.0')], ['id', j(id)], ['method', j(base.method)], ['params', rng.pick([text('[]'), text('"x"'), text('1'), text('null'), text('true'), text('[{"_meta":{}}]')])]]), unread('MCPGW_ERR_INVALID_PARAMS')]],
      [1, () => ['batch', headers, rng.pick([arr([body()]), arr([body(), body()]), text('[]'), arr([text('1')])]), unread('MCPGW_ERR_BAD_REQUEST')]],
      [1, () => ['not JSON-RPC 2.0', headers, Buffer.from(body().toString('utf8').replace('"jsonrpc":"2.0"', rng.pick(['"jsonrpc":"1.0"', '"jsonrpc":2', '"jsonrpc":null', '"jsonrpc":"2.0 "', '"json-rpc":"2.0"'])), 'utf8'), unread('MCPGW_ERR_BAD_REQUEST')]],
      [1, () => ['bad id', headers, this.#modernBody(rng.pick([text('null'), text('{}'), text('[]'), text('true'), text('[1]')]), base.method, base.params), unread('MCPGW_ERR_BAD_REQUEST')]],
      [1, () => ['method not a string', headers, this.#modernBody(id, rng.pick([text('1'), text('null'), text('{}'), text('["tools/call"]')]), base.params), unread('MCPGW_ERR_BAD_REQUEST')]],
      // Without an id it is a notification: accepted, answered with nothing, and never executed.
      [2, () => ['notification', headers, this.#modernBody(undefined, base.method, base.params, undefined, base.capabilities), accepted]],
      [1, () => ['extra top-level fields', headers, obj([[rng.pick(['__proto__', 'constructor', 'result', 'error', 'extra']), this.#anyJson(1)], ...JSON_RPC_FIELDS(body())]), base.expect]],
      [1, () => ['lenient headers', { ...headers, 'content-type': rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16']), accept: rng.pick(['*/*', 'text/html', '']), 'mcp-param-region': latin1(this.#hostileString(3)) }, body(), base.expect]],
      [2, () => ['foreign origin', { ...headers, origin: rng.pick(['https://evil.example', 'null', 'http://localhost.evil.com', 'http://127.0.0.1.evil.com', 'http://localhost:80@evil', 'file://', 'http://[::2]', 'http://0.0.0.0']) }, body(), refuse(403, 'MCPGW_ERR_FORBIDDEN_ORIGIN', 'rpc', null)]],
      [1, () => ['loopback origin', { ...headers, origin: rng.pick(['http://localhost', 'http://localhost:3000', 'http://127.0.0.1:4000', 'http://127.9.8.7', 'https://[::1]:8443', 'HTTP://LOCALHOST']) }, body(), base.expect]],
      [1, () => ['deep params', headers, this.#modernBody(id, base.method, { ...base.params, deep: this.#nested(rng.int(this.#ctx.maxJsonDepth, 3000)) }, undefined, base.capabilities), unread('MCPGW_ERR_JSON_TOO_DEEP')]],
      [1, () => ['bad JSON', headers, body().subarray(0, rng.int(0, body().length - 1)), unread('MCPGW_ERR_BAD_JSON')]],
      [1, () => {
        const method = rng.pick(['GET', 'PUT', 'PATCH', 'OPTIONS']);
        return [`${method} /mcp`, headers, undefined, refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rpc', null), method];
      }],
    ];
    if (named) {
      const name = base.name!;
      mutations.push(
        [3, () => { const { 'mcp-name': _, ...rest } = headers; return ['no Mcp-Name', rest, body(), mismatch]; }],
        [3, () => ['other Mcp-Name', { ...headers, 'mcp-name': name === '' ? rng.pick(['x', 'tally']) : rng.pick([headerName(name + 'x'), headerName(name.toUpperCase() === name ? name.toLowerCase() + 'Q' : name.toUpperCase()), `=?base64?${Buffer.from(name + ' ').toString('base64')}?=`, '=?base64?***?=', '=?base64??=', headerName('tally') === headers['mcp-name'] ? 'pair' : 'tally']) }, body(), mismatch]],
        // Any header value may travel base64-encoded, ASCII or not.
        [1, () => ['base64 Mcp-Name', { ...headers, 'mcp-name': `=?base64?${Buffer.from(name, 'utf8').toString('base64')}?=` }, body(), base.expect]],
      );
    }
    const [label, finalHeaders, finalBody, expect, method] = rng.weighted(mutations)();
    return this.#as(`${base.label}: ${label}`).#http(method ?? 'POST', '/mcp', finalHeaders, finalBody, expect);
  }

  /** Several mutations at once: the answer is whichever of their refusals the gateway checks first. */
  #mcpChaos(): Case {
    const rng = this.#rng;
    const id = rng.int(1, 1_000_000);
    const base = this.#modernBase(id);
    let headers: Record<string, string | readonly string[]> = this.#modernHeaders(base.method, base.name);
    let meta: Buffer | null | undefined;
    let params = base.params;
    let idPart: Buffer | number | undefined = id;
    let jsonrpc = '2.0';
    const status = new Set<number>();
    const codes = new Set<ErrorCode>();
    const applied: string[] = [];
    const all: readonly (readonly [string, () => void])[] = [
      ['no version header', () => { const { 'mcp-protocol-version': _, ...rest } = headers; headers = rest; status.add(400); codes.add('MCPGW_ERR_HEADER_MISMATCH'); }],
      ['other method header', () => { headers = { ...headers, 'mcp-method': 'x' }; status.add(400); codes.add('MCPGW_ERR_HEADER_MISMATCH'); }],
      ['other name header', () => { headers = { ...headers, 'mcp-name': 'other-name' }; if (base.name !== undefined) { status.add(400); codes.add('MCPGW_ERR_HEADER_MISMATCH'); } }],
      ['unsupported version', () => { meta = obj([[META_VERSION, j('2099-01-01')], [META_CAPABILITIES, obj([])]]); status.add(400); codes.add('MCPGW_ERR_UNSUPPORTED_VERSION'); }],
      ['no envelope', () => { meta = null; status.add(400); codes.add('MCPGW_ERR_SESSION_REQUIRED'); }],
      ['no capabilities', () => { meta = obj([[META_VERSION, j(MODERN)]]); status.add(400); codes.add('MCPGW_ERR_INVALID_PARAMS'); }],
      ['bad id', () => { idPart = text('{}'); status.add(400); codes.add('MCPGW_ERR_BAD_REQUEST'); }],
      ['bad jsonrpc', () => { jsonrpc = '1.0'; status.add(400); codes.add('MCPGW_ERR_BAD_REQUEST'); }],
      ['deep', () => { params = { ...params, deep: this.#nested(this.#ctx.maxJsonDepth + 5) }; status.add(400); codes.add('MCPGW_ERR_JSON_TOO_DEEP'); }],
      ['foreign origin', () => { headers = { ...headers, origin: 'https://evil.example' }; status.add(403); codes.add('MCPGW_ERR_FORBIDDEN_ORIGIN'); }],
      ['no credentials', () => { const { 'x-api-key': _k, authorization: _a, ...rest } = headers; headers = rest; status.add(401); codes.add('MCPGW_ERR_UNAUTHORIZED'); }],
    ];
    const count = rng.int(2, 5);
    for (let i = 0; i < count; i++) {
      const [name, apply] = rng.pick(all);
      if (applied.includes(name)) continue;
      applied.push(name);
      apply();
    }
    let body = this.#modernBody(idPart, base.method, params, meta);
    if (jsonrpc !== '2.0') body = Buffer.from(body.toString('utf8').replace('"jsonrpc":"2.0"', `"jsonrpc":"${jsonrpc}"`), 'utf8');
    // Only checks that fired can decide the answer; if none did, the base request is what was sent.
    const expect: Expectation = status.size === 0 ? base.expect : refuse([...status], [...codes], 'rpc');
    return this.#as(applied.sort().join(' + ')).#http('POST', '/mcp', headers, body, expect);
  }

  #requestState(): Case {
    const rng = this.#rng;
    const ctx = this.#ctx;
    const id = rng.int(1, 1_000_000);
    const flip = (token: string): string => {
      const at = rng.int('mcpgw1.'.length, token.length - 1);
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const replacement = alphabet.replace(token[at]!, '')[rng.int(0, alphabet.length - 2)]!;
      return token.slice(0, at) + replacement + token.slice(at + 1);
    };
    const [body, signature] = ctx.deployState.slice('mcpgw1.'.length).split('.') as [string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ s: SERVER, t: 'tally', p: 'key:fuzzer', e: Date.now() + 3_600_000 })).toString('base64url');
    const [stateLabel, state] = rng.pick<() => [string, Buffer]>([
      () => ['random string', j(this.#hostileString(6))],
      () => ['wrong prefix', j(`mcpgw2.${body}.${signature}`)],
      () => ['no signature', j(`mcpgw1.${body}`)],
      () => ['empty parts', j(rng.pick(['mcpgw1.', 'mcpgw1..', `mcpgw1..${signature}`, `mcpgw1.${body}.`]))],
      () => ['one character changed', j(flip(ctx.deployState))],
      () => ['forged payload, old signature', j(`mcpgw1.${forgedPayload}.${signature}`)],
      () => ['forged payload, made-up signature', j(`mcpgw1.${forgedPayload}.${Buffer.from(this.#token()).toString('base64url')}`)],
      () => ['expiry pushed out', j(`mcpgw1.${Buffer.from(Buffer.from(body, 'base64url').toString('utf8').replace(/"e":\d+/, '"e":99999999999999')).toString('base64url')}.${signature}`)],
      () => ['not a string', rng.pick([text('1'), text('null'), text('{}'), text('[]'), text('true'), obj([['s', j(SERVER)], ['t', j('tally')]])])],
      () => ['issued to another caller', j(ctx.foreignState)],
      () => ['genuine, for another tool', j(ctx.deployState)],
    ])();
    // Valid arguments on purpose: if a refused state still let the call through, the upstream's counter would show it.
    const tool = rng.pick(['tally', 'pair', `${SERVER}__tally`, 'deploy']);
    const args = tool === 'deploy' ? obj([['env', j('prod')]]) : this.#validArgs(tool.endsWith('pair') ? 'pair' : 'tally', 6);
    const params: Record<string, Buffer> = { name: j(tool), arguments: args, requestState: state };
    if (rng.chance(0.3)) params.inputResponses = obj([['confirm', obj([['action', j('accept')], ['content', obj([['confirm', text('true')]])]])]]);
    const genuineHere = stateLabel === 'genuine, for another tool' && tool === 'deploy';
    // The genuine state on its own tool is a real retry: the upstream asks again or deploys.
    const expect = genuineHere ? rpcResult(id) : rpcOn200('MCPGW_ERR_BAD_REQUEST_STATE', id);
    if (rng.chance(0.3)) {
      // The same through a 2025 session: requestState is checked alike.
      const legacyBody = obj([['jsonrpc', j('2.0')], ['id', j(id)], ['method', j('tools/call')], ['params', obj(Object.entries(params))]]);
      return this.#as(`2025 session: ${stateLabel}`).#http('POST', '/mcp', { 'content-type': 'application/json', 'mcp-session-id': ctx.session, ...this.#auth() }, legacyBody, genuineHere ? [expect, rpcOn200(['MCPGW_ERR_MISSING_CAPABILITY', 'MCPGW_ERR_UPSTREAM'], id)] : expect);
    }
    return this.#as(stateLabel).#http('POST', '/mcp', this.#modernHeaders('tools/call', tool), this.#modernBody(id, 'tools/call', params, undefined, obj([['elicitation', obj([])]])), expect);
  }

  // ---- /mcp, 2025 ------------------------------------------------------------------------

  #legacyBase(rpcId: number | string): LegacyBase {
    const rng = this.#rng;
    return rng.weighted<() => LegacyBase>([
      [6, () => {
        const { tool, args, verdict } = this.#callTarget(this.#ctx.maxJsonDepth - 4);
        const params = obj([['name', j(tool)], ...(args !== undefined ? [['arguments', args] as const] : [])]);
        const expect =
          verdict === 'counted' ? rpcResult(rpcId, decoded(args!))
          : verdict === 'invalid' ? rpcOn200('MCPGW_ERR_INVALID_ARGUMENTS', rpcId)
          : verdict === 'unknown' ? rpcOn200(['MCPGW_ERR_UNKNOWN_TOOL', 'MCPGW_ERR_UNKNOWN_SERVER'], rpcId)
          : rpcOn200('MCPGW_ERR_FORBIDDEN', rpcId);
        return { method: 'tools/call', params, expect, label: `tools/call ${verdict}` };
      }],
      [1, () => ({ method: 'tools/call', params: obj([['name', rng.pick([text('1'), text('null'), j(''), text('[]')])]]), expect: rpcOn200('MCPGW_ERR_INVALID_PARAMS', rpcId), label: 'tool name not a string' })],
      // The session declared no elicitation capability: asked for it, the gateway refuses at once rather than hang.
      [1, () => ({ method: 'tools/call', params: obj([['name', j('deploy')], ['arguments', obj([['env', j('prod')]])]]), expect: rpcOn200(['MCPGW_ERR_MISSING_CAPABILITY', 'MCPGW_ERR_UPSTREAM'], rpcId), label: 'input the client cannot give' })],
      [2, () => ({ method: rng.pick(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'ping', 'tasks/list']), params: rng.chance(0.5) ? obj([]) : undefined, expect: rpcResult(rpcId), label: 'list or ping' })],
      [1, () => ({ method: 'logging/setLevel', params: obj([['level', j(rng.pick(['debug', 'emergency', this.#hostileString(2)]))]]), expect: rpcResult(rpcId), label: 'setLevel' })],
      [1, () => ({ method: 'resources/subscribe', params: obj([['uri', rng.pick([j(this.#hostileString(4) + ':u'), text('1'), text('null'), j('')])]]), expect: rpcOn200(['MCPGW_ERR_UNKNOWN_TOOL', 'MCPGW_ERR_INVALID_PARAMS'], rpcId), label: 'subscribe' })],
      [1, () => ({ method: 'resources/unsubscribe', params: obj([['uri', rng.pick([text('1'), text('null'), text('{}')])]]), expect: rpcOn200('MCPGW_ERR_INVALID_PARAMS', rpcId), label: 'unsubscribe non-string' })],
      [1, () => ({ method: 'tasks/get', params: obj([['taskId', rng.pick([j(`${SERVER}:0:${Buffer.from('x').toString('base64url')}`), j('zz'), text('1'), text('null')])]]), expect: rpcOn200(['MCPGW_ERR_UNKNOWN_TASK', 'MCPGW_ERR_INVALID_PARAMS'], rpcId), label: 'forged task' })],
      [1, () => ({ method: 'tasks/list', params: obj([['cursor', j(this.#hostileString(2) + 'c')]]), expect: rpcOn200('MCPGW_ERR_INVALID_PARAMS', rpcId), label: 'tasks/list cursor' })],
      [2, () => ({ method: rng.pick(['server/discover', 'subscriptions/listen', 'tasks/update', '__proto__', 'constructor', 'toString', 'elicitation/create', this.#hostileString(3) + 'm']), params: obj([]), expect: rpcOn200('MCPGW_ERR_METHOD_NOT_FOUND', rpcId), label: 'unknown method' })],
      // A cancellation must never name a request really in flight on the shared session: its ids carry a prefix no other id has.
      [1, () => ({ method: rng.pick(['notifications/initialized', 'notifications/cancelled', 'notifications/progress', 'notifications/' + this.#hostileString(2)]), params: obj([['requestId', rng.pick([j(`\u{1F6AB}${this.#hostileString(3)}`), text('null'), text('{}'), text('[1]'), text('true')])], ['reason', this.#anyJson(1)]]), id: false, expect: accepted, label: 'notification' })],
      [1, () => ({ method: '', response: obj([['jsonrpc', j('2.0')], ['id', j(rng.pick([`mcpgw-${rng.int(1, 10)}`, 'x', 5] as const))], [rng.pick(['result', 'error']), rng.pick([obj([]), text('null'), text('"x"'), obj([['code', text('1')], ['message', text('2')]])])]]), expect: accepted, label: 'stray response' })],
    ])();
  }

  #mcp2025(): Case {
    const rng = this.#rng;
    const ctx = this.#ctx;
    const id = this.#rpcId();
    const base = this.#legacyBase(id);
    const message = base.response ?? obj([['jsonrpc', j('2.0')], ...(base.id === false ? [] : [['id', j(id)] as const]), ['method', j(base.method)], ...(base.params !== undefined ? [['params', base.params] as const] : [])]);
    const json = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...this.#auth() };
    const version: Record<string, string> = rng.chance(0.5) ? { 'mcp-protocol-version': rng.pick(['2025-11-25', '2025-06-18', '2025-03-26']) } : {};
    // Session errors echo the id of a request (a notification or a response has none to echo).
    const echoed = base.response !== undefined || base.id === false ? null : id;
    const unknownSession = refuse(404, 'MCPGW_ERR_UNKNOWN_SESSION', 'rpc', echoed);
    const unknownSessionNoBody = refuse(404, 'MCPGW_ERR_UNKNOWN_SESSION', 'rpc', null);
    const [label, method, headers, body, expect] = rng.weighted<() => [string, string, Record<string, string | readonly string[]>, Buffer | undefined, Expectation]>([
      [8, () => ['live session', 'POST', { ...json, ...version, 'mcp-session-id': ctx.session }, message, base.expect]],
      [2, () => ['no session', 'POST', { ...json, ...version }, message, refuse(400, 'MCPGW_ERR_SESSION_REQUIRED', 'rpc', echoed)]],
      [3, () => ['unknown session', 'POST', { ...json, 'mcp-session-id': rng.pick([this.#uuid(), '', ' ', ctx.session.toUpperCase(), ctx.session + 'x', ctx.session.slice(1), latin1(this.#hostileString(6)) + 's', 'x'.repeat(rng.int(200, 4000)), '../' + ctx.session, '__proto__', 'constructor']) }, message, unknownSession]],
      [1, () => ['repeated session header', 'POST', { ...json, 'mcp-session-id': [ctx.session, ctx.session] }, message, unknownSession]],
      // A session id is not a credential: another caller's session is unknown to this one.
      [2, () => ['another caller\'s session', 'POST', { ...json, 'mcp-session-id': ctx.foreignSession }, message, unknownSession]],
      [1, () => ['DELETE unknown session', 'DELETE', { ...this.#auth(), 'mcp-session-id': rng.pick([ctx.foreignSession, this.#uuid(), '', 'x']) }, undefined, unknownSessionNoBody]],
      [1, () => ['DELETE without session', 'DELETE', this.#auth(), undefined, refuse(400, 'MCPGW_ERR_SESSION_REQUIRED', 'rpc', null)]],
      [1, () => ['GET unknown session', 'GET', { ...this.#auth(), accept: 'text/event-stream', 'mcp-session-id': rng.pick([ctx.foreignSession, this.#uuid(), 'x']), 'last-event-id': rng.pick(['0', '-1', 'abc', '1e999']) }, undefined, unknownSessionNoBody]],
      [1, () => ['GET without session', 'GET', { ...this.#auth(), accept: 'text/event-stream' }, undefined, refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rpc', null)]],
      [1, () => ['bad JSON', 'POST', { ...json, 'mcp-session-id': ctx.session }, message.subarray(0, rng.int(0, message.length - 1)), refuse(400, 'MCPGW_ERR_BAD_JSON', 'rpc', null)]],
      [1, () => ['batch', 'POST', { ...json, 'mcp-session-id': ctx.session }, arr([message, message]), refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rpc', null)]],
      [1, () => ['params not an object', 'POST', { ...json, 'mcp-session-id': ctx.session }, obj([['jsonrpc', j('2.0')], ['id', j(1)], ['method', j('tools/list')], ['params', rng.pick([text('[]'), text('null'), text('1'), j('p')])]]), refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', null)]],
      [1, () => ['response without id', 'POST', { ...json, 'mcp-session-id': ctx.session }, obj([['jsonrpc', j('2.0')], ['result', obj([])], ...(rng.chance(0.5) ? [['id', rng.pick([text('null'), text('{}'), text('[]')])] as const] : [])]), refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rpc', null)]],
    ])();
    return this.#as(`${base.label}: ${label}`).#http(method, '/mcp', headers, body, expect);
  }

  #initialize(): Case {
    const rng = this.#rng;
    const id = rng.int(1, 100_000);
    const good = (): (readonly [string, Buffer])[] => [
      ['protocolVersion', j(rng.pick(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05', '1999-01-01', this.#hostileString(3)]))],
      ['capabilities', rng.pick([obj([]), obj([['elicitation', obj([])]]), obj([['roots', obj([['listChanged', text('true')]])], ['sampling', obj([])]]), obj([[this.#hostileString(2) + 'c', this.#anyJson(2)]])])],
      ['clientInfo', obj([['name', j(this.#hostileString(4))], ['version', j(this.#hostileString(2))], ...(rng.chance(0.3) ? [['title', this.#anyJson(1)] as const] : [])])],
    ];
    const notObject = () => rng.pick([text('null'), text('[]'), j('x'), text('1'), text('true')]);
    const [label, params, valid] = rng.weighted<() => [string, Buffer | undefined, boolean]>([
      [3, () => ['valid', obj(good()), true]],
      [1, () => ['no params', rng.pick([undefined, obj([])]), false]],
      [2, () => ['protocolVersion not a string', obj(good().map(([k, v]) => (k === 'protocolVersion' ? [k, rng.pick([text('20250618'), text('null'), text('[]'), text('{}')])] : [k, v]))), false]],
      [1, () => ['no protocolVersion', obj(good().filter(([k]) => k !== 'protocolVersion')), false]],
      [2, () => ['capabilities not an object', obj(good().map(([k, v]) => (k === 'capabilities' ? [k, notObject()] : [k, v]))), false]],
      [1, () => ['no capabilities', obj(good().filter(([k]) => k !== 'capabilities')), false]],
      [1, () => ['no clientInfo', obj(good().filter(([k]) => k !== 'clientInfo')), false]],
      [2, () => ['clientInfo malformed', obj(good().map(([k, v]) => (k === 'clientInfo' ? [k, rng.pick([notObject(), obj([['name', text('1')], ['version', j('1')]]), obj([['name', j('n')]]), obj([['version', j('1')]]), obj([['name', j('n')], ['version', text('1')]])])] : [k, v]))), false]],
    ])();
    const body = obj([['jsonrpc', j('2.0')], ['id', j(id)], ['method', j('initialize')], ...(params !== undefined ? [['params', params] as const] : [])]);
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...this.#auth() };
    // A malformed initialize opens no session: refused like a malformed request (400, as the SDK servers do).
    const expect: Expectation = valid ? { ...rpcResult(id), opensSession: true } : refuse(400, 'MCPGW_ERR_INVALID_PARAMS', 'rpc', id);
    return this.#as(`initialize: ${label}`).#http('POST', '/mcp', headers, body, expect);
  }

  #sseMessages(): Case {
    const rng = this.#rng;
    const ctx = this.#ctx;
    const ping = j({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const json = { 'content-type': 'application/json', ...this.#auth() };
    const unknown = refuse(404, 'MCPGW_ERR_UNKNOWN_SESSION', 'rpc', null);
    const [label, method, path, body, expect] = rng.pick<() => [string, string, string, Buffer | undefined, Expectation]>([
      () => ['unknown session', 'POST', `/messages?sessionId=${pct(rng.pick([this.#uuid(), 'junk', '', '%00', this.#hostileString(4), 'x'.repeat(1500)]))}`, ping, unknown],
      () => ['no session', 'POST', rng.pick(['/messages', '/messages?', '/messages?session=x', '/messages?SESSIONID=x']), ping, refuse(400, 'MCPGW_ERR_SESSION_REQUIRED', 'rpc', null)],
      // A Streamable HTTP session has no SSE stream to answer on.
      () => ['streamable session', 'POST', `/messages?sessionId=${ctx.session}`, ping, unknown],
      () => ['another caller\'s session', 'POST', `/messages?sessionId=${ctx.foreignSession}`, ping, unknown],
      () => ['repeated parameter', 'POST', `/messages?sessionId=nope&sessionId=${ctx.session}`, ping, unknown],
      () => ['bad JSON', 'POST', `/messages?sessionId=${this.#uuid()}`, ping.subarray(0, rng.int(0, ping.length - 1)), refuse(400, 'MCPGW_ERR_BAD_JSON', 'rpc', null)],
      () => ['wrong method on /messages', rng.pick(['GET', 'PUT', 'DELETE']), `/messages?sessionId=${this.#uuid()}`, undefined, refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rpc', null)],
      () => ['wrong method on /sse', rng.pick(['POST', 'PUT', 'DELETE']), '/sse', rng.chance(0.5) ? ping : undefined, refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rpc', null)],
    ])();
    return this.#as(label).#http(method, path, json, method === 'GET' || method === 'DELETE' ? undefined : body, expect);
  }

  // ---- HTTP framing over raw sockets ----------------------------------------------------------

  #httpFraming(): Case {
    const rng = this.#rng;
    const key = this.#ctx.key;
    const uws = this.#ctx.engine === 'uws';
    const held: Silence[] = uws ? ['held', 'closed'] : [];
    const engineRefusal = refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest');
    const callBody = (args: Buffer) => this.#restCallBody(j('tally'), args);
    const post = (framing: string, close = true) => text(`POST /api/v1/tools/call HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\nContent-Type: application/json\r\n${framing}${close ? 'Connection: close\r\n' : ''}\r\n`);
    return rng.pick<() => Case>([
      () => this.#as('garbage').#raw([rng.pick([rng.bytes(rng.int(1, 2000)), text('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from('160301020001000100fc0303', 'hex'), text('\r\n\r\n\r\n'), text('GET\r\n\r\n'), text('HTTP/1.1 200 OK\r\n\r\n')])], [[engineRefusal, refuse(408, 'MCPGW_ERR_REQUEST_TIMEOUT', 'rest')]], uws ? ['held', 'closed'] : ['closed', 'reset']),
      () => this.#as('no Host').#raw([text(`GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n`)], [[engineRefusal]], held),
      () => {
        const version = rng.pick(['HTTP/9.9', 'HTTP/1.1x', 'HTTP/1', 'http/1.1', 'HTTP/2.0', 'HTTP/0.9']);
        // node's parser takes 0.9 and 2.0 as versions and serves the request; the others it refuses.
        const served = !uws && (version === 'HTTP/2.0' || version === 'HTTP/0.9');
        return this.#as('bad version').#raw([text(`GET /api/v1/health ${version}\r\nHost: 127.0.0.1\r\n\r\n`)], [[served ? restJson() : engineRefusal]], held);
      },
      () => {
        // uWS closes a connection on which a request arrives while an earlier answer is pending (it does no
        // asynchronous pipelining): the answers already made are lost with it. Only a public GET is answered at once.
        const asynchronous = text(`GET /api/v1/tools HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        const health = text('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        return this.#as('pipelined after an asynchronous answer').#raw([Buffer.concat([asynchronous, health])], [[refuse(401, 'MCPGW_ERR_UNAUTHORIZED', 'rest')], [restJson()]], uws ? ['closed'] : []);
      },
      () => {
        // Several requests in one write: each answered, in order, whatever the one before it got.
        // On uWS only the last may be answered asynchronously (see above); the others are public GETs.
        const count = rng.int(2, 5);
        const requests = Array.from({ length: count }, (_, i) => (uws && i < count - 1 ? [text('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), restJson()] as [Buffer, Expectation] : rng.pick<() => [Buffer, Expectation]>([
          () => [text('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), restJson()],
          () => [text('GET /api/v1/tools HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), refuse(401, 'MCPGW_ERR_UNAUTHORIZED', 'rest')],
          () => [Buffer.concat([post(`Content-Length: 5\r\n`, false), text('{"a":')]), refuse(400, 'MCPGW_ERR_BAD_JSON', 'rest')],
          () => { const args = obj([['n', text(String(rng.int(0, 9)))]]); const b = callBody(args); return [Buffer.concat([post(`Content-Length: ${b.length}\r\n`, false), b]), { ...restJson(), upstreamArgs: decoded(args) }]; },
          () => [text(`GET /api/v1/nope HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\n\r\n`), refuse(404, 'MCPGW_ERR_ROUTE_NOT_FOUND', 'rest')],
        ])()));
        return this.#as('pipelined').#raw([Buffer.concat(requests.map(([bytes]) => bytes))], requests.map(([, expect]) => [expect]), []);
      },
      () => {
        // Chunked in random pieces, each split across writes: a valid call however it is cut.
        const args = this.#validArgs('tally', 4);
        const body = callBody(args);
        const pieces: Buffer[] = [];
        for (let at = 0; at < body.length; ) {
          const size = rng.int(1, 40);
          const piece = body.subarray(at, at + size);
          pieces.push(Buffer.concat([text(`${piece.length.toString(16)}\r\n`), piece, text('\r\n')]));
          at += size;
        }
        const bytes = Buffer.concat([post('Transfer-Encoding: chunked\r\n'), ...pieces, text('0\r\n\r\n')]);
        return this.#as('chunked').#raw(split(bytes, rng.int(1, 200)), [[{ ...restJson(), upstreamArgs: decoded(args) }]], [], { gapMs: rng.chance(0.2) ? 2 : 0 });
      },
      () => {
        // A valid call, then bytes that are not HTTP: the call keeps its own answer (answers go in request order).
        const args = obj([['n', text(String(rng.int(0, 99)))]]);
        const b = callBody(args);
        const garbage = rng.pick([text('NOT HTTP\r\n\r\n'), rng.bytes(rng.int(1, 100)), text('GET / HTTP/9.9\r\n\r\n')]);
        return this.#as('call, then garbage').#raw([Buffer.concat([post(`Content-Length: ${b.length}\r\n`, false), b, garbage])], [[{ ...restJson(), upstreamArgs: decoded(args) }], [ANY_REFUSAL]], ['closed', 'held', 'reset']);
      },
      () => this.#as('bad chunk size').#raw([post('Transfer-Encoding: chunked\r\n'), text(rng.pick(['zz\r\nab\r\n0\r\n\r\n', '-1\r\nab\r\n0\r\n\r\n', '2\r\nabcdef\r\n0\r\n\r\n', '0x2\r\nab\r\n0\r\n\r\n', '2 \r\nab\r\n0\r\n\r\n'.replace(' ', '\0')]))], [[engineRefusal, refuse(400, 'MCPGW_ERR_BAD_JSON', 'rest')]], uws ? ['held', 'closed'] : []),
      () => this.#as('bad Content-Length').#raw([post(`Content-Length: ${rng.pick(['abc', '-1', '1e3', '0x10', '+5', '5 5', '99999999999999999999999'])}\r\n`), text('{}')], [[engineRefusal, refuse(413, 'MCPGW_ERR_BODY_TOO_LARGE', 'rest')]], uws ? ['held', 'closed'] : []),
      () => {
        // Two lengths: a reader that takes the first sees `{}` and then a second request; one that takes the last sees one body.
        const smuggled = text('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        const lengths = rng.chance(0.5) ? [2, 2 + smuggled.length] : [2 + smuggled.length, 2];
        return this.#as('two Content-Lengths').#raw([post(`Content-Length: ${lengths[0]}\r\nContent-Length: ${lengths[1]}\r\n`, false), text('{}'), smuggled], [[engineRefusal]], ['closed', 'reset'], { smuggle: true });
      },
      () => {
        const smuggled = text('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        const [first, second] = rng.chance(0.5) ? ['Content-Length: 5', 'Transfer-Encoding: chunked'] : ['Transfer-Encoding: chunked', 'Content-Length: 5'];
        return this.#as('Content-Length and chunked').#raw([post(`${first}\r\n${second}\r\n`, false), text('0\r\n\r\n'), smuggled], [[engineRefusal]], ['closed', 'reset'], { smuggle: true });
      },
      () => this.#as('unknown transfer coding').#raw([post(`Transfer-Encoding: ${rng.pick(['xchunked', 'chunked, identity', 'gzip', 'identity', 'chunked\t'])}\r\n`), text('2\r\n{}\r\n0\r\n\r\n')], [[engineRefusal, refuse(400, 'MCPGW_ERR_BAD_JSON', 'rest'), refuse(400, 'MCPGW_ERR_BAD_REQUEST', 'rest')]], uws ? ['held', 'closed'] : []),
      () => {
        // Content-Length shorter than the body: the rest is the start of a next request, which is garbage.
        const full = callBody(obj([['n', text('1')]]));
        const cut = rng.int(1, full.length - 1);
        return this.#as('Content-Length too short').#raw([post(`Content-Length: ${cut}\r\n`, false), full], [[refuse(400, 'MCPGW_ERR_BAD_JSON', 'rest')], [ANY_REFUSAL]], ['held', 'closed', 'reset']);
      },
      () => {
        // Content-Length longer than what comes: the gateway gives up after requestTimeoutMs.
        const full = callBody(obj([['n', text('1')]]));
        return this.#as('body never finishes').#raw([post(`Content-Length: ${full.length + rng.int(1, 100)}\r\n`), full.subarray(0, rng.int(0, full.length))], [[refuse(408, 'MCPGW_ERR_REQUEST_TIMEOUT', 'rest')]], []);
      },
      () => {
        // A request written a few bytes at a time: slow, but well within requestTimeoutMs.
        const bytes = text(`GET /api/v1/tools HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\nConnection: close\r\n\r\n`);
        return this.#as('slow writer').#raw(split(bytes, rng.int(3, 20)), [[restJson()]], [], { gapMs: rng.int(1, 5) });
      },
      () => this.#as('HTTP/1.0').#raw([text('GET /api/v1/health HTTP/1.0\r\n\r\n')], [[restJson()]], held),
      () => {
        const size = rng.int(this.#ctx.maxBodyBytes + 1, 10 * this.#ctx.maxBodyBytes);
        return this.#as('Expect: 100-continue').#raw([post(`Content-Length: ${size}\r\nExpect: 100-continue\r\n`)], [[refuse(413, 'MCPGW_ERR_BODY_TOO_LARGE', 'rest')]], []);
      },
      () => this.#as('HEAD').#raw([text(`HEAD /api/v1/tools/call HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: ${key}\r\nConnection: close\r\n\r\n`)], [[refuse(405, 'MCPGW_ERR_METHOD_NOT_ALLOWED', 'rest')]], [], { headAt: [0] }),
    ])();
  }
}

// ---------------------------------------------------------------------------
// Helpers

/**
 * The string with lone surrogates replaced by U+FFFD. A target named in
 * Mcp-Name must be one: its header form is the UTF-8 bytes, which cannot
 * carry a lone surrogate, so such a name never matches its header.
 */
function wellFormed(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}

/** Percent-encodes every byte of the UTF-8 form (lone surrogates become U+FFFD, as Buffer does). */
function pct(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

function split(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out.length === 0 ? [Buffer.alloc(0)] : out;
}

/** A header value undici will send as is: non-latin1 characters and CR/LF/NUL are dropped. */
function latin1(value: string): string {
  return value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').trim();
}

/** Mcp-Name as a client must send it: as is when plain printable ASCII, else `=?base64?…?=`. */
function headerName(name: string): string {
  return /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(name) && !name.startsWith('=?') ? name : `=?base64?${Buffer.from(name, 'utf8').toString('base64')}?=`;
}

/** A request body's own fields, as entries (to put something before them). */
function JSON_RPC_FIELDS(body: Buffer): (readonly [string, Buffer])[] {
  const value = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  return Object.entries(value).map(([key, field]) => [key, j(field)] as const);
}

function withoutCredentials(headers: Readonly<Record<string, string | readonly string[]>>): Record<string, string | readonly string[]> {
  const { 'x-api-key': _key, authorization: _authorization, ...rest } = headers;
  return rest;
}

const MCP_PATHS = new Set(['/mcp', '/sse', '/messages']);

function isMcpPath(path: string): boolean {
  return MCP_PATHS.has(path.split('?')[0]!);
}

const REST_ROUTES: readonly { method: string; pattern: RegExp }[] = [
  { method: 'GET', pattern: /^\/api\/v1\/health\/?$/ },
  { method: 'GET', pattern: /^\/api\/v1\/servers\/?$/ },
  { method: 'GET', pattern: /^\/api\/v1\/servers\/[^/]+\/?$/ },
  { method: 'GET', pattern: /^\/api\/v1\/tools\/?$/ },
  { method: 'POST', pattern: /^\/api\/v1\/tools\/call\/?$/ },
  { method: 'GET', pattern: /^\/api\/v1\/metrics\/?$/ },
  { method: 'GET', pattern: /^\/api\/v1\/requests\/?$/ },
  { method: 'GET', pattern: /^\/metrics\/?$/ },
];

/** The README's route table: which route a path names (one optional trailing slash, no normalisation). */
function restRoute(path: string): { method: string } | undefined {
  return REST_ROUTES.find((route) => route.pattern.test(path));
}
