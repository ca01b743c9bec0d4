/**
 * JSON-RPC 2.0 framing for the MCP endpoint: parse one message once, and build
 * answers by string concatenation so an upstream's result text is never
 * parsed and re-serialised on its way out.
 */
import { GatewayError, jsonRpcError, type WireError } from '../errors.js';
import { readJsonBody } from '../front-door/json-body.js';
import { memberText } from '../json-member.js';
import type { JsonText } from '../json-text.js';

export type RequestId = string | number;

export interface RpcRequest {
  readonly id: RequestId;
  readonly method: string;
  readonly params: Record<string, unknown>;
  /**
   * tools/call: `params` as the client's JSON text, so the arguments can be passed on as sent (src/json-member.ts).
   * Not readonly: the call takes it off the message once dispatched (dispatch.ts), with `params.arguments`.
   */
  paramsText?: string;
  /** Set when the call took its payload off the message: the message can no longer be sent again as it was. */
  payloadTaken?: true;
}

export interface RpcNotification {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

export interface RpcResponse {
  readonly id: RequestId;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

export type Inbound =
  | { readonly kind: 'request'; readonly message: RpcRequest }
  | { readonly kind: 'notification'; readonly message: RpcNotification }
  | { readonly kind: 'response'; readonly message: RpcResponse };

/** Parses one JSON-RPC message; batches, malformed frames and nesting deeper than `maxDepth` are GatewayErrors (400). */
export function parseInbound(body: Buffer, maxDepth: number): Inbound {
  const { value, text } = readJsonBody(body, maxDepth);
  if (Array.isArray(value)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per request');
  if (typeof value !== 'object' || value === null) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'a JSON-RPC message must be a JSON object');
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'not a JSON-RPC 2.0 message ("jsonrpc" must be "2.0")');
  if (typeof message.method !== 'string' && ('result' in message || 'error' in message)) {
    if (typeof message.id !== 'string' && typeof message.id !== 'number') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'a JSON-RPC response needs the id of the request it answers');
    return { kind: 'response', message: message as unknown as RpcResponse };
  }
  if (message.params !== undefined && (typeof message.params !== 'object' || message.params === null || Array.isArray(message.params))) {
    throw new GatewayError('MCPGW_ERR_INVALID_PARAMS', '"params" must be an object');
  }
  const params = (message.params ?? {}) as Record<string, unknown>;
  if (typeof message.method !== 'string') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'a JSON-RPC request needs a string "method"');
  if (!('id' in message)) return { kind: 'notification', message: { method: message.method, params } };
  if (typeof message.id !== 'string' && typeof message.id !== 'number') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'a JSON-RPC request id must be a string or a number');
  const paramsText = message.method === 'tools/call' && message.params !== undefined ? memberText(text, 'params') : undefined;
  return { kind: 'request', message: { id: message.id, method: message.method, params, ...(paramsText !== undefined ? { paramsText } : {}) } };
}

const RESULT_CLOSE = Buffer.from('}');

/** `{"jsonrpc":"2.0","id":…,"result":<resultJson>}` without touching the result text; bytes stay bytes (one copy, no re-encoding). */
export function resultFrame(id: RequestId, resultJson: string): string;
export function resultFrame(id: RequestId, resultJson: JsonText): JsonText;
export function resultFrame(id: RequestId, resultJson: JsonText): JsonText {
  const open = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`;
  if (typeof resultJson === 'string') return `${open}${resultJson}}`;
  return Buffer.concat([Buffer.from(open), resultJson, RESULT_CLOSE]);
}

/** An upstream's own JSON-RPC code (e.g. -32021) reaches MCP clients unchanged; the gateway code stays in `data.code`. */
export function errorFrame(id: RequestId | null, error: GatewayError | WireError): string {
  const rpc = jsonRpcError(error);
  const upstreamCode = (error.data as { upstreamCode?: unknown } | undefined)?.upstreamCode;
  if (typeof upstreamCode === 'number') rpc.code = upstreamCode;
  return JSON.stringify({ jsonrpc: '2.0', id, error: rpc });
}

export function requestFrame(id: RequestId, method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

export function notificationFrame(method: string, params: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}
