/**
 * Hot reload on a running gateway: under steady load, a changed server is
 * replaced, a removed one drains its call in flight, an added one starts, and
 * new keys and access rules apply to the next request — and no call is lost.
 * Then the admin endpoint: who may use it, and an invalid file refused with
 * the running config kept.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Gateway } from '../../src/gateway.js';
import { loadConfig, normalizeConfig } from '../../src/config/load.js';
import { demoServer } from '../fixtures/paths.js';
import { processesWithMark, startGateway } from '../helpers/gateway.js';

const demo = (id: string, extra: Record<string, unknown> = {}) => ({ id, command: process.execPath, args: [demoServer], ...extra });
const KEY = { 'x-api-key': 'steady-key' };
const keys = [{ key: 'steady-key', name: 'steady', roles: ['user'] }];

describe('reload under load', () => {
  test('servers are added, drained and replaced, and policy changes apply, without losing a call', async (t) => {
    const gw = await startGateway([demo('alpha'), demo('gamma')], { config: { auth: { strategy: 'api-key', apiKeys: keys } } });
    t.after(() => gw.stop());
    const mark = gw.mark;

    const statuses = new Map<number, number>();
    let running = true;
    const load = async () => {
      let i = 0;
      while (running) {
        const message = `steady ${i++}`;
        const answer = await gw.post('/api/v1/tools/call', { tool: 'echo', server: 'alpha', arguments: { message } }, KEY);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (answer.status === 200) assert.equal(answer.body.content[0].text, message);
      }
    };
    const loops = [load(), load(), load(), load()];
    // A call in flight on the server about to be removed: it must finish.
    const inFlight = gw.post('/api/v1/tools/call', { tool: 'sleep', server: 'gamma', arguments: { ms: 600, steps: 2 } }, KEY);
    await new Promise((resolve) => setTimeout(resolve, 150));

    const next = normalizeConfig(
      {
        port: 0,
        logLevel: 'silent',
        auth: { strategy: 'api-key', apiKeys: [...keys, { key: 'new-key', name: 'newcomer', roles: ['admin'] }] },
        access: [
          { role: 'user', allow: ['alpha/echo', 'beta/*'] },
          { role: 'admin', allow: ['*/*'] },
        ],
        servers: [demo('alpha', { tags: ['reloaded'], env: { MCPGW_TEST_MARK: mark } }), demo('beta', { env: { MCPGW_TEST_MARK: mark } })],
      },
      { env: {} },
    );
    const report = await gw.gateway.reload(next);
    await new Promise((resolve) => setTimeout(resolve, 150));
    running = false;
    await Promise.all(loops);

    assert.deepEqual({ ...report }, { added: ['beta'], removed: ['gamma'], replaced: ['alpha'], unchanged: [], failed: [], restartRequired: [] });
    assert.deepEqual([...statuses.keys()], [200], `every call answered 200: ${JSON.stringify([...statuses])}`);
    assert.ok(statuses.get(200)! > 20, 'the load kept going across the reload');
    const drained = await inFlight;
    assert.equal(drained.status, 200, 'the removed server finished its call in flight');
    assert.equal(drained.body.content[0].text, 'slept 600 ms');

    const servers = await gw.get('/api/v1/servers', KEY);
    assert.deepEqual(servers.body.servers.map((s: { id: string; tags: string[] }) => [s.id, s.tags]), [['alpha', ['reloaded']], ['beta', []]]);
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'echo', server: 'gamma', arguments: { message: 'x' } }, KEY)).status, 404);
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'add', server: 'beta', arguments: { a: 1, b: 2 } }, KEY)).status, 200);
    // The new access rules: the steady key may no longer add on alpha; the new key may.
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'add', server: 'alpha', arguments: { a: 1, b: 2 } }, KEY)).status, 403);
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'add', server: 'alpha', arguments: { a: 1, b: 2 } }, { 'x-api-key': 'new-key' })).status, 200);
    // One process per running server: the replaced and removed ones are gone.
    assert.equal(processesWithMark(mark).length, 2);
  });

  test('a changed server whose new workers cannot start keeps its old ones', async (t) => {
    const gw = await startGateway([demo('alpha')]);
    t.after(() => gw.stop());
    const next = normalizeConfig({ port: 0, logLevel: 'silent', servers: [{ id: 'alpha', command: '/nonexistent/binary', restart: { maxRestarts: 0 } }] }, { env: {} });
    const report = await gw.gateway.reload(next);
    assert.deepEqual(report.replaced, []);
    assert.equal(report.failed[0]?.id, 'alpha');
    assert.equal((await gw.call('echo', { message: 'still here' })).body.content[0].text, 'still here');
  });
});

describe('POST /api/v1/admin/reload', () => {
  test('an admin reloads from the file; others get 403; an invalid file is refused and changes nothing', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpgw-reload-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'gw.yml');
    const write = (servers: string[], port = 0) =>
      writeFile(
        file,
        [
          `port: ${port}`,
          'logLevel: silent',
          'auth: { strategy: api-key, apiKeys: [{ key: admin-key, name: root, roles: [admin] }, { key: user-key, name: user }] }',
          'servers:',
          ...servers.map((id) => `  - { id: ${id}, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(demoServer)}] }`),
          '',
        ].join('\n'),
      );
    await write(['one']);
    const gateway = new Gateway(await loadConfig(file, { env: {} }), { httpEngine: 'node', logLevel: 'silent', configSource: () => loadConfig(file, { env: {} }) });
    await gateway.start();
    t.after(() => gateway.stop());
    const reload = (key: string) => fetch(`${gateway.url}/api/v1/admin/reload`, { method: 'POST', headers: { 'x-api-key': key } });

    await write(['one', 'two'], 4999);
    const refused = await reload('user-key');
    assert.equal(refused.status, 403);
    assert.match((await refused.json()).error.message, /user may not reload the config/);
    const done = await reload('admin-key');
    assert.equal(done.status, 200);
    assert.deepEqual(await done.json(), { added: ['two'], removed: [], replaced: [], unchanged: ['one'], failed: [], restartRequired: ['port'] });
    assert.equal(gateway.supervisor.groups().length, 2);

    await writeFile(file, 'port: 0\nservers:\n  - { id: "bad id!", command: node }\n');
    const invalid = await reload('admin-key');
    assert.equal(invalid.status, 422);
    const body = await invalid.json();
    assert.equal(body.error.code, 'MCPGW_ERR_RELOAD_REFUSED');
    assert.match(body.error.message, /servers\[0\]\.id: must be 1-64 letters/);
    assert.ok(Array.isArray(body.error.data.errors));
    assert.deepEqual(gateway.supervisor.groups().map((group) => group.config.id), ['one', 'two'], 'the running config stays');
  });

  test('without authentication, only a caller on this machine may reload', async (t) => {
    const gw = await startGateway([demo('alpha')]);
    t.after(() => gw.stop());
    // This gateway has no config source, and the loopback caller is allowed to hear so.
    const answer = await gw.post('/api/v1/admin/reload', {});
    assert.equal(answer.status, 422);
    assert.match(answer.body.error.message, /no config source/);
  });
});
