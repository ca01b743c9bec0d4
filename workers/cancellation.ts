/**
 * A call's cancellation: cancel, deadline, crash or shutdown. Not an
 * AbortController per call, which costs several microseconds to make and to
 * listen on (EventTarget), on every call of the hot path; the raw path needs
 * one callback, and only the SDK's request() path needs a real AbortSignal,
 * made on demand.
 */
export class Cancellation {
  #reason: unknown;
  #aborted = false;
  #listener: (() => void) | undefined;
  #controller: AbortController | undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  /** What it was cancelled with (a GatewayError from the gateway); undefined while not cancelled. */
  get reason(): unknown {
    return this.#reason;
  }

  /** An AbortSignal that follows this cancellation, for APIs that take one (the SDK's request()). */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The one callback run on cancellation (a later call replaces it); undefined removes it. */
  onAbort(listener: (() => void) | undefined): void {
    this.#listener = listener;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
    this.#controller?.abort(reason);
  }
}
