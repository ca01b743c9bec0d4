/**
 * The lean HTTP layer every HTTP target shares: an undici Pool of keep-alive
 * sockets driven through `dispatch` (no streams, no fetch Response objects),
 * plus the little parsing MCP needs (a header or two, an SSE body).
 */
import { Pool } from 'undici';

export interface HttpReply {
  readonly status: number;
  /** Raw header list: name, value, name, value… */
  readonly rawHeaders: readonly Buffer[];
  readonly body: Buffer;
}

export class HttpError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

export class LeanHttp {
  readonly #pool: Pool;
  readonly #basePath: string;

  /** `url`'s origin is the pool's; its path is where requests go unless one is given. */
  constructor(url: URL, connections: number, timeoutMs: number) {
    assertLoopback(url);
    this.#pool = new Pool(url.origin, {
      connections: Math.max(1, connections),
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: Math.min(timeoutMs, 10_000),
    });
    this.#basePath = url.pathname + url.search;
  }

  get path(): string {
    return this.#basePath;
  }

  request(method: 'GET' | 'POST' | 'DELETE', headers: Record<string, string>, body?: string, path = this.#basePath): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let status = 0;
      let rawHeaders: Buffer[] = [];
      const options = body === undefined ? { path, method, headers } : { path, method, headers, body };
      try {
        this.#pool.dispatch(options, {
          onConnect: () => undefined,
          onHeaders: (statusCode, headerList) => {
            status = statusCode;
            rawHeaders = headerList;
            return true;
          },
          onData: (chunk) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () => resolve({ status, rawHeaders, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }),
          onError: (error) => reject(transportError(error)),
        });
      } catch (error) {
        reject(transportError(error));
      }
    });
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => this.#pool.destroy());
  }
}

/** undici's error codes (UND_ERR_HEADERS_TIMEOUT, …) and socket errnos become short kinds. */
function transportError(error: unknown): HttpError {
  const e = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? 'unknown';
  const kind = /TIMEOUT/.test(code) ? 'timeout' : code === 'ECONNREFUSED' ? 'connect_refused' : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'connection_reset' : `transport ${code}`;
  return new HttpError(kind, `${code}: ${e.message ?? String(error)}`);
}

/** A header's value (first occurrence), by lower-case name. */
export function header(reply: HttpReply, name: string): string | undefined {
  const raw = reply.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toString('latin1').toLowerCase() === name) return raw[i + 1]?.toString('latin1');
  }
  return undefined;
}

/**
 * The JSON-RPC message answering `id` in a reply that is JSON or an SSE stream
 * (a legacy or modern Streamable HTTP server may send either).
 */
export function rpcMessage(reply: HttpReply, id: number | string): { message?: Record<string, unknown>; problem?: string } {
  const type = header(reply, 'content-type') ?? '';
  const text = reply.body.toString('utf8');
  if (type.includes('text/event-stream')) {
    for (const event of text.split(/\r?\n\r?\n/)) {
      const data = event
        .split(/\r?\n/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.charCodeAt(5) === 32 ? 6 : 5))
        .join('\n');
      if (data === '') continue;
      const parsed = parseJson(data);
      if (parsed !== undefined && (parsed as { id?: unknown }).id === id) return { message: parsed as Record<string, unknown> };
    }
    return { problem: `no answer to id ${id} in the event stream (${text.length} chars)` };
  }
  const parsed = parseJson(text);
  if (typeof parsed !== 'object' || parsed === null) return { problem: `not JSON-RPC (${type || 'no content-type'}): ${text.slice(0, 80)}` };
  return { message: parsed as Record<string, unknown> };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The harness only ever loads this machine: a load generator pointed elsewhere
 * by mistake is an attack. Only loopback hosts (127.0.0.0/8, ::1, localhost) pass.
 */
export function assertLoopback(url: URL): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback) throw new Error(`refusing to load ${url.origin}: mcp-gateway bench only targets loopback addresses (127.0.0.1, ::1, localhost)`);
  if (url.protocol !== 'http:') throw new Error(`unsupported scheme ${url.protocol} (the harness speaks plain http:// on loopback)`);
}
