/**
 * 2025 sessions across instances behind a round-robin proxy, with the real v1
 * SDK client: initialised on one instance and continued on the others (each
 * request may land anywhere), with progress on the POST's own stream, an
 * elicitation whose answer is posted to another instance than the one asking,
 * list changes on the GET stream wherever it is held, DELETE ending the session
 * everywhere, and the configured expiry as the record's TTL in Redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { eventually } from '../helpers/gateway.js';
import { freshFetch, REDIS_URL, skipWithoutRedis, startCluster, type TestCluster } from './helpers.js';

const SERVERS = [
  { id: 'demo', command: process.execPath, args: [demoServer] },
  { id: 'beta', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'beta' }, protocol: 'legacy' },
];

describe('2025 sessions across instances', { skip: skipWithoutRedis('cluster sessions') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(2, SERVERS, { mcp: { sessionIdleSeconds: 120 } });
  });
  after(() => cluster?.stop());

  test('initialised on A, continued on B: calls with progress, an elicitation answered via the other instance, list changes on the stream', async () => {
    const client = new V1Client({ name: 'cluster-legacy', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    let listChanges = 0;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept', content: { confirm: true } };
    });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void listChanges++);
    const transport = new V1Transport(new URL(`${cluster.url}/mcp`), { fetch: freshFetch });
    cluster.proxy.next = 0;
    const callsBefore = cluster.instances.map((instance) => instance.gateway.metrics.summary().totals.calls);
    await client.connect(transport);
    try {
      assert.ok(transport.sessionId, 'a session was opened');
      // The GET stream opens after initialize; give it a moment.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 4; i++) {
        const seen: number[] = [];
        const result = await client.callTool({ name: 'sleep', arguments: { ms: 200, steps: 3 } }, undefined, { onprogress: (progress) => void seen.push(progress.progress) });
        assert.equal(result.isError ?? false, false, JSON.stringify(result));
        assert.deepEqual(seen, [1, 2, 3], `progress of call ${i}`);
      }
      const served = cluster.instances.map((instance, i) => instance.gateway.metrics.summary().totals.calls - callsBefore[i]!);
      assert.ok(served.every((calls) => calls > 0), `both instances served the session's calls: ${served.join(', ')}`);
      for (const env of ['one', 'two']) {
        const deployed = await client.callTool({ name: 'deploy', arguments: { env } });
        assert.match((deployed.content as { text: string }[])[0]!.text, new RegExp(`^deployed to ${env} by beta`));
      }
      assert.deepEqual(asked, ['Deploy to one?', 'Deploy to two?']);
      // A change through either instance reaches the stream, wherever the client holds it.
      // (Each instance runs its own beta: its first add_tool makes the very catalog gw-0's did, one change already told.)
      for (const [i, instance] of cluster.instances.entries()) {
        const before = listChanges;
        for (let n = 0; n <= i; n++) assert.equal((await instance.call('add_tool')).status, 200);
        await eventually(() => listChanges, (n) => n > before, 5000);
        assert.ok(listChanges > before, `a list change on ${instance.gateway.cluster!.instanceId} reached the session's stream`);
      }
    } finally {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    }
    // DELETE ended it everywhere.
    const sessionId = transport.sessionId ?? '';
    for (const instance of cluster.instances) {
      const answer = await freshFetch(`${instance.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
      });
      assert.equal(answer.status, 404, `the session is gone on ${instance.url}`);
      await answer.arrayBuffer();
    }
  });

  test('another principal cannot use a session id it learned, on any instance', async () => {
    const init = await freshFetch(`${cluster.instances[0]!.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.arrayBuffer();
    const redis = new Redis(REDIS_URL!);
    try {
      const key = `${cluster.prefix}session:${sessionId}`;
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 100_000 && ttl <= 120_000, `the record expires after mcp.sessionIdleSeconds (${ttl} ms)`);
      // Rewrite the owner: the other instance must then treat the id as unknown.
      const record = JSON.parse((await redis.get(key))!);
      await redis.set(key, JSON.stringify({ ...record, owner: 'key:someone-else' }), 'PX', 60_000);
      const other = await freshFetch(`${cluster.instances[1]!.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      assert.equal(other.status, 404);
      await other.arrayBuffer();
    } finally {
      redis.disconnect();
    }
  });
});
