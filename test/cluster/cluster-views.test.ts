/**
 * Three gateway instances sharing a real Redis behind a round-robin proxy:
 * they find each other (registry with heartbeats and TTLs), one rate limit
 * holds across all three exactly (also under a concurrent burst), the cluster
 * views list every instance and sum their call counters, and those views and
 * the internal route are closed to anyone without the right credential.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { signInternal, deriveClusterKeys, INTERNAL_AUTH_HEADER } from '../../src/cluster/cluster-keys.js';
import { demoServer } from '../fixtures/paths.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { freshFetch, randomPrefix, REDIS_URL, SECRET, skipWithoutRedis, startCluster, type TestCluster } from './helpers.js';

const DEMO = { id: 'demo', command: process.execPath, args: [demoServer] };
const ADMIN = { 'x-api-key': 'admin-key' };
const USER = { 'x-api-key': 'user-key' };
const auth = { strategy: 'api-key', apiKeys: [{ key: 'admin-key', name: 'ops', roles: ['admin'], rateLimit: { limit: 1000 } }, { key: 'user-key', name: 'agent' }, { key: 'viewer-key', name: 'viewer' }] };

async function json(url: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await freshFetch(url, { ...init, headers: { ...headers, ...(init.headers as object) } });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('three instances, one gateway', { skip: skipWithoutRedis('cluster') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(3, [DEMO], { auth, rateLimit: { enabled: true, limit: 12, windowSeconds: 60, store: 'redis', redis: { url: REDIS_URL, keyPrefix: randomPrefix() } } });
  });
  after(() => cluster?.stop());

  test('a concurrent burst through the round-robin proxy: exactly the limit admitted, wherever each request lands', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => freshFetch(`${cluster.url}/api/v1/tools`, { headers: USER })));
    const statuses = answers.map((answer) => answer.status);
    await Promise.all(answers.map((answer) => answer.arrayBuffer()));
    assert.equal(statuses.filter((status) => status === 200).length, 12, JSON.stringify(statuses));
    assert.equal(statuses.filter((status) => status === 429).length, 18);
    assert.ok(cluster.proxy.connections.every((count) => count >= 5), `every instance took part: ${cluster.proxy.connections.join(', ')}`);
    // The N+1th, sequentially, is refused on every instance.
    for (const instance of cluster.instances) assert.equal((await json(`${instance.url}/api/v1/tools`, USER)).status, 429);
  });

  test('cluster health lists every instance with its servers; only an administrator may see it', async () => {
    const { status, body } = await json(`${cluster.url}/api/v1/health?scope=cluster`, ADMIN);
    assert.equal(status, 200);
    assert.equal(body.scope, 'cluster');
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.instances.map((instance: { id: string }) => instance.id), ['gw-0', 'gw-1', 'gw-2']);
    for (const instance of body.instances) {
      assert.equal(instance.reachable, true);
      assert.deepEqual(instance.servers.map((server: { id: string; state: string }) => [server.id, server.state]), [['demo', 'ready']]);
      assert.match(instance.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    }
    const refused = await json(`${cluster.url}/api/v1/health?scope=cluster`, USER);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_FORBIDDEN');
    assert.equal((await json(`${cluster.url}/api/v1/health?scope=cluster`)).status, 401, 'the public health path still needs a credential for the cluster view');
    assert.equal((await json(`${cluster.url}/api/v1/health`)).status, 200, 'the plain probe stays public');
  });

  test('cluster metrics sum the call counters of every instance', async () => {
    const adminCalls = 9;
    for (let i = 0; i < adminCalls; i++) {
      const answer = await json(`${cluster.url}/api/v1/tools/call`, { ...ADMIN, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify({ tool: 'echo', arguments: { message: `m${i}` } }) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    const locals = await Promise.all(cluster.instances.map(async (instance) => (await json(`${instance.url}/api/v1/metrics`, ADMIN)).body.totals.calls as number));
    assert.ok(locals.every((calls) => calls > 0), `each instance served some: ${locals.join(', ')}`);
    const { status, body } = await json(`${cluster.url}/api/v1/metrics?scope=cluster`, ADMIN);
    assert.equal(status, 200);
    assert.equal(body.totals.calls, adminCalls);
    assert.equal(body.totals.calls, locals.reduce((a, b) => a + b, 0));
    assert.equal(body.servers.demo.calls, adminCalls);
    const echo = Object.values(body.tools as Record<string, { server: string; tool: string; calls: number }>).find((tool) => tool.tool === 'echo');
    assert.equal(echo?.calls, adminCalls);
    assert.equal(echo?.server, 'demo');
    assert.deepEqual(body.instances.map((instance: { calls: number }) => instance.calls), locals);
    assert.equal((await json(`${cluster.url}/api/v1/metrics?scope=cluster`, { 'x-api-key': 'viewer-key' })).status, 403, 'not an administrator');
  });

  test('the internal route answers nobody without the cluster credential', async () => {
    const target = `${cluster.instances[0]!.url}/internal/v1/snapshot`;
    const none = await json(target);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'MCPGW_ERR_UNAUTHORIZED');
    assert.equal((await json(target, ADMIN)).status, 401, 'an administrator\'s key is not the cluster credential');
    const foreign = deriveClusterKeys('another-cluster-secret-of-32-characters!').internal;
    assert.equal((await json(target, { [INTERNAL_AUTH_HEADER]: signInternal(foreign, 'intruder', 'GET', '/internal/v1/snapshot', '') })).status, 401);
    const stale = signInternal(deriveClusterKeys(SECRET).internal, 'gw-1', 'GET', '/internal/v1/snapshot', '', Date.now() - 120_000);
    assert.equal((await json(target, { [INTERNAL_AUTH_HEADER]: stale })).status, 401, 'a captured credential cannot be replayed later');
    const wrongPath = signInternal(deriveClusterKeys(SECRET).internal, 'gw-1', 'GET', '/internal/v1/other', '');
    assert.equal((await json(target, { [INTERNAL_AUTH_HEADER]: wrongPath })).status, 401, 'signed for another route');
    const good = await json(target, { [INTERNAL_AUTH_HEADER]: signInternal(deriveClusterKeys(SECRET).internal, 'gw-1', 'GET', '/internal/v1/snapshot', '') });
    assert.equal(good.status, 200);
    assert.equal(good.body.id, 'gw-0');
  });

  test('every key in Redis has a TTL, and a stopped instance leaves the registry', async () => {
    const redis = new Redis(REDIS_URL!);
    try {
      const keys = await redis.keys(`${cluster.prefix}*`);
      assert.ok(keys.length >= 4, keys.join(', '));
      for (const key of keys) assert.ok((await redis.pttl(key)) > 0, `${key} has a TTL`);
      await cluster.instances[2]!.stop();
      const listed = await eventually(
        async () => (await json(`${cluster.instances[0]!.url}/api/v1/health?scope=cluster`, ADMIN)).body.instances.map((instance: { id: string }) => instance.id),
        (ids: string[]) => ids.length === 2,
        5000,
      );
      assert.deepEqual(listed, ['gw-0', 'gw-1']);
    } finally {
      redis.disconnect();
    }
  });
});

describe('a gateway running alone', () => {
  test('has no cluster views, and no internal route', async (t) => {
    const gw = await startGateway([DEMO]);
    t.after(() => gw.stop());
    const view = await gw.get('/api/v1/health?scope=cluster');
    assert.equal(view.status, 400);
    assert.equal(view.body.error.code, 'MCPGW_ERR_NOT_CLUSTERED');
    assert.equal((await gw.get('/internal/v1/snapshot')).status, 404);
  });

  test('cluster.enabled without a secret is refused at start with a clear error', async () => {
    await assert.rejects(startGateway([DEMO], { config: { cluster: { enabled: true } } }), /cluster\.secret/);
  });
});
