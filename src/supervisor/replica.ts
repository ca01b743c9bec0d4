/**
 * The main thread's handle on one worker thread (one replica of one server):
 * posts calls, matches answers by call id, and guarantees every call settles
 * exactly once — answered, failed by the worker, or failed here when the worker
 * dies or stops answering. Reaps the upstream's process group if the worker
 * could not.
 */
import { Outbox } from '../threads/outbox.js';
import { Worker } from 'node:worker_threads';
import { GatewayError, toGatewayError } from '../errors.js';
import { timerDelay } from '../timer-delay.js';
import { IdTable } from '../id-table.js';
import type { CallMessage, Catalog, ForwardedMethod, FromWorker, StatsMessage, ToWorker, UpstreamIdentity, WorkerInit } from '../threads/messages.js';
import type { JsonText } from '../json-text.js';
import { killProcessGroup } from '../../workers/process-group.js';

export type CallOutcome =
  | {
      readonly ok: true;
      /** Bytes only when large and neither a task nor an input request (ResultMessage). */
      readonly result: JsonText;
      readonly inputRequired: boolean;
      readonly toolError: boolean;
      /** The result names an upstream task; `replica` is where that task lives. */
      readonly task: boolean;
      readonly replica: number;
      readonly upstreamMs: number;
      readonly queuedMs: number;
    }
  | { readonly ok: false; readonly error: GatewayError; readonly upstreamMs: number; readonly queuedMs: number };

export interface CallRequest {
  readonly method: ForwardedMethod;
  readonly params: string;
  readonly deadline: number;
  readonly onProgress?: (progressJson: string) => void;
  readonly headers?: Readonly<Record<string, string>>;
  /** A 2025 upstream asks for input mid-call: resolve with the caller's result (JSON text), or reject. */
  readonly onInputRequest?: (method: string, paramsJson: string) => Promise<string>;
}

export interface ReplicaEvents {
  ready(replica: Replica, identity: UpstreamIdentity, catalog: Catalog, connectMs: number): void;
  catalog(replica: Replica, catalog: Catalog): void;
  resourceUpdated(replica: Replica, uri: string): void;
  health(replica: Replica, healthy: boolean, detail: string, latencyMs?: number): void;
  log(replica: Replica, level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Readonly<Record<string, unknown>>): void;
  /** The worker thread is gone; `reason` says why. Called exactly once. */
  exit(replica: Replica, reason: string, duringStartup: boolean, requested: boolean): void;
}

interface Pending {
  readonly callId: number;
  readonly settle: (outcome: CallOutcome) => void;
  readonly onProgress: ((progressJson: string) => void) | undefined;
  readonly onInputRequest: ((method: string, paramsJson: string) => Promise<string>) | undefined;
  readonly guard: NodeJS.Timeout;
}

/** Extra time the worker gets past a call's deadline before the main thread stops waiting for it. */
const DEADLINE_SLACK_MS = 2000;

export const WORKER_ENTRY = new URL('../../workers/upstream-worker.js', import.meta.url);

export class Replica {
  readonly serverId: string;
  readonly index: number;
  #worker: Worker;
  #nextCallId = 1;
  readonly #pending = new IdTable<Pending>();
  readonly #children = new Set<number>();
  readonly #events: ReplicaEvents;
  #ready = false;
  #stopRequested = false;
  #downReason: string | undefined;
  #downDuringStartup = false;
  #readyOnce = false;
  #exited = false;
  readonly #exitPromise: Promise<void>;
  readonly #outbox: Outbox<ToWorker>;
  #stats: StatsMessage | undefined;

