/**
 * The front door's connection and byte counters, on every engine, through a
 * real gateway and a real stdio upstream. Bytes are body bytes only (see
 * src/front-door/traffic.ts): the test keeps a ledger of every body it sent
 * and every body byte it received, per surface, and each snapshot must match
 * it exactly — the same ledger for both engines, so they agree with each other.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { availableEngines } from '../../src/front-door/engines.js';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { parsePrometheus } from '../helpers/prometheus.js';

type Surface = 'rest' | 'mcp' | 'other';
type Ledger = Record<Surface, { request: number; response: number }>;

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly surface: Surface;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Over a connection of its own that closes after the answer (default: the shared keep-alive agent). */
  readonly ownConnection?: boolean;
}

/** What the gateway's JSON says of the front door. */
interface FrontDoorJson {
  readonly connections: { readonly open: number | null; readonly accepted: number | null };
  readonly requestBytes: Record<Surface, number>;
  readonly responseBytes: Record<Surface, number>;
}

const MODERN = '2026-07-28';

for (const engine of await availableEngines()) {
  describe(`front-door metrics on the ${engine} engine`, () => {
    let gw: RunningGateway;
    let port: number;
    const ledger: Ledger = { rest: { request: 0, response: 0 }, mcp: { request: 0, response: 0 }, other: { request: 0, response: 0 } };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

    before(async () => {
      gw = await startGateway([{ id: 'up', command: process.execPath, args: [fixtures.modernStdio] }], { engine, config: { maxBodyBytes: 1024 } });
      port = gw.gateway.port;
    });
    after(async () => {
      agent.destroy();
      await gw.stop();
    });

    /** Sends one request with node:http and books the body bytes both ways. */
    async function send(request: Sent): Promise<{ status: number; body: Buffer }> {
      const requestBody = request.body === undefined ? undefined : Buffer.from(request.body);
      const reply = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: request.method,
            path: request.path,
            headers: { ...request.headers, ...(requestBody ? { 'content-type': 'application/json', 'content-length': String(requestBody.length) } : {}), ...(request.ownConnection ? { connection: 'close' } : {}) },
            agent: request.ownConnection ? false : agent,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(requestBody);
      });
      return reply;
    }

    function book(request: Sent, reply: { status: number; body: Buffer }, bodyRead = true): void {
      if (bodyRead && request.body !== undefined) ledger[request.surface].request += Buffer.byteLength(request.body);
      ledger[request.surface].response += reply.body.length;
    }

    const expected = () => ({
      requestBytes: { rest: ledger.rest.request, mcp: ledger.mcp.request, other: ledger.other.request },
      responseBytes: { rest: ledger.rest.response, mcp: ledger.mcp.response, other: ledger.other.response },
    });

    /**
     * The JSON view, over a connection of its own, with what the ledger said
     * just before: the view is made before its own answer is sent, so that
     * answer is counted (and booked) only afterwards.
     */
    async function snapshot(): Promise<FrontDoorJson & { readonly expected: ReturnType<typeof expected> }> {
      const request: Sent = { method: 'GET', path: '/api/v1/metrics', surface: 'rest', ownConnection: true };
      const before = expected();
      const reply = await send(request);
      assert.equal(reply.status, 200);
      book(request, reply);
      return { ...(JSON.parse(reply.body.toString('utf8')) as { frontDoor: FrontDoorJson }).frontDoor, expected: before };
    }

    test('request and response body bytes by surface equal the bytes sent and received', async () => {
      const first = await snapshot();
      assert.deepEqual({ requestBytes: first.requestBytes, responseBytes: first.responseBytes }, { requestBytes: { rest: 0, mcp: 0, other: 0 }, responseBytes: { rest: 0, mcp: 0, other: 0 } }, 'nothing before the first snapshot');

      const requests: Sent[] = [
        // Multi-byte characters: bytes are counted, not characters.
        { method: 'POST', path: '/api/v1/tools/call', surface: 'rest', body: JSON.stringify({ tool: 'echo', arguments: { message: 'héllo wörld ✓' } }) },
        { method: 'POST', path: '/api/v1/tools/call', surface: 'rest', body: '{"tool": "echo", "arguments": ' },
        {
          method: 'POST',
          path: '/mcp',
          surface: 'mcp',
          headers: { accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
        },
        { method: 'GET', path: '/metrics', surface: 'other' },
        { method: 'GET', path: '/no/such/route', surface: 'other' },
        // HEAD: the answer has no body, so none is counted.
        { method: 'HEAD', path: '/api/v1/health', surface: 'rest' },
      ];
      const statuses: number[] = [];
      for (const request of requests) {
        const reply = await send(request);
        statuses.push(reply.status);
        book(request, reply);
      }
      assert.deepEqual(statuses.slice(0, 4), [200, 400, 200, 200]);
      assert.ok(ledger.rest.response > 0 && ledger.mcp.response > 0 && ledger.other.response > 0);

      // A body over maxBodyBytes is refused unread: its bytes do not count, the refusal's do.
      const tooLarge: Sent = { method: 'POST', path: '/api/v1/tools/call', surface: 'rest', body: JSON.stringify({ tool: 'echo', arguments: { message: 'x'.repeat(2000) } }), ownConnection: true };
      const refused = await send(tooLarge);
      assert.equal(refused.status, 413);
      book(tooLarge, refused, false);

      const now = await snapshot();
      assert.deepEqual({ requestBytes: now.requestBytes, responseBytes: now.responseBytes }, now.expected);

      // Prometheus says the same.
      const scrapeRequest: Sent = { method: 'GET', path: '/metrics', surface: 'other', ownConnection: true };
      const scraped = await send(scrapeRequest);
      const metrics = parsePrometheus(scraped.body.toString('utf8'));
      for (const surface of ['rest', 'mcp', 'other'] as const) {
        assert.equal(metrics.value('mcp_gateway_front_door_request_bytes_total', { surface }), ledger[surface].request, `request bytes, ${surface}`);
        assert.equal(metrics.value('mcp_gateway_front_door_response_bytes_total', { surface }), ledger[surface].response, `response bytes, ${surface}`);
      }
      book(scrapeRequest, scraped);
    });

    test('the connections gauge follows open sockets up and back down (accepted counts each, on node)', async () => {
      agent.destroy();
      // Only the snapshot's own connection is left once the agent's socket is gone.
      const baseline = await eventually(() => snapshot(), (s) => s.connections.open === 1);
      assert.equal(baseline.connections.open, 1);

      // Two connections that send nothing (uWS never hands them to JavaScript) and two with a call in flight.
      const sockets: net.Socket[] = [];
      const connect = () =>
        new Promise<net.Socket>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
          socket.on('error', reject);
          sockets.push(socket);
        });
      await connect();
      await connect();
      const body = JSON.stringify({ tool: 'slow', arguments: { ms: 60_000 } });
      for (let i = 0; i < 2; i++) {
        const socket = await connect();
        socket.write(`POST /api/v1/tools/call HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }
      await eventually(() => gw.gateway.supervisor.group('up')!.inFlight, (n) => n === 2);

      const busy = await snapshot();
      assert.equal(busy.connections.open, 5, 'four sockets and the snapshot\'s own');
      const scrapeRequest: Sent = { method: 'GET', path: '/metrics', surface: 'other', ownConnection: true };
      const scraped = await send(scrapeRequest);
      book(scrapeRequest, scraped);
      const metrics = parsePrometheus(scraped.body.toString('utf8'));
      assert.equal(metrics.value('mcp_gateway_front_door_connections'), 5);
      if (engine === 'node') {
        assert.equal(busy.connections.accepted! - baseline.connections.accepted!, 5, 'four sockets and the new snapshot connection');
        assert.equal(metrics.value('mcp_gateway_front_door_connections_accepted_total'), baseline.connections.accepted! + 6);
      } else {
        assert.equal(busy.connections.accepted, null, 'uWS cannot see connections arrive');
        assert.equal(metrics.find('mcp_gateway_front_door_connections_accepted_total').length, 0);
        assert.equal(metrics.types.has('mcp_gateway_front_door_connections_accepted_total'), false);
      }

      for (const socket of sockets) socket.destroy();
      const closed = await eventually(() => snapshot(), (s) => s.connections.open === 1);
      assert.equal(closed.connections.open, 1);
      await eventually(() => gw.gateway.supervisor.group('up')!.inFlight, (n) => n === 0);
    });
  });
}
