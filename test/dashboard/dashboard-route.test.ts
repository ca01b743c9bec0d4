/**
 * /dashboard over HTTP on both engines: the page and its assets (public, with
 * the page's own CSP), what a browser without a key can and cannot get, and
 * GET /api/v1/admin/whoami, the check the page makes before it shows anything.
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { DASHBOARD_CSP } from '../../src/front-door/dashboard.js';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';

const servers = [{ id: 'demo', command: process.execPath, args: [demoServer] }];
const auth = { strategy: 'api-key', apiKeys: [{ key: 'admin-key', name: 'ops', roles: ['admin'] }, { key: 'reader-key', name: 'reader', roles: ['reader'] }] };

/** An address of this machine other than loopback, to be a "remote" browser; undefined when there is none. */
function outsideAddress(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  return undefined;
}

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`/dashboard on the ${engine} engine, authentication on`, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await startGateway(servers, { engine, config: { auth } });
    });
    after(() => gw.stop());

    test('the page needs no key and carries a CSP that allows its own script and style only', async () => {
      for (const path of ['/dashboard', '/dashboard/']) {
        const page = await gw.get(path);
        assert.equal(page.status, 200, path);
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        assert.equal(page.headers.get('content-security-policy'), DASHBOARD_CSP);
        assert.equal(page.headers.get('x-frame-options'), 'DENY');
        assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
        assert.match(page.text, /<script type="module" src="\/dashboard\/main\.js"><\/script>/);
        assert.doesNotMatch(page.text, /<script>|style=|https?:\/\//, 'no inline script or style, nothing from elsewhere');
        assert.match(page.text, /<meta name="mcp-gateway-authentication" content="on">/);
      }
    });

    test('the assets are served with their types; anything else is a coded 404 or 405', async () => {
      const script = await gw.get('/dashboard/main.js');
      assert.equal(script.status, 200);
      assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
      const style = await gw.get('/dashboard/dashboard.css');
      assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
      assert.equal((await gw.get('/dashboard/icon.svg')).headers.get('content-type'), 'image/svg+xml');
      for (const path of ['/dashboard/nope.js', '/dashboard/..%2fpackage.json', '/dashboard/sub/main.js']) {
        const missing = await gw.get(path);
        assert.equal(missing.status, 404, path);
        assert.equal(missing.body.error.code, 'MCPGW_ERR_ROUTE_NOT_FOUND', path);
      }
      const posted = await gw.post('/dashboard', {});
      assert.equal(posted.status, 405);
      assert.equal(posted.headers.get('allow'), 'GET');
    });

    test('whoami: 401 without a key, 403 for a key without an admin role, the caller for an admin', async () => {
      const none = await gw.get('/api/v1/admin/whoami');
      assert.equal(none.status, 401);
      assert.equal(none.body.error.code, 'MCPGW_ERR_UNAUTHORIZED');
      const reader = await gw.get('/api/v1/admin/whoami', { 'x-api-key': 'reader-key' });
      assert.equal(reader.status, 403);
      assert.equal(reader.body.error.code, 'MCPGW_ERR_FORBIDDEN');
      assert.match(reader.body.error.message, /reader may not use the dashboard \(needs one of auth\.adminRoles\)/);
      const admin = await gw.get('/api/v1/admin/whoami', { 'x-api-key': 'admin-key' });
      assert.equal(admin.status, 200);
      assert.deepEqual(admin.body, { name: 'ops', via: 'api-key', roles: ['admin'], authentication: true });
    });
  });
}

describe('/dashboard without authentication', () => {
  let gw: RunningGateway;
  const outside = outsideAddress();
  before(async () => {
    gw = await startGateway(servers, { config: { host: '0.0.0.0' } });
  });
  after(() => gw.stop());

  test('a browser on this machine gets the page and passes whoami', async () => {
    const page = await gw.get('/dashboard');
    assert.equal(page.status, 200);
    assert.match(page.text, /<meta name="mcp-gateway-authentication" content="off">/);
    const me = await gw.get('/api/v1/admin/whoami');
    assert.equal(me.status, 200);
    assert.equal(me.body.authentication, false);
  });

  test('a browser elsewhere gets neither', { skip: outside === undefined ? 'this machine has no non-loopback IPv4 address to call from' : false }, async () => {
    const base = `http://${outside}:${gw.gateway.port}`;
    for (const path of ['/dashboard', '/dashboard/main.js', '/api/v1/admin/whoami']) {
      const response = await fetch(base + path);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(response.status, 403, path);
      assert.equal(body.error.code, 'MCPGW_ERR_FORBIDDEN', path);
      assert.match(body.error.message, /only a (browser|caller) on this machine/);
    }
  });
});
