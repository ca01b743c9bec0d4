/**
 * The soak's operations against a gateway, each judged on its own answer: a
 * tool call must come back with exactly the text it sent, a list must list,
 * a stream must open. Every operation resolves (never rejects) with what
 * happened, the gateway's error code included, so the soak can count and
 * classify.
 */
import { randomUUID } from 'node:crypto';
import { header, LeanHttp, rpcMessage, type HttpReply } from '../../src/bench/http.js';
import { headerSafe, MODERN_META } from '../../src/bench/targets/mcp-modern.js';

export type OpName = 'rest_call' | 'rest_list' | 'mcp_modern_call' | 'mcp_modern_list' | 'mcp_legacy_call' | 'mcp_legacy_list' | 'legacy_get_stream' | 'modern_listen_stream' | 'legacy_session_churn' | 'rest_slow_call' | 'crash_injection';

export interface OpResult {
  readonly op: OpName;
  /** The upstream server the operation was aimed at, when it was aimed at one. */
  readonly server?: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Absent when the operation succeeded. */
  readonly error?: string;
  /** The gateway's error code, when it gave one. */
  readonly code?: string;
  readonly detail?: string;
}

const LEGACY_VERSION = '2025-11-25';
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } as const;
const MODERN_HEADERS = { ...JSON_HEADERS, 'mcp-protocol-version': '2026-07-28' } as const;
/** How long an opened stream is kept before the client hangs up. */
const STREAM_HOLD_MS = 150;

type Failure = { error: string; code?: string; detail?: string };

export class SoakClient {
  readonly #url: string;
  readonly #http: LeanHttp;
  readonly #sessions = new Map<number, Record<string, string>>();
  #nextId = 1;

  constructor(url: string, connections: number, timeoutMs: number) {
    this.#url = url;
    this.#http = new LeanHttp(new URL(url), connections, timeoutMs);
  }

  close(): Promise<void> {
    return this.#http.close();
  }

