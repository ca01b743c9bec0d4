/**
 * Calls to a 2025 upstream that asked a 2026-07-28 client for input. The
 * upstream call stays open on this gateway instance while the client answers
 * with a retry; the signed requestState names the parked call.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';

export interface InputEvent {
  readonly kind: 'input';
  readonly method: string;
  readonly params: unknown;
  answer(result: unknown): void;
  refuse(error: GatewayError): void;
}

export type CallEvent = InputEvent | { readonly kind: 'done' };

/** What happens during one call, in order: input requests, then its end. */
export class CallEvents {
  readonly #queue: CallEvent[] = [];
  #waiter: ((event: CallEvent) => void) | undefined;

  push(event: CallEvent): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter(event);
    else this.#queue.push(event);
  }

  next(): Promise<CallEvent> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}

export interface Parked<T> {
  readonly events: CallEvents;
  readonly input: InputEvent;
  readonly data: T;
}

export class ParkingLot<T> {
  readonly #parked = new Map<string, Parked<T> & { timer: NodeJS.Timeout }>();

  /** Keeps the call until the client's retry takes it, or until `ttlMs` passes (then `onExpire`). */
  park(entry: Parked<T>, ttlMs: number, onExpire: (entry: Parked<T>) => void): string {
    const key = randomUUID();
    const timer = setTimeout(() => {
      if (this.#parked.delete(key)) onExpire(entry);
    }, ttlMs);
    timer.unref();
    this.#parked.set(key, { ...entry, timer });
    return key;
  }

  take(key: string): Parked<T> | undefined {
    const entry = this.#parked.get(key);
    if (!entry) return undefined;
    this.#parked.delete(key);
    clearTimeout(entry.timer);
    return entry;
  }

  get size(): number {
    return this.#parked.size;
  }

  /** Ends every parked call (gateway stopping). */
  clear(reason: string): void {
    for (const entry of this.#parked.values()) {
      clearTimeout(entry.timer);
      entry.input.refuse(new GatewayError('MCPGW_ERR_SHUTTING_DOWN', reason));
    }
    this.#parked.clear();
  }
}
