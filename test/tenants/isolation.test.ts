/**
 * The cross-tenant isolation suite: a real gateway, two tenants each owning
 * real stdio servers, and an untenanted server shared in part. Tenant acme's
 * key tries every surface against tenant globex's servers, tools, resources,
 * prompts, requests, held calls, bundles and metrics — REST, /mcp in both
 * eras (SDK v2 and v1 clients), /mcp/<bundle>, the dashboard's data — and
 * nothing of globex may come back: refusals are the ones for a name never
 * configured, lists and labels do not have it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as V1SseTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { assertClean, assertLikeMissing, GLOBEX, headersOf, KEYS, mcpPost, tenantConfig, tenantServers, type Answer } from './helpers.js';

const acme = headersOf(KEYS.acme);
const globex = headersOf(KEYS.globex);
const admin = headersOf(KEYS.admin);

async function modern(url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'tenant-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

async function legacy(url: string, headers: Record<string, string>): Promise<V1Client> {
  const client = new V1Client({ name: 'tenant-test-v1', version: '1.0.0' });
  await client.connect(new V1Transport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A 2024-11-05 client on the HTTP+SSE transport (`/sse` + `/messages`), its key on the stream and on every POST. */
async function sse(url: string, headers: Record<string, string>): Promise<V1Client> {
  const client = new V1Client({ name: 'tenant-test-sse', version: '1.0.0' });
  await client.connect(new V1SseTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** The error of a rejected SDK call, as text (message, code and data). */
async function sdkError(run: () => Promise<unknown>): Promise<string> {
  try {
    const result = await run();
    return JSON.stringify({ resolved: result });
  } catch (error) {
    const { message, code, data } = error as { message: string; code?: unknown; data?: unknown };
    return JSON.stringify({ message, code, data });
  }
}

const asAnswer = (text: string): Answer => ({ status: 0, text, headers: new Headers() });

/**
 * acme's own log holds the names acme itself typed while probing (a refused
 * `globex-vault__echo`): those fields are acme's input, echoed. Everything
 * else of every entry must be acme's.
 */
function assertOwnEntries(page: Answer & { body?: any }, what: string): void {
  const body = JSON.parse(page.text) as { requests: Record<string, unknown>[] };
  for (const entry of body.requests) {
    assert.equal(entry.tenant, 'acme', `${what}: ${JSON.stringify(entry)}`);
    assert.match(String(entry.caller), /^acme-key/);
    assert.ok(entry.server === null || entry.server === 'acme-tools' || entry.server === 'shared-demo', `${what}: ${JSON.stringify(entry)}`);
    const { tool: _tool, errorMessage: _message, ...rest } = entry;
    assert.doesNotMatch(JSON.stringify(rest), GLOBEX, what);
  }
  assertClean({ ...page, text: '' }, what);
}

describe('multi-tenant isolation', () => {
  let gw: RunningGateway;
  let globexRequestId: number;
  let acmeRequestId: number;

  before(async () => {
    gw = await startGateway(tenantServers(), { config: tenantConfig() });
    assert.ok(gw.report.servers.every((server) => server.ok), JSON.stringify(gw.report));
    // Tenant globex leaves traces everywhere: calls in the request log and metrics, a refused call, a resource read.
    const call = await gw.post('/api/v1/tools/call', { tool: 'shared' }, globex);
    assert.equal(call.status, 200, call.text);
    assert.match(call.text, /globex-fixture/);
    await gw.post('/api/v1/tools/call', { tool: 'globex-vault__nope' }, globex);
    await gw.post('/api/v1/resources/read', { uri: 'fixture://globex-fixture/counter' }, globex);
    const own = await gw.post('/api/v1/tools/call', { tool: 'shared' }, acme);
    assert.equal(own.status, 200, own.text);
    const log = await gw.get('/api/v1/requests', admin);
    globexRequestId = log.body.requests.find((entry: { caller: string; status: string }) => entry.caller === 'globex-key' && entry.status === 'ok').id;
    acmeRequestId = log.body.requests.find((entry: { caller: string }) => entry.caller === 'acme-key').id;
  });
  after(() => gw.stop());

  describe('REST', () => {
    test('servers: the list has acme\'s own and the shared one only; a globex id is answered as one never configured', async () => {
      const list = await gw.get('/api/v1/servers', acme);
      assert.equal(list.status, 200);
      assertClean(list, 'GET /api/v1/servers');
      assert.deepEqual(list.body.servers.map((server: { id: string }) => server.id).sort(), ['acme-tools', 'shared-demo']);
      assert.equal(list.headers.get('x-mcp-gateway-scope'), 'tenant=acme');
      // Of the shared server, the counts are of what acme's share lets it see.
      const shared = list.body.servers.find((server: { id: string }) => server.id === 'shared-demo');
      assert.deepEqual([shared.tools, shared.resources, shared.prompts], [1, 1, 1]);
      for (const path of ['/api/v1/servers/globex-vault', '/api/v1/servers/globex-docs']) {
        assertLikeMissing(await gw.get(path, acme), await gw.get('/api/v1/servers/nowhere-x', acme), path.split('/').pop()!, 'nowhere-x', `GET ${path}`);
      }
    });

    test('tools: acme\'s own under plain names and the shared add; ?server= and ?virtual= of globex are unknown', async () => {
      const tools = await gw.get('/api/v1/tools', acme);
      assertClean(tools, 'GET /api/v1/tools');
      const names = tools.body.tools.map((tool: { server: string; name: string }) => `${tool.server}/${tool.name}`);
      assert.ok(names.includes('acme-tools/echo') && names.includes('shared-demo/add'), names.join());
      assert.ok(!names.includes('shared-demo/echo'), 'an unshared tool of the shared server is hidden');
      for (const format of ['openai', 'anthropic']) assertClean(await gw.get(`/api/v1/tools?format=${format}`, acme), `tools?format=${format}`);
      assertLikeMissing(await gw.get('/api/v1/tools?server=globex-vault', acme), await gw.get('/api/v1/tools?server=nowhere-x', acme), 'globex-vault', 'nowhere-x', 'tools?server=');
      assertLikeMissing(await gw.get('/api/v1/tools?virtual=globex-bundle', acme), await gw.get('/api/v1/tools?virtual=nowhere-x', acme), 'globex-bundle', 'nowhere-x', 'tools?virtual=');
      const own = await gw.get('/api/v1/tools?virtual=acme-bundle', acme);
      assert.equal(own.status, 200, own.text);
    });

    test('calls: a plain name reaches acme\'s own server; globex\'s qualified names, server and bundle are unknown', async () => {
      const own = await gw.post('/api/v1/tools/call', { tool: 'shared' }, acme);
      assert.equal(own.status, 200, own.text);
      assert.match(own.text, /acme-fixture/);
      const missingTool = await gw.post('/api/v1/tools/call', { tool: 'nowhere-x__echo' }, acme);
      assertLikeMissing(await gw.post('/api/v1/tools/call', { tool: 'globex-vault__echo' }, acme), missingTool, 'globex-vault', 'nowhere-x', 'call globex-vault__echo');
      const missingServer = await gw.post('/api/v1/tools/call', { tool: 'echo', server: 'nowhere-x', arguments: { message: 'x' } }, acme);
      assertLikeMissing(await gw.post('/api/v1/tools/call', { tool: 'echo', server: 'globex-vault', arguments: { message: 'x' } }, acme), missingServer, 'globex-vault', 'nowhere-x', 'call with server');
      const missingBundle = await gw.post('/api/v1/tools/call', { tool: 'echo', virtual: 'nowhere-x' }, acme);
      assertLikeMissing(await gw.post('/api/v1/tools/call', { tool: 'echo', virtual: 'globex-bundle' }, acme), missingBundle, 'globex-bundle', 'nowhere-x', 'call through a bundle');
      // An unshared tool of the shared server is as unknown as any.
      assertLikeMissing(await gw.post('/api/v1/tools/call', { tool: 'fail' }, acme), await gw.post('/api/v1/tools/call', { tool: 'nowhere_tool' }, acme), 'fail', 'nowhere_tool', 'unshared tool');
    });

    test('resources and prompts: lists without globex; globex\'s servers and names are unknown', async () => {
      for (const path of ['/api/v1/resources', '/api/v1/resources/templates', '/api/v1/prompts']) {
        const list = await gw.get(path, acme);
        assert.equal(list.status, 200, list.text);
        assertClean(list, path);
        assertLikeMissing(await gw.get(`${path}?server=globex-docs`, acme), await gw.get(`${path}?server=nowhere-x`, acme), 'globex-docs', 'nowhere-x', `${path}?server=`);
      }
      const resources = await gw.get('/api/v1/resources', acme);
      assert.deepEqual(resources.body.resources.map((resource: { uri: string }) => resource.uri).sort(), ['demo://readme', 'fixture://acme-fixture/counter']);
      const read = '/api/v1/resources/read';
      assertLikeMissing(await gw.post(read, { uri: 'demo://readme', server: 'globex-docs' }, acme), await gw.post(read, { uri: 'demo://readme', server: 'nowhere-x' }, acme), 'globex-docs', 'nowhere-x', 'read with server');
      assertLikeMissing(
        await gw.post(read, { uri: 'fixture://globex-fixture/counter' }, acme),
        await gw.post(read, { uri: 'fixture://nowhere-x/counter' }, acme),
        'globex-fixture',
        'nowhere-x',
        'read a globex URI',
      );
      const get = '/api/v1/prompts/get';
      assertLikeMissing(await gw.post(get, { name: 'greet', server: 'globex-docs', arguments: { name: 'a' } }, acme), await gw.post(get, { name: 'greet', server: 'nowhere-x', arguments: { name: 'a' } }, acme), 'globex-docs', 'nowhere-x', 'get with server');
      assertLikeMissing(await gw.post(get, { name: 'globex-docs__greet', arguments: { name: 'a' } }, acme), await gw.post(get, { name: 'nowhere-x__greet', arguments: { name: 'a' } }, acme), 'globex-docs', 'nowhere-x', 'get a qualified globex prompt');
      const shared = await gw.post(get, { name: 'greet', arguments: { name: 'Ada' } }, acme);
      assert.equal(shared.status, 200, shared.text);
    });

    test('request log: acme\'s page has acme\'s calls only, filters cannot widen it, a globex id is never recorded', async () => {
      for (const query of ['', 'caller=globex-key', 'tenant=globex', 'server=globex-vault', 'limit=1000']) {
        const page = await gw.get(`/api/v1/requests?${query}`, acme);
        assert.equal(page.status, 200);
        assertOwnEntries(page, `requests?${query}`);
      }
      const page = await gw.get('/api/v1/requests', acme);
      assert.ok(page.body.requests.length > 0);
      for (const query of ['caller=globex-key', 'tenant=globex', 'server=globex-vault']) assert.deepEqual((await gw.get(`/api/v1/requests?${query}`, acme)).body.requests, []);
      assertLikeMissing(await gw.get(`/api/v1/requests/${globexRequestId}`, acme), await gw.get('/api/v1/requests/99999999', acme), String(globexRequestId), '99999999', 'GET a globex request');
      const mine = await gw.get(`/api/v1/requests/${acmeRequestId}`, acme);
      assert.equal(mine.status, 200, mine.text);
    });

    test('replay and export: for administrators only, whoever\'s the request', async () => {
      const theirs = await gw.post(`/api/v1/requests/${globexRequestId}/replay`, {}, acme);
      const mine = await gw.post(`/api/v1/requests/${acmeRequestId}/replay`, {}, acme);
      assert.equal(theirs.status, 403);
      assert.equal(theirs.text, mine.text);
      assertClean(theirs, 'replay');
      const exported = await gw.get('/api/v1/requests/export', acme);
      assert.equal(exported.status, 403);
      assertClean(exported, 'export');
    });

    test('metrics: acme\'s slice only; Prometheus series (every tenant\'s labels) are for administrators', async () => {
      const summary = await gw.get('/api/v1/metrics', acme);
      assert.equal(summary.status, 200);
      assertClean(summary, 'GET /api/v1/metrics');
      assert.ok(summary.body.totals.calls >= 1);
      assert.ok(Object.keys(summary.body.servers).includes('acme-tools'));
      for (const path of ['/metrics', '/api/v1/metrics?format=prometheus']) {
        const prometheus = await gw.get(path, acme);
        assert.equal(prometheus.status, 403, path);
        assertClean(prometheus, path);
      }
      const cluster = await gw.get('/api/v1/metrics?scope=cluster', acme);
      assertClean(cluster, 'metrics?scope=cluster');
    });

    test('dashboard data: whoami says acme\'s view; health with the key shows acme\'s servers, without it none of a tenant\'s', async () => {
      const whoami = await gw.get('/api/v1/admin/whoami', acme);
      assert.equal(whoami.status, 200, whoami.text);
      assert.equal(whoami.body.scope, 'tenant=acme');
      assert.equal(whoami.body.admin, false);
      const health = await gw.get('/api/v1/health', acme);
      assertClean(health, 'health with a key');
      assert.deepEqual(health.body.servers.map((server: { id: string }) => server.id).sort(), ['acme-tools', 'shared-demo']);
      const anonymous = await gw.get('/api/v1/health');
      assertClean(anonymous, 'anonymous health');
      assert.deepEqual(anonymous.body.servers.map((server: { id: string }) => server.id), ['shared-demo']);
      const plain = await gw.get('/api/v1/servers', headersOf(KEYS.plain));
      assert.deepEqual(plain.body.servers.map((server: { id: string }) => server.id), ['shared-demo']);
      assert.equal(plain.headers.get('x-mcp-gateway-scope'), 'untenanted');
    });

    test('approvals: globex\'s held call is not in acme\'s list, and deciding it is deciding nothing', async () => {
      const held = gw.post('/api/v1/tools/call', { tool: 'slow', arguments: { ms: 1 } }, globex);
      let pending: { id: string }[] = [];
      for (let i = 0; i < 100 && pending.length === 0; i++) {
        pending = (await gw.get('/api/v1/approvals', admin)).body.approvals;
        if (pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(pending.length, 1);
      const id = pending[0]!.id;
      const list = await gw.get('/api/v1/approvals', acme);
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.approvals, []);
      const missing = await gw.post('/api/v1/approvals/00000000-0000-4000-8000-000000000000', { decision: 'approve' }, acme);
      assertLikeMissing(await gw.post(`/api/v1/approvals/${id}`, { decision: 'approve' }, acme), missing, id, '00000000-0000-4000-8000-000000000000', 'decide a globex call');
      const denied = await gw.post(`/api/v1/approvals/${id}`, { decision: 'deny' }, admin);
      assert.equal(denied.status, 200, denied.text);
      assert.equal((await held).status, 403);
    });
  });

  for (const era of ['2026-07-28', '2025', '2024-11-05'] as const) {
    describe(`${era === '2024-11-05' ? '/sse' : '/mcp'}, ${era} client`, () => {
      let client: Client | V1Client;
      before(async () => {
        client = era === '2026-07-28' ? await modern(`${gw.url}/mcp`, acme) : era === '2025' ? await legacy(`${gw.url}/mcp`, acme) : await sse(`${gw.url}/sse`, acme);
      });
      after(() => client.close());

      test('every list is acme\'s view: own tools under plain names, the shared entries, nothing of globex', async () => {
        const listed = await client.listTools();
        const prompts = await client.listPrompts();
        const lists: unknown[] = [listed, prompts, await client.listResources(), await client.listResourceTemplates()];
        for (const list of lists) assert.doesNotMatch(JSON.stringify(list), GLOBEX);
        const tools = listed.tools.map((tool: { name: string }) => tool.name);
        // acme-tools and shared-demo both have echo, but acme sees only its own: no qualified name is needed.
        assert.ok(tools.includes('echo') && tools.includes('add') && tools.includes('shared'), tools.join());
        assert.ok(!tools.some((name: string) => name.includes('__')), tools.join());
        assert.deepEqual(prompts.prompts.map((prompt: { name: string }) => prompt.name), ['greet']);
      });

      test('calls reach acme\'s server; globex\'s tools, resources and prompts fail as names never configured', async () => {
        const own = await client.callTool({ name: 'shared', arguments: {} });
        assert.match(JSON.stringify(own), /acme-fixture/);
        const pairs: [() => Promise<unknown>, () => Promise<unknown>, string, string][] = [
          [() => client.callTool({ name: 'globex-vault__echo', arguments: { message: 'x' } }), () => client.callTool({ name: 'nowhere-x__echo', arguments: { message: 'x' } }), 'globex-vault', 'nowhere-x'],
          [() => client.getPrompt({ name: 'globex-docs__greet', arguments: { name: 'a' } }), () => client.getPrompt({ name: 'nowhere-x__greet', arguments: { name: 'a' } }), 'globex-docs', 'nowhere-x'],
          [() => client.readResource({ uri: 'fixture://globex-fixture/counter' }), () => client.readResource({ uri: 'fixture://nowhere-x/counter' }), 'globex-fixture', 'nowhere-x'],
        ];
        for (const [hidden, missing, name, missingName] of pairs) {
          assertLikeMissing(asAnswer(await sdkError(hidden)), asAnswer(await sdkError(missing)), name, missingName, `${era}: ${name}`);
        }
      });
    });
  }

  test('server/discover is private to the caller\'s view; a task id naming a globex server is one never issued', async () => {
    const discover = await mcpPost(gw.url, '/mcp', 'server/discover', {}, acme);
    assert.equal(discover.status, 200, discover.text);
    assertClean(discover, 'server/discover');
    assert.equal(JSON.parse(discover.text).result.cacheScope, 'private');
    const taskId = (server: string) => `${server}:0:${Buffer.from('task-1').toString('base64url')}`;
    for (const method of ['tasks/get', 'tasks/cancel']) {
      assertLikeMissing(await mcpPost(gw.url, '/mcp', method, { taskId: taskId('globex-vault') }, acme), await mcpPost(gw.url, '/mcp', method, { taskId: taskId('nowhere-x') }, acme), 'globex-vault', 'nowhere-x', method);
    }
  });

  test('/mcp/<bundle>: globex\'s bundle is a path never configured; acme\'s own works', async () => {
    for (const method of ['tools/list', 'server/discover']) {
      assertLikeMissing(await mcpPost(gw.url, '/mcp/globex-bundle', method, {}, acme), await mcpPost(gw.url, '/mcp/nowhere-x', method, {}, acme), 'globex-bundle', 'nowhere-x', `${method} on a globex bundle`);
    }
    // Before authentication too: an MCP-shaped 401 for both, so no bundle name is confirmed.
    assertLikeMissing(await mcpPost(gw.url, '/mcp/globex-bundle', 'tools/list', {}, {}), await mcpPost(gw.url, '/mcp/nowhere-x', 'tools/list', {}, {}), 'globex-bundle', 'nowhere-x', 'unauthenticated');
    const client = await modern(`${gw.url}/mcp/acme-bundle`, acme);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'echo'));
      assert.doesNotMatch(JSON.stringify(tools), GLOBEX);
    } finally {
      await client.close();
    }
    const theirs = await modern(`${gw.url}/mcp/globex-bundle`, globex);
    try {
      const { tools } = await theirs.listTools();
      // A tenant's bundle selects from its own view: its server and the shared echo (a name clash within the bundle only).
      assert.deepEqual(tools.map((tool) => tool.name).filter((name) => name.endsWith('echo')).sort(), ['globex-vault__echo', 'shared-demo__echo']);
    } finally {
      await theirs.close();
    }
  });

  test('administrators see every tenant and say so', async () => {
    const servers = await gw.get('/api/v1/servers', admin);
    assert.equal(servers.headers.get('x-mcp-gateway-scope'), 'all-tenants');
    assert.deepEqual(servers.body.servers.map((server: { id: string }) => server.id).sort(), ['acme-tools', 'globex-docs', 'globex-vault', 'shared-demo']);
    assert.equal(servers.body.servers.find((server: { id: string }) => server.id === 'globex-vault').tenant, 'globex');
    const whoami = await gw.get('/api/v1/admin/whoami', admin);
    assert.equal(whoami.body.scope, 'all-tenants');
    const log = await gw.get('/api/v1/requests?tenant=globex', admin);
    assert.ok(log.body.requests.length > 0 && log.body.requests.every((entry: { tenant?: string }) => entry.tenant === 'globex'));
    const prometheus = await gw.get('/metrics', admin);
    assert.equal(prometheus.status, 200);
    assert.match(prometheus.text, /mcp_gateway_tenant_calls_total\{tenant="globex",outcome="ok"\} \d+/);
    assert.match(prometheus.text, /mcp_gateway_tenant_calls_total\{tenant="acme",outcome="ok"\} \d+/);
    const client = await modern(`${gw.url}/mcp`, admin);
    try {
      const { tools } = await client.listTools();
      // The whole catalog: names shared across servers are qualified.
      assert.ok(tools.some((tool) => tool.name === 'globex-vault__echo') && tools.some((tool) => tool.name === 'acme-tools__echo'));
    } finally {
      await client.close();
    }
  });
});
