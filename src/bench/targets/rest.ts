/**
 * Lean clients for the gateway's REST API: `POST /api/v1/tools/call`
 * (answers the CallToolResult itself), and a bare GET for front-door-only runs.
 */
import { checkToolResult, walkListing } from '../calls.js';
import { HttpError, LeanHttp, type HttpReply } from '../http.js';
import type { CallReply, PreparedCall, Target } from '../types.js';

const CALL_PATH = '/api/v1/tools/call';

/** `http://host:port` or `…/api/v1` or the full call URL all work. */
export function restCallUrl(url: string): URL {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  if (!path.endsWith(CALL_PATH)) parsed.pathname = path.endsWith('/api/v1') ? `${path}/tools/call` : `${path}${CALL_PATH}`;
  return parsed;
}

export class RestTarget implements Target {
  readonly pids: readonly number[] = [];
  readonly #http: LeanHttp;
  readonly #headers: Record<string, string>;

  constructor(url: string, connections: number, timeoutMs: number, headers: Readonly<Record<string, string>> = {}) {
    this.#http = new LeanHttp(restCallUrl(url), connections, timeoutMs);
    this.#headers = { 'content-type': 'application/json', ...headers };
  }

  async connect(): Promise<void> {
    // The first call would find a dead endpoint too, but one failed connect is clearer than N errors.
    const health = this.#http.path.replace(/\/tools\/call$/, '/health');
    const reply = await this.#http.request('GET', this.#headers, undefined, health).catch((error: unknown) => {
      throw new Error(`cannot reach the REST API: ${(error as Error).message}`);
    });
    if (reply.status === 404) throw new Error('no /api/v1/health here: is this an mcp-gateway?');
  }

  async call(call: PreparedCall): Promise<CallReply> {
    if (call.method === 'tools/list') return this.#list(call);
    const body = JSON.stringify(call.server === undefined ? { tool: call.tool, arguments: call.arguments } : { tool: call.tool, arguments: call.arguments, server: call.server });
    const sent = Buffer.byteLength(body);
    let reply: HttpReply;
    try {
      reply = await this.#http.request('POST', this.#headers, body);
    } catch (error) {
      return failure(error, sent);
    }
    const received = reply.body.length;
    if (reply.status !== 200) return { error: `http_${reply.status}${errorCode(reply)}`, detail: reply.body.toString('utf8', 0, 200), sent, received };
    let result: unknown;
    try {
      result = JSON.parse(reply.body.toString('utf8'));
    } catch {
      return { error: 'bad_response', detail: `not JSON: ${reply.body.toString('utf8', 0, 80)}`, sent, received };
    }
    const problem = checkToolResult(result, call);
    return problem ? { ...problem, sent, received } : { sent, received };
  }

  /** `GET /api/v1/tools`: the gateway's whole catalog in one answer. */
  #list(call: PreparedCall): Promise<CallReply> {
    const path = this.#http.path.replace(/\/tools\/call$/, '/tools');
    return walkListing(async () => {
      let reply: HttpReply;
      try {
        reply = await this.#http.request('GET', this.#headers, undefined, path);
      } catch (error) {
        return failure(error, 0);
      }
      const received = reply.body.length;
      if (reply.status !== 200) return { error: `http_${reply.status}${errorCode(reply)}`, detail: reply.body.toString('utf8', 0, 200), sent: 0, received };
      try {
        return { result: JSON.parse(reply.body.toString('utf8')), sent: 0, received };
      } catch {
        return { error: 'bad_response', detail: `not JSON: ${reply.body.toString('utf8', 0, 80)}`, sent: 0, received };
      }
    }, call);
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}

/** Plain GETs of one URL; any 2xx counts as a success. */
export class GetTarget implements Target {
  readonly pids: readonly number[] = [];
  readonly #http: LeanHttp;
  readonly #headers: Record<string, string>;

  constructor(url: string, connections: number, timeoutMs: number, headers: Readonly<Record<string, string>> = {}) {
    this.#http = new LeanHttp(new URL(url), connections, timeoutMs);
    this.#headers = { ...headers };
  }

  async connect(): Promise<void> {
    await this.#http.request('GET', this.#headers).catch((error: unknown) => {
      throw new Error(`cannot reach ${this.#http.path}: ${(error as Error).message}`);
    });
  }

  async call(): Promise<CallReply> {
    try {
      const reply = await this.#http.request('GET', this.#headers);
      if (reply.status < 200 || reply.status > 299) return { error: `http_${reply.status}`, detail: reply.body.toString('utf8', 0, 200), sent: 0, received: reply.body.length };
      return { sent: 0, received: reply.body.length };
    } catch (error) {
      return failure(error, 0);
    }
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}

/** ` MCPGW_ERR_X` from a gateway error body `{"error":{"code"}}`, else nothing. */
function errorCode(reply: HttpReply): string {
  try {
    const code = (JSON.parse(reply.body.toString('utf8')) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? ` ${code}` : '';
  } catch {
    return '';
  }
}

export function failure(error: unknown, sent: number): CallReply {
  if (error instanceof HttpError) return { error: error.kind, detail: error.message, sent, received: 0 };
  return { error: 'client_error', detail: (error as Error).message ?? String(error), sent, received: 0 };
}
