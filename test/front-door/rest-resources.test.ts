/**
 * Resources and prompts over REST, on both engines, against real upstreams
 * (two demo servers sharing a prompt name, the stdio fixture's counter
 * resource, server-everything's resource templates): lists, routing by
 * qualified name and `server`, access rules, rate limits, the one error body,
 * and the request log / metrics entries each read or get leaves.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';
import { legacyClient, modernClient } from '../policy/helpers.js';

const require = createRequire(import.meta.url);
const serverEverything = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

const ADMIN = { 'x-api-key': 'admin-key' };
const READER = { 'x-api-key': 'reader-key' };

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`REST resources and prompts on the ${engine} engine`, () => {
    let gw: RunningGateway;

    before(async () => {
      gw = await startGateway(
        [
          { id: 'demo', command: process.execPath, args: [demoServer] },
          { id: 'demo2', command: process.execPath, args: [demoServer], env: { DEMO_SERVER_NAME: 'demo2' } },
          { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha', FIXTURE_RESOURCES: '1' } },
          { id: 'every', command: process.execPath, args: [serverEverything, 'stdio'] },
        ],
        {
          engine,
          config: {
            auth: {
              strategy: 'api-key',
              apiKeys: [
                { key: 'admin-key', name: 'admin', roles: ['admin'] },
                { key: 'reader-key', name: 'reader', roles: ['reader'] },
              ],
            },
            access: [
              { role: 'admin', allow: ['*/*'] },
              // The reader may read the demo readme and get demo's greet, nothing of demo2 or alpha.
              { role: 'reader', allow: ['demo/*', 'every/*'] },
            ],
            rateLimit: { enabled: true, limit: 100000, windowSeconds: 60, perServer: { alpha: { limit: 2, windowSeconds: 3600 } } },
          },
        },
      );
    });
    after(() => gw.stop());

    test('GET /api/v1/resources lists every visible resource with its server', async () => {
      const admin = await gw.get('/api/v1/resources', ADMIN);
      assert.equal(admin.status, 200);
      const uris = admin.body.resources.map((r: any) => `${r.server} ${r.uri}`);
      assert.ok(uris.includes('demo demo://readme'));
      assert.ok(uris.includes('demo2 demo://readme'), 'each server lists its own entries');
      assert.ok(uris.includes('alpha fixture://alpha/counter'));
      const reader = await gw.get('/api/v1/resources', READER);
      assert.ok(!reader.body.resources.some((r: any) => r.server === 'alpha' || r.server === 'demo2'));
      const filtered = await gw.get('/api/v1/resources?server=alpha', ADMIN);
      assert.deepEqual(filtered.body.resources.map((r: any) => r.uri), ['fixture://alpha/counter']);
      const unknown = await gw.get('/api/v1/resources?server=nope', ADMIN);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, 'MCPGW_ERR_UNKNOWN_SERVER');
    });

    test('GET /api/v1/resources/templates lists templates', async () => {
      const { status, body } = await gw.get('/api/v1/resources/templates', ADMIN);
      assert.equal(status, 200);
      assert.ok(body.resourceTemplates.length > 0);
      assert.ok(body.resourceTemplates.every((t: any) => t.server === 'every' && typeof t.uriTemplate === 'string'));
    });

    test('GET /api/v1/prompts gives qualified names where two servers share one', async () => {
      const { status, body } = await gw.get('/api/v1/prompts', ADMIN);
      assert.equal(status, 200);
      const greet = body.prompts.filter((p: any) => p.name === 'greet');
      assert.deepEqual(greet.map((p: any) => p.qualifiedName).sort(), ['demo2__greet', 'demo__greet']);
      const reader = await gw.get('/api/v1/prompts', READER);
      assert.ok(reader.body.prompts.every((p: any) => p.server === 'demo' || p.server === 'every'));
    });

    test('POST /api/v1/resources/read routes by URI, or to the named server', async () => {
      const read = await gw.post('/api/v1/resources/read', { uri: 'fixture://alpha/counter' }, ADMIN);
      assert.equal(read.status, 200, read.text);
      assert.equal(read.body.contents[0].uri, 'fixture://alpha/counter');
      const second = await gw.post('/api/v1/resources/read', { uri: 'demo://readme', server: 'demo2' }, ADMIN);
      assert.equal(second.status, 200, second.text);
      assert.match(second.body.contents[0].text, /\w/);
      const templated = await gw.post('/api/v1/resources/read', { uri: 'demo://resource/dynamic/text/1' }, ADMIN);
      assert.equal(templated.status, 200, templated.text);
      const entries = (await gw.get('/api/v1/requests?method=resources/read&server=demo2', ADMIN)).body.requests;
      assert.equal(entries.length, 1);
      assert.deepEqual({ via: entries[0].via, method: entries[0].method, tool: entries[0].tool, caller: entries[0].caller, status: entries[0].status }, { via: 'rest', method: 'resources/read', tool: 'demo://readme', caller: 'admin', status: 'ok' });
    });

    test('POST /api/v1/prompts/get takes the qualified name or name + server', async () => {
      const byQualified = await gw.post('/api/v1/prompts/get', { name: 'demo2__greet', arguments: { name: 'Ada' } }, ADMIN);
      assert.equal(byQualified.status, 200, byQualified.text);
      assert.match(byQualified.body.messages[0].content.text, /Ada/);
      const byServer = await gw.post('/api/v1/prompts/get', { name: 'greet', server: 'demo', arguments: { name: 'Bo' } }, ADMIN);
      assert.equal(byServer.status, 200, byServer.text);
      assert.match(byServer.body.messages[0].content.text, /Bo/);
      const entry = (await gw.get('/api/v1/requests?method=prompts/get&server=demo', ADMIN)).body.requests[0];
      assert.equal(entry.tool, 'greet');
      const metrics = await gw.get('/metrics', ADMIN);
      assert.match(metrics.text, /mcp_gateway_tool_calls_total\{[^}]*server="demo",tool="prompts\/get",outcome="ok"\}|mcp_gateway_tool_calls_total\{[^}]*tool="prompts\/get"[^}]*server="demo"/);
    });

    test('reads and gets over /mcp are counted and logged like the REST ones, in both eras', async () => {
      const modern = await modernClient(gw.url, ADMIN);
      const { client: legacy } = await legacyClient(gw.url, ADMIN);
      try {
        const read = await modern.readResource({ uri: 'demo://readme' });
        assert.match(String((read.contents[0] as { text?: string }).text), /\w/);
        await legacy.getPrompt({ name: 'demo2__greet', arguments: { name: 'Cy' } });
        await assert.rejects(modern.readResource({ uri: 'nowhere://nothing' }));
      } finally {
        await modern.close();
        await legacy.close();
      }
      const entries = (await gw.get('/api/v1/requests?caller=admin', ADMIN)).body.requests.filter((entry: any) => entry.via === 'mcp');
      const summary = entries.map((entry: any) => `${entry.method} ${entry.server} ${entry.tool} ${entry.status}`);
      assert.ok(summary.includes('resources/read demo demo://readme ok'), summary.join('; '));
      assert.ok(summary.includes('prompts/get demo2 greet ok'), summary.join('; '));
      assert.ok(summary.includes('resources/read null nowhere://nothing error'), summary.join('; '));
      const metrics = await gw.get('/metrics', ADMIN);
      assert.match(metrics.text, /mcp_gateway_tool_calls_total\{[^}]*server="demo2"[^}]*tool="prompts\/get"[^}]*outcome="ok"\}|mcp_gateway_tool_calls_total\{[^}]*tool="prompts\/get"[^}]*server="demo2"/);
    });

    test('access rules: a hidden resource or prompt is refused with 403 and logged', async () => {
      const read = await gw.post('/api/v1/resources/read', { uri: 'fixture://alpha/counter' }, READER);
      assert.equal(read.status, 403);
      assert.equal(read.body.error.code, 'MCPGW_ERR_FORBIDDEN');
      const prompt = await gw.post('/api/v1/prompts/get', { name: 'demo2__greet', arguments: { name: 'x' } }, READER);
      assert.equal(prompt.status, 403);
      const entry = (await gw.get('/api/v1/requests?caller=reader&method=resources/read', ADMIN)).body.requests[0];
      assert.deepEqual({ status: entry.status, httpStatus: entry.httpStatus, errorCode: entry.errorCode, server: entry.server }, { status: 'error', httpStatus: 403, errorCode: 'MCPGW_ERR_FORBIDDEN', server: 'alpha' });
      const anonymous = await gw.get('/api/v1/resources');
      assert.equal(anonymous.status, 401);
    });

    test('rate limits per server apply to reads', async () => {
      // Two reads allowed on alpha/* in this test file's window; earlier tests used one.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await gw.post('/api/v1/resources/read', { uri: 'fixture://alpha/counter' }, ADMIN)).status);
      assert.ok(statuses.includes(429), `got ${statuses.join(', ')}`);
      const refused = await gw.post('/api/v1/resources/read', { uri: 'fixture://alpha/counter' }, ADMIN);
      assert.equal(refused.body.error.code, 'MCPGW_ERR_RATE_LIMITED');
    });

    test('bad input gets the one REST error body', async () => {
      const cases: [string, unknown, number, string][] = [
        ['/api/v1/resources/read', {}, 400, 'MCPGW_ERR_BAD_REQUEST'],
        ['/api/v1/resources/read', { uri: 'x', extra: 1 }, 400, 'MCPGW_ERR_BAD_REQUEST'],
        ['/api/v1/resources/read', '{not json', 400, 'MCPGW_ERR_BAD_JSON'],
        ['/api/v1/resources/read', { uri: 'nowhere://x' }, 404, 'MCPGW_ERR_UNKNOWN_TOOL'],
        ['/api/v1/resources/read', { uri: 'demo://readme', server: 'nope' }, 404, 'MCPGW_ERR_UNKNOWN_SERVER'],
        ['/api/v1/prompts/get', { name: 'greet' }, 404, 'MCPGW_ERR_UNKNOWN_TOOL'],
        ['/api/v1/prompts/get', { name: 'demo__greet', arguments: [] }, 400, 'MCPGW_ERR_BAD_REQUEST'],
        ['/api/v1/prompts/get', { name: 'nope__greet' }, 404, 'MCPGW_ERR_UNKNOWN_TOOL'],
      ];
      for (const [path, body, status, code] of cases) {
        const answer = await gw.post(path, body, ADMIN);
        assert.equal(answer.status, status, `${path} ${JSON.stringify(body)}: ${answer.text}`);
        assert.equal(answer.body.error.code, code, `${path} ${JSON.stringify(body)}`);
        assert.equal(typeof answer.body.error.message, 'string');
      }
      const wrongMethod = await gw.get('/api/v1/resources/read', ADMIN);
      assert.equal(wrongMethod.status, 405);
      // A missing argument the prompt requires: the upstream's own refusal, in the same shape.
      const missing = await gw.post('/api/v1/prompts/get', { name: 'demo__greet' }, ADMIN);
      assert.ok(missing.status >= 400 && missing.status < 600, missing.text);
      assert.match(missing.body.error.code, /^MCPGW_ERR_/);
    });
  });
}
