/**
 * Redis stopped mid-test and started again on the same port (a private
 * redis-server: the shared one on 6379 is never touched): a fail-open cluster
 * serves without the limit and counts it, a fail-closed one refuses with 503,
 * neither hangs, and both recover by themselves when Redis is back (the shared
 * limit, the registry and the cluster views).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoServer } from '../fixtures/paths.js';
import { eventually } from '../helpers/gateway.js';
import { freshFetch, PrivateRedis, randomPrefix, skipWithoutRedis, startCluster, type TestCluster } from './helpers.js';

const DEMO = { id: 'demo', command: process.execPath, args: [demoServer] };
const KEY = { 'x-api-key': 'k' };

function config(redis: PrivateRedis, onError: 'fail-open' | 'fail-closed'): Record<string, unknown> {
  return {
    auth: { strategy: 'api-key', apiKeys: [{ key: 'k', name: 'agent', roles: ['admin'] }] },
    rateLimit: { enabled: true, limit: 4, windowSeconds: 60, store: 'redis', redis: { url: redis.url, keyPrefix: randomPrefix(), timeoutMs: 200, onError } },
    // cluster.redis.url left out: the rate limit's Redis is the cluster's too.
    cluster: { redis: { prefix: randomPrefix(), timeoutMs: 200 } },
  };
}

async function statuses(url: string, count: number): Promise<number[]> {
  const answers = await Promise.all(Array.from({ length: count }, () => freshFetch(`${url}/api/v1/tools`, { headers: KEY })));
  await Promise.all(answers.map((answer) => answer.arrayBuffer()));
  return answers.map((answer) => answer.status);
}

describe('Redis going away and coming back', { skip: skipWithoutRedis('cluster Redis outage') }, () => {
  const redis = new PrivateRedis();
  let open: TestCluster;
  let closed: TestCluster;
  before(async () => {
    await redis.start();
    [open, closed] = await Promise.all([startCluster(2, [DEMO], config(redis, 'fail-open')), startCluster(2, [DEMO], config(redis, 'fail-closed'))]);
  });
  after(async () => {
    await Promise.all([open?.stop(), closed?.stop()]);
    await redis.stop();
  });

  test('before: one limit across the instances', async () => {
    for (const cluster of [open, closed]) {
      const seen = await statuses(cluster.url, 6);
      assert.deepEqual(seen.sort(), [200, 200, 200, 200, 429, 429]);
    }
  });

  test('Redis stopped: fail-open serves (and counts it), fail-closed refuses with 503, neither hangs', async () => {
    await redis.stop();
    const started = Date.now();
    const [openSeen, closedSeen] = await Promise.all([statuses(open.url, 4), statuses(closed.url, 4)]);
    assert.deepEqual(openSeen, [200, 200, 200, 200], 'fail-open serves without the limit');
    assert.deepEqual(closedSeen, [503, 503, 503, 503], 'fail-closed refuses');
    assert.ok(Date.now() - started < 5000, 'answered within the store timeout, not hung');
    const refusal = await (await freshFetch(`${closed.url}/api/v1/tools`, { headers: KEY })).json();
    assert.equal(refusal.error.code, 'MCPGW_ERR_RATE_LIMIT_UNAVAILABLE');
    const metrics = await (await freshFetch(`${open.instances[0]!.url}/metrics`, { headers: KEY })).text();
    assert.match(metrics, /^mcp_gateway_rate_limit_store_errors_total\{outcome="served"\} [1-9]/m);
    // The cluster view says plainly it cannot be built; the instance's own health still answers.
    const view = await freshFetch(`${open.url}/api/v1/health?scope=cluster`, { headers: KEY });
    assert.equal(view.status, 503);
    assert.equal((await view.json()).error.code, 'MCPGW_ERR_PEER_UNAVAILABLE');
    assert.equal((await freshFetch(`${open.url}/api/v1/health`)).status, 200);
    // A tool call goes through in the meantime (fail-open).
    const call = await freshFetch(`${open.url}/api/v1/tools/call`, { method: 'POST', headers: { ...KEY, 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'echo', arguments: { message: 'during the outage' } }) });
    assert.equal(call.status, 200);
    await call.arrayBuffer();
  });

  test('Redis back on the same port: the limit, the registry and the views recover by themselves', async () => {
    await redis.start();
    // fail-closed serves again once reconnected: each instance on its own connection, so each is waited for
    // (a refusal while it reconnects is not counted; each first 200 is). Then the limit is shared again (a fresh
    // Redis: counts start over), less the two calls the waiting used.
    for (const instance of closed.instances) {
      const recovered = await eventually(() => statuses(instance.url, 1), (seen) => seen[0] === 200, 10_000, 200);
      assert.deepEqual(recovered, [200], `${instance.url} serves again`);
    }
    const seen = await statuses(closed.url, 4);
    assert.deepEqual(seen.sort(), [200, 200, 429, 429], 'one limit across both instances again');
    const view = await eventually(
      async () => (await (await freshFetch(`${open.url}/api/v1/health?scope=cluster`, { headers: KEY })).json()) as { instances?: { id: string }[] },
      (body) => body.instances?.length === 2,
      10_000,
      200,
    );
    assert.deepEqual(view.instances!.map((instance) => instance.id), ['gw-0', 'gw-1'], 'both re-registered on their heartbeats');
  });
});
