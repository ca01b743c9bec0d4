/**
 * Authentication on every path, against a real gateway and real SDK clients:
 * API keys (plain and hashed), JWTs (HMAC, PEM, JWKS with rotation and a slow
 * endpoint), the OAuth resource-server duties MCP clients rely on, and token
 * introspection against a token endpoint written here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { demoServer } from '../fixtures/paths.js';
import { startGateway, type EngineName, type RunningGateway } from '../helpers/gateway.js';
import { json, legacyClient, modernClient, modernPost, serve, type TestHttpServer } from './helpers.js';

const DEMO = { id: 'demo', command: process.execPath, args: [demoServer] };
const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const PLAIN_KEY = 'plain-key-do-not-log-me';
const HASHED_KEY = 'hashed-key-do-not-log-me';

function hmacToken(claims: Record<string, unknown>, options: { secret?: string; expiresIn?: string | number; audience?: string; issuer?: string } = {}): Promise<string> {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (options.expiresIn !== undefined) jwt = jwt.setExpirationTime(options.expiresIn);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  return jwt.sign(Buffer.from(options.secret ?? SECRET));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

for (const engine of ['uws', 'node'] as EngineName[]) {
  describe(`api keys on the ${engine} engine`, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await startGateway([DEMO], {
        engine,
        config: {
          auth: {
            strategy: 'api-key',
            apiKeys: [
              { key: PLAIN_KEY, name: 'ci-bot' },
              { key: `sha256:${createHash('sha256').update(HASHED_KEY).digest('hex')}`, name: 'hashed' },
              'bare-key-of-someone',
            ],
          },
        },
      });
    });
    after(() => gw.stop());

    test('health and well-known stay public; other routes want a credential (401, a JSON error, a challenge)', async () => {
      assert.equal((await gw.get('/api/v1/health')).status, 200);
      for (const path of ['/api/v1/tools', '/api/v1/servers', '/api/v1/metrics', '/api/v1/requests', '/metrics']) {
        const refused = await gw.get(path);
        assert.equal(refused.status, 401, path);
        assert.equal(refused.body.error.code, 'MCPGW_ERR_UNAUTHORIZED');
        assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="mcp-gateway"');
      }
      const call = await gw.call('echo', { message: 'x' });
      assert.equal(call.status, 401);
    });

    test('a key is accepted as X-API-Key or as a bearer credential, plain or configured as its SHA-256', async () => {
      assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': PLAIN_KEY })).status, 200);
      assert.equal((await gw.get('/api/v1/tools', bearer(PLAIN_KEY))).status, 200);
      assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': HASHED_KEY })).status, 200);
      assert.equal((await gw.get('/api/v1/tools', { 'x-api-key': 'bare-key-of-someone' })).status, 200);
    });

    test('an unknown key or a malformed Authorization header is refused without echoing the secret', async () => {
      const wrong = await gw.get('/api/v1/tools', { 'x-api-key': 'guess-1234' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.message, 'unknown API key');
      assert.ok(!wrong.text.includes('guess-1234'));
      const basic = await gw.get('/api/v1/tools', { authorization: 'Basic Zm9vOmJhcg==' });
      assert.equal(basic.status, 401);
      assert.match(basic.body.error.message, /Bearer/);
      const almost = await gw.get('/api/v1/tools', { 'x-api-key': PLAIN_KEY.slice(0, -1) });
      assert.equal(almost.status, 401);
    });

    test('the request log and metrics name the key, never its value', async () => {
      const call = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'logged' } }, { 'x-api-key': PLAIN_KEY });
      assert.equal(call.status, 200);
      const log = await gw.get('/api/v1/requests?caller=ci-bot', { 'x-api-key': PLAIN_KEY });
      assert.equal(log.body.requests[0].caller, 'ci-bot');
      const anonymous = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'x' } }, { 'x-api-key': 'bare-key-of-someone' });
      assert.equal(anonymous.status, 200);
      const all = await gw.get('/api/v1/requests', { 'x-api-key': PLAIN_KEY });
      assert.ok(all.body.requests.some((entry: { caller: string }) => entry.caller === 'api-key-3'));
      const metrics = await gw.get('/metrics', { 'x-api-key': PLAIN_KEY });
      assert.match(metrics.text, /^mcp_gateway_caller_calls_total\{caller="ci-bot",outcome="ok"\} [1-9]/m);
      assert.match(metrics.text, /^mcp_gateway_front_door_refusals_total\{reason="unauthorized",caller="none"\} [1-9]/m);
      for (const text of [all.text, metrics.text]) for (const secret of [PLAIN_KEY, HASHED_KEY, 'bare-key-of-someone']) assert.ok(!text.includes(secret));
    });

    test('/mcp: 401 with a JSON-RPC body; SDK clients of both eras get in with a key', async () => {
      const refused = await modernPost(gw.url, 'tools/list', {});
      assert.equal(refused.status, 401);
      assert.ok(refused.headers.get('www-authenticate')?.startsWith('Bearer'));
      const body = await refused.json();
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.error.code, -32010);
      assert.equal(body.error.data.code, 'MCPGW_ERR_UNAUTHORIZED');

      const modern = await modernClient(gw.url, { 'x-api-key': PLAIN_KEY });
      assert.ok((await modern.listTools()).tools.some((tool) => tool.name === 'echo'));
      await modern.close();
      const { client } = await legacyClient(gw.url, bearer(PLAIN_KEY));
      const result = await client.callTool({ name: 'echo', arguments: { message: 'legacy with key' } });
      assert.equal((result.content as { text: string }[])[0]?.text, 'legacy with key');
      await client.close();
    });

    test('a 2025 session belongs to the key that opened it: another key gets 404, as for a missing session', async () => {
      const { client, transport } = await legacyClient(gw.url, { 'x-api-key': PLAIN_KEY });
      const sessionId = transport.sessionId!;
      const post = (key: string) =>
        fetch(`${gw.url}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18', 'x-api-key': key },
          body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
        });
      const stolen = await post(HASHED_KEY);
      assert.equal(stolen.status, 404);
      assert.equal((await stolen.json()).error.data.code, 'MCPGW_ERR_UNKNOWN_SESSION');
      assert.equal((await post(PLAIN_KEY)).status, 200);
      await client.close();
    });
  });
}

describe('JWT with an HMAC secret', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([DEMO], {
      config: { auth: { strategy: 'jwt', jwt: { secret: SECRET, issuer: 'https://idp.test', audience: 'mcp-gateway', requiredClaims: ['sub'], clockToleranceSeconds: 0 } } },
    });
  });
  after(() => gw.stop());

  const good = { issuer: 'https://idp.test', audience: 'mcp-gateway', expiresIn: '5m' };

  test('a good token gets in, and its subject names the caller', async () => {
    const token = await hmacToken({ sub: 'alice' }, good);
    const call = await gw.post('/api/v1/tools/call', { tool: 'echo', arguments: { message: 'hi' } }, bearer(token));
    assert.equal(call.status, 200);
    const log = await gw.get('/api/v1/requests?limit=1', bearer(token));
    assert.equal(log.body.requests[0].caller, 'alice');
    assert.ok(!log.text.includes(token));
  });

  test('expired, foreign-audience, foreign-issuer, forged, unsigned, malformed and incomplete tokens are refused with the reason', async () => {
    const cases: [string, string, RegExp][] = [
      ['expired', await hmacToken({ sub: 'a' }, { ...good, expiresIn: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      ['wrong audience', await hmacToken({ sub: 'a' }, { ...good, audience: 'another-service' }), /audience/],
      ['wrong issuer', await hmacToken({ sub: 'a' }, { ...good, issuer: 'https://evil.test' }), /issuer/],
      ['forged', await hmacToken({ sub: 'a' }, { ...good, secret: 'another-secret-that-is-long-enough-9876543210' }), /signature/],
      ['no subject', await hmacToken({}, good), /"sub" claim/],
      ['malformed', 'not.a-jwt.at-all', /malformed|signature/],
    ];
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'mallory', iss: 'https://idp.test', aud: 'mcp-gateway', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
    cases.push(['alg none', `${header}.${payload}.`, /algorithm/]);
    for (const [label, token, reason] of cases) {
      const refused = await gw.get('/api/v1/tools', bearer(token));
      assert.equal(refused.status, 401, label);
      assert.equal(refused.body.error.code, 'MCPGW_ERR_UNAUTHORIZED', label);
      assert.match(refused.body.error.message, reason, label);
      assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/, label);
    }
  });

  test('an API key is not a credential when only jwt is configured', async () => {
    const refused = await gw.get('/api/v1/tools', { 'x-api-key': 'anything' });
    assert.equal(refused.status, 401);
    assert.match(refused.body.error.message, /API keys are not accepted/);
  });
});

describe('JWT with a PEM public key, and api-key alongside', () => {
  let gw: RunningGateway;
  let privateKey: CryptoKey;
  before(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    gw = await startGateway([DEMO], {
      config: { auth: { strategy: ['api-key', 'jwt'], apiKeys: [{ key: PLAIN_KEY, name: 'ci' }], jwt: { publicKey: await exportSPKI(pair.publicKey), rolesClaim: 'realm_access.roles' } } },
    });
  });
  after(() => gw.stop());

  test('an ES256 token and an API key both get in on one gateway', async () => {
    const token = await new SignJWT({ sub: 'bob', realm_access: { roles: ['reader'] } }).setProtectedHeader({ alg: 'ES256' }).setExpirationTime('5m').sign(privateKey);
    assert.equal((await gw.get('/api/v1/tools', bearer(token))).status, 200);
    assert.equal((await gw.get('/api/v1/tools', bearer(PLAIN_KEY))).status, 200);
  });

  test('an HMAC token made with the public key as its secret (key confusion) is refused', async () => {
    const pem = await exportSPKI((await generateKeyPair('ES256')).publicKey);
    const confused = await new SignJWT({ sub: 'mallory' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(Buffer.from(pem));
    const refused = await gw.get('/api/v1/tools', bearer(confused));
    assert.equal(refused.status, 401);
    assert.match(refused.body.error.message, /algorithm/);
  });
});

describe('JWT from a JWKS endpoint', () => {
  let gw: RunningGateway;
  let jwks: TestHttpServer;
  let published: JWK[] = [];
  let delayMs = 0;
  const keys: Record<string, CryptoKey> = {};

  before(async () => {
    for (const kid of ['k1', 'k2']) {
      const pair = await generateKeyPair('RS256');
      keys[kid] = pair.privateKey;
      keys[`${kid}-public`] = pair.publicKey;
    }
    published = [{ ...(await exportJWK(keys['k1-public']!)), kid: 'k1', alg: 'RS256', use: 'sig' }];
    jwks = await serve(async (_request, _body, response) => {
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      json(response, 200, { keys: published });
    });
    gw = await startGateway([DEMO], { config: { auth: { strategy: 'jwt', jwt: { jwksUrl: `${jwks.url}/jwks.json`, jwksCooldownSeconds: 0, jwksTimeoutMs: 300 } } } });
  });
  after(async () => {
    await gw.stop();
    await jwks.close();
  });

  const sign = (kid: string) => new SignJWT({ sub: `user-of-${kid}` }).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('5m').sign(keys[kid]!);

  test('a token signed with a published key gets in; the JWKS is fetched once and cached', async () => {
    const token = await sign('k1');
    assert.equal((await gw.get('/api/v1/tools', bearer(token))).status, 200);
    const hits = jwks.hits;
    assert.equal((await gw.get('/api/v1/tools', bearer(token))).status, 200);
    assert.equal(jwks.hits, hits, 'the second request used the cached JWKS');
  });

  test('rotation: a token with a new kid makes the gateway re-fetch the JWKS; the retired key stops working', async () => {
    published = [{ ...(await exportJWK(keys['k2-public']!)), kid: 'k2', alg: 'RS256', use: 'sig' }];
    assert.equal((await gw.get('/api/v1/tools', bearer(await sign('k2')))).status, 200);
    const retired = await gw.get('/api/v1/tools', bearer(await sign('k1')));
    assert.equal(retired.status, 401);
    assert.match(retired.body.error.message, /key the issuer does not publish/);
  });

  test('a slow JWKS endpoint costs one timeout and a 503, never a hang', async () => {
    published = [];
    delayMs = 3000;
    try {
      const started = Date.now();
      const refused = await gw.get('/api/v1/tools', bearer(await sign('k1')));
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'MCPGW_ERR_AUTH_UNAVAILABLE');
      assert.ok(Date.now() - started < 2500, 'answered before the slow endpoint did');
    } finally {
      delayMs = 0;
    }
  });
});

describe('OAuth resource server (MCP authorization)', () => {
  const RESOURCE = 'https://gw.example/mcp';
  let gw: RunningGateway;
  before(async () => {
    gw = await startGateway([DEMO], {
      config: {
        auth: {
          strategy: 'jwt',
          jwt: { secret: SECRET },
          oauth: { resource: RESOURCE, authorizationServers: ['https://idp.example'], scopes: ['mcp:tools'], resourceName: 'Test gateway' },
        },
      },
    });
  });
  after(() => gw.stop());

  test('protected-resource metadata is served at the root and path-aware well-known URLs, without a credential', async () => {
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp']) {
      const metadata = await gw.get(path);
      assert.equal(metadata.status, 200, path);
      assert.deepEqual(metadata.body, {
        resource: RESOURCE,
        authorization_servers: ['https://idp.example'],
        scopes_supported: ['mcp:tools'],
        bearer_methods_supported: ['header'],
        resource_name: 'Test gateway',
      });
    }
  });

  test('a 401 from /mcp points the client at the metadata and names the scope', async () => {
    const refused = await modernPost(gw.url, 'tools/list', {});
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer resource_metadata="https://gw.example/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"');
  });

  test('a token minted for another resource is refused (RFC 8707 audience)', async () => {
    const foreign = await hmacToken({ sub: 'a', scope: 'mcp:tools' }, { audience: 'https://other.example/mcp', expiresIn: '5m' });
    const refused = await modernPost(gw.url, 'tools/list', {}, bearer(foreign));
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token", error_description="[^"]*audience[^"]*", resource_metadata=/);
  });

  test('a valid token without the scope gets 403 insufficient_scope naming it', async () => {
    const narrow = await hmacToken({ sub: 'a', scope: 'profile' }, { audience: RESOURCE, expiresIn: '5m' });
    const refused = await modernPost(gw.url, 'tools/list', {}, bearer(narrow));
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="insufficient_scope", resource_metadata="[^"]+", scope="mcp:tools"$/);
    assert.equal((await refused.json()).error.data.code, 'MCPGW_ERR_INSUFFICIENT_SCOPE');
  });

  test('a token for this resource with the scope works from an SDK client', async () => {
    const token = await hmacToken({ sub: 'a', scope: 'openid mcp:tools' }, { audience: RESOURCE, expiresIn: '5m' });
    const client = await modernClient(gw.url, bearer(token));
    const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    assert.equal((result.content as { text: string }[])[0]?.text, '5');
    await client.close();
  });
});

describe('opaque tokens by introspection (RFC 7662)', () => {
  const RESOURCE = 'https://gw.example/mcp';
  let gw: RunningGateway;
  let endpoint: TestHttpServer;
  let slow = false;
  const seen: string[] = [];

  before(async () => {
    endpoint = await serve(async (request, body, response) => {
      const token = new URLSearchParams(body).get('token') ?? '';
      seen.push(`${request.headers.authorization} ${token}`);
      if (slow) await new Promise((resolve) => setTimeout(resolve, 2000));
      if (token === 'opaque-good') return json(response, 200, { active: true, sub: 'svc-1', scope: 'mcp', aud: RESOURCE, exp: Math.floor(Date.now() / 1000) + 600 });
      if (token === 'opaque-elsewhere') return json(response, 200, { active: true, sub: 'svc-2', aud: 'https://other.example' });
      json(response, 200, { active: false });
    });
    gw = await startGateway([DEMO], {
      config: {
        auth: {
          strategy: 'jwt',
          oauth: { resource: RESOURCE, authorizationServers: ['https://idp.example'], introspection: { url: `${endpoint.url}/introspect`, clientId: 'gateway', clientSecret: 's3cret', timeoutMs: 300, cacheSeconds: 60 } },
        },
      },
    });
  });
  after(async () => {
    await gw.stop();
    await endpoint.close();
  });

  test('an active token gets in, the gateway authenticates itself to the endpoint, and the answer is cached', async () => {
    assert.equal((await gw.get('/api/v1/tools', bearer('opaque-good'))).status, 200);
    assert.equal((await gw.get('/api/v1/tools', bearer('opaque-good'))).status, 200);
    const asked = seen.filter((line) => line.endsWith(' opaque-good'));
    assert.equal(asked.length, 1, 'one introspection for two requests');
    assert.equal(asked[0], `Basic ${Buffer.from('gateway:s3cret').toString('base64')} opaque-good`);
  });

  test('inactive tokens and tokens for another resource are refused', async () => {
    const inactive = await gw.get('/api/v1/tools', bearer('opaque-revoked'));
    assert.equal(inactive.status, 401);
    assert.match(inactive.body.error.message, /not active/);
    const elsewhere = await gw.get('/api/v1/tools', bearer('opaque-elsewhere'));
    assert.equal(elsewhere.status, 401);
    assert.match(elsewhere.body.error.message, /audience/);
  });

  test('a slow introspection endpoint gives 503 after the timeout', async () => {
    slow = true;
    try {
      const refused = await gw.get('/api/v1/tools', bearer('opaque-never-seen'));
      assert.equal(refused.status, 503);
      assert.match(refused.body.error.message, /did not answer in time/);
    } finally {
      slow = false;
    }
  });
});
