/**
 * Tool-level access control through a real gateway: what each role sees in
 * the REST list and in MCP lists of both eras, and what it may call, read or
 * get; hidden means absent from lists and refused when called.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { legacyClient, modernClient, modernPost } from './helpers.js';

const READER = { 'x-api-key': 'reader-key' };
const ADMIN = { 'x-api-key': 'admin-key' };
const NOBODY = { 'x-api-key': 'roleless-key' };

const names = (tools: { name: string }[]) => tools.map((tool) => tool.name).sort();

const keys = [
  { key: 'reader-key', name: 'reader', roles: ['reader'] },
  { key: 'admin-key', name: 'admin', roles: ['admin'] },
  { key: 'roleless-key', name: 'roleless' },
];

describe('access rules', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(
      [
        { id: 'demo', command: process.execPath, args: [demoServer] },
        { id: 'alpha', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'alpha' } },
      ],
      {
        config: {
          auth: { strategy: 'api-key', apiKeys: keys },
          access: [
            // Every demo tool but "fail", the readme resource and the greet prompt.
            { role: 'reader', allow: ['demo/*'], deny: ['*/fail'] },
            { role: 'admin', allow: ['*/*'] },
            // For everyone; its deny beats the admin's allow (deny first, across rules).
            { role: '*', allow: ['alpha/whoami'], deny: ['alpha/crash'] },
          ],
        },
      },
    );
  });
  after(() => gw.stop());

  test('REST: each caller lists only the tools it may call', async () => {
    const reader = await gw.get('/api/v1/tools', READER);
    assert.deepEqual(names(reader.body.tools), ['add', 'echo', 'sleep', 'whoami']);
    const admin = await gw.get('/api/v1/tools', ADMIN);
    assert.ok(names(admin.body.tools).includes('fail'));
    assert.ok(names(admin.body.tools).includes('hang'));
    assert.ok(!names(admin.body.tools).includes('crash'), 'a deny of any applicable rule wins');
    assert.ok(admin.body.tools.length > reader.body.tools.length);
    const roleless = await gw.get('/api/v1/tools', NOBODY);
    assert.deepEqual(names(roleless.body.tools), ['whoami'], 'the "*" rule applies to every caller');
    const detail = await gw.get('/api/v1/servers/demo', READER);
    assert.ok(!names(detail.body.toolList).includes('fail'));
  });

  test('REST: calling a hidden tool is 403, and is counted with its caller', async () => {
    const refused = await gw.post('/api/v1/tools/call', { tool: 'fail', arguments: {} }, READER);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_FORBIDDEN');
    assert.match(refused.body.error.message, /reader may not use tool "fail" on server "demo"/);
    const allowed = await gw.post('/api/v1/tools/call', { tool: 'add', arguments: { a: 1, b: 2 } }, READER);
    assert.equal(allowed.status, 200);
    const log = await gw.get('/api/v1/requests?caller=reader&limit=2', ADMIN);
    assert.deepEqual(log.body.requests.map((entry: { tool: string; httpStatus: number }) => [entry.tool, entry.httpStatus]), [['add', 200], ['fail', 403]]);
  });

  test('MCP 2026-07-28: lists are filtered and private; hidden tools, prompts and resources are refused', async () => {
    const client = await modernClient(gw.url, READER);
    // echo is on both servers, so it is listed qualified; alpha's is hidden from the reader.
    assert.deepEqual(names((await client.listTools()).tools), ['add', 'demo__echo', 'sleep', 'whoami']);
    await assert.rejects(client.callTool({ name: 'alpha__echo', arguments: { message: 'x' } }), /may not use tool "echo" on server "alpha"/);
    await assert.rejects(client.callTool({ name: 'fail', arguments: {} }), /may not use tool "fail"/);
    assert.deepEqual((await client.listPrompts()).prompts.map((prompt) => prompt.name), ['greet']);
    assert.deepEqual((await client.listResources()).resources.map((resource) => resource.uri), ['demo://readme']);
    await client.close();

    const raw = await (await modernPost(gw.url, 'tools/list', {}, READER)).json();
    assert.equal(raw.result.cacheScope, 'private', 'an answer that depends on the caller must not be shared');

    const roleless = await modernClient(gw.url, NOBODY);
    assert.deepEqual((await roleless.listPrompts()).prompts, []);
    await assert.rejects(roleless.readResource({ uri: 'demo://readme' }), /may not use resource "demo:\/\/readme"/);
    await assert.rejects(roleless.getPrompt({ name: 'greet', arguments: { name: 'x' } }), /may not use prompt "greet"/);
    await roleless.close();
  });

  test('MCP 2025: the same filtering and refusals on a v1 session', async () => {
    const { client } = await legacyClient(gw.url, READER);
    assert.deepEqual(names((await client.listTools()).tools), ['add', 'demo__echo', 'sleep', 'whoami']);
    await assert.rejects(client.callTool({ name: 'fail', arguments: {} }), (error: unknown) => error instanceof McpError && error.code === -32011);
    const admin = await legacyClient(gw.url, ADMIN);
    assert.ok(names((await admin.client.listTools()).tools).includes('fail'));
    await admin.client.close();
    await client.close();
  });
});

describe('access rules with tool search', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], {
      config: {
        auth: { strategy: 'api-key', apiKeys: keys },
        mcp: { toolDiscovery: 'search' },
        access: [{ role: 'reader', allow: ['demo/echo'] }],
      },
    });
  });
  after(() => gw.stop());

  test('search_tools finds only what the caller may call, and call_tool refuses the rest', async () => {
    const client = await modernClient(gw.url, READER);
    const found = await client.callTool({ name: 'search_tools', arguments: { query: 'add numbers echo message sleep' } });
    const tools = (found.structuredContent as { tools: { name: string }[] }).tools;
    assert.deepEqual(names(tools), ['echo']);
    await assert.rejects(client.callTool({ name: 'call_tool', arguments: { name: 'add', arguments: { a: 1, b: 2 } } }), /may not use tool "add"/);
    await client.close();
  });
});

describe('who may administer', () => {
  test('without authentication: callers on this machine only, IPv4-mapped loopback included', async () => {
    const { Policy } = await import('../../src/policy/policy.js');
    const { anonymousCaller } = await import('../../src/policy/caller.js');
    const { parseConfig } = await import('../../src/config/load.js');
    const policy = new Policy(parseConfig('servers: []\n', { env: {} }));
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(policy.mayAdminister(anonymousCaller(address)), true, address);
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.5', 'fe80::1']) assert.equal(policy.mayAdminister(anonymousCaller(address)), false, address);
  });
});
