/**
 * The methods both eras share, dispatched to the McpService. Each era wraps
 * this with its own envelope rules and result stamping.
 */
import { GatewayError } from '../errors.js';
import type { Caller } from '../policy/caller.js';
import type { Answer, ListMethod, ListStamp, McpService } from './mcp-service.js';
import { notificationFrame, type RpcRequest } from './jsonrpc.js';
import type { Exchange } from './exchange.js';
import type { JsonText } from '../json-text.js';
import { IdTable } from '../id-table.js';

export const SHARED_METHODS = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'tools/call', 'resources/read', 'prompts/get', 'completion/complete']);

const LIST_METHODS: ReadonlySet<string> = new Set(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']);

/** A list page (encoded, the era's fields in it), or any other result as JSON text. */
export type Dispatched =
  | { readonly isList: true; readonly resultJson: Uint8Array; readonly inputRequired: false }
  | {
      readonly isList: false;
      /** Bytes for a large plain result, as it crossed from the worker (json-text.ts). */
      readonly resultJson: JsonText;
      /** A modern upstream's `input_required` result (its requestState already wrapped by the gateway). */
      readonly inputRequired: boolean;
    };

/** What the front door knows about a request when it hands it on. */
export interface Arrival {
  readonly receivedAt: number;
  readonly requestBytes: number;
  /** The client's `traceparent` trace id, or a fresh one: the request log's `traceId`. */
  readonly traceId: string;
  /** The request's `X-Request-Id`. */
  readonly requestId: string;
  /** The client's `traceparent` header as sent (the parent of the gateway's spans). */
  readonly traceparent?: string;
}

export interface CallerContext {
  /** Who is asking: lists are filtered and calls admitted by it. */
  readonly caller: Caller;
  /** Headers to pass on to HTTP upstreams (`Mcp-Param-*`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** What the caller can answer (elicitation, sampling, roots): upstreams decide whether to ask by it. */
  readonly clientCapabilities?: unknown;
  /** Asks this caller directly (a 2025 session). */
  readonly onInputRequest?: (method: string, params: unknown) => Promise<unknown>;
  /** This caller answers input requests by retrying (2026-07-28). */
  readonly canPark?: boolean;
  /**
   * The era handler sends the same call again when a 2026-07-28 upstream asks for input by result (the 2025
   * bridge's input rounds): the payload then stays on the message, unless the call went to a 2025 upstream.
   */
  readonly resends?: boolean;
}

export async function dispatchShared(service: McpService, request: RpcRequest, exchange: Exchange, arrival: Arrival, caller: CallerContext, listStamp: ListStamp): Promise<Dispatched> {
  const { method, params } = request;
  if (LIST_METHODS.has(method)) return { resultJson: service.list(method as ListMethod, params, caller.caller, listStamp), isList: true, inputRequired: false };
  const progressToken = (params._meta as { progressToken?: unknown } | undefined)?.progressToken;
  const wantsProgress = typeof progressToken === 'string' || typeof progressToken === 'number';
  let cancel: ((reason: string) => void) | undefined;
  exchange.onAbort(() => cancel?.('the client closed the request'));
  const context = {
    caller: caller.caller,
    receivedAt: arrival.receivedAt,
    requestBytes: arrival.requestBytes,
    traceId: arrival.traceId,
    requestId: arrival.requestId,
    ...(arrival.traceparent !== undefined ? { traceparent: arrival.traceparent } : {}),
    ...(caller.headers ? { headers: caller.headers } : {}),
    ...(caller.clientCapabilities !== undefined ? { clientCapabilities: caller.clientCapabilities } : {}),
    ...(caller.onInputRequest ? { onInputRequest: caller.onInputRequest } : {}),
    ...(caller.canPark ? { canPark: true } : {}),
    onCancel: (fn: (reason: string) => void) => {
      cancel = fn;
      if (exchange.closed) fn('the client closed the request');
    },
    ...(wantsProgress
      ? {
          onProgress: (progressJson: string) => {
            const progress = JSON.parse(progressJson) as Record<string, unknown>;
            exchange.notify(notificationFrame('notifications/progress', { ...progress, progressToken }));
          },
        }
      : {}),
  };
  let answer: Answer;
  switch (method) {
    case 'tools/call':
      answer = await service.callTool(params, context, request.paramsText, (upstreamEra) => {
        if (!caller.resends || upstreamEra === 'legacy') letGoOfPayload(request);
      });
      break;
    case 'resources/read':
      answer = await service.readResource(params, context);
      break;
    case 'prompts/get':
      answer = await service.getPrompt(params, context);
      break;
    case 'completion/complete':
      answer = await service.complete(params, context);
      break;
    // Which of these an era may use is the era handler's check (MODERN_TASK_METHODS, LEGACY_TASK_METHODS).
    case 'tasks/list':
      answer = await service.tasks.list(params, context);
      break;
    case 'tasks/get':
    case 'tasks/result':
    case 'tasks/cancel':
    case 'tasks/update':
      answer = await service.tasks.request(method, params, context);
      break;
    default:
      throw new GatewayError('MCPGW_ERR_METHOD_NOT_FOUND', `method "${method}" is not supported`);
  }
  return { resultJson: answer.resultJson, isList: false, inputRequired: answer.inputRequired };
}

/**
 * A dispatched call's arguments, parsed and as text, are taken off its message: the era handler and the
 * front door hold the message until the answer, and a large payload held that long is copied by every
 * young-generation GC meanwhile, then promoted (bench/README.md, "Large payloads").
 */
function letGoOfPayload(request: RpcRequest): void {
  delete request.paramsText;
  delete request.params.arguments;
  request.payloadTaken = true;
}

/** Requests in flight on one legacy session, so `notifications/cancelled` can reach them. */
export class InFlight {
  // Its keys are property keys: 1 and "1" name one request.
  readonly #exchanges = new IdTable<Exchange, string | number>();

  add(id: string | number, exchange: Exchange): void {
    this.#exchanges.set(id, exchange);
  }

  delete(id: string | number): void {
    this.#exchanges.delete(id);
  }

  cancel(id: unknown): void {
    if (typeof id === 'string' || typeof id === 'number') this.#exchanges.get(id)?.cancel();
  }

  cancelAll(): void {
    for (const exchange of this.#exchanges.values()) exchange.cancel();
    this.#exchanges.clear();
  }
}
