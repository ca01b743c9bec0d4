/**
 * GET /api/v1/metrics through a real gateway: exact counts per outcome after
 * known calls, rates and percentiles per server and tool, rate-limit refusals
 * by caller at the front door and by per-tool limits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

describe('metrics JSON', () => {
  let gw: RunningGateway;
  const admin = { 'x-api-key': 'admin-key' };
  const bot = { 'x-api-key': 'bot-key' };

  before(async () => {
    gw = await startGateway([{ id: 'demo', command: process.execPath, args: [demoServer] }], {
      config: {
        auth: { strategy: 'api-key', apiKeys: [{ key: 'admin-key', name: 'ops', roles: ['admin'] }, { key: 'bot-key', name: 'ci-bot', rateLimit: { limit: 4 } }] },
        rateLimit: { limit: 1000, windowSeconds: 60, perTool: { 'demo/fail': { limit: 1 } } },
      },
    });
  });
  after(() => gw.stop());

  test('counts, rates, percentiles and refusals after known calls', async () => {
    const call = (tool: string, args: Record<string, unknown>, headers: Record<string, string>) => gw.post('/api/v1/tools/call', { tool, arguments: args }, headers);
    for (let i = 0; i < 5; i++) assert.equal((await call('echo', { message: `m${i}` }, admin)).status, 200);
    assert.equal((await call('fail', {}, admin)).status, 200);
    assert.equal((await call('fail', {}, admin)).status, 429, 'the per-tool limit');
    // ci-bot: 4 requests allowed, then the front door refuses.
    for (let i = 0; i < 4; i++) assert.equal((await call('add', { a: i, b: 1 }, bot)).status, 200);
    assert.equal((await call('add', { a: 9, b: 1 }, bot)).status, 429);
    assert.equal((await call('add', { a: 9, b: 1 }, bot)).status, 429);
    assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': 'wrong' })).status, 401);

    const { status, body } = await gw.get('/api/v1/metrics', admin);
    assert.equal(status, 200);
    assert.deepEqual({ calls: body.totals.calls, errors: body.totals.errors }, { calls: 11, errors: 2 });
    const echo = body.tools['demo__echo'];
    assert.deepEqual({ calls: echo.calls, errors: echo.errors, samples: echo.latencyMs.samples }, { calls: 5, errors: 0, samples: 5 });
    assert.ok(echo.latencyMs.p50 <= echo.latencyMs.p95 && echo.latencyMs.p95 <= echo.latencyMs.p99);
    assert.ok(echo.rates['1m'] > 0 && echo.rates['5m'] > 0 && echo.rates['15m'] > 0);
    assert.deepEqual({ calls: body.tools['demo__fail'].calls, errors: body.tools['demo__fail'].errors }, { calls: 2, errors: 2 });
    const demo = body.servers.demo;
    assert.deepEqual({ calls: demo.calls, up: demo.up, inFlight: demo.inFlight, tools: demo.tools }, { calls: 11, up: true, inFlight: 0, tools: 4 });
    assert.ok(body.totals.rates['1m'] > 0);

    assert.deepEqual(body.callers['ops'], { calls: 7, errors: 2, rateLimited: 1 });
    assert.deepEqual(body.callers['ci-bot'], { calls: 4, errors: 0, rateLimited: 0 });
    assert.deepEqual(body.refusals, [
      { reason: 'rate_limited', caller: 'ci-bot', count: 2 },
      { reason: 'unauthorized', caller: 'none', count: 1 },
    ]);
  });
});
