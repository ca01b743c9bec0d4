/**
 * Every message that crosses between the main thread and an upstream worker.
 * Nothing else defines message shapes. One discriminated union per direction,
 * keyed by `type`; call-scoped messages carry a `callId` unique per worker.
 *
 * Request parameters and results travel as JSON text: the front door
 * already has the text, and the REST answer is the upstream's text. Small ones
 * as strings, the cheapest thing to post between threads; a large result as
 * UTF-8 bytes in a transferred buffer, which is moved rather than cloned.
 */
import type { ServerConfig } from '../config/types.js';
import type { WireError } from '../errors.js';
import type { ProtocolEra } from '../gateway-types.js';
import type { ThreadSample } from '../observability/thread-stats.js';
import type { JsonText } from '../json-text.js';

/** What a worker is started with (its `workerData`). */
export interface WorkerInit {
  readonly server: ServerConfig;
  /** 0-based replica index, for log tags and process names. */
  readonly replica: number;
  /** Era settled by an earlier run of this server, so a restart skips the probe. */
  readonly priorEra?: ProtocolEra;
}

/** Methods a worker forwards; anything else is refused before it is posted. */
export type ForwardedMethod =
  | 'tools/call'
  | 'resources/read'
  | 'prompts/get'
  | 'completion/complete'
  // Tasks: 2025-11-25 (get, result, list, cancel) and the 2026-07-28 extension (get, update, cancel).
  | 'tasks/get'
  | 'tasks/result'
  | 'tasks/list'
  | 'tasks/cancel'
  | 'tasks/update';

/**
 * The per-call header that carries a caller's upstream credential from the
 * main thread to the worker, which renames it to the configured header on the
 * way out. A carrier is needed because the SDK drops a per-request
 * `Authorization`; clients cannot set it (only their `Mcp-Param-*` headers
 * are passed on), and no upstream ever sees it.
 */
export const IDENTITY_CARRIER_HEADER = 'x-mcp-gateway-identity';

// ---------------------------------------------------------------- main → worker

export interface CallMessage {
  readonly type: 'call';
  readonly callId: number;
  readonly method: ForwardedMethod;
  /** JSON text of the request params (without `_meta`; the worker builds the envelope its era needs). */
  readonly params: string;
  /** Absolute deadline (epoch ms); queue time counts against it. */
  readonly deadline: number;
  /** Ask the upstream for progress notifications. */
  readonly wantsProgress: boolean;
  /** Headers for an HTTP upstream's request: the client's `Mcp-Param-*`, and the caller's credential under IDENTITY_CARRIER_HEADER. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CancelMessage {
  readonly type: 'cancel';
  readonly callId: number;
  readonly reason: string;
}

/** Finish calls in flight (up to `graceMs`), close the upstream, then exit. */
export interface ShutdownMessage {
  readonly type: 'shutdown';
  readonly graceMs: number;
}

/** The caller's answer to an upstream's request for input (elicitation, sampling, roots). */
export interface InputResponseMessage {
  readonly type: 'input-response';
  readonly inputId: number;
  /** JSON text of the result, when the caller answered. */
  readonly result?: string;
  readonly error?: WireError;
}

/**
 * Every resource URI some client of the gateway is subscribed to on this
 * server, in full (not a delta), so a replica that starts late or reconnects
 * is simply told the whole set again.
 */
export interface ResourceSubscriptionsMessage {
  readonly type: 'resource-subscriptions';
  readonly uris: readonly string[];
}

export type ToWorker = CallMessage | CancelMessage | ShutdownMessage | InputResponseMessage | ResourceSubscriptionsMessage;

// ---------------------------------------------------------------- worker → main

export interface UpstreamIdentity {
  readonly era: ProtocolEra;
  readonly protocolVersion: string;
  readonly serverInfo?: { readonly name: string; readonly version: string; readonly title?: string };
  readonly capabilities: Readonly<Record<string, unknown>>;
  readonly instructions?: string;
}

/** Catalog entries are passed as the upstream sent them (tools as MCP Tool objects, etc.). */
export interface Catalog {
  readonly tools: readonly Record<string, unknown>[];
  readonly resources: readonly Record<string, unknown>[];
  readonly resourceTemplates: readonly Record<string, unknown>[];
  readonly prompts: readonly Record<string, unknown>[];
}

export interface ReadyMessage {
  readonly type: 'ready';
  readonly identity: UpstreamIdentity;
  readonly catalog: Catalog;
  readonly connectMs: number;
}

export interface CatalogMessage {
  readonly type: 'catalog';
  readonly catalog: Catalog;
}

export interface ResultMessage {
  readonly type: 'result';
  readonly callId: number;
  /**
   * JSON text of the upstream's result; a large one that is neither a task nor
   * an input request comes as UTF-8 bytes, its buffer transferred.
   */
  readonly result: JsonText;
  /** The upstream asked for client input (modern `input_required`). */
  readonly inputRequired: boolean;
  /** A tool result with `isError: true`: the tool's own failure, passed through as an answer. */
  readonly toolError: boolean;
  /** The result names an upstream task (a 2025 `{task}` or a 2026-07-28 `resultType: "task"`), whose id the gateway must wrap. */
  readonly task: boolean;
  readonly upstreamMs: number;
  readonly queuedMs: number;
}

export interface CallErrorMessage {
  readonly type: 'call-error';
  readonly callId: number;
  readonly error: WireError;
  readonly upstreamMs: number;
  readonly queuedMs: number;
}

export interface ProgressMessage {
  readonly type: 'progress';
  readonly callId: number;
  /** JSON text of the progress notification's params. */
  readonly progress: string;
}

/** A legacy upstream asked for input during a call (a server→client request); the caller must answer. */
export interface InputRequestMessage {
  readonly type: 'input-request';
  readonly callId: number;
  readonly inputId: number;
  readonly method: string;
  /** JSON text of the request's params. */
  readonly params: string;
}

/** The upstream said a subscribed resource changed (`notifications/resources/updated`). */
export interface ResourceUpdatedMessage {
  readonly type: 'resource-updated';
  readonly uri: string;
}

export interface HealthMessage {
  readonly type: 'health';
  readonly healthy: boolean;
  readonly detail: string;
  readonly latencyMs?: number;
}

/**
 * The worker's periodic report (THREAD_REPORT_INTERVAL_MS, never per call):
 * its queue as it stands and its thread's own figures. Each report replaces
 * the previous one; nothing in it is cumulative, so nothing is lost when a
 * worker dies between reports.
 */
export interface StatsMessage {
  readonly type: 'stats';
  /** Calls waiting in the worker's queue for a free slot (maxConcurrency reached). */
  readonly queued: number;
  /** Calls running at the upstream now. */
  readonly running: number;
  readonly thread: ThreadSample;
}

/** A process group the supervisor must reap if this worker dies without doing it. */
export interface ChildMessage {
  readonly type: 'child';
  readonly pid: number;
  readonly alive: boolean;
}

export interface LogMessage {
  readonly type: 'log';
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** The upstream is gone or could not be reached; the worker exits after sending this. */
export interface DownMessage {
  readonly type: 'down';
  readonly reason: string;
  /** True when the upstream never became ready in this run. */
  readonly duringStartup: boolean;
}

export interface StoppedMessage {
  readonly type: 'stopped';
}

export type FromWorker =
  | ReadyMessage
  | CatalogMessage
  | ResultMessage
  | CallErrorMessage
  | ProgressMessage
  | InputRequestMessage
  | ResourceUpdatedMessage
  | HealthMessage
  | StatsMessage
  | ChildMessage
  | LogMessage
  | DownMessage
  | StoppedMessage;
