/**
 * Lean client for a 2026-07-28 MCP endpoint: one stateless POST per call, with
 * the headers the revision requires (`MCP-Protocol-Version`, `Mcp-Method`,
 * `Mcp-Name`) and the `_meta` envelope (protocol version, client capabilities,
 * client info). The answer may be JSON or a one-request SSE stream.
 */
import { checkToolResult, walkListing } from '../calls.js';
import { LeanHttp, rpcMessage, type HttpReply } from '../http.js';
import type { CallReply, PreparedCall, Target } from '../types.js';
import { failure } from './rest.js';

export const MODERN_VERSION = '2026-07-28';
export const BENCH_CLIENT_INFO = { name: 'mcp-gateway-bench', version: '0.1.0' } as const;

export const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': BENCH_CLIENT_INFO,
} as const;

/** Header values must be ASCII; anything else travels in the `=?base64?…?=` sentinel form. */
export function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

export class ModernMcpTarget implements Target {
  readonly pids: readonly number[] = [];
  readonly #http: LeanHttp;
  readonly #headers: Readonly<Record<string, string>>;
  #nextId = 1;

  constructor(url: string, connections: number, timeoutMs: number, headers: Readonly<Record<string, string>> = {}) {
    this.#http = new LeanHttp(new URL(url), connections, timeoutMs);
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      ...headers,
    };
  }

  /** `server/discover`: proves the endpoint speaks 2026-07-28 before any load is sent. */
  async connect(): Promise<void> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: MODERN_META } });
    const reply = await this.#http.request('POST', { ...this.#headers, 'mcp-method': 'server/discover' }, body).catch((error: unknown) => {
      throw new Error(`cannot reach the MCP endpoint: ${(error as Error).message}`);
    });
    const { message, problem } = rpcMessage(reply, id);
    const result = message?.result as { supportedVersions?: unknown } | undefined;
    if (reply.status !== 200 || !result) throw new Error(`server/discover failed (HTTP ${reply.status}): ${problem ?? JSON.stringify(message?.error ?? message).slice(0, 200)}`);
    if (!Array.isArray(result.supportedVersions) || !result.supportedVersions.includes(MODERN_VERSION)) {
      throw new Error(`the endpoint does not support ${MODERN_VERSION} (supportedVersions: ${JSON.stringify(result.supportedVersions)}); use --target mcp-legacy`);
    }
  }

  async call(call: PreparedCall): Promise<CallReply> {
    if (call.method === 'tools/list') return walkListing((cursor) => this.#listPage(cursor), call);
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: call.tool, arguments: call.arguments, _meta: MODERN_META } });
    const sent = Buffer.byteLength(body);
    let reply: HttpReply;
    try {
      reply = await this.#http.request('POST', { ...this.#headers, 'mcp-method': 'tools/call', 'mcp-name': headerSafe(call.tool) }, body);
    } catch (error) {
      return failure(error, sent);
    }
    return judgeRpcReply(reply, id, call, sent);
  }

  async #listPage(cursor: string | undefined): Promise<ListPageAnswer> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: cursor === undefined ? { _meta: MODERN_META } : { cursor, _meta: MODERN_META } });
    const sent = Buffer.byteLength(body);
    try {
      return judgeRpcPage(await this.#http.request('POST', { ...this.#headers, 'mcp-method': 'tools/list' }, body), id, sent);
    } catch (error) {
      return failure(error, sent);
    }
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}

/** Shared by the MCP-over-HTTP targets: HTTP status, JSON-RPC error, then the tool result's contract. */
export function judgeRpcReply(reply: HttpReply, id: number, call: PreparedCall, sent: number): CallReply {
  const answer = judgeRpcPage(reply, id, sent);
  if (answer.error !== undefined) return answer as CallReply;
  const verdict = checkToolResult(answer.result, call);
  return verdict ? { ...verdict, sent, received: answer.received } : { sent, received: answer.received };
}

export interface ListPageAnswer {
  readonly result?: unknown;
  readonly error?: string;
  readonly detail?: string;
  readonly sent: number;
  readonly received: number;
}

/** One JSON-RPC answer over HTTP: status, JSON-RPC error, the id; `result` is left to the caller (a tool result, a list page). */
export function judgeRpcPage(reply: HttpReply, id: number, sent: number): ListPageAnswer {
  const received = reply.body.length;
  const { message, problem } = rpcMessage(reply, id);
  const error = message?.error as { code?: unknown; message?: unknown } | undefined;
  if (reply.status !== 200) return { error: `http_${reply.status}${error ? ` rpc ${String(error.code)}` : ''}`, detail: reply.body.toString('utf8', 0, 200), sent, received };
  if (!message) return { error: 'bad_response', detail: problem ?? 'no message', sent, received };
  if (error) return { error: `rpc ${String(error.code)}`, detail: String(error.message), sent, received };
  if (message.id !== id) return { error: 'mismatch', detail: `answer for id ${String(message.id)} to request ${id}`, sent, received };
  return { result: message.result, sent, received };
}