  constructor(init: WorkerInit, events: ReplicaEvents) {
    this.serverId = init.server.id;
    this.index = init.replica;
    this.#events = events;
    this.#worker = new Worker(WORKER_ENTRY, { workerData: init, name: `upstream:${init.server.id}#${init.replica}` });
    this.#outbox = new Outbox((batch) => this.#worker.postMessage(batch));
    this.#worker.on('message', (batch: readonly FromWorker[]) => {
      for (const message of batch) this.#onMessage(message);
    });
    this.#worker.on('error', (error) => {
      this.#downReason ??= `worker thread crashed: ${error.message}`;
    });
    this.#exitPromise = new Promise((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#onExit(code);
        resolve();
      });
    });
  }

  get ready(): boolean {
    return this.#ready && !this.#exited && !this.#stopRequested;
  }

  /** Calls posted and not yet settled: the least-loaded dispatch key. */
  get inFlight(): number {
    return this.#pending.size;
  }

  get threadId(): number {
    return this.#worker.threadId;
  }

  /** The worker's latest periodic report (queue and thread figures); undefined before the first, and once it exited. */
  get stats(): StatsMessage | undefined {
    return this.#exited ? undefined : this.#stats;
  }

  call(request: CallRequest): { outcome: Promise<CallOutcome>; cancel: (reason: string) => void } {
    const callId = this.#nextCallId++;
    // The closures see the request's small fields only: `request.params` can be a large payload, not to be held until the answer.
    const { deadline, onProgress, onInputRequest } = request;
    const outcome = new Promise<CallOutcome>((settle) => {
      const guard = setTimeout(() => {
        this.#settle(callId, { ok: false, error: new GatewayError('MCPGW_ERR_TIMEOUT', `server "${this.serverId}" did not answer within its timeout; the call was cancelled`), upstreamMs: 0, queuedMs: 0 });
        this.#post({ type: 'cancel', callId, reason: 'gateway timeout' });
      }, timerDelay(deadline - Date.now() + DEADLINE_SLACK_MS));
      this.#pending.set(callId, { callId, settle, guard, onProgress, onInputRequest });
    });
    if (this.#exited) {
      this.#settle(callId, this.#unavailable());
    } else {
      const message: CallMessage = {
        type: 'call',
        callId,
        method: request.method,
        params: request.params,
        deadline: request.deadline,
        wantsProgress: request.onProgress !== undefined,
      };
      this.#post(request.headers === undefined ? message : { ...message, headers: request.headers });
    }
    return {
      outcome,
      cancel: (reason) => {
        if (this.#pending.has(callId)) this.#post({ type: 'cancel', callId, reason });
      },
    };
  }

  /** The whole set of resource URIs this replica's upstream should be subscribed to. */
  setResourceSubscriptions(uris: readonly string[]): void {
    this.#post({ type: 'resource-subscriptions', uris });
  }

  /** Asks the worker to finish its calls (up to `graceMs`) and exit; terminates it if it does not. */
  async stop(graceMs: number): Promise<void> {
    if (this.#exited) return;
    this.#stopRequested = true;
    this.#post({ type: 'shutdown', graceMs });
    const timer = setTimeout(() => void this.#worker.terminate(), graceMs + 5000);
    await this.#exitPromise;
    clearTimeout(timer);
  }

  /** Ends the worker at once (used by tests and by the supervisor for an unresponsive worker). */
  async kill(): Promise<void> {
    await this.#worker.terminate();
    await this.#exitPromise;
  }

  #post(message: ToWorker): void {
    if (!this.#exited) this.#outbox.push(message);
  }

  #onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'result':
        this.#settle(message.callId, {
          ok: true,
          result: message.result,
          inputRequired: message.inputRequired,
          toolError: message.toolError,
          task: message.task,
          replica: this.index,
          upstreamMs: message.upstreamMs,
          queuedMs: message.queuedMs,
        });
        return;
      case 'call-error':
        this.#settle(message.callId, { ok: false, error: GatewayError.fromWire(message.error), upstreamMs: message.upstreamMs, queuedMs: message.queuedMs });
        return;
      case 'progress':
        this.#pending.get(message.callId)?.onProgress?.(message.progress);
        return;
      case 'input-request': {
        const ask = this.#pending.get(message.callId)?.onInputRequest;
        const answer = ask ? ask(message.method, message.params) : Promise.reject(new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `the caller of this call cannot answer ${message.method}`));
        answer.then(
          (result) => this.#post({ type: 'input-response', inputId: message.inputId, result }),
          (error: unknown) => this.#post({ type: 'input-response', inputId: message.inputId, error: toGatewayError(error).toWire() }),
        );
        return;
      }
      case 'ready':
        this.#ready = true;
        this.#readyOnce = true;
        this.#events.ready(this, message.identity, message.catalog, message.connectMs);
        return;
      case 'catalog':
        this.#events.catalog(this, message.catalog);
        return;
      case 'resource-updated':
        this.#events.resourceUpdated(this, message.uri);
        return;
      case 'health':
        this.#events.health(this, message.healthy, message.detail, message.latencyMs);
        return;
      case 'stats':
        this.#stats = message;
        return;
      case 'child':
        if (message.alive) this.#children.add(message.pid);
        else this.#children.delete(message.pid);
        return;
      case 'log':
        this.#events.log(this, message.level, message.msg, message.fields);
        return;
      case 'down':
        this.#downReason = message.reason;
        this.#downDuringStartup = message.duringStartup;
        this.#ready = false;
        return;
      case 'stopped':
        return;
    }
  }

  #settle(callId: number, outcome: CallOutcome): void {
    const pending = this.#pending.get(callId);
    if (!pending) return;
    this.#pending.delete(callId);
    clearTimeout(pending.guard);
    pending.settle(outcome);
  }

  #unavailable(): CallOutcome {
    const reason = this.#downReason ?? 'the worker stopped';
    return { ok: false, error: new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', `server "${this.serverId}" went down during the call: ${reason}`), upstreamMs: 0, queuedMs: 0 };
  }

  #onExit(code: number): void {
    this.#exited = true;
    this.#ready = false;
    // The worker cannot always reap its child (terminate(), a crash): do it here, whole group.
    for (const pid of this.#children) killProcessGroup(pid);
    this.#children.clear();
    const reason = this.#downReason ?? (this.#stopRequested ? 'stopped' : `worker thread exited with code ${code}`);
    this.#downReason = reason;
    for (const { callId } of this.#pending.values()) this.#settle(callId, this.#unavailable());
    this.#events.exit(this, reason, this.#downDuringStartup || !this.#readyOnce, this.#stopRequested);
  }
}

