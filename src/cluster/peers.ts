/**
 * Calls from one instance to another over the internal route, signed with the
 * cluster's key: a live snapshot for the cluster views, the retry of an MRTR
 * call parked on the peer (its progress and final answer stream back as one
 * JSON object per line), and the calls the peer holds for an approver.
 */
import type { HeldView } from '../approval/held-calls.js';
import { GatewayError, isErrorCode } from '../errors.js';
import type { Answer, CallContext } from '../protocol/mcp-service.js';
import { INTERNAL_AUTH_HEADER, signInternal } from './cluster-keys.js';
import type { InstanceSnapshot } from './registry.js';

export const INTERNAL_PREFIX = '/internal/v1/';
export const SNAPSHOT_PATH = `${INTERNAL_PREFIX}snapshot`;
export const RESUME_PATH = `${INTERNAL_PREFIX}resume`;
export const APPROVALS_PATH = `${INTERNAL_PREFIX}approvals`;
export const APPROVAL_DECIDE_PATH = `${INTERNAL_PREFIX}approvals/decide`;

/** What a forwarded retry carries: the client's params and who the front instance authenticated. */
export interface ResumeRequest {
  readonly params: Record<string, unknown>;
  /** The caller as the forwarding instance authenticated it (its bearer token stays there). */
  readonly caller: CallerOnTheWire;
  readonly clientCapabilities?: unknown;
  readonly traceId: string;
  /** The client's request's `X-Request-Id` at the instance it reached, so both instances log one id. */
  readonly requestId: string;
}

/** One line of the resume stream. */
export type ResumeLine = { readonly progress: string } | { readonly answer: Answer } | { readonly error: { readonly code: string; readonly message: string; readonly data?: unknown } };

/** The calls a peer holds, as its approver sees them: the caller rides along for the peer's own checks. */
export interface ApprovalsRequest {
  readonly caller: CallerOnTheWire;
}

/** An approver's decision on a call another instance may hold. */
export interface DecideRequest extends ApprovalsRequest {
  readonly id: string;
  readonly decision: 'approve' | 'deny';
  readonly reason?: string;
}

/** A caller as one instance authenticated it, without the bearer token (which stays there). */
export type CallerOnTheWire = Omit<CallContext['caller'], 'bearerToken'>;

const SNAPSHOT_TIMEOUT_MS = 1500;
/** Listing and deciding are an approver's clicks: a peer that does not answer by then is reported, not waited for. */
const APPROVALS_TIMEOUT_MS = 3000;

export class PeerClient {
  readonly #key: Buffer;
  readonly #instanceId: string;

  constructor(key: Buffer, instanceId: string) {
    this.#key = key;
    this.#instanceId = instanceId;
  }

  async snapshot(url: string): Promise<InstanceSnapshot> {
    const response = await fetch(url + SNAPSHOT_PATH, { headers: { [INTERNAL_AUTH_HEADER]: signInternal(this.#key, this.#instanceId, 'GET', SNAPSHOT_PATH, '') }, signal: AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return (await response.json()) as InstanceSnapshot;
  }

  async approvals(url: string, request: ApprovalsRequest): Promise<HeldView[]> {
    return ((await this.#post(url, APPROVALS_PATH, request)) as { approvals: HeldView[] }).approvals;
  }

  /** The peer's decision on `request.id`: the held call's view, or the peer's error (MCPGW_ERR_UNKNOWN_APPROVAL when it holds no such call). */
  async decide(url: string, request: DecideRequest): Promise<HeldView> {
    return (await this.#post(url, APPROVAL_DECIDE_PATH, request)) as HeldView;
  }

  /** A signed POST of `request` as JSON; a peer that cannot be reached is MCPGW_ERR_PEER_UNAVAILABLE. */
  async #send(url: string, path: string, request: unknown, signal: AbortSignal): Promise<Response> {
    const body = JSON.stringify(request);
    try {
      return await fetch(url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_AUTH_HEADER]: signInternal(this.#key, this.#instanceId, 'POST', path, body) },
        body,
        signal,
      });
    } catch (error) {
      throw unavailable(url, error as Error);
    }
  }

  /** A signed POST answered with JSON: the peer's answer, or its coded error. */
  async #post(url: string, path: string, request: unknown): Promise<unknown> {
    const response = await this.#send(url, path, request, AbortSignal.timeout(APPROVALS_TIMEOUT_MS));
    const text = await response.text().catch(() => '');
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw unavailable(url, new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`));
    }
    if (response.ok) return answer;
    const error = (answer as { error?: { code?: string; message?: string; data?: unknown } }).error;
    if (error?.code !== undefined && isErrorCode(error.code)) throw new GatewayError(error.code, error.message ?? `HTTP ${response.status}`, error.data);
    throw unavailable(url, new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`));
  }

  /** Sends the retry to the instance holding its call and answers with what that instance answered. */
  async resume(url: string, request: ResumeRequest, context: CallContext): Promise<Answer> {
    const abort = new AbortController();
    context.onCancel(() => abort.abort());
    const response = await this.#send(url, RESUME_PATH, request, abort.signal);
    if (!response.ok || response.body === null) throw unavailable(url, new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`));
    let pending = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) {
        pending += decoder.decode(chunk as Uint8Array, { stream: true });
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = JSON.parse(pending.slice(0, newline)) as ResumeLine;
          pending = pending.slice(newline + 1);
          if ('progress' in line) context.onProgress?.(line.progress);
          else if ('answer' in line) return line.answer;
          else throw new GatewayError(isErrorCode(line.error.code) ? line.error.code : 'MCPGW_ERR_INTERNAL', line.error.message, line.error.data);
        }
      }
    } catch (error) {
      if (GatewayError.is(error)) throw error;
      throw unavailable(url, error as Error);
    }
    throw unavailable(url, new Error('the answer stream ended without an answer'));
  }
}

function unavailable(url: string, error: Error): GatewayError {
  return new GatewayError('MCPGW_ERR_PEER_UNAVAILABLE', `the gateway instance holding this call (${url}) did not answer: ${error.message}`);
}
