/**
 * Lean client for a 2025 MCP endpoint over Streamable HTTP: each session is an
 * `initialize` (whose answer names the `Mcp-Session-Id`) and an `initialized`
 * notification; calls then carry the session id and the negotiated version.
 * Calls are spread round-robin over the sessions; each is ended with DELETE.
 * A server without sessions (stateless) works too: no id is sent.
 */
import { LeanHttp, header, rpcMessage, type HttpReply } from '../http.js';
import type { CallReply, PreparedCall, Target } from '../types.js';
import { walkListing } from '../calls.js';
import { BENCH_CLIENT_INFO, judgeRpcPage, judgeRpcReply } from './mcp-modern.js';
import { failure } from './rest.js';

export const LEGACY_VERSION = '2025-11-25';

interface Session {
  readonly id: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

export class LegacyMcpTarget implements Target {
  readonly pids: readonly number[] = [];
  readonly #http: LeanHttp;
  readonly #baseHeaders: Readonly<Record<string, string>>;
  readonly #sessionCount: number;
  readonly #sessions: Session[] = [];
  #nextId = 1;
  #turn = 0;

  constructor(url: string, connections: number, sessions: number, timeoutMs: number, headers: Readonly<Record<string, string>> = {}) {
    this.#http = new LeanHttp(new URL(url), connections, timeoutMs);
    this.#sessionCount = Math.max(1, sessions);
    this.#baseHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers };
  }

  get sessionIds(): readonly (string | undefined)[] {
    return this.#sessions.map((s) => s.id);
  }

  async connect(): Promise<void> {
    for (let i = 0; i < this.#sessionCount; i++) this.#sessions.push(await this.#open());
  }

  async #open(): Promise<Session> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: BENCH_CLIENT_INFO } });
    const reply = await this.#http.request('POST', this.#baseHeaders, body).catch((error: unknown) => {
      throw new Error(`cannot reach the MCP endpoint: ${(error as Error).message}`);
    });
    const { message, problem } = rpcMessage(reply, id);
    const result = message?.result as { protocolVersion?: unknown } | undefined;
    if (reply.status !== 200 || !result) throw new Error(`initialize failed (HTTP ${reply.status}): ${problem ?? JSON.stringify(message?.error ?? message).slice(0, 200)}`);
    const sessionId = header(reply, 'mcp-session-id');
    const version = typeof result.protocolVersion === 'string' ? result.protocolVersion : LEGACY_VERSION;
    const headers = { ...this.#baseHeaders, 'mcp-protocol-version': version, ...(sessionId ? { 'mcp-session-id': sessionId } : {}) };
    const notified = await this.#http.request('POST', headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    if (notified.status !== 202 && notified.status !== 200) throw new Error(`notifications/initialized got HTTP ${notified.status}: ${notified.body.toString('utf8', 0, 200)}`);
    return { id: sessionId, headers };
  }

  async call(call: PreparedCall): Promise<CallReply> {
    const session = this.#sessions[this.#turn++ % this.#sessions.length]!;
    if (call.method === 'tools/list') {
      return walkListing(async (cursor) => {
        const id = this.#nextId++;
        const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', ...(cursor === undefined ? {} : { params: { cursor } }) });
        const sent = Buffer.byteLength(body);
        try {
          return judgeRpcPage(await this.#http.request('POST', session.headers, body), id, sent);
        } catch (error) {
          return failure(error, sent);
        }
      }, call);
    }
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: call.tool, arguments: call.arguments } });
    const sent = Buffer.byteLength(body);
    let reply: HttpReply;
    try {
      // As a 2025 client does: no Mcp-Method/Mcp-Name (2026 headers), no _meta envelope.
      reply = await this.#http.request('POST', session.headers, body);
    } catch (error) {
      return failure(error, sent);
    }
    return judgeRpcReply(reply, id, call, sent);
  }

  async close(): Promise<void> {
    await Promise.all(this.#sessions.filter((s) => s.id !== undefined).map((s) => this.#http.request('DELETE', s.headers).catch(() => undefined)));
    await this.#http.close();
  }
}
