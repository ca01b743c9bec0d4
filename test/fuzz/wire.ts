/**
 * The two ways the fuzzer talks to the gateway: a pooled keep-alive undici
 * client for requests any HTTP client could send, and raw node:net sockets for
 * bytes none would (CR/LF and NUL in headers, lying Content-Length, broken
 * chunking, pipelining, slow writes, garbage). Both report what happened on
 * the connection rather than throwing, so every outcome can be classified.
 */
import net from 'node:net';
import { Pool } from 'undici';

export interface Answer {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** How a connection ended up, once nothing more was expected or could arrive. */
export type Ending = 'closed' | 'reset' | 'held';

export type Outcome =
  /** `answers` in the order they came; `after` says what the connection did next (`held`: still open). */
  | { readonly kind: 'answered'; readonly answers: readonly Answer[]; readonly after: Ending }
  /** Nothing came back: the connection was closed, reset, or held open without a byte. */
  | { readonly kind: 'silent'; readonly ending: Ending }
  /** The client itself failed (a generator bug: e.g. undici refused a header value). */
  | { readonly kind: 'client-error'; readonly message: string };

export interface HttpRequestSpec {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Buffer;
}

/** How long a well-formed request may take before it counts as a hang. Generous: the machine is shared. */
const HTTP_TIMEOUT_MS = 15_000;

export class HttpClient {
  readonly #pool: Pool;

  constructor(origin: string, connections: number) {
    // Idle sockets are dropped well before either engine's keep-alive timeout (node: 5 s), so a POST
    // is never written into a socket the server is closing (undici does not retry POSTs).
    this.#pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: HTTP_TIMEOUT_MS, bodyTimeout: HTTP_TIMEOUT_MS, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 1_000 });
  }

  async send(spec: HttpRequestSpec): Promise<Outcome> {
    try {
      const response = await this.#pool.request({
        method: spec.method as 'GET',
        path: spec.path,
        headers: spec.headers as Record<string, string | string[]>,
        ...(spec.body !== undefined ? { body: spec.body } : {}),
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
      // undici keeps a connection the server asked to close out of the pool by itself.
      return { kind: 'answered', answers: [{ status: response.statusCode, headers, body }], after: headers.connection?.toLowerCase() === 'close' ? 'closed' : 'held' };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return { kind: 'silent', ending: 'closed' };
      if (code === 'ECONNRESET' || code === 'EPIPE') return { kind: 'silent', ending: 'reset' };
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'silent', ending: 'held' };
      return { kind: 'client-error', message: `${code ?? 'error'}: ${(error as Error).message}` };
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

export interface RawRequestSpec {
  /** Written in order, each after the previous one drained. */
  readonly chunks: readonly Buffer[];
  /** Pause between chunks (slow clients). */
  readonly gapMs?: number;
  /** Stop writing once an answer starts to arrive (an early 413): the rest would only be refused. */
  readonly stopOnAnswer?: boolean;
  /** Answers the bytes ask for (pipelined requests); reading stops once they are all in. */
  readonly expectedAnswers: number;
  /** Answers (by position) to HEAD requests, which carry no body whatever their Content-Length. */
  readonly headAt?: readonly number[];
  /** How long the connection may stay quiet (nothing received, nothing left to send) before it counts as held. */
  readonly quietMs: number;
}

/** Sends raw bytes on a fresh connection and collects every HTTP answer that comes back. */
export function rawExchange(port: number, spec: RawRequestSpec): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let received = Buffer.alloc(0);
    let ending: Ending | undefined;
    let quiet: NodeJS.Timeout | undefined;
    let writing = true;
    let settled = false;

    const finish = (end: Ending): void => {
      if (settled) return;
      settled = true;
      clearTimeout(quiet);
      socket.destroy();
      const parsed = parseAnswers(received, new Set(spec.headAt ?? []), end !== 'held');
      resolve(parsed.length === 0 ? { kind: 'silent', ending: end } : { kind: 'answered', answers: parsed, after: end });
    };
    const armQuiet = (): void => {
      clearTimeout(quiet);
      if (!writing) quiet = setTimeout(() => finish('held'), spec.quietMs);
    };

    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parseAnswers(received, new Set(spec.headAt ?? []), false).length >= spec.expectedAnswers) finish(ending ?? 'held');
      else armQuiet();
    });
    // A reset after the answers arrived is the engine refusing the rest of a body: the answers stand.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      ending = error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed';
    });
    socket.on('close', () => finish(ending ?? 'closed'));
    socket.once('connect', async () => {
      for (const [i, chunk] of spec.chunks.entries()) {
        if (settled || socket.destroyed) return;
        if (spec.stopOnAnswer && received.length > 0) break;
        if (i > 0 && spec.gapMs) await new Promise((wait) => setTimeout(wait, spec.gapMs));
        await new Promise<void>((written) => socket.write(chunk, () => written()));
      }
      writing = false;
      armQuiet();
    });
  });
}

/**
 * The complete HTTP/1.1 answers at the start of `data`, interim 1xx answers
 * skipped. A body without Content-Length or chunking runs to the end of the
 * connection, so it only counts once the connection is gone (`complete`).
 */
export function parseAnswers(data: Buffer, headAt: ReadonlySet<number>, complete: boolean): Answer[] {
  const answers: Answer[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) return answers;
    const head = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
    if (!status) return answers;
    const code = Number(status[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let bodyStart = headEnd + 4;
    if (code >= 100 && code < 200) {
      offset = bodyStart;
      continue;
    }
    let body: Buffer;
    if (headAt.has(answers.length) || code === 204 || code === 304) {
      body = Buffer.alloc(0);
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', bodyStart);
        if (lineEnd < 0) return answers;
        const size = parseInt(data.subarray(bodyStart, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) return answers;
        if (lineEnd + 2 + size + 2 > data.length) return answers;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        bodyStart = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(chunks);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (bodyStart + length > data.length) return answers;
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else {
      if (!complete) return answers;
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    answers.push({ status: code, headers, body: Buffer.from(body) });
    offset = bodyStart;
  }
}
