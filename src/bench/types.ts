/**
 * What the bench harness passes around: what to load (a target and its calls),
 * how (closed or open loop, concurrency, bounds), and what comes back from each
 * load thread. Everything here crosses a MessagePort, so it is plain data.
 */

/** Where calls go. Every network target must be on the loopback interface. */
export type TargetSpec =
  /** The gateway's REST API: POST {base}/api/v1/tools/call. */
  | { readonly kind: 'rest'; readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  /** Any HTTP GET (the front door alone, e.g. /api/v1/health): a 2xx answer is a success. */
  | { readonly kind: 'get'; readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  /** A 2026-07-28 MCP endpoint: stateless POSTs with the required headers and `_meta`. */
  | { readonly kind: 'mcp'; readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  /** A 2025 MCP endpoint over Streamable HTTP: initialize, then calls carrying Mcp-Session-Id. */
  | { readonly kind: 'mcp-legacy'; readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  /** The 2024-11-05 HTTP+SSE transport: a GET event stream per session, POSTs to the endpoint it names, answers on the stream. */
  | { readonly kind: 'mcp-sse'; readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  /** A stdio MCP server the harness spawns itself (one child per connection). */
  | {
      readonly kind: 'stdio';
      readonly command: string;
      readonly args: readonly string[];
      readonly env?: Readonly<Record<string, string>>;
      /** `auto` probes with server/discover, as the gateway does; otherwise the era is forced. */
      readonly protocol: 'auto' | 'modern' | 'legacy';
    };

export type TargetKind = TargetSpec['kind'];

/** What an answer must look like to count as a success. */
export type Expectation =
  /** The first content item's text equals `arguments.message` (the echo contract). */
  | 'echo'
  /** Any tool result that is not `isError: true`. */
  | 'ok'
  /** Any well-formed answer, tool errors included. */
  | 'any'
  | { readonly text?: string; readonly isError?: boolean }
  /** `tools/list`: the whole listing (every page) has exactly this many tools. */
  | { readonly tools: number };

/** What each call does: a `tools/call`, or a whole `tools/list` (every page, following `nextCursor`). */
export type CallMethod = 'tools/call' | 'tools/list';

/** One entry of a call mix (`--calls FILE`, or the single call the flags describe). */
export interface CallSpec {
  /** Default `tools/call`. */
  readonly method?: CallMethod;
  /** The tool to call; ignored by `tools/list`. */
  readonly tool: string;
  /** Fixed arguments. Ignored for `message` when `payload` is set. */
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** Generate `arguments.message` as a fresh string of this many bytes per call (unique, so cross-talk shows as a mismatch). */
  readonly payload?: number;
  /** REST only: the `server` field (route to one upstream). */
  readonly server?: string;
  /** Relative frequency in the mix; default 1. */
  readonly weight?: number;
  /** Default: `echo` when `payload` is set, else `ok`. */
  readonly expect?: Expectation;
}

/** A call ready to send: arguments built, expectation resolved. */
export interface PreparedCall {
  readonly method: CallMethod;
  readonly tool: string;
  readonly arguments: Record<string, unknown>;
  readonly server?: string;
  /** Undefined: anything well-formed passes. */
  readonly expectText?: string;
  readonly allowToolError: boolean;
  /** `tools/list`: the number of tools the listing must have. */
  readonly expectTools?: number;
}

/** What a target says about one call. `error` is the error's kind (the report's row), absent on success. */
export interface CallReply {
  readonly error?: string;
  /** A human-readable detail for the first few errors of each kind. */
  readonly detail?: string;
  /** Payload bytes written (HTTP body or stdio line) and read. */
  readonly sent: number;
  readonly received: number;
}

/** A lean client or the SDK client, for one load thread. */
export interface Target {
  /** Child processes it spawned (stdio), so the runner can measure them. */
  readonly pids: readonly number[];
  connect(): Promise<void>;
  call(call: PreparedCall): Promise<CallReply>;
  close(): Promise<void>;
}

export type ClientKind = 'lean' | 'sdk';

/** Bounds of a phase (warm-up or measurement); whichever is reached first ends it. */
export interface PhaseLimit {
  readonly durationMs: number;
  /** Calls this thread may start; Infinity for duration-bound phases. */
  readonly requests: number;
}

/** One load thread's share of the run. */
export interface LoadTask {
  readonly index: number;
  readonly target: TargetSpec;
  readonly client: ClientKind;
  readonly calls: readonly CallSpec[];
  /** Closed loop: calls in flight. Open loop: the most in flight before calls queue (and their latency grows). */
  readonly concurrency: number;
  /** HTTP sockets, or stdio child processes. */
  readonly connections: number;
  /** Legacy MCP sessions. */
  readonly sessions: number;
  /** Open loop: this thread's arrival rate in calls/s. */
  readonly rate?: number;
  readonly timeoutMs: number;
  readonly progress: boolean;
}

/** Runner → load thread. */
export type ToLoadThread =
  | { readonly type: 'warmup'; readonly limit: PhaseLimit }
  | { readonly type: 'measure'; readonly limit: PhaseLimit }
  | { readonly type: 'close' };

/** Load thread → runner. */
export type FromLoadThread =
  | { readonly type: 'ready'; readonly pids: readonly number[] }
  | { readonly type: 'failed'; readonly error: string }
  | { readonly type: 'progress'; readonly done: number; readonly errors: number }
  | { readonly type: 'warm' }
  | { readonly type: 'measured'; readonly result: PhaseResult };

/** One thread's measurement. */
export interface PhaseResult {
  /** HDR histogram of successful calls' latency in µs, compressed base64. */
  readonly histogram: string;
  readonly ok: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly errorSamples: Readonly<Record<string, readonly string[]>>;
  /** Open loop: calls scheduled but never sent before the phase's hard deadline. Also counted in `errors.missed`. */
  readonly missed: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Epoch ms (fractional) of the phase's start and of its last completion. */
  readonly startedAt: number;
  readonly endedAt: number;
}
