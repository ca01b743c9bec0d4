/**
 * Calls from one instance to another over the internal route, signed with the
 * cluster's key: a live snapshot for the cluster views, and the retry of an
 * MRTR call parked on the peer (its progress and final answer stream back as
 * one JSON object per line).
 */
import { GatewayError, isErrorCode } from '../errors.js';
import type { Answer, CallContext } from '../protocol/mcp-service.js';
import { INTERNAL_AUTH_HEADER, signInternal } from './cluster-keys.js';
import type { InstanceSnapshot } from './registry.js';

export const INTERNAL_PREFIX = '/internal/v1/';
export const SNAPSHOT_PATH = `${INTERNAL_PREFIX}snapshot`;
export const RESUME_PATH = `${INTERNAL_PREFIX}resume`;

/** What a forwarded retry carries: the client's params and who the front instance authenticated. */
export interface ResumeRequest {
  readonly params: Record<string, unknown>;
  /** The caller as the forwarding instance authenticated it (its bearer token stays there). */
  readonly caller: CallContext['caller'];
  readonly clientCapabilities?: unknown;
  readonly traceId: string;
  /** The client's request's `X-Request-Id` at the instance it reached, so both instances log one id. */
  readonly requestId: string;
}

/** One line of the resume stream. */
export type ResumeLine = { readonly progress: string } | { readonly answer: Answer } | { readonly error: { readonly code: string; readonly message: string; readonly data?: unknown } };

const SNAPSHOT_TIMEOUT_MS = 1500;

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

  /** Sends the retry to the instance holding its call and answers with what that instance answered. */
  async resume(url: string, request: ResumeRequest, context: CallContext): Promise<Answer> {
    const body = JSON.stringify(request);
    const abort = new AbortController();
    context.onCancel(() => abort.abort());
    let response: Response;
    try {
      response = await fetch(url + RESUME_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [INTERNAL_AUTH_HEADER]: signInternal(this.#key, this.#instanceId, 'POST', RESUME_PATH, body) },
        body,
        signal: abort.signal,
      });
    } catch (error) {
      throw unavailable(url, error as Error);
    }
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
