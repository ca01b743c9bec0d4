/**
 * X-Request-Id on every answer of both engines — REST, /mcp, /metrics,
 * errors, 404s, the engine's own refusals — honoured when the client's is
 * sane, replaced (never echoed) when it is not, and carried into the request
 * log (filterable) for REST and MCP calls alike.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';
import { modernPost } from '../policy/helpers.js';

const GENERATED = /^[A-Za-z0-9_-]{8}-[0-9a-z]+$/;

/** A raw request, for headers fetch would refuse to send or bodies it would not let be oversized. */
function rawGet(url: string, path: string, headers: Record<string, string>): Promise<{ status: number; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url + path, { method: 'GET', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: res.headers['x-request-id'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`X-Request-Id on the ${engine} engine`, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], { engine, config: { maxHeaderBytes: 4096 } });
    });
    after(() => gw.stop());

    test('every route answers with one, fresh and distinct when the client sent none', async () => {
      const answers = await Promise.all([
        gw.get('/api/v1/health'),
        gw.get('/api/v1/tools'),
        gw.get('/metrics'),
        gw.get('/no/such/route'),
        gw.post('/api/v1/health', {}),
        gw.post('/api/v1/tools/call', '{bad json'),
        gw.call('nope'),
        fetch(`${gw.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() })),
      ]);
      const ids = answers.map((answer) => answer.headers.get('x-request-id'));
      for (const [i, id] of ids.entries()) assert.match(id ?? '', GENERATED, `answer ${i} (${answers[i]!.status})`);
      assert.equal(new Set(ids).size, ids.length, 'each request its own id');
      assert.deepEqual(answers.slice(3, 7).map((a) => a.status), [404, 405, 400, 404]);
    });

    test("a sane client id is echoed and logged; a bad one is replaced, not echoed", async () => {
      const sane = 'client-req_42:abc/XYZ=';
      const call = await gw.post('/api/v1/tools/call', { tool: 'add', arguments: { a: 1, b: 2 } }, { 'x-request-id': sane });
      assert.equal(call.headers.get('x-request-id'), sane);
      const found = await gw.get(`/api/v1/requests?requestId=${encodeURIComponent(sane)}`);
      assert.equal(found.body.requests.length, 1);
      assert.equal(found.body.requests[0].tool, 'add');
      for (const bad of ['x'.repeat(129), 'has space', 'tab\there', 'ünïcode']) {
        const answer = await rawGet(gw.url, '/api/v1/health', { 'x-request-id': bad });
        assert.equal(answer.status, 200);
        assert.notEqual(answer.requestId, bad);
        assert.match(answer.requestId ?? '', GENERATED, JSON.stringify(bad));
      }
      assert.equal((await rawGet(gw.url, '/api/v1/health', { 'x-request-id': 'y'.repeat(128) })).requestId, 'y'.repeat(128), '128 characters are fine');
    });

    test('an MCP call carries it into the request log', async () => {
      const response = await modernPost(gw.url, 'tools/call', { name: 'echo', arguments: { message: 'hi' } }, { 'x-request-id': 'mcp-req-7' });
      assert.equal(response.status, 200, await response.text());
      assert.equal(response.headers.get('x-request-id'), 'mcp-req-7');
      const entry = (await gw.get('/api/v1/requests?requestId=mcp-req-7')).body.requests[0];
      assert.deepEqual({ via: entry.via, tool: entry.tool, requestId: entry.requestId }, { via: 'mcp', tool: 'echo', requestId: 'mcp-req-7' });
      const unnamed = (await gw.get('/api/v1/requests?limit=5')).body.requests;
      assert.ok(unnamed.every((e: any) => typeof e.requestId === 'string' && e.requestId.length > 0));
    });

    test("the engine's own refusals carry one too (431 headers too large)", async () => {
      const answer = await rawGet(gw.url, '/api/v1/health', { 'x-padding': 'p'.repeat(8000) });
      assert.equal(answer.status, 431);
      assert.match(answer.requestId ?? '', GENERATED);
    });
  });
}
