/**
 * One suite, run against every HTTP engine: real HTTP over 127.0.0.1, with
 * fetch for ordinary clients and raw sockets where a client must misbehave
 * (repeated headers, lying Content-Length, aborting at a chosen moment).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../src/errors.js';
import type { HttpEngine, HttpRequest, RequestHandler } from '../../src/front-door/engine.js';
import { ENGINE_NAMES, availableEngines, selectEngine, type EngineName } from '../../src/front-door/engines.js';

const HOST = '127.0.0.1';
const LIMIT = 1024;
const TEST = { timeout: 15_000 };

const available = await availableEngines();

// ---- helpers -------------------------------------------------------------------

interface Server {
  readonly engine: HttpEngine;
  readonly port: number;
  readonly url: string;
}

/** Every server a test starts; closed at the end even when the test failed half-way. */
const started = new Set<HttpEngine>();
after(async () => {
  await Promise.all([...started].map((engine) => engine.close()));
});

async function serve(name: EngineName, handler: RequestHandler, limits: { maxHeaderBytes?: number; requestTimeoutMs?: number; maxStreamBufferBytes?: number } = {}): Promise<Server> {
  const engine = await selectEngine(name);
  const port = await engine.listen({ host: HOST, port: 0, ...limits }, handler);
  started.add(engine);
  return { engine, port, url: `http://${HOST}:${port}` };
}

async function stop(server: Server): Promise<void> {
  await server.engine.close();
  started.delete(server.engine);
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const until = Date.now() + timeoutMs; !check(); ) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The handler most tests use: reads the body under LIMIT and answers JSON describing the request. */
const echo: RequestHandler = (request, response) => {
  request.readBody(LIMIT).then(
    (body) => {
      response.send(200, { 'content-type': 'application/json', 'x-echo': 'yes' }, JSON.stringify(describeRequest(request, body)));
    },
    (error: unknown) => {
      const coded = error as GatewayError;
      response.send(coded.status ?? 500, { 'content-type': 'application/json' }, JSON.stringify({ code: coded.code }));
    },
  );
};

