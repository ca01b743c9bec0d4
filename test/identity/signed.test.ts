/**
 * Identity to upstreams, signed mode: a real gateway with authentication in
 * front of a real SDK v2 Streamable HTTP server that reports the headers it
 * received. The tokens are verified the way an upstream would: with jose,
 * against the gateway's published JWKS (or the shared HMAC secret).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { startHttpFixture, type RunningFixture } from '../fixtures/paths.js';
import { startGateway, type RunningGateway } from '../helpers/gateway.js';
import { legacyClient, modernClient } from '../policy/helpers.js';
import { AUTH, bearer, BOB, clientToken, PER_CALL_METHODS, seenBy, whoami } from './helpers.js';

const ISSUER = 'https://gateway.test';
const UPSTREAM_SECRET = 'shared-with-the-hmac-upstream-only-0123456789';
const SERVICE_TOKEN = 'service-token-for-the-gateway-itself';

describe('identity to upstreams: signed JWTs', () => {
  let fixture: RunningFixture;
  let gw: RunningGateway;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  let alice: string;
  const url = (name: string) => `${fixture.url}/${name}`;

  before(async () => {
    fixture = await startHttpFixture('identity-http');
    gw = await startGateway(
      [
        // First in order: it owns the shared resource URI, so resources/read goes here.
        { id: 'signed', url: url('signed'), headers: { Authorization: `Bearer ${SERVICE_TOKEN}` }, identity: { mode: 'signed', ttlSeconds: 30 } },
        { id: 'hmac', url: url('hmac'), identity: { mode: 'signed', secret: UPSTREAM_SECRET, header: 'X-User-Token', audience: 'hmac-upstream', claims: ['roles'] } },
        { id: 'legacy', url: url('legacy'), protocol: 'legacy', identity: { mode: 'signed' } },
        { id: 'plain', url: url('plain') },
      ],
      { config: { auth: AUTH, identity: { issuer: ISSUER } } },
    );
    for (const server of gw.report.servers) assert.equal(server.ok, true, `${server.id}: ${server.reason}`);
    jwks = createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
    alice = await clientToken({ sub: 'alice', roles: ['dev', 'ops'], tenant: 'acme' });
  });

  after(async () => {
    await gw?.stop();
    await fixture?.stop();
  });

  const verifyBearer = async (value: string | null | undefined, audience: string): Promise<{ token: string; payload: JWTPayload }> => {
    if (typeof value !== 'string' || !value.startsWith('Bearer ')) assert.fail(`expected a bearer credential, got ${String(value)}`);
    const token = value.slice('Bearer '.length);
    const { payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience });
    return { token, payload };
  };

  test('the JWKS is public (no credential, auth on) and holds only the public key', async () => {
    const response = await fetch(`${gw.url}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.alg, 'ES256');
    assert.equal(keys[0]!.use, 'sig');
    assert.equal(typeof keys[0]!.kid, 'string');
    assert.equal(keys[0]!.d, undefined, 'no private part');
    assert.equal((await fetch(`${gw.url}/.well-known/jwks.json`, { method: 'POST' })).status, 405);
  });

  test("signed: the upstream gets a short-lived gateway JWT for the caller, verifiable with the JWKS, never the client's own token", async () => {
    const before = Math.floor(Date.now() / 1000);
    const value = await whoami(gw, 'signed', bearer(alice));
    const { token, payload } = await verifyBearer(value, url('signed'));
    assert.notEqual(token, alice);
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.roles, ['dev', 'ops']);
    assert.equal(payload.tenant, 'acme');
    assert.equal(payload.name, 'alice');
    assert.deepEqual(payload.act, { sub: ISSUER });
    assert.equal(typeof payload.jti, 'string');
    assert.equal(payload.exp! - payload.iat!, 30, 'ttlSeconds');
    assert.ok(payload.iat! >= before - 1 && payload.exp! <= Math.floor(Date.now() / 1000) + 31, 'expires within its ttl from now');
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'JWT');
    const { keys } = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.equal(header.kid, keys[0]!.kid);
  });

  test('the token is cached per caller: the same caller reuses it, another caller (or other roles) gets its own', async () => {
    const first = await whoami(gw, 'signed', bearer(alice));
    const again = await whoami(gw, 'signed', bearer(alice));
    assert.equal(again, first, 'the hot path does not sign every call');

    const bob = await verifyBearer(await whoami(gw, 'signed', BOB), url('signed'));
    assert.equal(bob.payload.sub, 'bob', 'an API key caller is named by its key name');
    assert.deepEqual(bob.payload.roles, ['reader']);
    assert.equal(bob.payload.tenant, 't2');
    assert.notEqual(`Bearer ${bob.token}`, first);

    const promoted = await clientToken({ sub: 'alice', roles: ['admin'], tenant: 'acme' });
    const other = await verifyBearer(await whoami(gw, 'signed', bearer(promoted)), url('signed'));
    assert.deepEqual(other.payload.roles, ['admin'], 'a token of the same subject with other roles is not served the cached one');
  });

  test('MCP endpoint: tools/call, resources/read, prompts/get and completion/complete each carry the caller’s token', async () => {
    const client = await modernClient(gw.url, bearer(alice));
    try {
      const called = await client.callTool({ name: 'signed__whoami_token', arguments: {} });
      const fromTool = await verifyBearer((called.structuredContent as { value: string }).value, url('signed'));
      assert.equal(fromTool.payload.sub, 'alice');

      const read = await client.readResource({ uri: 'identity://whoami' });
      const fromResource = await verifyBearer((read.contents[0] as { text: string }).text, url('signed'));
      assert.equal(fromResource.payload.sub, 'alice');

      const prompt = await client.getPrompt({ name: 'signed__whoami', arguments: { word: 'w' } });
      const promptText = (prompt.messages[0]!.content as { text: string }).text;
      await verifyBearer(promptText.slice('w: '.length), url('signed'));

      const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'signed__whoami' }, argument: { name: 'word', value: 'a' } });
      assert.deepEqual(completion.completion.values, ['alpha']);
    } finally {
      await client.close();
    }
    const completions = (await seenBy(gw, 'plain', BOB)).filter((request) => request.path === '/mcp/signed' && request.methods.includes('completion/complete'));
    assert.ok(completions.length > 0, 'the completion reached the upstream');
    const fromCompletion = await verifyBearer(completions.at(-1)!.headers.authorization, url('signed'));
    assert.equal(fromCompletion.payload.sub, 'alice');

    const { client: v1 } = await legacyClient(gw.url, bearer(alice));
    try {
      const result = await v1.callTool({ name: 'signed__whoami_token', arguments: {} });
      assert.equal((await verifyBearer((result.structuredContent as { value: string }).value, url('signed'))).payload.sub, 'alice');
    } finally {
      await v1.close();
    }
  });

  test('a 2025 upstream (protocol: legacy) gets the token on its calls too', async () => {
    assert.match(gw.report.servers.find((server) => server.id === 'legacy')!.protocolVersion ?? '', /^2025-/);
    const { payload } = await verifyBearer(await whoami(gw, 'legacy', bearer(alice)), url('legacy'));
    assert.equal(payload.sub, 'alice');
  });

  test('HMAC: a bare HS256 JWT in the configured header, with the configured audience and claims only', async () => {
    const value = await whoami(gw, 'hmac', bearer(alice), 'x-user-token');
    assert.ok(value !== null && !value.startsWith('Bearer '), 'a header other than authorization carries the bare token');
    const { payload, protectedHeader } = await jwtVerify(value, Buffer.from(UPSTREAM_SECRET), { issuer: ISSUER, audience: 'hmac-upstream', algorithms: ['HS256'] });
    assert.equal(protectedHeader.kid, undefined);
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.roles, ['dev', 'ops']);
    assert.equal(payload.tenant, undefined, 'claims: [roles] leaves tenant out');
    assert.equal(payload.name, undefined);
    assert.equal(await whoami(gw, 'hmac', bearer(alice), 'authorization'), null, 'and no Authorization at all');
    await assert.rejects(jwtVerify(value, jwks), 'not signed with the gateway key');
  });

  test("the gateway's own requests carry only the static headers; the carrier header and the client's credentials never reach the upstream", async () => {
    await whoami(gw, 'plain', bearer(alice));
    const seen = await seenBy(gw, 'plain', BOB);
    const signed = seen.filter((request) => request.path === '/mcp/signed');
    const own = signed.filter((request) => !request.methods.some((method) => PER_CALL_METHODS.has(method)));
    const calls = signed.filter((request) => request.methods.some((method) => PER_CALL_METHODS.has(method)));
    assert.ok(own.length > 0 && calls.length > 0);
    for (const request of own) assert.equal(request.headers.authorization, `Bearer ${SERVICE_TOKEN}`, `${request.httpMethod} ${request.methods.join(',')}`);
    for (const request of calls) assert.notEqual(request.headers.authorization, `Bearer ${SERVICE_TOKEN}`, 'the identity replaces the static header on calls');

    for (const request of seen.filter((r) => r.path === '/mcp/plain')) assert.deepEqual(request.headers, {}, 'a server without identity gets no credential at all');
    for (const request of seen) {
      assert.equal(request.headers['x-mcp-gateway-identity'], undefined, 'the carrier header never leaves the gateway');
      const values = Object.values(request.headers).join(' ');
      assert.ok(!values.includes(alice), "the client's token never reaches an upstream");
      assert.ok(!values.includes('key-of-bob-do-not-forward'), "nor the client's API key");
    }
  });

  test('REST views name the credentials a server has, never their values', async () => {
    const detail = await gw.get('/api/v1/servers/signed', BOB);
    assert.equal(detail.status, 200);
    assert.deepEqual(detail.body.headers, { Authorization: '[redacted]' });
    assert.deepEqual(detail.body.identity, { mode: 'signed', header: 'authorization', audience: url('signed'), ttlSeconds: 30, claims: ['subject', 'name', 'roles', 'tenant'], signedWith: 'gateway key (/.well-known/jwks.json)' });
    const hmac = await gw.get('/api/v1/servers/hmac', BOB);
    assert.equal(hmac.body.identity.signedWith, 'shared secret (HS256)');
    assert.equal(hmac.body.identity.secret, undefined);
    const list = await gw.get('/api/v1/servers', BOB);
    assert.deepEqual(
      list.body.servers.map((server: { id: string; identity: string | null }) => [server.id, server.identity]),
      [
        ['signed', 'signed'],
        ['hmac', 'signed'],
        ['legacy', 'signed'],
        ['plain', null],
      ],
    );
    for (const text of [detail.text, hmac.text, list.text]) {
      assert.ok(!text.includes(SERVICE_TOKEN));
      assert.ok(!text.includes(UPSTREAM_SECRET));
    }
  });
});
