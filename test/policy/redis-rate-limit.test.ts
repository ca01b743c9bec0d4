/**
 * Rate limits shared through a real Redis (127.0.0.1:6379; .ci/run starts it):
 * two gateway instances enforce one limit per key, exactly, under a
 * concurrent burst; the window slides; and an unreachable Redis is handled by
 * the configured policy without hanging a request.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { RedisRateLimitStore } from '../../src/policy/redis-rate-limit.js';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const DEMO = { id: 'demo', command: process.execPath, args: [demoServer] };
const KEY = { 'x-api-key': 'shared-key' };

function redisConfig(prefix: string, extra: Record<string, unknown> = {}) {
  return {
    auth: { strategy: 'api-key', apiKeys: [{ key: 'shared-key', name: 'shared' }] },
    rateLimit: { limit: 10, windowSeconds: 60, store: 'redis', redis: { url: 'redis://127.0.0.1:6379', keyPrefix: prefix, ...extra } },
  };
}

describe('two instances, one limit', () => {
  let a: RunningGateway;
  let b: RunningGateway;
  before(async () => {
    const prefix = `mcpgw-test:${randomUUID()}:`;
    [a, b] = await Promise.all([startGateway([DEMO], { config: redisConfig(prefix) }), startGateway([DEMO], { config: redisConfig(prefix) })]);
  });
  after(() => Promise.all([a.stop(), b.stop()]));

  test('a burst of 30 concurrent requests split across both instances admits exactly the limit', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).get('/api/v1/tools', KEY)));
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 200).length, 10, JSON.stringify(statuses));
    assert.equal(statuses.filter((status) => status === 429).length, 20);
    const remaining = answers.filter((answer) => answer.status === 200).map((answer) => Number(answer.headers.get('x-ratelimit-remaining'))).sort((x, y) => x - y);
    assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'each admission saw the shared count');
    const refused = answers.find((answer) => answer.status === 429)!;
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  });
});

describe('the sliding window in Redis', () => {
  test('at most the limit in any window span, and a slot opens when the oldest admission leaves it', async () => {
    const store = new RedisRateLimitStore(parseConfig('servers: []\n', { env: {} }).rateLimit.redis, { error: (error) => assert.fail(error) });
    try {
      assert.equal(await store.ready(3000), true);
      const key = `window:${randomUUID()}`;
      const limit = { limit: 2, windowSeconds: 0.5 };
      assert.equal((await store.hit(key, limit, 0)).allowed, true);
      const second = await store.hit(key, limit, 0);
      assert.equal(second.allowed, true);
      assert.equal(second.remaining, 0);
      const third = await store.hit(key, limit, 0);
      assert.equal(third.allowed, false);
      assert.ok(third.retryAfterMs > 0 && third.retryAfterMs <= 500, String(third.retryAfterMs));
      await new Promise((resolve) => setTimeout(resolve, third.retryAfterMs + 50));
      assert.equal((await store.hit(key, limit, 0)).allowed, true);
    } finally {
      await store.close();
    }
  });
});

describe('an unreachable Redis', () => {
  const unreachable = { url: 'redis://127.0.0.1:1', timeoutMs: 200 };

  test('fail-open serves the request, and counts it', async (t) => {
    const gw = await startGateway([DEMO], { config: redisConfig('unused:', { ...unreachable, onError: 'fail-open' }) });
    t.after(() => gw.stop());
    const answer = await gw.get('/api/v1/tools', KEY);
    assert.equal(answer.status, 200);
    assert.match((await gw.get('/metrics', KEY)).text, /^mcp_gateway_rate_limit_store_errors_total\{outcome="served"\} [1-9]/m);
  });

  test('fail-closed answers 503 at once, never a hang', async (t) => {
    const gw = await startGateway([DEMO], { config: redisConfig('unused:', { ...unreachable, onError: 'fail-closed' }) });
    t.after(() => gw.stop());
    const answer = await gw.get('/api/v1/tools', KEY);
    assert.equal(answer.status, 503);
    assert.equal(answer.body.error.code, 'MCPGW_ERR_RATE_LIMIT_UNAVAILABLE');
    assert.equal((await gw.get('/api/v1/health')).status, 200, 'probes are not limited, so they do not depend on Redis');
  });

  test('MCP_GATEWAY_REDIS_URL says where the counters live without turning limits on', () => {
    const config = parseConfig('servers: []\n', { env: { MCP_GATEWAY_REDIS_URL: 'redis://cache:6380' } });
    assert.equal(config.rateLimit.redis.url, 'redis://cache:6380');
    assert.equal(config.rateLimit.enabled, false);
  });
});
