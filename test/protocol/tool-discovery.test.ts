/**
 * `mcp.toolDiscovery: search` and `mcp.alwaysPrefix`, with a real 2026-07-28
 * SDK client against real upstreams.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'discovery-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

const servers = [
  { id: 'demo', command: process.execPath, args: [demoServer] },
  { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' } },
];

describe('toolDiscovery: search', () => {
  let gw: RunningGateway;
  let client: Client;
  before(async () => {
    gw = await startGateway(servers, { config: { mcp: { toolDiscovery: 'search' } } });
    client = await connect(gw.url);
  });
  after(async () => {
    await client.close();
    await gw.stop();
  });

  test('tools/list returns the two meta-tools, far smaller than the full catalog', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name), ['search_tools', 'call_tool']);
    const full = JSON.stringify(gw.gateway.supervisor.catalog().tools);
    assert.ok(JSON.stringify(tools).length < full.length, 'the meta-tools must cost less than the listing they replace');
  });

  test('search_tools ranks by name, title and description and returns full definitions', async () => {
    const result = await client.callTool({ name: 'search_tools', arguments: { query: 'add two numbers', limit: 3 } });
    const found = (result.structuredContent as { tools: { name: string; inputSchema: unknown }[] }).tools;
    assert.equal(found[0]!.name, 'add');
    assert.ok(found[0]!.inputSchema, 'full definition');
    assert.ok(found.length <= 3);
    const none = await client.callTool({ name: 'search_tools', arguments: { query: 'zzzz qqqq' } });
    assert.match((none.content as { text: string }[])[0]!.text, /No tool matches/);
  });

  test('call_tool calls any tool by its exposed name', async () => {
    const sum = await client.callTool({ name: 'call_tool', arguments: { name: 'add', arguments: { a: 3, b: 4 } } });
    assert.deepEqual(sum.structuredContent, { sum: 7 });
    const echo = await client.callTool({ name: 'call_tool', arguments: { name: 'alpha__echo', arguments: { message: 'found' } } });
    assert.equal((echo.content as { text: string }[])[0]!.text, 'found');
    await assert.rejects(client.callTool({ name: 'call_tool', arguments: { name: 'nope' } }), /nope/);
  });
});

describe('alwaysPrefix', () => {
  test('every tool is exposed as <serverId>__<name>, and callable so', async () => {
    const gw = await startGateway(servers, { config: { mcp: { alwaysPrefix: true } } });
    const client = await connect(gw.url);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.every((tool) => tool.name.startsWith('demo__') || tool.name.startsWith('alpha__')), tools.map((tool) => tool.name).join(','));
      const sum = await client.callTool({ name: 'demo__add', arguments: { a: 1, b: 1 } });
      assert.deepEqual(sum.structuredContent, { sum: 2 });
    } finally {
      await client.close();
      await gw.stop();
    }
  });
});

describe('mcp.separator', () => {
  test('qualified names use the configured separator in /mcp lists, routing, tool search and REST', async () => {
    const withCopy = [...servers, { id: 'copy', command: process.execPath, args: [demoServer] }];
    const gw = await startGateway(withCopy, { config: { mcp: { separator: '.' } } });
    const client = await connect(gw.url);
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      for (const name of ['demo.echo', 'alpha.echo', 'copy.echo', 'demo.add', 'copy.add', 'whoami']) assert.ok(names.includes(name), `missing ${name} in ${names.join(',')}`);
      assert.ok(!names.some((name) => name.includes('__')), names.join(','));
      const echo = await client.callTool({ name: 'alpha.echo', arguments: { message: 'dotted' } });
      assert.equal((echo.content as { text: string }[])[0]!.text, 'dotted');
      const unknown = await client.callTool({ name: 'alpha__echo', arguments: { message: 'x' } }).then(
        () => undefined,
        (error: Error) => error,
      );
      assert.match(String(unknown?.message), /no ready server offers a tool named "alpha__echo"/);

      const prompts = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
      assert.deepEqual(prompts.sort(), ['copy.greet', 'demo.greet']);
      const greeting = await client.getPrompt({ name: 'copy.greet', arguments: { name: 'Ada' } });
      assert.match(JSON.stringify(greeting.messages), /Ada/);

      const rest = await gw.get('/api/v1/tools?server=alpha');
      assert.ok(rest.body.tools.some((tool: { qualifiedName: string }) => tool.qualifiedName === 'alpha.echo'));
      const called = await gw.call('copy.add', { a: 2, b: 3 });
      assert.equal(called.status, 200, called.text);
      assert.deepEqual(called.body.structuredContent, { sum: 5 });
      const ambiguous = await gw.call('echo', { message: 'x' });
      assert.equal(ambiguous.status, 409);
      assert.deepEqual(ambiguous.body.error.data.qualifiedNames.sort(), ['alpha.echo', 'copy.echo', 'demo.echo']);
      const metrics = await gw.get('/api/v1/metrics');
      assert.ok(metrics.body.tools['copy.add'], Object.keys(metrics.body.tools).join(','));
    } finally {
      await client.close();
      await gw.stop();
    }
  });

  test('search_tools and call_tool speak the configured separator too', async () => {
    const gw = await startGateway(servers, { config: { mcp: { separator: '/', toolDiscovery: 'search' } } });
    const client = await connect(gw.url);
    try {
      const result = await client.callTool({ name: 'search_tools', arguments: { query: 'echo message verbatim', limit: 5 } });
      const found = (result.structuredContent as { tools: { name: string }[] }).tools.map((tool) => tool.name);
      assert.ok(found.includes('alpha/echo') && found.includes('demo/echo'), found.join(','));
      const echo = await client.callTool({ name: 'call_tool', arguments: { name: 'alpha/echo', arguments: { message: 'slashed' } } });
      assert.equal((echo.content as { text: string }[])[0]!.text, 'slashed');
    } finally {
      await client.close();
      await gw.stop();
    }
  });
});
