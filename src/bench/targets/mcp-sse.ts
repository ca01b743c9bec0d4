/**
 * Lean client for the 2024-11-05 HTTP+SSE transport, which most npm gateways
 * and proxies still serve: per session, a GET opens an event stream whose
 * first `endpoint` event names where to POST; each request is POSTed there
 * (answered 202) and its answer arrives on the stream. Calls go round-robin
 * over the sessions.
 *
 * Each session numbers its requests from 1, as independent clients do, so a
 * server that mixes its clients' ids up delivers one session's answer on
 * another's stream: the echo payload (unique per call) shows it as a
 * `mismatch`, never as a success.
 */
import { Pool } from 'undici';
import { checkToolResult, walkListing } from '../calls.js';
import { assertLoopback, LeanHttp } from '../http.js';
import type { CallReply, PreparedCall, Target } from '../types.js';
import { BENCH_CLIENT_INFO, type ListPageAnswer } from './mcp-modern.js';
import { failure } from './rest.js';

/** The protocol revision of the HTTP+SSE transport. */
export const SSE_VERSION = '2024-11-05';
const SWEEP_MS = 250;

interface Pending {
  readonly deadline: number;
  readonly settle: (answer: { message?: Record<string, unknown>; error?: string; detail?: string; received: number }) => void;
}

interface Session {
  readonly index: number;
  /** Path (and query) of the POST endpoint the stream named. */
  endpoint: string;
  abort: (() => void) | undefined;
  closed: string | undefined;
  nextId: number;
  readonly pending: Map<number, Pending>;
}

export class SseMcpTarget implements Target {
  readonly pids: readonly number[] = [];
  readonly #url: URL;
  readonly #streams: Pool;
  readonly #posts: LeanHttp;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #timeoutMs: number;
  readonly #sessionCount: number;
  readonly #sessions: Session[] = [];
  #turn = 0;
  #closing = false;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(url: string, connections: number, sessions: number, timeoutMs: number, headers: Readonly<Record<string, string>> = {}) {
    this.#url = new URL(url);
    assertLoopback(this.#url);
    this.#sessionCount = Math.max(1, sessions);
    this.#timeoutMs = timeoutMs;
    // Streams stay open and idle between events: no body timeout on them.
    this.#streams = new Pool(this.#url.origin, { connections: this.#sessionCount, pipelining: 0, bodyTimeout: 0, headersTimeout: timeoutMs, connectTimeout: Math.min(timeoutMs, 10_000) });
    this.#posts = new LeanHttp(this.#url, connections, timeoutMs);
    this.#headers = { 'content-type': 'application/json', ...headers };
  }

