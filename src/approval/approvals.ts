/**
 * Human approval for tool calls that match `approval.rules`: the decision the
 * REST and MCP paths take before a call is dispatched. Three ways to get it:
 *
 * - a 2026-07-28 client that declared elicitation gets an `input_required`
 *   result; its retry carries the answer, and the requestState (signed, with
 *   a short expiry) binds it to the caller, the tool and a hash of the exact
 *   arguments, so nothing is kept on the server and any instance can take it;
 * - a 2025 session that declared elicitation is sent `elicitation/create`;
 * - anyone else (REST, clients without elicitation, `ask: approver`) is held
 *   until an approver decides (HeldCalls).
 *
 * No path dispatches before "approved".
 */
import { createHash, randomUUID } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { Capture } from '../observability/capture.js';
import type { Caller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import type { RequestStateCodec, StatePayload } from '../protocol/request-state.js';
import { HeldCalls, type ApprovalOutcome, type HeldView } from './held-calls.js';
import { ApprovalRules, type AnnotationsOf, type ApprovalRequirement } from './rules.js';

export type { ApprovalRequirement } from './rules.js';
export type { ApprovalOutcome, HeldView } from './held-calls.js';

/** What the request log keeps of a call's approval. */
export interface ApprovalRecord {
  readonly outcome: ApprovalOutcome;
  /** `elicitation`: the calling client was asked; `api`: an approver decided a held call (POST /api/v1/approvals/:id, the dashboard). */
  readonly via: 'elicitation' | 'api';
  /** Who decided: the approver, or the caller who answered the elicitation (name, and token subject when there is one). */
  readonly decidedBy?: string;
  readonly decidedBySubject?: string;
  readonly reason?: string;
  /** How long the call waited for the decision. */
  readonly waitMs: number;
}

/** The call a decision is about. */
export interface ApprovalSubject {
  readonly serverId: string;
  readonly tool: string;
  readonly arguments: unknown;
}

/** The key of the approval question in `inputRequests` / `inputResponses`. */
export const APPROVAL_INPUT_KEY = 'mcpgw.approval';

const ELICITATION = 'elicitation/create';

/** Spent approval answers are remembered this long at most (a state's expiry is its rule's timeout, at most an hour). */
const SPENT_LIMIT = 10_000;

export class Approvals {
  #rules: ApprovalRules;
  #config: GatewayConfig['approval'];
  #capture: Capture;
  readonly #annotationsOf: AnnotationsOf;
  readonly #policy: Policy;
  readonly #held: HeldCalls;
  readonly #outcomes: Counter<'outcome'>;
  /** Nonces of approval answers already used on this instance, with their expiry: one "yes" dispatches one call. */
  readonly #spent = new Map<string, number>();

  constructor(config: GatewayConfig, options: { annotationsOf: AnnotationsOf; policy: Policy; registry: Registry }) {
    this.#annotationsOf = options.annotationsOf;
    this.#policy = options.policy;
    this.#config = config.approval;
    this.#rules = new ApprovalRules(config.approval, options.annotationsOf);
    this.#capture = argumentsCapture(config);
    const registers = [options.registry];
    this.#outcomes = new Counter({ name: 'mcp_gateway_approvals_total', help: 'Tool calls that needed human approval, by how it ended: approved, denied, timed_out, cancelled.', labelNames: ['outcome'], registers });
    const held = new HeldCalls(() => this.#config.maxPending, (outcome) => this.#outcomes.inc({ outcome }));
    this.#held = held;
    new Gauge({
      name: 'mcp_gateway_approvals_pending',
      help: 'Tool calls held on this instance until an approver decides (GET /api/v1/approvals).',
      registers,
      collect() {
        this.set(held.size);
      },
    });
  }

  /** A reloaded config: new rules apply to the next call; held calls keep their own timeout. */
  reconfigure(config: GatewayConfig): void {
    this.#config = config.approval;
    this.#rules = new ApprovalRules(config.approval, this.#annotationsOf);
    this.#capture = argumentsCapture(config);
  }

  /** Undefined (the common case, and at once without rules): the call needs no approval. */
  requirement(serverId: string, tool: string): ApprovalRequirement | undefined {
    return this.#rules.match(serverId, tool);
  }

  /** Administrators and `approval.approverRoles` may see and decide held calls. */
  mayApprove(caller: Caller): boolean {
    return this.#policy.mayAdminister(caller) || caller.roles.some((role) => this.#config.approverRoles.includes(role));
  }

  assertApprover(caller: Caller): void {
    if (this.mayApprove(caller)) return;
    throw new GatewayError(
      'MCPGW_ERR_FORBIDDEN',
      this.#policy.authenticator.enabled ? `${caller.name} may not decide approvals (needs one of auth.adminRoles or approval.approverRoles)` : 'without authentication, only a caller on this machine may decide approvals',
    );
  }

  /** The held calls this approver may see: in multi-tenant mode its tenant's only (administrators: all). */
  list(approver: Caller): HeldView[] {
    const scope = this.#policy.scope(approver);
    return this.#held.list().filter((view) => scope.seesSlice(view.tenant));
  }

  /** Another tenant's held call is answered as one that does not exist. */
  decide(id: string, decision: 'approve' | 'deny', approver: Caller, reason?: string): HeldView {
    const scope = this.#policy.scope(approver);
    return this.#held.decide(
      id,
      {
        outcome: decision === 'approve' ? 'approved' : 'denied',
        decidedBy: approver.name,
        ...(approver.subject !== undefined ? { decidedBySubject: approver.subject } : {}),
        ...(reason !== undefined ? { reason } : {}),
      },
      (view) => scope.seesSlice(view.tenant),
    );
  }

  /** Holds the call for an approver (see HeldCalls.hold); resolves with how it ended. */
  async hold(subject: ApprovalSubject, caller: Caller, via: 'rest' | 'mcp', requirement: ApprovalRequirement, onCancel: (cancel: (reason: string) => void) => void): Promise<ApprovalRecord> {
    const tenant = this.#policy.tenancy.sliceOf(caller, subject.serverId);
    const view = { server: subject.serverId, tool: subject.tool, caller: caller.name, via, ...(tenant !== undefined ? { tenant } : {}), arguments: this.#shown(subject.arguments) ?? {} };
    const decision = await this.#held.hold(view, requirement.timeoutMs, onCancel);
    return { via: 'api', ...decision };
  }

  /** A 2025 session that declared elicitation: asked on its own stream, up to the rule's timeout. */
  async askSession(subject: ApprovalSubject, caller: Caller, requirement: ApprovalRequirement, ask: (method: string, params: unknown) => Promise<unknown>): Promise<ApprovalRecord> {
    const askedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timed_out'>((resolve) => (timer = setTimeout(() => resolve('timed_out'), requirement.timeoutMs)));
    let record: ApprovalRecord;
    try {
      const answer = await Promise.race([ask(ELICITATION, this.#question(subject, 'legacy')), timedOut]);
      record = answer === 'timed_out' ? { outcome: 'timed_out', via: 'elicitation', waitMs: Date.now() - askedAt } : answerRecord(answer, caller, askedAt);
    } catch (error) {
      // The session went away while asked (cancelled), or the client answered with an error (a refusal).
      const cancelled = toGatewayError(error).code === 'MCPGW_ERR_CANCELLED';
      record = { outcome: cancelled ? 'cancelled' : 'denied', via: 'elicitation', ...(cancelled ? {} : decidedBy(caller)), reason: toGatewayError(error).message, waitMs: Date.now() - askedAt };
    } finally {
      clearTimeout(timer);
    }
    this.#outcomes.inc({ outcome: record.outcome });
    return record;
  }

  /** A 2026-07-28 client that declared elicitation: the question, as an `input_required` result (JSON text). */
  inputRequired(subject: ApprovalSubject, callerKey: string, requirement: ApprovalRequirement, states: RequestStateCodec): string {
    const requestState = states.wrap(subject.serverId, subject.tool, callerKey, {
      approval: { argumentsHash: argumentsHash(subject), nonce: randomUUID(), askedAt: Date.now(), ttlMs: requirement.timeoutMs },
    });
    return JSON.stringify({ resultType: 'input_required', inputRequests: { [APPROVAL_INPUT_KEY]: { method: ELICITATION, params: this.#question(subject, 'modern') } }, requestState });
  }

  /**
   * The retry that answers the question. The state was verified (signature,
   * expiry, caller, tool) by the caller of this; here: the same arguments,
   * an answer present, and an answer used once.
   */
  answered(state: StatePayload, subject: ApprovalSubject, inputResponses: unknown, caller: Caller, now = Date.now()): ApprovalRecord {
    if (state.a !== argumentsHash(subject)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', 'requestState refused: the approval it carries is for other arguments; call the tool again without it');
    const answer = isRecord(inputResponses) ? inputResponses[APPROVAL_INPUT_KEY] : undefined;
    if (answer === undefined) throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', `the retry carries no answer to the approval question (inputResponses["${APPROVAL_INPUT_KEY}"])`);
    if (state.n === undefined || !this.#spend(state.n, state.e, now)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST_STATE', 'requestState refused: this approval was already used; call the tool again to be asked again');
    const record = answerRecord(answer, caller, state.q ?? now);
    this.#outcomes.inc({ outcome: record.outcome });
    return record;
  }

  /** Ends every held call (the gateway is stopping). */
  close(): void {
    this.#held.cancelAll('the gateway is stopping');
  }

  #spend(nonce: string, expiresAt: number, now: number): boolean {
    // Oldest first (insertion order); expired ones can no longer be replayed anyway.
    for (const [spent, expiry] of this.#spent) {
      if (expiry >= now && this.#spent.size < SPENT_LIMIT) break;
      this.#spent.delete(spent);
    }
    if (this.#spent.has(nonce)) return false;
    this.#spent.set(nonce, expiresAt);
    return true;
  }

  /** Arguments as a person may see them: the monitor's redaction rules, cut to `monitor.capture.maxBytes`. */
  #shown(args: unknown): unknown {
    return this.#capture.take(null, '', args ?? {}, undefined, undefined)?.request?.arguments;
  }

  #question(subject: ApprovalSubject, era: 'modern' | 'legacy'): Record<string, unknown> {
    const shown = this.#shown(subject.arguments);
    const text = typeof shown === 'string' ? shown : JSON.stringify(shown, null, 2);
    return {
      // `mode` arrived in 2025-11-25; older 2025 clients know only the form shape, which is the default.
      ...(era === 'modern' ? { mode: 'form' } : {}),
      message: `Approve the call of tool "${subject.tool}" on server "${subject.serverId}"? It needs a person's approval before it runs.\n\nArguments:\n${text}`,
      requestedSchema: {
        type: 'object',
        properties: {
          approve: { type: 'boolean', title: 'Approve this call', description: 'Yes: the call runs now. No: it is refused and never reaches the server.' },
          reason: { type: 'string', title: 'Reason', description: 'Optional; kept in the gateway\'s request log.' },
        },
        required: ['approve'],
      },
    };
  }
}

/** The error a call gets when its approval did not end in "approved"; undefined when it may go on. */
export function approvalRefusal(record: ApprovalRecord, subject: Pick<ApprovalSubject, 'serverId' | 'tool'>, requirement?: ApprovalRequirement): GatewayError | undefined {
  const what = `tool "${subject.tool}" on server "${subject.serverId}"`;
  const data = { via: record.via, ...(record.decidedBy !== undefined ? { decidedBy: record.decidedBy } : {}), ...(record.reason !== undefined ? { reason: record.reason } : {}) };
  switch (record.outcome) {
    case 'approved':
      return undefined;
    case 'denied':
      return new GatewayError('MCPGW_ERR_APPROVAL_DENIED', `${what} was not approved${record.decidedBy !== undefined ? ` (denied by ${record.decidedBy})` : ''}${record.reason !== undefined ? `: ${record.reason}` : ''}; it was not run`, data);
    case 'timed_out': {
      const seconds = requirement === undefined ? undefined : requirement.timeoutMs / 1000;
      return new GatewayError('MCPGW_ERR_APPROVAL_TIMEOUT', `${what} needs approval and nobody decided${seconds === undefined ? '' : ` within ${seconds} s`}; it was not run`, { ...data, ...(seconds === undefined ? {} : { timeoutSeconds: seconds }) });
    }
    case 'cancelled':
      return new GatewayError('MCPGW_ERR_CANCELLED', `${what} was waiting for approval when ${record.reason ?? 'the client went away'}; it was not run`, data);
  }
}

/** sha256 over the server, the tool and the arguments in canonical form (keys sorted), so equal calls hash equal. */
export function argumentsHash(subject: ApprovalSubject): string {
  return createHash('sha256').update(JSON.stringify([subject.serverId, subject.tool, canonical(subject.arguments ?? {})])).digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isRecord(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = canonical(value[key]);
  return sorted;
}

/** An elicitation result: accept with `approve: true` approves; accept with false, decline and cancel deny. */
function answerRecord(answer: unknown, caller: Caller, askedAt: number): ApprovalRecord {
  const result = isRecord(answer) ? answer : {};
  const content = isRecord(result.content) ? result.content : {};
  const reason = typeof content.reason === 'string' && content.reason !== '' ? content.reason.slice(0, 500) : undefined;
  const approved = result.action === 'accept' && content.approve === true;
  const why = approved ? reason : (reason ?? (result.action === 'accept' ? 'the client answered no' : `the client answered "${String(result.action ?? 'nothing')}"`));
  return { outcome: approved ? 'approved' : 'denied', via: 'elicitation', ...decidedBy(caller), ...(why !== undefined ? { reason: why } : {}), waitMs: Date.now() - askedAt };
}

function decidedBy(caller: Caller): Pick<ApprovalRecord, 'decidedBy' | 'decidedBySubject'> {
  return { decidedBy: caller.name, ...(caller.subject !== undefined ? { decidedBySubject: caller.subject } : {}) };
}

function argumentsCapture(config: GatewayConfig): Capture {
  return new Capture({ arguments: true, results: false, tools: [], maxBytes: config.monitor.capture.maxBytes, redact: config.monitor.capture.redact });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
