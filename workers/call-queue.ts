/**
 * A worker's concurrency gate: at most `maxConcurrency` calls run upstream, at
 * most `maxQueue` wait; anything beyond is refused at once (never buffered
 * without bound). Waiting calls still honour their deadline and cancellation.
 */
import { GatewayError } from '../src/errors.js';
import { timerDelay } from '../src/timer-delay.js';
import { IdTable } from '../src/id-table.js';
import { Cancellation } from './cancellation.js';

export interface QueuedCall {
  readonly callId: number;
  readonly deadline: number;
  /** Runs the call; `cancellation` fires on cancel, crash or shutdown. */
  run(cancellation: Cancellation, queuedMs: number): Promise<void>;
  /** Reports a failure before the call started running. */
  reject(error: GatewayError, queuedMs: number): void;
}

interface Entry {
  readonly call: QueuedCall;
  readonly enqueuedAt: number;
  readonly cancellation: Cancellation;
  timer?: NodeJS.Timeout;
  running: boolean;
}

export class CallQueue {
  readonly #maxConcurrency: number;
  readonly #maxQueue: number;
  readonly #entries = new IdTable<Entry>();
  readonly #waiting: Entry[] = [];
  #running = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(maxConcurrency: number, maxQueue: number) {
    this.#maxConcurrency = maxConcurrency;
    this.#maxQueue = maxQueue;
  }

  get running(): number {
    return this.#running;
  }

  /** Ids of the calls running upstream now. */
  runningIds(): number[] {
    const ids: number[] = [];
    for (const entry of this.#entries.values()) if (entry.running) ids.push(entry.call.callId);
    return ids;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  submit(call: QueuedCall): void {
    const entry: Entry = { call, enqueuedAt: Date.now(), cancellation: new Cancellation(), running: false };
    if (this.#running < this.#maxConcurrency) {
      this.#entries.set(call.callId, entry);
      this.#start(entry, 0);
      return;
    }
    if (this.#waiting.length >= this.#maxQueue) {
      call.reject(new GatewayError('MCPGW_ERR_QUEUE_FULL', `server is at maxConcurrency (${this.#maxConcurrency}) with ${this.#waiting.length} calls queued (maxQueue ${this.#maxQueue})`), 0);
      return;
    }
    this.#entries.set(call.callId, entry);
    this.#waiting.push(entry);
    // A call must not outlive its deadline in the queue either.
    entry.timer = setTimeout(() => this.#expireWaiting(entry), timerDelay(call.deadline - Date.now()));
  }

  /** Aborts a running call or drops a waiting one. */
  cancel(callId: number, error: GatewayError): void {
    const entry = this.#entries.get(callId);
    if (!entry) return;
    if (entry.running) {
      entry.cancellation.abort(error);
      return;
    }
    this.#removeWaiting(entry);
    entry.call.reject(error, Date.now() - entry.enqueuedAt);
  }

  /** Fails everything, running and waiting (the upstream is gone). Running calls are aborted. */
  failAll(error: GatewayError): void {
    for (const entry of this.#entries.values()) {
      if (entry.running) entry.cancellation.abort(error);
      else {
        this.#removeWaiting(entry);
        entry.call.reject(error, Date.now() - entry.enqueuedAt);
      }
    }
  }

  /** Resolves when nothing runs or waits, or after `timeoutMs`; true if idle. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#entries.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** `queuedMs` is 0 for a call that never waited (not a clock reading that may straddle a millisecond). */
  #start(entry: Entry, queuedMs = Date.now() - entry.enqueuedAt): void {
    entry.running = true;
    if (entry.timer) clearTimeout(entry.timer);
    this.#running++;
    let running: Promise<void>;
    try {
      running = entry.call.run(entry.cancellation, queuedMs);
    } catch (error) {
      running = Promise.reject(error);
    }
    // A run that fails reports its own error; the queue only needs its slot back.
    const finish = (): void => this.#finish(entry);
    running.then(finish, finish);
  }

  #finish(entry: Entry): void {
    this.#running--;
    this.#entries.delete(entry.call.callId);
    const next = this.#waiting.shift();
    if (next) this.#start(next);
    if (this.#entries.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  #expireWaiting(entry: Entry): void {
    const left = entry.call.deadline - Date.now();
    if (!entry.running && left > 0) {
      entry.timer = setTimeout(() => this.#expireWaiting(entry), timerDelay(left));
      return;
    }
    if (entry.running || !this.#removeWaiting(entry)) return;
    const queuedMs = Date.now() - entry.enqueuedAt;
    entry.call.reject(new GatewayError('MCPGW_ERR_TIMEOUT', `call timed out after waiting ${queuedMs} ms in the queue (server at maxConcurrency ${this.#maxConcurrency})`), queuedMs);
  }

  #removeWaiting(entry: Entry): boolean {
    const index = this.#waiting.indexOf(entry);
    if (entry.timer) clearTimeout(entry.timer);
    this.#entries.delete(entry.call.callId);
    if (index === -1) return false;
    this.#waiting.splice(index, 1);
    if (this.#entries.size === 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const wake of waiters) wake();
    }
    return true;
  }
}