  /** Runs `body`, timing it and turning whatever it throws into a failure. */
  async #run(op: OpName, server: string | undefined, body: () => Promise<Failure | undefined>): Promise<OpResult> {
    const startedAt = Date.now();
    let failure: Failure | undefined;
    try {
      failure = await body();
    } catch (error) {
      const kind = (error as { kind?: unknown }).kind;
      failure = { error: typeof kind === 'string' ? `transport ${kind}` : 'exception', detail: (error as Error).message };
    }
    return { op, ...(server === undefined ? {} : { server }), startedAt, endedAt: Date.now(), ...failure };
  }

  restCall(server: string, tool: 'echo' | 'slow' = 'echo'): Promise<OpResult> {
    return this.#run(tool === 'slow' ? 'rest_slow_call' : 'rest_call', server, async () => {
      const tag = randomUUID();
      const args = tool === 'slow' ? { ms: 20 } : { message: tag };
      const reply = await this.#http.request('POST', { 'content-type': 'application/json' }, JSON.stringify({ tool, server, arguments: args }), '/api/v1/tools/call');
      const body = parse(reply);
      if (reply.status !== 200) return restFailure(reply, body);
      const text = (body as { content?: { text?: unknown }[] } | undefined)?.content?.[0]?.text;
      return text === (tool === 'slow' ? 'slept 20 ms' : tag) ? undefined : { error: 'wrong answer', detail: String(text).slice(0, 100) };
    });
  }

  /** Calls the upstream's crash tool: the call itself must fail as a crash (502), nothing else. */
  injectCrash(server: string): Promise<OpResult> {
    return this.#run('crash_injection', server, async () => {
      const reply = await this.#http.request('POST', { 'content-type': 'application/json' }, JSON.stringify({ tool: 'crash', server }), '/api/v1/tools/call');
      const failure = restFailure(reply, parse(reply));
      return failure.code === 'MCPGW_ERR_UPSTREAM_CRASHED' ? undefined : { ...failure, error: `the crash tool answered ${reply.status}` };
    });
  }

  restList(): Promise<OpResult> {
    return this.#run('rest_list', undefined, async () => {
      const reply = await this.#http.request('GET', {}, undefined, '/api/v1/tools');
      const body = parse(reply) as { tools?: unknown[] } | undefined;
      if (reply.status !== 200) return restFailure(reply, body);
      return Array.isArray(body?.tools) && body.tools.length > 0 ? undefined : { error: 'empty list' };
    });
  }

  modernCall(server: string): Promise<OpResult> {
    return this.#run('mcp_modern_call', server, async () => {
      const tag = randomUUID();
      const name = `${server}__echo`;
      const reply = await this.#modern('tools/call', { name, arguments: { message: tag } }, { 'mcp-name': headerSafe(name) });
      return judgeCall(reply.reply, reply.id, tag);
    });
  }

  modernList(): Promise<OpResult> {
    return this.#run('mcp_modern_list', undefined, async () => {
      const { reply, id } = await this.#modern('tools/list', {});
      return judgeList(reply, id);
    });
  }

  /** A tool call on the lane's long-lived 2025 session (opened on first use). */
  legacyCall(lane: number, server: string): Promise<OpResult> {
    return this.#run('mcp_legacy_call', server, async () => {
      const session = await this.#session(lane);
      const tag = randomUUID();
      const id = this.#nextId++;
      const reply = await this.#http.request('POST', session, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: `${server}__echo`, arguments: { message: tag } } }), '/mcp');
      if (reply.status === 404) this.#sessions.delete(lane);
      return judgeCall(reply, id, tag);
    });
  }

  legacyList(lane: number): Promise<OpResult> {
    return this.#run('mcp_legacy_list', undefined, async () => {
      const session = await this.#session(lane);
      const id = this.#nextId++;
      const reply = await this.#http.request('POST', session, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: {} }), '/mcp');
      return judgeList(reply, id);
    });
  }

  /** Opens the 2025 session's GET stream, waits for it to open, and hangs up. */
  legacyStream(lane: number): Promise<OpResult> {
    return this.#run('legacy_get_stream', undefined, async () => {
      const session = await this.#session(lane);
      return holdStream(`${this.#url}/mcp`, { method: 'GET', headers: { ...session, accept: 'text/event-stream' } }, ': stream open');
    });
  }

  /** Opens a 2026-07-28 `subscriptions/listen` stream, waits for its acknowledgement, and hangs up. */
  modernListen(): Promise<OpResult> {
    return this.#run('modern_listen_stream', undefined, async () => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: this.#nextId++, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: MODERN_META } });
      return holdStream(`${this.#url}/mcp`, { method: 'POST', headers: { ...MODERN_HEADERS, 'mcp-method': 'subscriptions/listen' }, body }, 'notifications/subscriptions/acknowledged');
    });
  }

  /** A whole 2025 session: initialize, initialized, one call, DELETE — and the session is gone after. */
  sessionChurn(server: string): Promise<OpResult> {
    return this.#run('legacy_session_churn', server, async () => {
      const headers = await this.#initialize();
      const tag = randomUUID();
      const id = this.#nextId++;
      const reply = await this.#http.request('POST', headers, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: `${server}__echo`, arguments: { message: tag } } }), '/mcp');
      const deleted = await this.#http.request('DELETE', headers, undefined, '/mcp');
      if (deleted.status !== 200 && deleted.status !== 204) return { error: `DELETE answered ${deleted.status}` };
      const gone = await this.#http.request('POST', headers, JSON.stringify({ jsonrpc: '2.0', id: this.#nextId++, method: 'tools/list', params: {} }), '/mcp');
      if (gone.status !== 404) return { error: `a deleted session answered ${gone.status}` };
      return judgeCall(reply, id, tag);
    });
  }

  async #modern(method: string, params: Record<string, unknown>, extraHeaders: Record<string, string> = {}): Promise<{ reply: HttpReply; id: number }> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: MODERN_META } });
    return { reply: await this.#http.request('POST', { ...MODERN_HEADERS, 'mcp-method': method, ...extraHeaders }, body, '/mcp'), id };
  }

  async #session(lane: number): Promise<Record<string, string>> {
    let session = this.#sessions.get(lane);
    if (!session) {
      session = await this.#initialize();
      this.#sessions.set(lane, session);
    }
    return session;
  }

  async #initialize(): Promise<Record<string, string>> {
    const id = this.#nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: { name: 'mcp-gateway-soak', version: '0.1.0' } } });
    const reply = await this.#http.request('POST', JSON_HEADERS, body, '/mcp');
    const sessionId = header(reply, 'mcp-session-id');
    if (reply.status !== 200 || !sessionId) throw new Error(`initialize answered ${reply.status}: ${reply.body.toString('utf8', 0, 200)}`);
    const headers = { ...JSON_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': LEGACY_VERSION };
    const initialized = await this.#http.request('POST', headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), '/mcp');
    if (initialized.status !== 202) throw new Error(`notifications/initialized answered ${initialized.status}`);
    return headers;
  }
}