function describeRequest(request: HttpRequest, body: Buffer) {
  return { method: request.method, path: request.path, query: request.query, headers: request.headers, remoteAddress: request.remoteAddress, bodyLength: body.length, body: body.toString('latin1') };
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** A raw HTTP/1.1 connection: send anything, parse responses as they complete. */
class RawConnection {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (data: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, data]);
      this.#wake?.();
    });
    // A reset after the server answered and closed is fine; the tests check what arrived.
    socket.on('error', () => {});
    this.closed = once(socket, 'close').then(() => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = net.connect(port, HOST);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next complete response; rejects if the connection closes first. */
  response(): Promise<RawResponse> {
    return this.#next(parseResponse);
  }

  /** The next response to a HEAD request: its headers, never a body whatever Content-Length says. */
  headOnly(): Promise<RawResponse> {
    return this.#next((buffer) => {
      const headEnd = buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return undefined;
      return { response: { ...parseHead(buffer, headEnd), body: Buffer.alloc(0) }, used: headEnd + 4 };
    });
  }

  async #next(parse: (buffer: Buffer) => { response: RawResponse; used: number } | undefined): Promise<RawResponse> {
    for (;;) {
      const parsed = parse(this.#buffer);
      if (parsed) {
        this.#buffer = this.#buffer.subarray(parsed.used);
        return parsed.response;
      }
      if (this.#ended) throw new Error(`connection closed before a complete response; got ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  get receivedBytes(): number {
    return this.#buffer.length;
  }

  get isClosed(): boolean {
    return this.#ended;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function parseHead(buffer: Buffer, headEnd: number): { status: number; headers: Record<string, string> } {
  const [statusLine = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

function parseResponse(buffer: Buffer): { response: RawResponse; used: number } | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const { status, headers } = parseHead(buffer, headEnd);
  let offset = headEnd + 4;
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    for (;;) {
      const sizeEnd = buffer.indexOf('\r\n', offset);
      if (sizeEnd < 0) return undefined;
      const size = parseInt(buffer.subarray(offset, sizeEnd).toString('latin1'), 16);
      if (buffer.length < sizeEnd + 2 + size + 2) return undefined;
      parts.push(buffer.subarray(sizeEnd + 2, sizeEnd + 2 + size));
      offset = sizeEnd + 2 + size + 2;
      if (size === 0) return { response: { status, headers, body: Buffer.concat(parts) }, used: offset };
    }
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buffer.length < offset + length) return undefined;
  return { response: { status, headers, body: Buffer.from(buffer.subarray(offset, offset + length)) }, used: offset + length };
}

async function rawRequest(port: number, head: string, body: string | Buffer = ''): Promise<RawResponse> {
  const connection = await RawConnection.open(port);
  try {
    connection.send(head);
    if (body.length > 0) connection.send(body);
    return await connection.response();
  } finally {
    connection.destroy();
  }
}

async function connectionRefused(port: number): Promise<boolean> {
  const socket = net.connect(port, HOST);
  try {
    await once(socket, 'connect');
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  } finally {
    socket.destroy();
  }
}

// ---- the suite, once per engine ---------------------------------------------------

for (const name of ENGINE_NAMES) {
  describe(`${name} engine`, { skip: available.includes(name) ? false : `${name} does not load on this machine` }, () => {
    it('hands over method, path, raw query and the remote address', TEST, async () => {
      const server = await serve(name, echo);
      const response = await fetch(`${server.url}/api/v1/tools?x=1&y=a%20b`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-echo'), 'yes');
      assert.equal(response.headers.get('content-type'), 'application/json');
      const seen = (await response.json()) as ReturnType<typeof describeRequest>;
      assert.equal(seen.method, 'GET');
      assert.equal(seen.path, '/api/v1/tools');
      assert.equal(seen.query, 'x=1&y=a%20b');
      assert.equal(seen.remoteAddress, '127.0.0.1');
      assert.equal(seen.bodyLength, 0);

      const bare = (await (await fetch(`${server.url}/plain`, { method: 'DELETE' })).json()) as ReturnType<typeof describeRequest>;
      assert.deepEqual([bare.method, bare.path, bare.query], ['DELETE', '/plain', '']);
    });

    it('lower-cases header names and joins repeated headers with ", "', TEST, async () => {
      const server = await serve(name, echo);
      const response = await rawRequest(server.port, 'GET /h HTTP/1.1\r\nHost: x\r\nX-Multi: one\r\nX-UPPER: Value\r\nx-multi: two\r\nAccept: a/b\r\nConnection: close\r\n\r\n');
      assert.equal(response.status, 200);
      const seen = JSON.parse(response.body.toString()) as ReturnType<typeof describeRequest>;
      assert.equal(seen.headers['x-multi'], 'one, two');
      assert.equal(seen.headers['x-upper'], 'Value');
      assert.equal(seen.headers.accept, 'a/b');
      assert.equal(seen.headers.host, 'x');
      assert.ok(Object.keys(seen.headers).every((key) => key === key.toLowerCase()));
    });

    it('reads a POST body, binary-safe', TEST, async () => {
      const server = await serve(name, echo);
      const text = await fetch(`${server.url}/p`, { method: 'POST', body: 'hello world' });
      assert.equal(((await text.json()) as { body: string }).body, 'hello world');

      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const binary = await fetch(`${server.url}/p`, { method: 'POST', body: bytes });
      const seen = (await binary.json()) as ReturnType<typeof describeRequest>;
      assert.equal(seen.bodyLength, 256);
      assert.deepEqual(Buffer.from(seen.body, 'latin1'), bytes);
    });

    it('accepts a body of exactly the limit, by Content-Length and chunked', TEST, async () => {
      const server = await serve(name, echo);
      const exact = await fetch(`${server.url}/p`, { method: 'POST', body: 'x'.repeat(LIMIT) });
      assert.equal(exact.status, 200);
      assert.equal(((await exact.json()) as { bodyLength: number }).bodyLength, LIMIT);

      const half = 'y'.repeat(LIMIT / 2);
      const chunked = await rawRequest(server.port, `POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(LIMIT / 2).toString(16)}\r\n${half}\r\n${(LIMIT / 2).toString(16)}\r\n${half}\r\n0\r\n\r\n`);
      assert.equal(chunked.status, 200);
      assert.equal((JSON.parse(chunked.body.toString()) as { bodyLength: number }).bodyLength, LIMIT);
    });

    it('refuses a body over the limit: the handler\'s 413 reaches the client and the server stays up', TEST, async () => {
      const server = await serve(name, echo);
      const refused = await fetch(`${server.url}/p`, { method: 'POST', body: Buffer.alloc(1024 * 1024, 1) });
      assert.equal(refused.status, 413);
      assert.deepEqual(await refused.json(), { code: 'MCPGW_ERR_BODY_TOO_LARGE' });
      assert.equal(refused.headers.get('connection'), 'close');

      const oneOver = await fetch(`${server.url}/p`, { method: 'POST', body: 'x'.repeat(LIMIT + 1) });
      assert.equal(oneOver.status, 413);

      const next = await rawRequest(server.port, 'GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(next.status, 200);
    });

    it('refuses on Content-Length alone, before any body byte is sent, then closes the connection', TEST, async () => {
      const server = await serve(name, echo);
      const connection = await RawConnection.open(server.port);
      connection.send('POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n');
      const response = await connection.response();
      assert.equal(response.status, 413);
      assert.deepEqual(JSON.parse(response.body.toString()), { code: 'MCPGW_ERR_BODY_TOO_LARGE' });
      // The server must hang up rather than wait for (and read) the 100 MB it refused.
      await connection.closed;
    });

    it('refuses a chunked body once it grows over the limit, without waiting for its end', TEST, async () => {
      const server = await serve(name, echo);
      const connection = await RawConnection.open(server.port);
      connection.send('POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
      const piece = 'z'.repeat(512);
      for (let i = 0; i < 3; i++) connection.send(`200\r\n${piece}\r\n`);
      // No terminating 0-chunk: an engine that waited for the whole body would never answer.
      const response = await connection.response();
      assert.equal(response.status, 413);
      await connection.closed;
    });

    it('serves a body read late, after the handler awaited something else', TEST, async () => {
      const server = await serve(name, async (request, response) => {
        await sleep(30);
        try {
          const body = await request.readBody(4 * 1024 * 1024);
          response.send(200, {}, `${body.length}:${body.subarray(0, 3).toString()}:${body.at(-1)}`);
        } catch (error) {
          response.send(500, {}, (error as GatewayError).code);
        }
      });
      const small = await fetch(`${server.url}/late`, { method: 'POST', body: 'abc' });
      assert.equal(await small.text(), '3:abc:99');
      const big = Buffer.alloc(2 * 1024 * 1024, 7);
      big.write('xyz');
      const large = await fetch(`${server.url}/late`, { method: 'POST', body: big });
      assert.equal(await large.text(), `${big.length}:xyz:7`);
    });

    it('answers HEAD with headers only, keeping the connection usable', TEST, async () => {
      const server = await serve(name, (request, response) => {
        if (request.path === '/stream') {
          response.startStream(200, { 'content-type': 'text/event-stream' });
          response.write('data: x\n\n');
          response.end();
        } else {
          response.send(200, { 'content-type': 'text/plain' }, 'hello body');
        }
      });
      const connection = await RawConnection.open(server.port);
      // Pipelined: a body sent after either HEAD answer would be read as the start of the next response.
      connection.send('HEAD /plain HTTP/1.1\r\nHost: x\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: x\r\n\r\nGET /plain HTTP/1.1\r\nHost: x\r\n\r\n');
      const heads = [await connection.headOnly(), await connection.headOnly()];
      for (const head of heads) assert.equal(head.status, 200);
      assert.equal(heads[0]!.headers['content-type'], 'text/plain');
      assert.equal(heads[1]!.headers['content-type'], 'text/event-stream');
      const get = await connection.response();
      assert.equal(get.status, 200);
      assert.equal(get.body.toString(), 'hello body');
      connection.destroy();
    });

    it('answers without reading the body and still serves the next request on the connection', TEST, async () => {
      const server = await serve(name, async (request, response) => {
        if (request.method === 'POST') await sleep(30);
        response.send(200, {}, `${request.method} ${request.path}`);
      });
      const connection = await RawConnection.open(server.port);
      const body = Buffer.alloc(1024 * 1024, 5);
      connection.send(`POST /ignored HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
      connection.send(body);
      assert.equal((await connection.response()).body.toString(), 'POST /ignored');
      connection.send('GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await connection.response()).body.toString(), 'GET /next');
      connection.destroy();
    });

    it('answers from a later tick (the corked path), status and headers included', TEST, async () => {
      const server = await serve(name, (request, response) => {
        setTimeout(() => response.send(201, { 'x-late': 'yes', 'content-type': 'text/plain' }, `late ${request.path}`), 20);
      });
      const response = await fetch(`${server.url}/slow`);
      assert.equal(response.status, 201);
      assert.equal(response.headers.get('x-late'), 'yes');
      assert.equal(await response.text(), 'late /slow');
    });

    it('streams chunks as they are written, not at the end', TEST, async () => {
      const received = [deferred(), deferred(), deferred()];
      const server = await serve(name, async (_request, response) => {
        response.startStream(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (let i = 0; i < 3; i++) {
          assert.equal(response.write(`data: ${i + 1}\n\n`), true);
          // Waits for the client to have read this chunk: a buffering engine deadlocks here and the test times out.
          await received[i]!.promise;
          await sleep(10);
        }
        response.end();
      });
      const response = await fetch(`${server.url}/events`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      for (let i = 0; i < 3; i++) {
        while (!text.includes(`data: ${i + 1}\n\n`)) {
          const { value, done } = await reader.read();
          assert.equal(done, false, `stream ended before event ${i + 1}`);
          text += decoder.decode(value, { stream: true });
        }
        received[i]!.resolve();
      }
      assert.equal((await reader.read()).done, true);
      assert.equal(text, 'data: 1\n\ndata: 2\n\ndata: 3\n\n');
    });

    it('keeps every byte of a stream written faster than the client reads, and keeps draining mid-stream', TEST, async () => {
      const chunkSize = 64 * 1024;
      const chunks = 128;
      const backedUp = deferred<number>();
      const clientHasAll = deferred();
      const server = await serve(name, async (_request, response) => {
        response.startStream(200, { 'content-type': 'application/octet-stream' });
        let refused = 0;
        for (let i = 0; i < chunks; i++) {
          const chunk = Buffer.alloc(chunkSize);
          chunk.writeUInt32BE(i, 0);
          if (!response.write(chunk)) refused++;
        }
        backedUp.resolve(refused);
        // Ending would let an engine flush on end(); the backlog must drain while the stream stays open.
        await clientHasAll.promise;
        response.end();
        // A burst within maxStreamBufferBytes is kept whole; past it the client would be cut (next test).
      }, { maxStreamBufferBytes: 32 * 1024 * 1024 });
      const connection = await RawConnection.open(server.port);
      connection.socket.pause();
      connection.send('GET /bulk HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      // The client is not reading, so 8 MiB cannot all fit in the socket buffers.
      assert.ok((await backedUp.promise) > 0, 'no write reported backpressure');
      connection.socket.resume();
      while (connection.receivedBytes < chunkSize * chunks && !connection.isClosed) await sleep(5);
      clientHasAll.resolve();
      const response = await connection.response();
      assert.equal(response.body.length, chunkSize * chunks);
      for (let i = 0; i < chunks; i++) assert.equal(response.body.readUInt32BE(i * chunkSize), i);
      connection.destroy();
    });

    it('client aborting mid-stream: onAbort fires, later writes return false and nothing throws', TEST, async () => {
      const aborted = deferred();
      const afterAbort = deferred<{ write: boolean; closed: boolean }>();
      const server = await serve(name, (_request, response) => {
        response.onAbort(() => {
          aborted.resolve();
          const write = response.write('data: too late\n\n');
          response.end();
          response.send(200, {}, 'ignored');
          afterAbort.resolve({ write, closed: response.closed });
        });
        response.startStream(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
      });
      const controller = new AbortController();
      const response = await fetch(`${server.url}/events`, { signal: controller.signal });
      const reader = response.body!.getReader();
      await reader.read();
      controller.abort();
      await aborted.promise;
      assert.deepEqual(await afterAbort.promise, { write: false, closed: true });
      assert.equal((await fetch(`${server.url}/still-up`, { method: 'POST', body: 'ok' })).status, 200);
    });

    it('client aborting while the handler waits: onAbort fires and a later send is a no-op', TEST, async () => {
      const handlerStarted = deferred();
      const aborted = deferred();
      const sent = deferred<{ closed: boolean }>();
      const server = await serve(name, (request, response) => {
        if (request.path !== '/wait') return echo(request, response);
        response.onAbort(() => aborted.resolve());
        handlerStarted.resolve();
        void aborted.promise.then(() => {
          response.send(200, {}, 'nobody is listening');
          sent.resolve({ closed: response.closed });
        });
      });
      const connection = await RawConnection.open(server.port);
      connection.send('GET /wait HTTP/1.1\r\nHost: x\r\n\r\n');
      await handlerStarted.promise;
      connection.destroy();
      await aborted.promise;
      assert.deepEqual(await sent.promise, { closed: true });

      // Registering onAbort after the client left still tells the handler.
      const late = deferred();
      const lateServer = await serve(name, (_request, response) => {
        setTimeout(() => {
          response.onAbort(() => late.resolve());
        }, 100);
      });
      const second = await RawConnection.open(lateServer.port);
      second.send('GET /x HTTP/1.1\r\nHost: x\r\n\r\n');
      await sleep(20);
      second.destroy();
      await late.promise;
      assert.equal((await fetch(`${server.url}/still-up`)).status, 200);
    });

    it('a request body the client abandons rejects readBody with MCPGW_ERR_CANCELLED', TEST, async () => {
      const outcome = deferred<string>();
      const server = await serve(name, (request, _response) => {
        request.readBody(LIMIT).then(
          () => outcome.resolve('resolved'),
          (error: GatewayError) => outcome.resolve(error.code),
        );
      });
      const connection = await RawConnection.open(server.port);
      connection.send('POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part');
      await sleep(30);
      connection.destroy();
      assert.equal(await outcome.promise, 'MCPGW_ERR_CANCELLED');
    });

    it('answers 100 concurrent requests, each with its own answer', TEST, async () => {
      const server = await serve(name, (request, response) => {
        void request.readBody(LIMIT).then(async (body) => {
          // Shuffles completion order so answers cannot line up with requests by accident.
          await sleep(Math.floor(Math.random() * 20));
          const id = new URLSearchParams(request.query).get('id');
          response.send(200, { 'x-id': request.headers['x-id'] ?? '' }, JSON.stringify({ id, body: body.toString() }));
        });
      });
      const ids = Array.from({ length: 100 }, (_, i) => `req-${i}`);
      const answers = await Promise.all(
        ids.map(async (id) => {
          const response = await fetch(`${server.url}/c?id=${id}`, { method: 'POST', body: `body-${id}`, headers: { 'x-id': id } });
          return { id, header: response.headers.get('x-id'), json: (await response.json()) as { id: string; body: string } };
        }),
      );
      for (const answer of answers) {
        assert.equal(answer.header, answer.id);
        assert.deepEqual(answer.json, { id: answer.id, body: `body-${answer.id}` });
      }
    });

    it('keeps the connection alive between requests', TEST, async () => {
      const server = await serve(name, echo);
      const connection = await RawConnection.open(server.port);
      for (let i = 0; i < 3; i++) {
        connection.send(`POST /k${i} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nk${i}`);
        const response = await connection.response();
        assert.equal(response.status, 200);
        assert.equal((JSON.parse(response.body.toString()) as { path: string }).path, `/k${i}`);
        assert.notEqual(response.headers.connection, 'close');
      }
      assert.equal(connection.socket.destroyed, false);
      connection.destroy();
    });

    it('answers 500 when the handler throws, and keeps serving', TEST, async () => {
      const warnings: Error[] = [];
      const onWarning = (warning: Error): void => {
        warnings.push(warning);
      };
      process.on('warning', onWarning);
      try {
        const server = await serve(name, (request, response) => {
          if (request.path === '/sync') throw new Error('sync boom');
          if (request.path === '/async') return Promise.reject(new Error('async boom'));
          echo(request, response);
        });
        for (const path of ['/sync', '/async']) {
          const response = await fetch(`${server.url}${path}`);
          assert.equal(response.status, 500);
          assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'MCPGW_ERR_INTERNAL');
        }
        assert.equal((await fetch(`${server.url}/fine`)).status, 200);
        await sleep(0);
        assert.deepEqual(warnings.map((warning) => warning.message).sort(), ['async boom', 'sync boom']);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('throws on a header value that would split the response, and can still answer', TEST, async () => {
      const server = await serve(name, (_request, response) => {
        let threw = 'no';
        try {
          response.send(200, { 'x-evil': 'a\r\nset-cookie: stolen=1' }, 'first');
        } catch (error) {
          threw = (error as Error).name;
        }
        try {
          response.startStream(200, { 'bad name': 'x' });
        } catch (error) {
          threw += `, ${(error as Error).name}`;
        }
        response.send(200, { 'x-threw': threw }, 'second');
      });
      const response = await fetch(`${server.url}/h`);
      assert.equal(response.headers.get('x-threw'), 'TypeError, TypeError');
      assert.equal(response.headers.get('set-cookie'), null);
      assert.equal(await response.text(), 'second');
    });

    it('rejects a second readBody', TEST, async () => {
      const server = await serve(name, async (request, response) => {
        await request.readBody(LIMIT);
        const second = await request.readBody(LIMIT).then(
          () => 'resolved',
          (error: GatewayError) => error.code,
        );
        response.send(200, {}, second);
      });
      assert.equal(await (await fetch(`${server.url}/twice`, { method: 'POST', body: 'x' })).text(), 'MCPGW_ERR_INTERNAL');
    });

    it('adds the security headers to every answer, and a handler\'s own value wins', TEST, async () => {
      const server = await serve(name, (request, response) => {
        if (request.path === '/stream') {
          response.startStream(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' });
          response.write('data: x\n\n');
          response.end();
        } else if (request.path === '/framed') {
          response.send(200, { 'X-Frame-Options': 'SAMEORIGIN' }, 'framed');
        } else if (request.path === '/throws') {
          throw new Error('boom');
        } else {
          response.send(200, { 'content-type': 'application/json' }, '{}');
        }
      });
      const expected = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'", 'referrer-policy': 'no-referrer' };
      const onWarning = (): void => {};
      process.on('warning', onWarning);
      try {
        for (const path of ['/json', '/throws']) {
          const response = await rawRequest(server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
          for (const [header, value] of Object.entries(expected)) assert.equal(response.headers[header], value, `${path}: ${header}`);
        }
      } finally {
        process.off('warning', onWarning);
      }
      const stream = await rawRequest(server.port, 'GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(stream.headers['cache-control'], 'no-cache, no-transform', 'an event stream keeps its own Cache-Control');
      assert.equal(stream.headers['x-content-type-options'], 'nosniff');
      const framed = await rawRequest(server.port, 'GET /framed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.equal(framed.headers['x-frame-options'], 'SAMEORIGIN', 'set once, by the handler, whatever its spelling');
      assert.equal(framed.headers['referrer-policy'], 'no-referrer');
    });

    it('answers headers over maxHeaderBytes with 431 and a JSON error, without calling the handler, and keeps serving', TEST, async () => {
      let handled = 0;
      const server = await serve(
        name,
        (request, response) => {
          handled++;
          echo(request, response);
        },
        { maxHeaderBytes: 2048 },
      );
      const connection = await RawConnection.open(server.port);
      // One write, so that uWS (which drops a header block spanning reads past 4 KiB) sees it whole.
      connection.send(`GET /big HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(3000)}\r\n\r\n`);
      const refused = await connection.response();
      assert.equal(refused.status, 431);
      assert.equal(JSON.parse(refused.body.toString()).error.code, 'MCPGW_ERR_HEADERS_TOO_LARGE');
      assert.equal(refused.headers['x-content-type-options'], 'nosniff');
      await connection.closed;
      assert.equal(handled, 0);
      const fine = await rawRequest(server.port, `GET /fine HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1500)}\r\nConnection: close\r\n\r\n`);
      assert.equal(fine.status, 200);
      assert.equal(handled, 1);
    });

    it('a client that sends half a body and stalls gets 408 and is disconnected; readBody rejects; others are served meanwhile', TEST, async () => {
      const bodyOutcome = deferred<string>();
      const server = await serve(
        name,
        (request, response) => {
          if (request.path !== '/stall') return echo(request, response);
          request.readBody(LIMIT).then(
            () => bodyOutcome.resolve('resolved'),
            (error: GatewayError) => {
              bodyOutcome.resolve(error.code);
              response.send(500, {}, 'the engine has answered already; this must not reach the client');
            },
          );
        },
        { requestTimeoutMs: 300 },
      );
      const stalled = await RawConnection.open(server.port);
      stalled.send('POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly half of it');
      await sleep(50);
      const other = await fetch(`${server.url}/other`, { method: 'POST', body: 'quick' });
      assert.equal(other.status, 200, 'the stalled request does not hold up the rest');
      const response = await stalled.response();
      assert.equal(response.status, 408);
      assert.equal(JSON.parse(response.body.toString()).error.code, 'MCPGW_ERR_REQUEST_TIMEOUT');
      assert.equal(response.headers.connection, 'close');
      await stalled.closed;
      assert.equal(await bodyOutcome.promise, 'MCPGW_ERR_REQUEST_TIMEOUT');
      assert.equal(stalled.receivedBytes, 0, 'nothing after the 408');
      // A body that arrives in time is unaffected, even in slow pieces.
      const slow = await RawConnection.open(server.port);
      slow.send('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\nabc');
      await sleep(100);
      slow.send('def');
      assert.equal(JSON.parse((await slow.response()).body.toString()).body, 'abcdef');
      slow.destroy();
    });

    // uWS hands over nothing before the headers are complete; its own 10 s idle timeout bounds them (not configurable).
    it('headers that trickle in past requestTimeoutMs get 408 and the connection is closed', { ...TEST, skip: name === 'uws' ? 'uWS bounds header time itself' : false }, async () => {
      const server = await serve(name, echo, { requestTimeoutMs: 300 });
      const connection = await RawConnection.open(server.port);
      connection.send('GET /never-finished HTTP/1.1\r\nHost: x\r\n');
      const response = await connection.response();
      assert.equal(response.status, 408);
      assert.equal(JSON.parse(response.body.toString()).error.code, 'MCPGW_ERR_REQUEST_TIMEOUT');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      await connection.closed;
      assert.equal((await fetch(`${server.url}/after`)).status, 200);
    });

    it('listens on a free port when asked for port 0', TEST, async () => {
      const server = await serve(name, echo);
      assert.ok(Number.isInteger(server.port) && server.port > 0 && server.port < 65536, `port ${server.port}`);
      assert.equal((await fetch(`${server.url}/`)).status, 200);
    });

    it('rejects with MCPGW_ERR_LISTEN naming host:port when the port is taken', TEST, async () => {
      const first = await serve(name, echo);
      const second = await selectEngine(name);
      await assert.rejects(second.listen({ host: HOST, port: first.port }, echo), (error: unknown) => {
        assert.ok(GatewayError.is(error));
        assert.equal(error.code, 'MCPGW_ERR_LISTEN');
        assert.match(error.message, new RegExp(`${HOST}:${first.port}`));
        return true;
      });
      await second.close();
      assert.equal((await fetch(`${first.url}/`)).status, 200);
    });

    it('a stream whose client never reads is cut once maxStreamBufferBytes wait for it; a reading client is not', TEST, async () => {
      const chunk = 'x'.repeat(256 * 1024);
      const streams = new Map<string, { written: number; aborted: Promise<void> }>();
      const server = await serve(
        name,
        (request, response) => {
          const aborted = deferred();
          response.onAbort(() => aborted.resolve());
          const stream = { written: 0, aborted: aborted.promise };
          streams.set(request.path, stream);
          response.startStream(200, { 'content-type': 'text/event-stream' });
          // Up to 64 MiB while the client is there, easing off (but not stopping) when the output backs up.
          const pump = () => {
            if (response.closed || stream.written >= 256) return response.end();
            const flowing = response.write(chunk);
            stream.written++;
            if (flowing) setImmediate(pump);
            else setTimeout(pump, 5);
          };
          pump();
        },
        { maxStreamBufferBytes: 1024 * 1024 },
      );
      const stuck = net.connect(server.port, HOST);
      await once(stuck, 'connect');
      stuck.pause();
      stuck.write('GET /stuck HTTP/1.1\r\nHost: x\r\n\r\n');
      await eventually(() => streams.get('/stuck') !== undefined);
      await streams.get('/stuck')!.aborted;
      const written = streams.get('/stuck')!.written;
      assert.ok(written < 200, `cut after ${written} chunks of 256 KiB, well before the 64 MiB it would have queued`);
      stuck.destroy();

      const reader = await fetch(`${server.url}/reader`);
      const body = await reader.text();
      assert.equal(body.length, 256 * chunk.length, 'a client that reads gets every byte');
      await stop(server);
    });

    it('stopAccepting refuses new connections and lets responses in progress finish', TEST, async () => {
      const inHandler = deferred();
      const release = deferred();
      const server = await serve(name, (request, response) => {
        if (request.path !== '/slow') return echo(request, response);
        inHandler.resolve();
        void release.promise.then(() => response.send(200, {}, 'finished'));
      });
      const slow = fetch(`${server.url}/slow`);
      await inHandler.promise;
      await server.engine.stopAccepting();
      assert.equal(await connectionRefused(server.port), true);
      release.resolve();
      const response = await slow;
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'finished');
      await stop(server);
    });

    it('close drops every connection, busy or idle, and aborts responses in progress', TEST, async () => {
      const inHandler = deferred();
      const aborted = deferred();
      const server = await serve(name, (request, response) => {
        if (request.path !== '/stream') return echo(request, response);
        response.onAbort(() => aborted.resolve());
        response.startStream(200, { 'content-type': 'text/event-stream' });
        response.write(': open\n\n');
        inHandler.resolve();
      });
      const idle = await RawConnection.open(server.port);
      idle.send('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal((await idle.response()).status, 200);
      const busy = await RawConnection.open(server.port);
      busy.send('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
      await inHandler.promise;

      await stop(server);
      await aborted.promise;
      await idle.closed;
      await busy.closed;
      assert.equal(await connectionRefused(server.port), true);
    });
  });
}

describe('selectEngine', () => {
  it('gives node for "node" and the fastest loading engine for "auto"', TEST, async () => {
    assert.equal((await selectEngine('node')).name, 'node');
    assert.equal((await selectEngine('auto')).name, available[0]);
    assert.ok(available.includes('node'));
  });

  it('falls back to node on "auto" and refuses "uws" when uWebSockets.js cannot be used', TEST, async () => {
    const saved = process.env.UWS_USE_FALLBACK;
    process.env.UWS_USE_FALLBACK = '1';
    try {
      assert.equal((await selectEngine('auto')).name, 'node');
      assert.deepEqual(await availableEngines(), ['node']);
      await assert.rejects(selectEngine('uws'), (error: unknown) => {
        assert.ok(GatewayError.is(error));
        assert.equal(error.code, 'MCPGW_ERR_UNSUPPORTED_FEATURE');
        assert.match(error.message, /uWebSockets\.js does not load on this machine: .+; use --http-engine node or auto/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.UWS_USE_FALLBACK;
      else process.env.UWS_USE_FALLBACK = saved;
    }
  });
});
