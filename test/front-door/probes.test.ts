/**
 * GET /health/live and /health/ready, on both engines, with authentication
 * on: public, minimal, and different while an upstream is down — liveness
 * stays 200 (a restart would not mend an upstream), readiness follows
 * health.readyMinServers and says why it is 503.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

const auth = { strategy: 'api-key', apiKeys: [{ key: 'k', name: 'ops' }] };
// Exits at once, every time: never ready.
const broken = { id: 'broken', command: process.execPath, args: ['-e', 'process.exit(3)'], restart: { maxRestarts: 0 } };

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`probes on the ${engine} engine`, () => {
    let oneDown: RunningGateway;
    let strict: RunningGateway;
    let allDown: RunningGateway;
    before(async () => {
      const demo = { id: 'demo', command: process.execPath, args: [demoServer] };
      [oneDown, strict, allDown] = await Promise.all([
        startGateway([demo, broken], { engine, config: { auth } }),
        startGateway([demo, broken], { engine, config: { auth, health: { readyMinServers: 2 } } }),
        startGateway([broken], { engine, config: { auth } }),
      ]);
    });
    after(() => Promise.all([oneDown.stop(), strict.stop(), allDown.stop()]));

    test('live is 200 with a minimal body, without a credential, whatever the upstreams do', async () => {
      for (const gw of [oneDown, strict, allDown]) {
        const live = await gw.get('/health/live');
        assert.equal(live.status, 200);
        assert.deepEqual(live.body, { status: 'live' });
      }
      assert.equal((await oneDown.get('/api/v1/tools')).status, 401, 'the rest still needs a credential');
    });

    test('ready with the default (1 server): 200 while one of two is down', async () => {
      const ready = await oneDown.get('/health/ready');
      assert.equal(ready.status, 200, ready.text);
      assert.deepEqual(ready.body, { status: 'ready', serversReady: 1, serversRequired: 1 });
    });

    test('ready is 503 with the reason when fewer than readyMinServers are ready', async () => {
      for (const gw of [strict, allDown]) {
        const ready = await gw.get('/health/ready');
        assert.equal(ready.status, 503, ready.text);
        assert.equal(ready.body.status, 'not_ready');
        assert.match(ready.body.reason, /broken \(/);
        assert.equal(ready.body.serversReady, gw === strict ? 1 : 0);
      }
      assert.equal((await strict.get('/health/live')).status, 200, 'not ready is not dead');
    });

    test('without servers there is nothing to wait for; wrong methods get 405', async () => {
      assert.equal((await oneDown.post('/health/ready', {})).status, 405);
      const gw = await startGateway([], { engine, config: { auth, shutdownGraceSeconds: 1 } });
      assert.equal((await gw.get('/health/ready')).status, 200, 'no servers configured: nothing to wait for');
      await gw.stop();
    });
  });
}
