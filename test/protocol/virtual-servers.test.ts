/**
 * Virtual servers: `/mcp/<name>` in both eras (a 2026-07-28 SDK v2 client and
 * a 2025 SDK v1 client with a session), and the REST scope, over real upstreams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { normalizeConfig } from '../../src/config/load.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const servers = [
  { id: 'demo', command: process.execPath, args: [demoServer] },
  { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' }, tags: ['echoes'] },
];

const virtualServers = [
  { name: 'kit', description: 'Adding and saying', tools: ['demo/add', 'alpha/echo'], overrides: { 'alpha/echo': { name: 'say', description: 'Says the message back' } } },
  { name: 'echoes', tags: ['echoes'], toolDiscovery: 'search' },
];

async function modern(url: string): Promise<Client> {
  const client = new Client({ name: 'virtual-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

async function legacy(url: string): Promise<V1Client> {
  const client = new V1Client({ name: 'virtual-test-v1', version: '1.0.0' });
  await client.connect(new V1Transport(new URL(url)));
  return client;
}

describe('virtual servers', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(servers, { config: { virtualServers } });
  });
  after(() => gw.stop());

  for (const era of ['2026-07-28', '2025'] as const) {
    describe(`/mcp/kit, ${era} client`, () => {
      let client: Client | V1Client;
      before(async () => {
        client = era === '2026-07-28' ? await modern(`${gw.url}/mcp/kit`) : await legacy(`${gw.url}/mcp/kit`);
      });
      after(() => client.close());

      test('lists exactly the bundle, with the renamed tool and its new description', async () => {
        const { tools } = await client.listTools();
        assert.deepEqual(tools.map((tool) => tool.name).sort(), ['add', 'say']);
        assert.equal(tools.find((tool) => tool.name === 'say')!.description, 'Says the message back');
      });

      test('a call works, and the renamed tool reaches the real one', async () => {
        const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 5 } });
        assert.deepEqual(sum.structuredContent, { sum: 7 });
        const said = await client.callTool({ name: 'say', arguments: { message: 'routed' } });
        assert.equal((said.content as { text: string }[])[0]!.text, 'routed');
        const entry = gw.gateway.requestLog.query({ limit: 1 })[0]!;
        assert.equal(entry.server, 'alpha');
        assert.equal(entry.tool, 'echo');
      });

      test('a tool outside the bundle is refused exactly as an unknown one', async () => {
        const hidden = await client.callTool({ name: 'echo', arguments: { message: 'x' } }).then(
          () => assert.fail('a hidden tool must not be called'),
          (error: Error) => error.message,
        );
        const unknown = await client.callTool({ name: 'no_such_tool_at_all', arguments: {} }).then(
          () => assert.fail('an unknown tool must not be called'),
          (error: Error) => error.message,
        );
        assert.equal(hidden.replace('"echo"', '"?"'), unknown.replace('"no_such_tool_at_all"', '"?"'));
        assert.doesNotMatch(hidden, /alpha|demo/);
      });
    });
  }

  test('the main /mcp still sees everything', async () => {
    const client = await modern(`${gw.url}/mcp`);
    const { tools } = await client.listTools();
    assert.ok(tools.length > 2);
    assert.ok(tools.some((tool) => tool.name === 'alpha__echo'));
    await client.close();
  });

  test('a bundle by tag in search mode lists the meta-tools and searches only the bundle', async () => {
    const client = await modern(`${gw.url}/mcp/echoes`);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), ['search_tools', 'call_tool']);
    const found = await client.callTool({ name: 'search_tools', arguments: { query: 'add numbers' } });
    const names = (found.structuredContent as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    assert.ok(!names.includes('add'), 'demo/add is not in the echoes bundle');
    const echoed = await client.callTool({ name: 'call_tool', arguments: { name: 'echo', arguments: { message: 'tagged' } } });
    assert.equal((echoed.content as { text: string }[])[0]!.text, 'tagged');
    await client.close();
  });

  test('REST scope: ?virtual lists the bundle, "virtual" calls through it', async () => {
    const listed = await gw.get('/api/v1/tools?virtual=kit');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      (listed.body.tools as { name: string; server: string; tool: string }[]).map(({ name, server, tool }) => ({ name, server, tool })).sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: 'add', server: 'demo', tool: 'add' },
        { name: 'say', server: 'alpha', tool: 'echo' },
      ],
    );
    const said = await gw.post('/api/v1/tools/call', { tool: 'say', virtual: 'kit', arguments: { message: 'rest' } });
    assert.equal(said.status, 200);
    assert.equal(said.body.content[0].text, 'rest');
    const hidden = await gw.post('/api/v1/tools/call', { tool: 'echo', virtual: 'kit', arguments: { message: 'x' } });
    const unknown = await gw.post('/api/v1/tools/call', { tool: 'nope', virtual: 'kit' });
    assert.equal(hidden.status, unknown.status);
    assert.equal(hidden.body.error.code, 'MCPGW_ERR_UNKNOWN_TOOL');
    assert.equal(unknown.body.error.code, 'MCPGW_ERR_UNKNOWN_TOOL');
    const missing = await gw.get('/api/v1/tools?virtual=none');
    assert.equal(missing.status, 404);
  });
});

describe('virtual servers: access rules', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(servers.slice(0, 1), {
      config: {
        auth: { strategy: 'api-key', apiKeys: [{ key: 'key-in', name: 'insider' }, { key: 'key-out', name: 'outsider' }, { key: 'key-acme', name: 'acme-bot', tenant: 'acme' }] },
        virtualServers: [{ name: 'private', servers: ['demo'], allow: { keys: ['insider'], tenants: ['acme'] } }],
      },
    });
  });
  after(() => gw.stop());

  test('only the keys it allows may use it, over MCP and REST', async () => {
    const inside = new Client({ name: 'in', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await inside.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/private`), { requestInit: { headers: { 'x-api-key': 'key-in' } } }));
    assert.ok((await inside.listTools()).tools.some((tool) => tool.name === 'add'));
    await inside.close();
    const outside = new Client({ name: 'out', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await assert.rejects(outside.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/private`), { requestInit: { headers: { 'x-api-key': 'key-out' } } })));
    const rest = await gw.get('/api/v1/tools?virtual=private', { 'x-api-key': 'key-out' });
    assert.equal(rest.status, 403);
    const tenant = await gw.get('/api/v1/tools?virtual=private', { 'x-api-key': 'key-acme' });
    assert.equal(tenant.status, 200);
    assert.ok((tenant.body.tools as { name: string }[]).some((tool) => tool.name === 'add'));
  });
});

describe('virtual servers: config validation', () => {
  test('unknown servers, tags and override targets, duplicate and non-URL-safe names are each reported', () => {
    assert.throws(
      () =>
        normalizeConfig(
          {
            servers: [{ id: 'demo', command: 'node' }],
            virtualServers: [
              { name: 'a', servers: ['ghost'], tags: ['none'], overrides: { 'phantom/x': { name: 'y' } } },
              { name: 'a' },
              { name: 'has space' },
            ],
          },
          { env: {} },
        ),
      (error: Error) => {
        assert.match(error.message, /virtualServers\[0\]\.servers\[0\]: names no configured server/);
        assert.match(error.message, /virtualServers\[0\]\.tags\[0\]: no configured server has the tag/);
        assert.match(error.message, /overrides.*must be "<server>\/<tool>"/);
        assert.match(error.message, /virtualServers\[1\]\.name: duplicate virtual server name "a"/);
        assert.match(error.message, /virtualServers\[2\]\.name: must be URL-safe/);
        return true;
      },
    );
  });
});

describe('virtual servers: reload', () => {
  test('a changed virtualServers is reported as restart-required and the running bundles stay', async () => {
    const { restartRequired, applied } = await import('../../src/config/reloadable.js');
    const base = { servers: [{ id: 'demo', command: 'node' }] };
    const running = normalizeConfig({ ...base, virtualServers: [{ name: 'a', servers: ['demo'] }] }, { env: {} });
    const next = normalizeConfig({ ...base, virtualServers: [{ name: 'b', servers: ['demo'] }] }, { env: {} });
    assert.deepEqual(restartRequired(running, next), ['virtualServers']);
    assert.deepEqual(applied(running, next).virtualServers.map((virtual) => virtual.name), ['a']);
  });
});