function parse(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function restFailure(reply: HttpReply, body: unknown): Failure {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return { error: `http ${reply.status}`, ...(typeof code === 'string' ? { code } : {}), detail: reply.body.toString('utf8', 0, 200) };
}

function rpcFailure(reply: HttpReply, id: number): { failure?: Failure; result?: Record<string, unknown> } {
  const { message, problem } = rpcMessage(reply, id);
  const error = message?.error as { code?: unknown; message?: unknown; data?: { code?: unknown } } | undefined;
  const code = typeof error?.data?.code === 'string' ? error.data.code : undefined;
  if (reply.status !== 200) return { failure: { error: `http ${reply.status}`, ...(code ? { code } : {}), detail: reply.body.toString('utf8', 0, 200) } };
  if (!message) return { failure: { error: 'bad response', detail: problem ?? '' } };
  if (error) return { failure: { error: `rpc ${String(error.code)}`, ...(code ? { code } : {}), detail: String(error.message) } };
  return { result: message.result as Record<string, unknown> };
}

function judgeCall(reply: HttpReply, id: number, tag: string): Failure | undefined {
  const { failure, result } = rpcFailure(reply, id);
  if (failure) return failure;
  const text = (result as { content?: { text?: unknown }[] } | undefined)?.content?.[0]?.text;
  return text === tag ? undefined : { error: 'wrong answer', detail: String(text).slice(0, 100) };
}

function judgeList(reply: HttpReply, id: number): Failure | undefined {
  const { failure, result } = rpcFailure(reply, id);
  if (failure) return failure;
  return Array.isArray(result?.tools) && result.tools.length > 0 ? undefined : { error: 'empty list' };
}

/** Opens a stream, reads until `expect` shows up, keeps it a moment, then hangs up. */
async function holdStream(url: string, init: RequestInit, expect: string): Promise<Failure | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    if (response.status !== 200 || !response.body) {
      const text = await response.text();
      const code = /"code":"(MCPGW_ERR_[A-Z_]+)"/.exec(text)?.[1];
      return { error: `http ${response.status}`, ...(code ? { code } : {}), detail: text.slice(0, 200) };
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    while (!seen.includes(expect)) {
      const { value, done } = await reader.read();
      if (done) return { error: 'stream ended early', detail: seen.slice(0, 200) };
      seen += decoder.decode(value, { stream: true });
    }
    await new Promise((resolve) => setTimeout(resolve, STREAM_HOLD_MS));
    return undefined;
  } catch (error) {
    if (controller.signal.aborted) return { error: 'stream did not open', detail: (error as Error).message };
    throw error;
  } finally {
    clearTimeout(timer);
    // Hanging up is the point: the gateway must let go of the stream.
    controller.abort();
  }
}
