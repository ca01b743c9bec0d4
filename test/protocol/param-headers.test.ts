/**
 * `Mcp-Param-*` headers from a 2026-07-28 client reach an HTTP upstream
 * (intermediaries MUST pass unknown ones through). A recording proxy sits
 * between the gateway and a real Streamable HTTP fixture.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { after, before, test } from 'node:test';
import { startHttpFixture, type RunningFixture } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';
let upstream: RunningFixture;
let gw: RunningGateway;
const seen: IncomingHttpHeaders[] = [];
const proxy = createServer(async (request, response) => {
  seen.push(request.headers);
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'content-length' && name !== 'connection')) as Record<string, string>;
  try {
    const answer = await fetch(upstream.url, { method: request.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    // Streamed: listen streams stay open for the upstream's whole life.
    if (answer.body) for await (const chunk of answer.body) response.write(chunk);
    response.end();
  } catch {
    response.destroy();
  }
});

before(async () => {
  upstream = await startHttpFixture('modern-http', [], { FIXTURE_NAME: 'recorded' });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as { port: number };
  gw = await startGateway([{ id: 'recorded', url: `http://127.0.0.1:${port}/mcp` }]);
});

after(async () => {
  await gw.stop();
  proxy.close();
  await upstream.stop();
});

test('Mcp-Param-* headers on a tools/call are passed to the HTTP upstream', async () => {
  assert.equal(gw.report.servers[0]!.ok, true, gw.report.servers[0]!.reason);
  seen.length = 0;
  const response = await fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'echo', 'mcp-param-region': 'eu-west' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
  });
  assert.equal(response.status, 200);
  assert.equal((await response.json()).result.content[0].text, 'hi');
  const call = seen.find((headers) => headers['mcp-method'] === 'tools/call');
  assert.ok(call, 'the upstream saw the call');
  assert.equal(call['mcp-param-region'], 'eu-west');
});
