/**
 * A 2026-07-28 client's elicitation round trip against a 2025 upstream, in a
 * cluster: the upstream's call stays open on the instance that received the
 * first request; the client's retry lands on the other one, which forwards it
 * (internal route, cluster credential) and answers as if it had landed there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { deriveClusterKeys } from '../../src/cluster/cluster-keys.js';
import { RequestStateCodec } from '../../src/protocol/request-state.js';
import { fixtures } from '../fixtures/paths.js';
import { freshFetch, SECRET, skipWithoutRedis, startCluster, type TestCluster } from './helpers.js';

const MODERN = '2026-07-28';
const BETA = { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta' }, protocol: 'legacy' };
const CAN_ELICIT = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };

function modernPost(url: string, id: number, params: Record<string, unknown>, meta: Record<string, unknown> = {}): Promise<Response> {
  const body = { jsonrpc: '2.0', id, method: 'tools/call', params: { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, ...CAN_ELICIT, ...meta } } };
  return freshFetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': String(params.name) },
    body: JSON.stringify(body),
  });
}

describe('MRTR retries across instances', { skip: skipWithoutRedis('cluster MRTR') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(2, [BETA]);
  });
  after(() => cluster?.stop());

  test('the retry lands on the other instance and is answered by the one holding the upstream call', async () => {
    cluster.proxy.next = 0;
    const first = await (await modernPost(cluster.url, 1, { name: 'deploy', arguments: { env: 'prod' } })).json();
    assert.equal(first.result.resultType, 'input_required', JSON.stringify(first));
    assert.equal(first.result.inputRequests.input.method, 'elicitation/create');
    const payload = JSON.parse(Buffer.from(String(first.result.requestState).split('.')[1]!, 'base64url').toString('utf8'));
    assert.equal(payload.i, 'gw-0', 'the state names the instance holding the call');
    cluster.proxy.next = 1;
    const before = cluster.proxy.connections[1]!;
    const retry = await (await modernPost(cluster.url, 2, { name: 'deploy', arguments: { env: 'prod' }, requestState: first.result.requestState, inputResponses: { input: { action: 'accept', content: { confirm: true } } } })).json();
    assert.equal(cluster.proxy.connections[1], before + 1, 'the retry went to gw-1');
    assert.match(retry.result.content[0].text, /^deployed to prod by beta/);
    // Counted once, by the instance that held the call.
    const counts = cluster.instances.map((instance) => instance.gateway.metrics.summary().totals.calls);
    assert.deepEqual(counts, [1, 0]);
    // The state is spent: replaying it anywhere is refused.
    for (const next of [0, 1]) {
      cluster.proxy.next = next;
      const replay = await (await modernPost(cluster.url, 3, { name: 'deploy', arguments: { env: 'prod' }, requestState: first.result.requestState, inputResponses: { input: { action: 'accept', content: { confirm: true } } } })).json();
      assert.equal(replay.error.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE', JSON.stringify(replay));
    }
  });

  test('progress the upstream sends after the answer streams back through the forwarding instance', async () => {
    cluster.proxy.next = 0;
    const first = await (await modernPost(cluster.url, 11, { name: 'deploy', arguments: { env: 'stage' } }, { progressToken: 'p-first' })).text();
    const state = /"requestState":"([^"]+)"/.exec(first)?.[1];
    assert.ok(state, first);
    cluster.proxy.next = 1;
    const retry = await (await modernPost(cluster.url, 12, { name: 'deploy', arguments: { env: 'stage' }, requestState: state, inputResponses: { input: { action: 'accept', content: { confirm: true } } } }, { progressToken: 'p-retry' })).text();
    const frames = retry.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
    const progress = frames.filter((frame) => frame.method === 'notifications/progress').map((frame) => [frame.params.progressToken, frame.params.progress]);
    assert.deepEqual(progress, [['p-retry', 1], ['p-retry', 2]], retry);
    assert.match(frames.at(-1).result.content[0].text, /^deployed to stage by beta/);
  });

  test('an SDK client\'s elicitation round trip through the round-robin proxy', async () => {
    const client = new Client({ name: 'cluster-elicit', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { confirm: true } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${cluster.url}/mcp`), { fetch: freshFetch }));
    try {
      for (const env of ['a', 'b', 'c']) {
        const result = await client.callTool({ name: 'deploy', arguments: { env } });
        assert.match((result.content as { text: string }[])[0]!.text, new RegExp(`^deployed to ${env} by beta`));
      }
      assert.deepEqual(asked, ['Deploy to a?', 'Deploy to b?', 'Deploy to c?']);
    } finally {
      await client.close();
    }
  });

  test('a retry whose instance left the cluster gets a clear error', async () => {
    // Signed with the cluster's key (the test knows the secret), naming an instance that is not there.
    const codec = new RequestStateCodec({ key: deriveClusterKeys(SECRET).requestState, ttlMs: 60_000, instanceId: 'gw-gone' });
    const state = codec.wrap('beta', 'deploy', 'anonymous', { parkedKey: 'no-such-call' });
    const answer = await (await modernPost(cluster.url, 4, { name: 'deploy', arguments: { env: 'x' }, requestState: state, inputResponses: { input: { action: 'accept', content: { confirm: true } } } })).json();
    assert.equal(answer.error.data.code, 'MCPGW_ERR_PEER_UNAVAILABLE', JSON.stringify(answer));
    assert.match(answer.error.message, /gw-gone/);
  });

  test('a state of another cluster (another secret) is refused', async () => {
    const codec = new RequestStateCodec({ key: deriveClusterKeys('a-different-secret-of-32-characters!!').requestState, ttlMs: 60_000, instanceId: 'gw-0' });
    const state = codec.wrap('beta', 'deploy', 'anonymous', { parkedKey: 'x' });
    const answer = await (await modernPost(cluster.url, 5, { name: 'deploy', arguments: { env: 'x' }, requestState: state })).json();
    assert.equal(answer.error.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
  });
});
