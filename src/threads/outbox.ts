/**
 * Messages to another thread (or lines to a child's stdin), sent as one batch
 * per turn of the event loop. A postMessage costs a structured clone plus a
 * wake-up of the other thread, a write a syscall; under load many calls and
 * results are posted in the same turn, and one batch pays that once for all.
 * Order is kept. A thread about to exit must `flush()` first, or the last
 * batch is lost.
 */
export class Outbox<T> {
  readonly #send: (batch: readonly T[]) => void;
  #queue: T[] = [];

  constructor(send: (batch: readonly T[]) => void) {
    this.#send = send;
  }

  push(message: T): void {
    if (this.#queue.push(message) === 1) setImmediate(this.flush);
  }

  /** Sends what is queued now (also what the scheduled flush does). */
  readonly flush = (): void => {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#send(batch);
  };
}
