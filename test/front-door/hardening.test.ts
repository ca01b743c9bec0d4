/**
 * Front-door hardening through a real gateway, on both HTTP engines: the
 * config's limits reach the engine, and REST and /mcp answer in their own
 * shapes (depth limit, header limit, slow clients, security headers).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { availableEngines } from '../../src/front-door/engines.js';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';
const available = await availableEngines();

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

function assertSecurityHeaders(headers: Headers, what: string, cacheControl = 'no-store'): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(headers.get(name), value, `${what}: ${name}`);
  assert.equal(headers.get('cache-control'), cacheControl, `${what}: cache-control`);
}

function modernPost(url: string, params: Record<string, unknown>, method = 'tools/call'): Promise<Response> {
  const body = { jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } };
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': method };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  return fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** Sends `data` in one write and resolves with everything the gateway sent until it closed the connection. */
async function rawExchange(port: number, data: string, stallMs?: number): Promise<{ text: string; closed: boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => true);
  socket.write(data);
  const result = await Promise.race([closed, sleep(stallMs ?? 5_000).then(() => false)]);
  socket.destroy();
  return { text, closed: result };
}

const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`front-door hardening on the ${engine} engine`, { skip: available.includes(engine) ? false : `${engine} does not load on this machine` }, () => {
    let gw: RunningGateway;
    let port: number;

    before(async () => {
      gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], {
        engine,
        config: { maxJsonDepth: 8, maxHeaderBytes: 8192, requestTimeoutMs: 400 },
      });
      port = Number(new URL(gw.url).port);
    });
    after(() => gw.stop());

    test('security headers on REST answers, REST errors, /mcp answers and /mcp errors; SSE keeps its own Cache-Control', async () => {
      assertSecurityHeaders((await gw.get('/api/v1/health')).headers, 'GET /api/v1/health');
      assertSecurityHeaders((await gw.get('/api/v1/nothing')).headers, 'a REST 404');
      assertSecurityHeaders((await gw.call('echo', { message: 'hi' })).headers, 'a tool call');
      assertSecurityHeaders((await gw.get('/metrics')).headers, 'Prometheus text');
      assertSecurityHeaders((await modernPost(gw.url, {}, 'server/discover')).headers, 'POST /mcp');
      assertSecurityHeaders((await fetch(`${gw.url}/mcp`, { method: 'PUT' })).headers, 'an /mcp 405');
      const controller = new AbortController();
      const sse = await fetch(`${gw.url}/sse`, { signal: controller.signal });
      assert.equal(sse.headers.get('content-type'), 'text/event-stream');
      assertSecurityHeaders(sse.headers, 'GET /sse', 'no-cache, no-transform');
      controller.abort();
    });

    test('JSON deeper than maxJsonDepth: 400 MCPGW_ERR_JSON_TOO_DEEP on REST, a JSON-RPC error on /mcp; at the limit it is served', async () => {
      // Depth: body 1, arguments 2, then the arrays.
      const atLimit = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'x', deep: nested(6) } });
      assert.notEqual(atLimit.body.error?.code, 'MCPGW_ERR_JSON_TOO_DEEP');
      const tooDeep = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'x', deep: nested(7) } });
      assert.equal(tooDeep.status, 400);
      assert.equal(tooDeep.body.error.code, 'MCPGW_ERR_JSON_TOO_DEEP');
      assert.deepEqual(tooDeep.body.error.data, { maxDepth: 8 });
      const brackets = await gw.call('echo', { message: '[[[[[[[[[[[[[[[[' });
      assert.equal(brackets.status, 200, 'brackets in strings are text');

      const mcp = await modernPost(gw.url, { name: 'echo', arguments: { message: 'x', deep: nested(10) } });
      assert.equal(mcp.status, 400);
      const frame = (await mcp.json()) as { jsonrpc: string; id: unknown; error: { code: number; data: { code: string } } };
      assert.equal(frame.jsonrpc, '2.0');
      assert.equal(frame.error.code, -32600);
      assert.equal(frame.error.data.code, 'MCPGW_ERR_JSON_TOO_DEEP');
      assert.equal((await gw.call('echo', { message: 'still serving' })).body.content[0].text, 'still serving');
    });

    test('headers over maxHeaderBytes get 431 with a JSON error; under it they are served', async () => {
      const refused = await rawExchange(port, `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(10_000)}\r\n\r\n`);
      assert.match(refused.text, /^HTTP\/1\.1 431 /);
      assert.match(refused.text, /"code":"MCPGW_ERR_HEADERS_TOO_LARGE"/);
      assert.match(refused.text, /x-content-type-options: nosniff/i);
      assert.equal(refused.closed, true);
      const served = await rawExchange(port, `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(3_000)}\r\nConnection: close\r\n\r\n`);
      assert.match(served.text, /^HTTP\/1\.1 200 /);
    });

    test('a tool call whose body stalls half way gets 408 and its connection closed; the gateway serves others meanwhile', async () => {
      const body = JSON.stringify({ tool: 'echo', arguments: { message: 'never finished' } });
      const stalled = rawExchange(port, `POST /api/v1/tools/call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`);
      const meanwhile = await gw.call('echo', { message: 'not held up' });
      assert.equal(meanwhile.body.content[0].text, 'not held up');
      const { text, closed } = await stalled;
      assert.match(text, /^HTTP\/1\.1 408 /);
      assert.match(text, /"code":"MCPGW_ERR_REQUEST_TIMEOUT"/);
      assert.equal(closed, true);

      const mcpBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} });
      const mcp = await rawExchange(port, `POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${mcpBody.length}\r\n\r\n{"jsonrpc"`);
      assert.match(mcp.text, /^HTTP\/1\.1 408 /);
      assert.equal(mcp.closed, true);
      assert.equal((await gw.get('/api/v1/health')).status, 200);
    });

    test('an HTTP/1.1 request without Host is refused, and whatever answer comes is the JSON one', async () => {
      const { text } = await rawExchange(port, 'GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n', 1000);
      // uWS drops it without a word; node answers it itself, and must do so like every other refusal.
      if (engine === 'node') assert.match(text, /^HTTP\/1\.1 400 /);
      if (text !== '') {
        assert.match(text, /content-type: application\/json/i);
        assert.match(text, /"code":"MCPGW_ERR_BAD_REQUEST"/);
        assert.match(text, /x-content-type-options: nosniff/i);
      }
      assert.equal((await gw.get('/api/v1/health')).status, 200);
    });

    test('bytes that are not HTTP after a complete request: that request still gets its own answer', async () => {
      const body = JSON.stringify({ tool: 'sleep', arguments: { ms: 200 } });
      const { text } = await rawExchange(port, `POST /api/v1/tools/call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}NOT HTTP\r\n\r\n`, 2000);
      // Answers go in request order: a refusal of the garbage written first would be read as the call's answer.
      assert.match(text, /^HTTP\/1\.1 200 /);
      assert.match(text, /slept 200 ms/);
      assert.equal(text.match(/HTTP\/1\.1 \d{3}/g)?.length, 1, 'one answer, to the one request');
    });

    test('two Content-Length headers are refused, and the bytes after them are never served as a request of their own', async () => {
      const smuggled = 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n';
      for (const [first, second] of [[2, 2 + smuggled.length], [2 + smuggled.length, 2], [2, 2]]) {
        const { text, closed } = await rawExchange(port, `POST /api/v1/tools/call HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${first}\r\nContent-Length: ${second}\r\n\r\n{}${smuggled}`, 2000);
        assert.equal(closed, true, `Content-Length ${first}, ${second}: the connection is closed`);
        assert.doesNotMatch(text, /"status":"ok"/, `Content-Length ${first}, ${second}: the smuggled request was served`);
        // node answers 400; uWS closes without a word, as for the framing errors it finds itself.
        if (text !== '') assert.match(text, /^HTTP\/1\.1 400 [^]*"code":"MCPGW_ERR_BAD_REQUEST"/);
      }
      assert.equal((await gw.get('/api/v1/health')).status, 200);
    });
  });
}
