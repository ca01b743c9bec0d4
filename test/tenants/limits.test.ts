/**
 * A tenant's own limits over real gateways: the daily quota (N calls, then
 * MCPGW_ERR_QUOTA_EXCEEDED with Retry-After to the next UTC midnight, over
 * REST and MCP; another tenant unaffected), the tenant-wide window limit
 * across its keys, both shared through Redis by two instances, and a reload
 * that changes them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { normalizeConfig } from '../../src/config/load.js';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const DEMO = { id: 'demo', command: process.execPath, args: [demoServer] };

const keys = [
  { key: 'q1-key-a', name: 'q1-a', tenant: 'q1' },
  { key: 'q1-key-b', name: 'q1-b', tenant: 'q1' },
  { key: 'q2-key', name: 'q2', tenant: 'q2' },
  { key: 'rl-key-a', name: 'rl-a', tenant: 'rl' },
  { key: 'rl-key-b', name: 'rl-b', tenant: 'rl' },
];

function limitsConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auth: { strategy: 'api-key', apiKeys: keys },
    tenants: {
      q1: { share: ['demo/*'], quota: { callsPerDay: 3 } },
      q2: { share: ['demo/*'], quota: { callsPerDay: 3 } },
      rl: { share: ['demo/*'], rateLimit: { limit: 2, windowSeconds: 60 } },
    },
    ...extra,
  };
}

const add = { tool: 'add', arguments: { a: 1, b: 2 } };
const as = (key: string) => ({ 'x-api-key': key });

/** Seconds from now to the next 00:00 UTC. */
function secondsToMidnight(): number {
  const now = Date.now();
  return Math.ceil((Math.floor(now / 86_400_000) * 86_400_000 + 86_400_000 - now) / 1000);
}

describe('tenant quota and rate limit (memory store)', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([DEMO], { config: limitsConfig() });
  });
  after(() => gw.stop());

  test('N calls a day pass, call N+1 is refused until midnight UTC, whichever of the tenant\'s keys; another tenant is unaffected', async () => {
    for (const key of ['q1-key-a', 'q1-key-b', 'q1-key-a']) assert.equal((await gw.post('/api/v1/tools/call', add, as(key))).status, 200);
    const refused = await gw.post('/api/v1/tools/call', add, as('q1-key-b'));
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_QUOTA_EXCEEDED');
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Math.abs(retryAfter - secondsToMidnight()) <= 2, `Retry-After ${retryAfter}, midnight in ${secondsToMidnight()} s`);
    assert.equal(refused.body.error.data.limit, 3);
    assert.equal(new Date(refused.body.error.data.resetAt).getUTCHours(), 0);
    // Refusals are not counted, and the tenant's other surfaces are refused alike.
    assert.equal((await gw.post('/api/v1/prompts/get', { name: 'greet', arguments: { name: 'a' } }, as('q1-key-a'))).status, 429);
    for (let i = 0; i < 3; i++) assert.equal((await gw.post('/api/v1/tools/call', add, as('q2-key'))).status, 200, 'q2 has its own quota');
    assert.equal((await gw.post('/api/v1/tools/call', add, as('q2-key'))).status, 429);
    const log = await gw.get('/api/v1/requests?status=429', as('q1-key-a'));
    assert.ok(log.body.requests.length >= 2);
    assert.ok(log.body.requests.every((entry: { errorCode: string; tenant: string }) => entry.errorCode === 'MCPGW_ERR_QUOTA_EXCEEDED' && entry.tenant === 'q1'));
  });

  test('over MCP the refusal is JSON-RPC -32030 with data.detail.retryAfterSeconds', async () => {
    const client = new Client({ name: 'quota-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: as('q1-key-a') } }));
    try {
      const error = await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }).then(
        () => assert.fail('the call should be refused'),
        (thrown: { code?: number; data?: { code?: string; detail?: { retryAfterSeconds?: number } } }) => thrown,
      );
      assert.equal(error.code, -32030);
      assert.equal(error.data?.code, 'MCPGW_ERR_QUOTA_EXCEEDED');
      assert.ok((error.data?.detail?.retryAfterSeconds ?? 0) >= 1);
    } finally {
      await client.close();
    }
  });

  test('the tenant\'s window limit counts all its keys together', async () => {
    assert.equal((await gw.post('/api/v1/tools/call', add, as('rl-key-a'))).status, 200);
    assert.equal((await gw.post('/api/v1/tools/call', add, as('rl-key-b'))).status, 200);
    const refused = await gw.post('/api/v1/tools/call', add, as('rl-key-a'));
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_RATE_LIMITED');
    assert.match(refused.body.error.message, /tenant "rl"/);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  });

  test('a reload raises the quota at once, the day\'s count kept', async () => {
    const next = normalizeConfig({ ...limitsConfig(), port: 0, host: '127.0.0.1', logLevel: 'silent', servers: gw.gateway.config.servers.map(({ id, command, args, env }) => ({ id, command, args, env })) }, { env: {} });
    const raised = { ...next, tenants: { ...next.tenants, q1: { ...next.tenants.q1!, quota: { callsPerDay: 5 } } } };
    const report = await gw.gateway.reload(raised);
    assert.deepEqual(report.restartRequired, []);
    assert.equal((await gw.post('/api/v1/tools/call', add, as('q1-key-a'))).status, 200);
    assert.equal((await gw.post('/api/v1/tools/call', add, as('q1-key-a'))).status, 200);
    assert.equal((await gw.post('/api/v1/tools/call', add, as('q1-key-a'))).status, 429);
  });
});

describe('tenant quota shared through Redis by two instances', () => {
  let a: RunningGateway;
  let b: RunningGateway;
  before(async () => {
    const config = limitsConfig({ rateLimit: { enabled: false, store: 'redis', redis: { url: 'redis://127.0.0.1:6379', keyPrefix: `mcpgw-test:${randomUUID()}:` } } });
    [a, b] = await Promise.all([startGateway([DEMO], { config }), startGateway([DEMO], { config })]);
  });
  after(() => Promise.all([a.stop(), b.stop()]));

  test('calls on either instance use one quota and one window', async () => {
    assert.equal((await a.post('/api/v1/tools/call', add, as('q1-key-a'))).status, 200);
    assert.equal((await b.post('/api/v1/tools/call', add, as('q1-key-b'))).status, 200);
    assert.equal((await a.post('/api/v1/tools/call', add, as('q1-key-a'))).status, 200);
    const refused = await b.post('/api/v1/tools/call', add, as('q1-key-a'));
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_QUOTA_EXCEEDED');
    assert.equal((await b.post('/api/v1/tools/call', add, as('q2-key'))).status, 200);
    assert.equal((await a.post('/api/v1/tools/call', add, as('rl-key-a'))).status, 200);
    assert.equal((await b.post('/api/v1/tools/call', add, as('rl-key-b'))).status, 200);
    assert.equal((await a.post('/api/v1/tools/call', add, as('rl-key-b'))).status, 429);
  });
});
