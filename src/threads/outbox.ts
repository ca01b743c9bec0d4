/**
 * Messages to another thread (or lines to a child's stdin), sent as one batch
 * per turn of the event loop. A postMessage costs a structured clone plus a
 * wake-up of the other thread, a write a syscall; under load many calls and
 * results are posted in the same turn, and one batch pays that once for all.
 * Order is kept. A thread about to exit must `flush()` first, or the last
 * batch is lost. A message may bring a buffer to transfer with it (moved, not
 * copied); it goes in its batch's transfer list.
 */
import type { TransferListItem } from 'node:worker_threads';

const NOTHING_TO_TRANSFER: readonly TransferListItem[] = Object.freeze([]);

export class Outbox<T> {
  readonly #send: (batch: readonly T[], transfer: readonly TransferListItem[]) => void;
  #queue: T[] = [];
  #transfer: TransferListItem[] | undefined;

  constructor(send: (batch: readonly T[], transfer: readonly TransferListItem[]) => void) {
    this.#send = send;
  }

  push(message: T, transfer?: TransferListItem): void {
    if (transfer !== undefined) (this.#transfer ??= []).push(transfer);
    if (this.#queue.push(message) === 1) setImmediate(this.flush);
  }

  /** Sends what is queued now (also what the scheduled flush does). */
  readonly flush = (): void => {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    const transfer = this.#transfer ?? NOTHING_TO_TRANSFER;
    this.#queue = [];
    this.#transfer = undefined;
    this.#send(batch, transfer);
  };
}
