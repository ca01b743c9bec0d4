/**
 * A token's claim names its tenant (`auth.jwt.tenantClaim`): a real gateway
 * verifying HS256 tokens gives a token of tenant acme acme's view, a token
 * without the claim the untenanted view, and a token naming a tenant no config
 * declares nothing at all — its calls land in a slice only administrators see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { demoServer, fixtures } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';

const SECRET = 'a-hmac-secret-of-at-least-32-characters!';

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(String(claims.sub ?? 'someone')).setIssuedAt().setExpirationTime('10m').sign(Buffer.from(SECRET));
}

const bearer = (jwt: string) => ({ authorization: `Bearer ${jwt}` });
const ids = (body: { servers: { id: string }[] }) => body.servers.map((server) => server.id).sort();

describe('tenants from a JWT claim', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway(
      [
        { id: 'acme-tools', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'acme-fixture' }, tenant: 'acme' },
        { id: 'shared-demo', command: process.execPath, args: [demoServer] },
      ],
      {
        config: {
          auth: { strategy: 'jwt', jwt: { secret: SECRET, tenantClaim: 'org.id', rolesClaim: 'roles' } },
          tenants: { acme: { share: ['shared-demo/add'] } },
        },
      },
    );
  });
  after(() => gw.stop());

  test('the claim (a dotted path) picks the view: acme\'s, the untenanted one, or none', async () => {
    const acme = bearer(await token({ sub: 'ann', org: { id: 'acme' } }));
    const plain = bearer(await token({ sub: 'bob' }));
    const stranger = bearer(await token({ sub: 'eve', org: { id: 'initech' } }));
    const admin = bearer(await token({ sub: 'root', roles: ['admin'] }));

    const mine = await gw.get('/api/v1/servers', acme);
    assert.deepEqual(ids(mine.body), ['acme-tools', 'shared-demo']);
    assert.equal(mine.headers.get('x-mcp-gateway-scope'), 'tenant=acme');
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'shared' }, acme)).status, 200);

    assert.deepEqual(ids((await gw.get('/api/v1/servers', plain)).body), ['shared-demo']);
    assert.equal((await gw.post('/api/v1/tools/call', { tool: 'shared' }, plain)).status, 404);

    const nothing = await gw.get('/api/v1/servers', stranger);
    assert.deepEqual(ids(nothing.body), []);
    assert.deepEqual((await gw.get('/api/v1/tools', stranger)).body.tools, []);
    const refused = await gw.post('/api/v1/tools/call', { tool: 'add', arguments: { a: 1, b: 1 } }, stranger);
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_UNKNOWN_TOOL');
    // Its own refused call is in no view but the administrators', under one label whatever the claim said.
    assert.deepEqual((await gw.get('/api/v1/requests', stranger)).body.requests, []);
    const all = await gw.get('/api/v1/requests', admin);
    assert.equal(all.headers.get('x-mcp-gateway-scope'), 'all-tenants');
    assert.ok(all.body.requests.some((entry: { caller: string; tenant?: string }) => entry.caller === 'eve' && entry.tenant === '(undeclared)'));
    assert.ok(all.body.requests.some((entry: { caller: string; tenant?: string }) => entry.caller === 'ann' && entry.tenant === 'acme'));
  });
});
