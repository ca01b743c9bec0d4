/**
 * Rate limits: the sliding window's exactness at and across the window
 * boundary (the store with a given clock), then the headers, 429s, per-key
 * isolation, key overrides and per-tool limits through a real gateway.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryRateLimitStore } from '../../src/policy/rate-limit.js';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { modernPost } from './helpers.js';

describe('the sliding window', () => {
  const limit = { limit: 3, windowSeconds: 10 };

  test('a fixed window would let 2× the limit through at its boundary; this one never does', () => {
    const store = new MemoryRateLimitStore();
    // Three at the end of one 10 s window...
    for (const at of [9_000, 9_500, 9_900]) assert.equal(store.hit('k', limit, at).allowed, true);
    // ...and at the start of the next clock window they still count.
    for (const at of [10_000, 12_000, 18_999]) assert.equal(store.hit('k', limit, at).allowed, false, `t=${at}`);
    // The first admission leaves the window 10 s after it was made: exactly one slot opens.
    assert.equal(store.hit('k', limit, 19_000).allowed, true);
    assert.equal(store.hit('k', limit, 19_001).allowed, false);
    assert.equal(store.hit('k', limit, 19_500).allowed, true);
  });

  test('remaining, reset and retry-after describe the window', () => {
    const store = new MemoryRateLimitStore();
    assert.deepEqual(store.hit('k', limit, 1_000), { allowed: true, limit: 3, remaining: 2, resetAt: 11_000, retryAfterMs: 0 });
    assert.equal(store.hit('k', limit, 2_000).remaining, 1);
    assert.equal(store.hit('k', limit, 3_000).remaining, 0);
    assert.deepEqual(store.hit('k', limit, 4_000), { allowed: false, limit: 3, remaining: 0, resetAt: 11_000, retryAfterMs: 7_000 });
    // A refusal is not recorded, so it does not push the reset away.
    assert.equal(store.hit('k', limit, 10_999).allowed, false);
    assert.deepEqual(store.hit('k', limit, 11_000), { allowed: true, limit: 3, remaining: 0, resetAt: 12_000, retryAfterMs: 0 });
  });

  test('no span of the window ever holds more than the limit, under an irregular load', () => {
    const store = new MemoryRateLimitStore();
    const admitted: number[] = [];
    let seed = 7;
    let now = 0;
    for (let i = 0; i < 5_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      now += seed % 1_500;
      if (store.hit('k', limit, now).allowed) admitted.push(now);
    }
    for (let i = limit.limit; i < admitted.length; i++) assert.ok(admitted[i]! - admitted[i - limit.limit]! >= 10_000, `admission ${i} is the ${limit.limit + 1}th within 10 s`);
    assert.ok(admitted.length > 1_000, 'and it admits what it may');
  });

  test('keys are counted apart', () => {
    const store = new MemoryRateLimitStore();
    for (let i = 0; i < 3; i++) store.hit('a', limit, 0);
    assert.equal(store.hit('a', limit, 1).allowed, false);
    assert.equal(store.hit('b', limit, 1).allowed, true);
  });
});

describe('rate limits through the gateway', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], {
      config: {
        auth: {
          strategy: 'api-key',
          apiKeys: [
            { key: 'key-a', name: 'a' },
            { key: 'key-b', name: 'b' },
            { key: 'key-tight', name: 'tight', rateLimit: { limit: 1 } },
            { key: 'key-tool', name: 'tool-user' },
            { key: 'key-mcp', name: 'mcp-user' },
            { key: 'key-ops', name: 'ops' },
          ],
        },
        rateLimit: { limit: 3, windowSeconds: 60, perTool: { 'demo/sleep': { limit: 1 } } },
      },
    });
  });
  after(() => gw.stop());

  test('every answer carries X-RateLimit-*; past the limit: 429, Retry-After and a JSON error', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const ok = await gw.get('/api/v1/tools', { 'x-api-key': 'key-a' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-ratelimit-limit'), '3');
      seen.push(ok.headers.get('x-ratelimit-remaining')!);
      assert.ok(Number(ok.headers.get('x-ratelimit-reset')) >= Date.now() / 1000);
    }
    assert.deepEqual(seen, ['2', '1', '0']);
    const refused = await gw.get('/api/v1/tools', { 'x-api-key': 'key-a' });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_RATE_LIMITED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(refused.body.error.data.retryAfterSeconds, retryAfter);
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
  });

  test('each key has its own budget; a key may carry its own limit; health is never limited', async () => {
    assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': 'key-b' })).status, 200);
    assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': 'key-tight' })).headers.get('x-ratelimit-limit'), '1');
    assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': 'key-tight' })).status, 429);
    for (let i = 0; i < 5; i++) assert.equal((await gw.get('/api/v1/health')).status, 200);
  });

  test('a per-tool limit refuses that tool while others still answer', async () => {
    const key = { 'x-api-key': 'key-tool' };
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'sleep', arguments: { ms: 1 } }, key)).status, 200);
    const refused = await gw.post('/api/v1/tools/call', { tool: 'sleep', arguments: { ms: 1 } }, key);
    assert.equal(refused.status, 429);
    assert.match(refused.body.error.message, /tool "sleep" on server "demo"/);
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'add', arguments: { a: 1, b: 1 } }, key)).status, 200);
  });

  test('/mcp: HTTP 429 with a JSON-RPC error carrying the same data', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await modernPost(gw.url, 'tools/list', {}, { 'x-api-key': 'key-mcp' })).status, 200);
    const refused = await modernPost(gw.url, 'tools/list', {}, { 'x-api-key': 'key-mcp' });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    const body = await refused.json();
    assert.equal(body.error.code, -32029);
    assert.equal(body.error.data.code, 'MCPGW_ERR_RATE_LIMITED');
    assert.equal(typeof body.error.data.detail.retryAfterSeconds, 'number');
  });

  test('refusals are counted: per caller at the front door, and as the rate_limited outcome of a call', async () => {
    const metrics = (await gw.get('/metrics', { 'x-api-key': 'key-ops' })).text;
    assert.match(metrics, /^mcp_gateway_front_door_refusals_total\{reason="rate_limited",caller="a"\} 1$/m);
    assert.match(metrics, /^mcp_gateway_front_door_refusals_total\{reason="rate_limited",caller="mcp-user"\} 1$/m);
    assert.match(metrics, /^mcp_gateway_tool_calls_total\{server="demo",tool="sleep",outcome="rate_limited"\} 1$/m);
    assert.match(metrics, /^mcp_gateway_caller_calls_total\{caller="tool-user",outcome="ok"\} 2$/m);
  });
});

describe('a global limit without authentication', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], { config: { rateLimit: { limit: 2, windowSeconds: 60, perKey: false } } });
  });
  after(() => gw.stop());

  test('perKey: false counts every caller together; the public paths stay unlimited', async () => {
    assert.equal((await gw.get('/api/v1/tools')).status, 200);
    assert.equal((await gw.get('/api/v1/servers')).status, 200);
    assert.equal((await gw.get('/api/v1/tools')).status, 429);
    assert.equal((await gw.get('/api/v1/health')).status, 200);
  });
});

describe('caller labels in metrics', () => {
  test('beyond the label budget, callers share "other", so a flood of names cannot grow the series without bound', async () => {
    const { GatewayMetrics, MAX_CALLER_LABELS } = await import('../../src/observability/metrics.js');
    const metrics = new GatewayMetrics({ serverGauges: () => [] }, { defaultMetrics: false });
    for (let i = 0; i < MAX_CALLER_LABELS + 50; i++) metrics.recordCall('s', 't', 'ok', 1, 1, `caller-${i}`);
    const text = await metrics.prometheus();
    const series = text.split('\n').filter((line) => line.startsWith('mcp_gateway_caller_calls_total{'));
    assert.equal(series.length, MAX_CALLER_LABELS + 1);
    assert.match(text, /^mcp_gateway_caller_calls_total\{caller="other",outcome="ok"\} 50$/m);
  });
});
