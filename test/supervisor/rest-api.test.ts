/**
 * The REST API end to end, on both HTTP engines: every endpoint and status
 * code, against real upstream processes (the bundled demo server and the
 * modern stdio fixture), over real loopback HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`REST API on the ${engine} engine`, () => {
    let gw: RunningGateway;

    before(async () => {
      gw = await startGateway(
        [
          { id: 'demo', command: process.execPath, args: [demoServer], tags: ['demo', 'local'] },
          { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' }, tags: ['fixture'] },
          // Unchecked arguments, so that an upstream's own refusal can be seen.
          { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta' }, protocol: 'legacy', tags: ['fixture'], validateArguments: false },
        ],
        { engine, config: { maxBodyBytes: 2048, corsOrigins: ['http://allowed.example'] } },
      );
    });
    after(() => gw.stop());

    test('the start report lists every server with its tools and protocol version', () => {
      assert.equal(gw.report.httpEngine, engine);
      const byId = Object.fromEntries(gw.report.servers.map((s) => [s.id, s]));
      assert.equal(byId.demo?.ok, true);
      assert.equal(byId.demo?.protocolVersion, '2026-07-28');
      assert.ok((byId.demo?.tools ?? 0) >= 4);
      assert.equal(byId.beta?.ok, true);
      assert.match(byId.beta?.protocolVersion ?? '', /^2025-/);
    });

    test('GET /api/v1/health summarises every server', async () => {
      const { status, body } = await gw.get('/api/v1/health');
      assert.equal(status, 200);
      assert.equal(body.status, 'ok');
      assert.equal(body.httpEngine, engine);
      assert.equal(typeof body.version, 'string');
      assert.equal(typeof body.uptimeSeconds, 'number');
      const demo = body.servers.find((s: any) => s.id === 'demo');
      assert.deepEqual({ state: demo.state, era: demo.era, protocolVersion: demo.protocolVersion, restarts: demo.restarts }, { state: 'ready', era: 'modern', protocolVersion: '2026-07-28', restarts: 0 });
      assert.equal(body.servers.find((s: any) => s.id === 'beta').era, 'legacy');
    });

    test('GET /api/v1/servers and /api/v1/servers/:id', async () => {
      const list = await gw.get('/api/v1/servers');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.servers.map((s: any) => s.id), ['demo', 'alpha', 'beta']);
      const one = await gw.get('/api/v1/servers/alpha');
      assert.equal(one.status, 200);
      assert.equal(one.body.state, 'ready');
      assert.ok(one.body.toolList.some((t: any) => t.name === 'echo' && t.qualifiedName === 'alpha__echo'));
      assert.equal(one.body.replicas.length, 1);
      const missing = await gw.get('/api/v1/servers/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'MCPGW_ERR_UNKNOWN_SERVER');
    });

    test('GET /api/v1/tools lists every tool with server and qualified name, filtered by server and tag', async () => {
      const all = await gw.get('/api/v1/tools');
      assert.equal(all.status, 200);
      const add = all.body.tools.find((t: any) => t.qualifiedName === 'demo__add');
      assert.equal(add.name, 'add');
      assert.equal(add.server, 'demo');
      assert.equal(add.inputSchema.type, 'object');
      const byServer = await gw.get('/api/v1/tools?server=alpha');
      assert.ok(byServer.body.tools.length > 0);
      assert.ok(byServer.body.tools.every((t: any) => t.server === 'alpha'));
      const byTag = await gw.get('/api/v1/tools?tag=fixture');
      assert.deepEqual([...new Set(byTag.body.tools.map((t: any) => t.server))].sort(), ['alpha', 'beta']);
      const unknown = await gw.get('/api/v1/tools?server=zzz');
      assert.equal(unknown.status, 404);
    });

    test('POST /api/v1/tools/call routes a unique tool and returns the CallToolResult', async () => {
      const { status, body } = await gw.call('add', { a: 2, b: 40 });
      assert.equal(status, 200);
      assert.deepEqual(body.structuredContent, { sum: 42 });
      assert.equal(body.content[0].text, '42');
    });

    test('a tool error (isError) is the tool answer: 200 with the result', async () => {
      const { status, body } = await gw.call('fail', { message: 'boom' });
      assert.equal(status, 200);
      assert.equal(body.isError, true);
    });

    test('a shared name is ambiguous (409 listing servers) unless server or a qualified name picks one', async () => {
      const ambiguous = await gw.call('shared');
      assert.equal(ambiguous.status, 409);
      assert.equal(ambiguous.body.error.code, 'MCPGW_ERR_AMBIGUOUS_TOOL');
      assert.deepEqual(ambiguous.body.error.data.servers.sort(), ['alpha', 'beta']);
      const picked = await gw.call('shared', {}, 'beta');
      assert.equal(picked.status, 200);
      assert.equal(picked.body.content[0].text, 'beta');
      const qualified = await gw.call('alpha__shared', {});
      assert.equal(qualified.body.content[0].text, 'alpha');
      const qualifiedWithServer = await gw.call('alpha__shared', {}, 'alpha');
      assert.equal(qualifiedWithServer.body.content[0].text, 'alpha');
    });

    test('each era reaches its upstream as itself', async () => {
      const modern = await gw.call('whoami', {}, 'alpha');
      assert.equal(modern.body.structuredContent.era, 'modern');
      const legacy = await gw.call('whoami', {}, 'beta');
      assert.equal(legacy.body.structuredContent.era, 'legacy');
    });

    test('unknown tool 404, unknown server 404, tool missing on the named server 404', async () => {
      const tool = await gw.call('does_not_exist');
      assert.equal(tool.status, 404);
      assert.equal(tool.body.error.code, 'MCPGW_ERR_UNKNOWN_TOOL');
      const server = await gw.call('echo', { message: 'x' }, 'ghost');
      assert.equal(server.status, 404);
      assert.equal(server.body.error.code, 'MCPGW_ERR_UNKNOWN_SERVER');
      const wrongServer = await gw.call('add', { a: 1, b: 1 }, 'alpha');
      assert.equal(wrongServer.status, 404);
      assert.equal(wrongServer.body.error.code, 'MCPGW_ERR_UNKNOWN_TOOL');
    });

    test('bad bodies get 400 with a clear message and the gateway keeps serving', async () => {
      const cases: [unknown, string, RegExp][] = [
        ['{"tool": "echo",', 'MCPGW_ERR_BAD_JSON', /not valid JSON/],
        ['[1,2]', 'MCPGW_ERR_BAD_REQUEST', /JSON object/],
        [{ arguments: {} }, 'MCPGW_ERR_BAD_REQUEST', /"tool" must be a non-empty string/],
        [{ tool: 'echo', arguments: 'hi' }, 'MCPGW_ERR_BAD_REQUEST', /"arguments" must be a JSON object/],
        [{ tool: 'echo', extra: 1 }, 'MCPGW_ERR_BAD_REQUEST', /unknown field\(s\) in request body: extra/],
      ];
      for (const [body, code, message] of cases) {
        const response = await gw.post('/api/v1/tools/call', body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.error.code, code);
        assert.match(response.body.error.message, message);
      }
      const wrongType = await gw.post('/api/v1/tools/call', '{"tool":"echo"}', { 'content-type': 'text/plain' });
      assert.equal(wrongType.status, 400);
      assert.match(wrongType.body.error.message, /Content-Type must be application\/json/);
      assert.equal((await gw.call('echo', { message: 'still here' }, 'demo')).body.content[0].text, 'still here');
    });

    test('arguments that do not match the schema: 400 from the gateway, or (unchecked) the upstream\'s own refusal', async () => {
      const checked = await gw.call('add', { a: 'one' });
      assert.equal(checked.status, 400);
      assert.equal(checked.body.error.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
      const { status, body } = await gw.call('slow', { ms: 'soon' }, 'beta');
      // SDK servers report schema failures as tool errors; either way the gateway must not crash or 5xx.
      assert.ok(status === 200 || status === 400, `status ${status}`);
      if (status === 200) assert.equal(body.isError, true);
      else assert.equal(body.error.code, 'MCPGW_ERR_UPSTREAM_REJECTED');
    });

    test('a body over maxBodyBytes gets 413', async () => {
      const response = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'x'.repeat(4096) } });
      assert.equal(response.status, 413);
      assert.equal(response.body.error.code, 'MCPGW_ERR_BODY_TOO_LARGE');
      assert.equal((await gw.call('echo', { message: 'after 413' }, 'demo')).status, 200);
    });

    test('unknown route 404, wrong method 405', async () => {
      const route = await gw.get('/api/v1/nothing');
      assert.equal(route.status, 404);
      assert.equal(route.body.error.code, 'MCPGW_ERR_ROUTE_NOT_FOUND');
      const method = await gw.get('/api/v1/tools/call');
      assert.equal(method.status, 405);
      assert.equal(method.body.error.code, 'MCPGW_ERR_METHOD_NOT_ALLOWED');
    });

    test('metrics: JSON by default, Prometheus text on request and at /metrics', async () => {
      await gw.call('echo', { message: 'count me' }, 'demo');
      const json = await gw.get('/api/v1/metrics');
      assert.equal(json.status, 200);
      assert.ok(json.body.totals.calls >= 1);
      assert.ok(json.body.tools['demo__echo'].calls >= 1);
      const text = await gw.get('/api/v1/metrics?format=prometheus');
      assert.match(text.headers.get('content-type') ?? '', /text\/plain/);
      assert.match(text.text, /mcp_gateway_tool_calls_total\{server="demo",tool="echo",outcome="ok"\} \d+/);
      assert.match(text.text, /mcp_gateway_server_up\{server="alpha"\} 1/);
      const accept = await gw.get('/api/v1/metrics', { accept: 'text/plain' });
      assert.match(accept.text, /# TYPE mcp_gateway_tool_call_duration_seconds histogram/);
      const scrape = await gw.get('/metrics');
      assert.equal(scrape.status, 200);
      assert.match(scrape.text, /mcp_gateway_upstream_duration_seconds_bucket/);
    });

    test('GET /api/v1/requests shows recent calls, newest first, with filters', async () => {
      await gw.call('echo', { message: 'logged' }, 'alpha');
      await gw.call('does_not_exist');
      const recent = await gw.get('/api/v1/requests?limit=2');
      assert.equal(recent.status, 200);
      assert.equal(recent.body.requests.length, 2);
      assert.equal(recent.body.requests[0].tool, 'does_not_exist');
      assert.equal(recent.body.requests[0].httpStatus, 404);
      assert.equal(recent.body.requests[0].errorCode, 'MCPGW_ERR_UNKNOWN_TOOL');
      const alphaOnly = await gw.get('/api/v1/requests?server=alpha&tool=echo');
      assert.ok(alphaOnly.body.requests.length >= 1);
      assert.ok(alphaOnly.body.requests.every((r: any) => r.server === 'alpha' && r.tool === 'echo'));
      const errors = await gw.get('/api/v1/requests?status=error');
      assert.ok(errors.body.requests.every((r: any) => r.status === 'error'));
      const bad = await gw.get('/api/v1/requests?limit=zero');
      assert.equal(bad.status, 400);
    });

    test('CORS: an allowed origin gets headers and a preflight answer; others get none', async () => {
      const preflight = await fetch(gw.url + '/api/v1/tools/call', { method: 'OPTIONS', headers: { origin: 'http://allowed.example', 'access-control-request-method': 'POST' } });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://allowed.example');
      const allowed = await gw.get('/api/v1/health', { origin: 'http://allowed.example' });
      assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://allowed.example');
      const other = await gw.get('/api/v1/health', { origin: 'http://evil.example' });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    });

    test('100 concurrent calls each get their own answer', async () => {
      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => gw.call('echo', { message: `m${i}` }, i % 2 ? 'alpha' : 'demo')));
      answers.forEach((answer, i) => {
        assert.equal(answer.status, 200);
        assert.equal(answer.body.content[0].text, `m${i}`);
      });
    });
  });
}
