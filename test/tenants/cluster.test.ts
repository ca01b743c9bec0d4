/**
 * Multi-tenant mode in a cluster: a list change one instance sees in one
 * tenant's view is relayed to that tenant's listen streams on the other
 * instance, and to nobody else's; a tenant's quota is one across instances.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { fixtures } from '../fixtures/paths.js';
import { randomPrefix, skipWithoutRedis, startCluster, type TestCluster } from '../cluster/helpers.js';

const fixture = (tenant: string) => ({ id: `${tenant}-srv`, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'same' }, tenant });

interface Listener {
  readonly changes: number[];
  close(): Promise<void>;
}

async function listenOn(url: string, key: string): Promise<Listener> {
  const client = new Client({ name: 'tenant-cluster', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  const changes: number[] = [];
  client.setNotificationHandler('notifications/tools/list_changed', () => void changes.push(Date.now()));
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { 'x-api-key': key } } }));
  const subscription = await client.listen({ toolsListChanged: true });
  return {
    changes,
    async close() {
      await subscription.close();
      await client.close();
    },
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('tenants across instances', { skip: skipWithoutRedis('tenant cluster') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(2, [fixture('a'), fixture('b')], {
      auth: { strategy: 'api-key', apiKeys: [{ key: 'key-a', name: 'a', tenant: 'a', roles: ['approver'] }, { key: 'key-b', name: 'b', tenant: 'b' }, { key: 'key-admin', name: 'root', roles: ['admin'] }] },
      approval: { rules: [{ tools: ['*/slow'], ask: 'approver' }], approverRoles: ['approver'] },
      tenants: { a: { quota: { callsPerDay: 2 } }, b: {} },
      // Tenant limits live in the rate-limit store: Redis, so every instance shares them.
      rateLimit: { enabled: false, store: 'redis', redis: { url: 'redis://127.0.0.1:6379', keyPrefix: `${randomPrefix()}rl:` } },
    });
  });
  after(() => cluster.stop());

  test('a tenant\'s list change on one instance reaches its listeners on the other, and no other tenant\'s', async () => {
    const [first, second] = cluster.instances;
    const a = await listenOn(first!.url, 'key-a');
    const b = await listenOn(first!.url, 'key-b');
    const admin = await listenOn(first!.url, 'key-admin');
    try {
      // b's server on the second instance grows a tool: its catalog there changes, the first instance's does not.
      const added = await second!.post('/api/v1/tools/call', { tool: 'add_tool' }, { 'x-api-key': 'key-b' });
      assert.equal(added.status, 200, added.text);
      await until(() => b.changes.length >= 1 && admin.changes.length >= 1, 'b and the administrator to hear of it');
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.deepEqual(a.changes, [], 'tenant a heard of tenant b\'s list change');
    } finally {
      await Promise.all([a.close(), b.close(), admin.close()]);
    }
  });

  test('approvals across instances: another tenant\'s held call is neither listed nor decidable; an administrator sees it', async () => {
    const [first, second] = cluster.instances;
    const held = second!.post('/api/v1/tools/call', { tool: 'slow', arguments: { ms: 1 } }, { 'x-api-key': 'key-b' });
    let pending: { id: string; instance: string }[] = [];
    for (let i = 0; i < 100 && pending.length === 0; i++) {
      pending = (await first!.get('/api/v1/approvals', { 'x-api-key': 'key-admin' })).body.approvals;
      if (pending.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.instance, 'gw-1');
    const listed = await first!.get('/api/v1/approvals', { 'x-api-key': 'key-a' });
    assert.deepEqual(listed.body.approvals, []);
    const theirs = await first!.post(`/api/v1/approvals/${pending[0]!.id}`, { decision: 'approve' }, { 'x-api-key': 'key-a' });
    const missing = await first!.post('/api/v1/approvals/00000000-0000-4000-8000-000000000000', { decision: 'approve' }, { 'x-api-key': 'key-a' });
    assert.equal(theirs.status, 404);
    assert.equal(theirs.text.split(pending[0]!.id).join('X'), missing.text.split('00000000-0000-4000-8000-000000000000').join('X'));
    assert.equal((await first!.post(`/api/v1/approvals/${pending[0]!.id}`, { decision: 'deny' }, { 'x-api-key': 'key-admin' })).status, 200);
    assert.equal((await held).status, 403);
  });

  test('a tenant\'s quota counts its calls on every instance', async () => {
    const [first, second] = cluster.instances;
    assert.equal((await first!.post('/api/v1/tools/call', { tool: 'shared' }, { 'x-api-key': 'key-a' })).status, 200);
    assert.equal((await second!.post('/api/v1/tools/call', { tool: 'shared' }, { 'x-api-key': 'key-a' })).status, 200);
    const refused = await first!.post('/api/v1/tools/call', { tool: 'shared' }, { 'x-api-key': 'key-a' });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_QUOTA_EXCEEDED');
    assert.equal((await second!.post('/api/v1/tools/call', { tool: 'shared' }, { 'x-api-key': 'key-b' })).status, 200);
  });
});