  async connect(): Promise<void> {
    this.#sweeper = setInterval(() => this.#sweep(Date.now()), SWEEP_MS);
    this.#sweeper.unref();
    for (let index = 0; index < this.#sessionCount; index++) await this.#open(index);
  }

  /** GET the stream, wait for its `endpoint`, then initialize the session on it. */
  async #open(index: number): Promise<void> {
    const session: Session = { index, endpoint: '', abort: undefined, closed: undefined, nextId: 1, pending: new Map() };
    this.#sessions.push(session); // Swept from now on: an initialize that is never answered times out.
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      let status = 0;
      const timer = setTimeout(() => reject(new Error(`no "endpoint" event on ${this.#url.href} within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      const settled = { done: false };
      const fail = (why: string): void => {
        clearTimeout(timer);
        if (!settled.done) {
          settled.done = true;
          reject(new Error(why));
        }
      };
      this.#streams.dispatch(
        { path: this.#url.pathname + this.#url.search, method: 'GET', headers: { ...this.#headers, accept: 'text/event-stream' } },
        {
          onConnect: (abort) => {
            session.abort = () => abort();
          },
          onHeaders: (statusCode) => {
            status = statusCode;
            if (statusCode !== 200) fail(`the SSE stream ${this.#url.href} answered HTTP ${statusCode}`);
            return true;
          },
          onData: (chunk) => {
            if (status !== 200) return true;
            buffered += chunk.toString('utf8');
            let end = eventEnd(buffered);
            while (end !== undefined) {
              const event = parseEvent(buffered.slice(0, end.at));
              buffered = buffered.slice(end.at + end.length);
              if (event.type === 'endpoint') {
                const endpoint = this.#endpoint(event.data);
                if (typeof endpoint !== 'string') fail(endpoint.problem);
                else if (!settled.done) {
                  session.endpoint = endpoint;
                  settled.done = true;
                  clearTimeout(timer);
                  resolve();
                }
              } else if (event.data !== '') this.#onMessage(session, event.data);
              end = eventEnd(buffered);
            }
            return true;
          },
          onComplete: () => {
            this.#streamEnded(session, 'the server ended the event stream');
            fail('the event stream ended before its "endpoint" event');
          },
          onError: (error) => {
            this.#streamEnded(session, `the event stream failed: ${error.message}`);
            fail(`cannot open the SSE stream ${this.#url.href}: ${error.message}`);
          },
        },
      );
    });
    const init = await this.#request(session, 'initialize', { protocolVersion: SSE_VERSION, capabilities: {}, clientInfo: BENCH_CLIENT_INFO });
    if (init.error !== undefined) throw new Error(`initialize failed on session ${index}: ${init.error}${init.detail ? `: ${init.detail}` : ''}`);
    const notified = await this.#posts.request('POST', this.#headers, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), session.endpoint);
    if (notified.status < 200 || notified.status > 299) throw new Error(`notifications/initialized got HTTP ${notified.status}: ${notified.body.toString('utf8', 0, 200)}`);
  }

  /** The endpoint event's URL, resolved against the stream's; it must stay on the same origin (loopback). */
  #endpoint(data: string): string | { problem: string } {
    let url: URL;
    try {
      url = new URL(data.trim(), this.#url);
    } catch {
      return { problem: `the "endpoint" event is not a URL: ${JSON.stringify(data.slice(0, 100))}` };
    }
    if (url.origin !== this.#url.origin) return { problem: `the "endpoint" event points to another origin (${url.origin}); the harness only POSTs to ${this.#url.origin}` };
    return url.pathname + url.search;
  }

  #onMessage(session: Session, data: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return; // Not JSON: a comment-like event; nothing to match.
    }
    const id = message.id;
    if (typeof id !== 'number' || message.method !== undefined) return; // A notification or a server→client request.
    const pending = session.pending.get(id);
    if (!pending) return;
    session.pending.delete(id);
    pending.settle({ message, received: Buffer.byteLength(data) });
  }

  #streamEnded(session: Session, why: string): void {
    session.closed ??= why;
    if (this.#closing) return;
    for (const pending of session.pending.values()) pending.settle({ error: 'connection_reset', detail: why, received: 0 });
    session.pending.clear();
  }

  #sweep(now: number): void {
    for (const session of this.#sessions) {
      for (const [id, pending] of session.pending) {
        if (pending.deadline > now) continue;
        session.pending.delete(id);
        pending.settle({ error: 'timeout', detail: `no answer to id ${id} on session ${session.index}'s event stream within the timeout`, received: 0 });
      }
    }
  }

  /** POSTs one request on a session; its answer comes from the session's stream. */
  async #request(session: Session, method: string, params: Record<string, unknown> | undefined): Promise<ListPageAnswer> {
    const id = session.nextId++;
    const body = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params });
    const sent = Buffer.byteLength(body);
    if (session.closed !== undefined) return { error: 'connection_reset', detail: session.closed, sent, received: 0 };
    // Registered before the POST: a fast server may answer on the stream before its 202.
    const answer = new Promise<Parameters<Pending['settle']>[0]>((resolve) => session.pending.set(id, { deadline: Date.now() + this.#timeoutMs, settle: resolve }));
    try {
      const reply = await this.#posts.request('POST', this.#headers, body, session.endpoint);
      if (reply.status < 200 || reply.status > 299) {
        session.pending.delete(id);
        return { error: `http_${reply.status}`, detail: reply.body.toString('utf8', 0, 200), sent, received: reply.body.length };
      }
    } catch (error) {
      session.pending.delete(id);
      return failure(error, sent);
    }
    const { message, error, detail, received } = await answer;
    if (error !== undefined || !message) return { error: error ?? 'bad_response', ...(detail !== undefined ? { detail } : {}), sent, received };
    const rpcError = message.error as { code?: unknown; message?: unknown } | undefined;
    if (rpcError) return { error: `rpc ${String(rpcError.code)}`, detail: String(rpcError.message), sent, received };
    return { result: message.result, sent, received };
  }

  async call(call: PreparedCall): Promise<CallReply> {
    const session = this.#sessions[this.#turn++ % this.#sessions.length]!;
    if (call.method === 'tools/list') return walkListing((cursor) => this.#request(session, 'tools/list', cursor === undefined ? undefined : { cursor }), call);
    const answer = await this.#request(session, 'tools/call', { name: call.tool, arguments: call.arguments });
    if (answer.error !== undefined) return answer as CallReply;
    const verdict = checkToolResult(answer.result, call);
    return verdict ? { ...verdict, sent: answer.sent, received: answer.received } : { sent: answer.sent, received: answer.received };
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    for (const session of this.#sessions) session.abort?.();
    await this.#streams.destroy().catch(() => undefined);
    await this.#posts.close();
  }
}

/** Where the first complete event in `text` ends (a blank line), if there is one. */
function eventEnd(text: string): { at: number; length: number } | undefined {
  const match = /\r?\n\r?\n/.exec(text);
  return match ? { at: match.index, length: match[0].length } : undefined;
}

/** An SSE event's type (`message` when unnamed) and its data lines joined. */
export function parseEvent(block: string): { type: string; data: string } {
  let type = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith('event:')) type = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
    else if (line.startsWith('data:')) data.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
  }
  return { type, data: data.join('\n') };
}
