/**
 * The request log through a real gateway and the bundled demo server: the
 * trace id carried from every front door (REST, /mcp in both eras, HTTP+SSE),
 * one entry by id, paging back with nextBefore, and argument/result capture
 * with redaction.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport as V1SseTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';
const traceparent = (traceId: string) => `00-${traceId}-00f067aa0ba902b7-01`;

async function newest(gw: RunningGateway, query = ''): Promise<any> {
  const { body } = await gw.get(`/api/v1/requests?limit=1${query}`);
  return body.requests[0];
}

describe('request log API', () => {
  let gw: RunningGateway;
  let plain: RunningGateway;

  before(async () => {
    const servers = [{ id: 'demo', command: process.execPath, args: [demoServer] }];
    [gw, plain] = await Promise.all([
      startGateway(servers, { config: { monitor: { capture: { arguments: true, results: true, maxBytes: 256, redact: ['password', 'Token'] } } } }),
      startGateway(servers),
    ]);
  });
  after(() => Promise.all([gw.stop(), plain.stop()]));

  test('REST: the trace id of a valid traceparent, otherwise a fresh one', async () => {
    const traced = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'traced' } }, { traceparent: traceparent('0af7651916cd43dd8448eb211c80319c') });
    assert.equal(traced.status, 200);
    assert.equal((await newest(gw)).traceId, '0af7651916cd43dd8448eb211c80319c');
    await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'bad header' } }, { traceparent: '00-zz-00f067aa0ba902b7-01' });
    const fresh = await newest(gw);
    assert.match(fresh.traceId, /^[0-9a-f]{32}$/);
    await gw.call('echo', { message: 'no header' });
    const other = await newest(gw);
    assert.match(other.traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(other.traceId, fresh.traceId);
    // A client finds its own call by the trace id it sent.
    const found = await gw.get('/api/v1/requests?traceId=0af7651916cd43dd8448eb211c80319c');
    assert.deepEqual(found.body.requests.map((r: any) => r.tool), ['echo']);
  });

  test('/mcp 2026-07-28: the traceparent reaches the entry', async () => {
    const traceId = '11111111111111111111111111111111';
    const response = await fetch(`${gw.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'add', traceparent: traceparent(traceId) },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    assert.equal(response.status, 200);
    await response.text();
    const entry = await newest(gw);
    assert.deepEqual({ via: entry.via, tool: entry.tool, traceId: entry.traceId }, { via: 'mcp', tool: 'add', traceId });
  });

  test('/mcp 2025 session and HTTP+SSE: the traceparent of each POST reaches the entry', async () => {
    const sessionTrace = '22222222222222222222222222222222';
    const session = new V1Client({ name: 'traced', version: '1' });
    await session.connect(new V1Transport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { traceparent: traceparent(sessionTrace) } } }));
    try {
      await session.callTool({ name: 'echo', arguments: { message: 'legacy' } });
    } finally {
      await session.close();
    }
    assert.equal((await newest(gw)).traceId, sessionTrace);

    const sseTrace = '33333333333333333333333333333333';
    const sse = new V1Client({ name: 'traced-sse', version: '1' });
    await sse.connect(new V1SseTransport(new URL(`${gw.url}/sse`), { requestInit: { headers: { traceparent: traceparent(sseTrace) } } }));
    try {
      await sse.callTool({ name: 'echo', arguments: { message: 'sse' } });
    } finally {
      await sse.close();
    }
    assert.equal((await newest(gw)).traceId, sseTrace);
  });

  test('GET /api/v1/requests/:id: one entry with its capture, redacted; 404 with a code when unknown; 400 when not an id', async () => {
    await gw.call('echo', { message: 'secret stays', password: 'hunter2', nested: { TOKEN: 't' } } as Record<string, unknown>);
    const listed = await newest(gw);
    assert.equal(listed.captured, undefined, 'pages leave captures out');
    const one = await gw.get(`/api/v1/requests/${listed.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.id, listed.id);
    assert.deepEqual(one.body.captured.request.arguments, { message: 'secret stays', password: '[redacted]', nested: { TOKEN: '[redacted]' } });
    assert.deepEqual(one.body.captured.redacted, ['/request/arguments/password', '/request/arguments/nested/TOKEN']);
    assert.equal(one.body.gatewayMs, Math.max(0, one.body.durationMs - one.body.upstreamMs - one.body.queuedMs));
    assert.deepEqual(one.body.captured.result.content, [{ type: 'text', text: 'secret stays' }]);
    assert.ok(!one.text.includes('hunter2'));

    const missing = await gw.get('/api/v1/requests/999999');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'MCPGW_ERR_UNKNOWN_REQUEST');
    assert.deepEqual(missing.body.error.data, { id: 999999 });
    const malformed = await gw.get('/api/v1/requests/abc');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'MCPGW_ERR_BAD_REQUEST');
  });

  test('a capture over maxBytes is cut and marked; the log never captures when capture is off', async () => {
    await gw.call('echo', { message: 'x'.repeat(1000) });
    const entry = (await gw.get(`/api/v1/requests/${(await newest(gw)).id}`)).body;
    assert.deepEqual(entry.captured.truncated, ['arguments', 'result']);
    assert.match(entry.captured.request.arguments, /^\{"message":"x+…\[truncated: 1014 bytes\]$/);

    await plain.call('echo', { message: 'not kept', password: 'p' });
    const uncaptured = (await plain.get(`/api/v1/requests/${(await newest(plain)).id}`)).body;
    assert.equal(uncaptured.tool, 'echo');
    assert.equal(uncaptured.captured, undefined);
  });

  test('paging walks back through the whole log with nextBefore', async () => {
    for (let i = 0; i < 5; i++) await plain.call('add', { a: i, b: 0 });
    const all = (await plain.get('/api/v1/requests?limit=1000')).body.requests.map((r: any) => r.id);
    const walked: number[] = [];
    let before: number | null | undefined;
    do {
      const { status, body } = await plain.get(`/api/v1/requests?limit=2${before ? `&before=${before}` : ''}`);
      assert.equal(status, 200);
      assert.ok(body.requests.length <= 2);
      walked.push(...body.requests.map((r: any) => r.id));
      before = body.nextBefore;
    } while (before !== null);
    assert.deepEqual(walked, all);
    assert.ok(walked.length >= 6);
    // Filters hold across pages.
    const page = (await plain.get('/api/v1/requests?tool=add&limit=3')).body;
    assert.deepEqual(page.requests.map((r: any) => r.tool), ['add', 'add', 'add']);
    const next = (await plain.get(`/api/v1/requests?tool=add&limit=3&before=${page.nextBefore}`)).body;
    assert.deepEqual(next.requests.map((r: any) => r.tool), ['add', 'add']);
    assert.equal(next.nextBefore, null);
    assert.equal((await plain.get('/api/v1/requests?before=0')).status, 400);
  });
});
