/**
 * Calls held until an approver decides (`POST /api/v1/approvals/:id`): REST
 * callers, and MCP clients that cannot be asked themselves. Bounded in number;
 * each ends exactly once: decided, timed out, or cancelled (its client went
 * away, the gateway stopped). Held calls live on the instance that took them.
 */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors.js';

export type ApprovalOutcome = 'approved' | 'denied' | 'timed_out' | 'cancelled';

/** How a held call ended. */
export interface HeldDecision {
  readonly outcome: ApprovalOutcome;
  /** The approver (name and subject) for approved / denied. */
  readonly decidedBy?: string;
  readonly decidedBySubject?: string;
  readonly reason?: string;
  readonly waitMs: number;
}

/** What `GET /api/v1/approvals` shows of one held call (arguments already redacted). */
export interface HeldView {
  readonly id: string;
  readonly server: string;
  readonly tool: string;
  readonly caller: string;
  readonly via: 'rest' | 'mcp';
  /** In multi-tenant mode, whose slice the call is (policy/tenancy.ts `sliceOf`); absent: the untenanted one. */
  readonly tenant?: string;
  readonly arguments: unknown;
  readonly createdAt: string;
  readonly expiresAt: string;
}

interface Held {
  readonly view: HeldView;
  readonly createdAt: number;
  readonly timer: NodeJS.Timeout;
  readonly settle: (decision: Omit<HeldDecision, 'waitMs'>) => void;
}

export class HeldCalls {
  readonly #held = new Map<string, Held>();
  readonly #limit: () => number;
  readonly #onSettled: (outcome: ApprovalOutcome) => void;

  /** `limit` is read on each hold, so a reload's `approval.maxPending` applies at once. */
  constructor(limit: () => number, onSettled: (outcome: ApprovalOutcome) => void) {
    this.#limit = limit;
    this.#onSettled = onSettled;
  }

  get size(): number {
    return this.#held.size;
  }

  /**
   * Holds a call until it is decided or `timeoutMs` passes; `onCancel` is
   * handed the function that ends it early (the client went away).
   * Throws MCPGW_ERR_APPROVAL_LIMIT when `approval.maxPending` calls wait already.
   */
  hold(call: Omit<HeldView, 'id' | 'createdAt' | 'expiresAt'>, timeoutMs: number, onCancel: (cancel: (reason: string) => void) => void): Promise<HeldDecision> {
    const limit = this.#limit();
    if (this.#held.size >= limit) {
      throw new GatewayError('MCPGW_ERR_APPROVAL_LIMIT', `tool "${call.tool}" on server "${call.server}" needs approval, but ${limit} calls already wait for an approver (approval.maxPending); try again later`, { maxPending: limit });
    }
    const id = randomUUID();
    const createdAt = Date.now();
    return new Promise((resolve) => {
      const settle = (decision: Omit<HeldDecision, 'waitMs'>): void => {
        const held = this.#held.get(id);
        if (held === undefined) return;
        this.#held.delete(id);
        clearTimeout(held.timer);
        this.#onSettled(decision.outcome);
        resolve({ ...decision, waitMs: Date.now() - createdAt });
      };
      const timer = setTimeout(() => settle({ outcome: 'timed_out' }), timeoutMs);
      timer.unref();
      const view: HeldView = { id, ...call, createdAt: new Date(createdAt).toISOString(), expiresAt: new Date(createdAt + timeoutMs).toISOString() };
      this.#held.set(id, { view, createdAt, timer, settle });
      onCancel((reason) => settle({ outcome: 'cancelled', reason }));
    });
  }

  /** Oldest first. */
  list(): HeldView[] {
    return [...this.#held.values()].map((held) => held.view);
  }

  /** An approver's decision; MCPGW_ERR_UNKNOWN_APPROVAL when nothing waits under `id` that `visible` lets the approver see. */
  decide(id: string, decision: Omit<HeldDecision, 'waitMs'> & { outcome: 'approved' | 'denied' }, visible: (view: HeldView) => boolean = () => true): HeldView {
    const held = this.#held.get(id);
    if (held === undefined || !visible(held.view)) throw new GatewayError('MCPGW_ERR_UNKNOWN_APPROVAL', `no call waits for approval under id "${id}" (never held, already decided, timed out, or its client went away)`, { id });
    held.settle(decision);
    return held.view;
  }

  /** Ends every held call (the gateway is stopping): none is dispatched. */
  cancelAll(reason: string): void {
    for (const held of [...this.#held.values()]) held.settle({ outcome: 'cancelled', reason });
  }
}
