/**
 * Tool arguments checked against the tool's inputSchema in the worker, end to
 * end: REST and /mcp (SDK clients of both eras) in front of a real stdio
 * fixture whose tools count every call they receive and echo the arguments
 * they saw, so "the upstream was not called" is the upstream's own testimony.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const fixture = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  command: process.execPath,
  args: [fixtures.modernStdio],
  env: { FIXTURE_NAME: id, FIXTURE_VALIDATION_TOOLS: '1' },
  ...extra,
});

interface Tally {
  readonly calls: number;
  readonly arguments: unknown;
}

describe('argument validation', () => {
  let gw: RunningGateway;

  before(async () => {
    gw = await startGateway([fixture('checked'), fixture('unchecked', { validateArguments: false })]);
  });
  after(() => gw.stop());

  /** A call the fixture accepts, answering with how many calls that fixture process has received. */
  async function upstreamCalls(server: string): Promise<number> {
    const { status, body } = await gw.call(`${server}__tally`, { n: 0 });
    assert.equal(status, 200, JSON.stringify(body));
    return (body.structuredContent as Tally).calls;
  }

  test('REST: invalid arguments get 400 naming the tool and each problem; the upstream never sees them', async () => {
    const before = await upstreamCalls('checked');
    const { status, body } = await gw.call('checked__tally', { n: 'seven', tag: 'c', extra: true });
    assert.equal(status, 400);
    assert.equal(body.error.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
    assert.match(body.error.message, /tool "tally"/);
    assert.match(body.error.message, /\/n: must be number/);
    assert.match(body.error.message, /\/tag: must be equal to one of the allowed values: "a", "b"/);
    assert.match(body.error.message, /\/: must NOT have additional properties \("extra"\)/);
    assert.equal(body.error.data.tool, 'tally');
    assert.deepEqual(
      body.error.data.errors.map((e: { instancePath: string; keyword: string }) => [e.instancePath, e.keyword]).sort(),
      [['', 'additionalProperties'], ['/n', 'type'], ['/tag', 'enum']],
    );
    const missing = await gw.call('checked__tally');
    assert.equal(missing.status, 400, 'no arguments at all is checked as {}');
    assert.match(missing.body.error.message, /must have required property 'n'/);
    // Exactly one more: the probe itself. Neither refused call reached the fixture.
    assert.equal(await upstreamCalls('checked'), before + 1);
  });

  test('REST: a refused call is counted as a client error in metrics and the request log', async () => {
    await gw.call('checked__tally', { n: [] });
    const log = await gw.get('/api/v1/requests?limit=1');
    const [entry] = log.body.requests;
    assert.deepEqual([entry.server, entry.tool, entry.httpStatus, entry.status, entry.errorCode, entry.upstreamMs], ['checked', 'tally', 400, 'error', 'MCPGW_ERR_INVALID_ARGUMENTS', 0]);
    const metrics = await gw.get('/api/v1/metrics?format=prometheus');
    assert.match(metrics.text, /mcp_gateway_tool_calls_total\{server="checked",tool="tally",outcome="client_error"\} [1-9]/);
  });

  test('both dialects: 2020-12 prefixItems, and draft-07 tuple items in a schema that does not say which it is', async () => {
    assert.equal((await gw.call('checked__pair', { pair: ['a', 1] })).status, 200);
    const pair = await gw.call('checked__pair', { pair: ['a', 'b'] });
    assert.equal(pair.status, 400);
    assert.match(pair.body.error.message, /\/pair\/1: must be integer/);
    assert.equal((await gw.call('checked__pair', { pair: ['a', 1, 'extra'] })).status, 400, 'items: false after prefixItems');

    assert.equal((await gw.call('checked__legacy_pair', { pair: ['a', 1] })).status, 200);
    const legacy = await gw.call('checked__legacy_pair', { pair: [1, 1, 1] });
    assert.equal(legacy.status, 400);
    assert.match(legacy.body.error.message, /\/pair\/0: must be string/);
    assert.match(legacy.body.error.message, /\/pair: must NOT have more than 2 items/);
  });

  test('unknown keywords and formats do not stop a schema from being enforced; a schema that does not compile is not enforced', async () => {
    assert.equal((await gw.call('checked__annotated', { when: '2026-07-28T10:00:00Z', color: 'any' })).status, 200);
    const annotated = await gw.call('checked__annotated', { when: 'yesterday' });
    assert.equal(annotated.status, 400);
    assert.match(annotated.body.error.message, /\/when: must match format "date-time"/);

    const broken = await gw.call('checked__broken', { a: { anything: true } });
    assert.equal(broken.status, 200, 'the tool stays callable');
    assert.deepEqual((broken.body.structuredContent as Tally).arguments, { a: { anything: true } });
  });

  test('validateArguments: false passes invalid arguments through to the upstream as sent', async () => {
    const before = await upstreamCalls('unchecked');
    const { status, body } = await gw.call('unchecked__tally', { n: 'seven', extra: [1, { deep: null }] });
    assert.equal(status, 200);
    assert.deepEqual(body.structuredContent, { calls: before + 1, arguments: { n: 'seven', extra: [1, { deep: null }] } });
  });

  test('a 2026-07-28 client gets JSON-RPC -32602 with the gateway code and the errors; the upstream never sees the call', async () => {
    const client = new Client({ name: 'modern-validation', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`)));
    try {
      const before = await upstreamCalls('checked');
      const error = await client.callTool({ name: 'checked__tally', arguments: { n: 'seven' } }).then(
        () => assert.fail('the call must be refused'),
        (caught: unknown) => caught as { code: number; message: string; data: { code: string; detail: { tool: string; errors: { instancePath: string }[] } } },
      );
      assert.equal(error.code, -32602);
      assert.match(error.message, /\/n: must be number/);
      assert.equal(error.data.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
      assert.deepEqual(error.data.detail.errors.map((e) => e.instancePath), ['/n']);
      const valid = await client.callTool({ name: 'checked__tally', arguments: { n: 1 } });
      assert.equal((valid.structuredContent as unknown as Tally).calls, before + 1);
    } finally {
      await client.close();
    }
  });

  test('a 2025 client (SDK v1 session) gets JSON-RPC -32602 too; the upstream never sees the call', async () => {
    const client = new V1Client({ name: 'legacy-validation', version: '1.0.0' });
    const transport = new V1Transport(new URL(`${gw.url}/mcp`));
    await client.connect(transport);
    try {
      const before = await upstreamCalls('checked');
      const error = await client.callTool({ name: 'checked__pair', arguments: { pair: 'not a pair' } }).then(
        () => assert.fail('the call must be refused'),
        (caught: unknown) => caught as { code: number; message: string; data: { code: string } },
      );
      assert.equal(error.code, -32602);
      assert.match(error.message, /\/pair: must be array/);
      assert.equal(error.data.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
      const valid = await client.callTool({ name: 'checked__tally', arguments: { n: 2 } });
      assert.equal((valid.structuredContent as unknown as Tally).calls, before + 1);
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
  });

  test('a requestState replayed on another tool is refused before anything is dispatched: the upstream never sees the call', async () => {
    const post = (name: string, params: Record<string, unknown>) =>
      fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } } } }),
      }).then((response) => response.json() as Promise<{ result?: { requestState?: string }; error?: { data: { code: string } } }>);
    const asked = await post('checked__deploy', { arguments: { env: 'prod' } });
    const state = asked.result?.requestState;
    assert.equal(typeof state, 'string', JSON.stringify(asked));
    const before = await upstreamCalls('checked');
    // Valid arguments for tally: only the state is wrong, so only the state check can keep the call from the upstream.
    const replayed = await post('checked__tally', { arguments: { n: 1 }, requestState: state });
    assert.equal(replayed.error?.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE', JSON.stringify(replayed));
    assert.equal(await upstreamCalls('checked'), before + 1, 'only the probe reached the upstream');
  });
});
