/**
 * Identity to upstreams, exchange mode (RFC 8693): a token endpoint written
 * here checks every exchange the way an authorization server would (client
 * authentication, grant, subject token) and counts them; a real gateway sits
 * between real clients and the identity-http fixture. A refusing and a
 * silent token endpoint show the failure path.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { startHttpFixture, type RunningFixture } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { json, modernClient, serve, type TestHttpServer } from '../policy/helpers.js';
import { AUTH, bearer, BOB, CLIENT_SECRET, clientToken, seenBy, whoami } from './helpers.js';

const CLIENT_ID = 'gateway-client';
/** Characters that must be form-encoded in HTTP Basic (RFC 6749 §2.3.1). */
const CLIENT_SECRET_AT_IDP = 'gw secret/+:x';

interface Exchange {
  readonly subjectToken: string;
  readonly subjectTokenType: string;
}

describe('identity to upstreams: OAuth token exchange', () => {
  let fixture: RunningFixture;
  let idp: TestHttpServer;
  let gw: RunningGateway;
  const exchanges: Exchange[] = [];
  /** Every subject token the endpoint was sent, never cleared. */
  const subjectTokens: string[] = [];
  const stalled: ServerResponse[] = [];
  const url = (name: string) => `${fixture.url}/${name}`;

  /** Answers like an authorization server: 400 invalid_request for anything it would not accept. */
  const refuse = (response: ServerResponse, description: string) => json(response, 400, { error: 'invalid_request', error_description: description });

  before(async () => {
    fixture = await startHttpFixture('identity-http');
    let gatewayJwks: ReturnType<typeof createRemoteJWKSet> | undefined;
    idp = await serve(async (request, body, response) => {
      if (request.url === '/slow') return void stalled.push(response);
      if (request.url === '/failing') return json(response, 400, { error: 'invalid_grant', error_description: 'the subject token was revoked' });
      const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
      const [id, secret] = Buffer.from(basic?.[1] ?? '', 'base64').toString('utf8').split(':').map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
      if (id !== CLIENT_ID || secret !== CLIENT_SECRET_AT_IDP) return json(response, 401, { error: 'invalid_client' });
      if (!/^application\/x-www-form-urlencoded/.test(request.headers['content-type'] ?? '')) return refuse(response, 'not a form');
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') return refuse(response, `grant_type ${form.get('grant_type')}`);
      if (form.get('requested_token_type') !== 'urn:ietf:params:oauth:token-type:access_token') return refuse(response, 'requested_token_type');
      if (form.get('audience') !== 'upstream-api' || form.get('resource') !== url('exchange') || form.get('scope') !== 'tools:call') return refuse(response, 'audience, resource or scope');
      const subjectToken = form.get('subject_token') ?? '';
      const subjectTokenType = form.get('subject_token_type') ?? '';
      exchanges.push({ subjectToken, subjectTokenType });
      subjectTokens.push(subjectToken);
      let subject: string;
      try {
        if (subjectTokenType === 'urn:ietf:params:oauth:token-type:access_token') {
          subject = (await jwtVerify(subjectToken, Buffer.from(CLIENT_SECRET))).payload.sub!;
        } else if (subjectTokenType === 'urn:ietf:params:oauth:token-type:jwt') {
          gatewayJwks ??= createRemoteJWKSet(new URL(`${gw.url}/.well-known/jwks.json`));
          subject = (await jwtVerify(subjectToken, gatewayJwks, { issuer: 'mcp-gateway', audience: `${idp.url}/token` })).payload.sub!;
        } else return refuse(response, `subject_token_type ${subjectTokenType}`);
      } catch (error) {
        return json(response, 400, { error: 'invalid_grant', error_description: (error as Error).message });
      }
      json(response, 200, { access_token: `upstream-${exchanges.length}-for-${subject}`, issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 300 });
    });
    const exchange = (tokenEndpoint: string, extra: Record<string, unknown> = {}) => ({ mode: 'exchange', tokenEndpoint, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET_AT_IDP, ...extra });
    gw = await startGateway(
      [
        { id: 'exchange', url: url('exchange'), identity: exchange(`${idp.url}/token`, { audience: 'upstream-api', resource: url('exchange'), scope: 'tools:call' }) },
        { id: 'failing', url: url('failing'), identity: exchange(`${idp.url}/failing`) },
        { id: 'slow', url: url('slow'), identity: exchange(`${idp.url}/slow`, { timeoutMs: 1500 }) },
        { id: 'plain', url: url('plain') },
      ],
      { config: { auth: AUTH } },
    );
    for (const server of gw.report.servers) assert.equal(server.ok, true, `${server.id}: ${server.reason}`);
  });

  after(async () => {
    await gw?.stop();
    for (const response of stalled) response.destroy();
    await idp?.close();
    await fixture?.stop();
  });

  test("the client's JWT is exchanged once at the token endpoint, and the issued token is reused", async () => {
    exchanges.length = 0;
    const alice = await clientToken({ sub: 'alice', roles: ['dev'] });
    assert.equal(await whoami(gw, 'exchange', bearer(alice)), 'Bearer upstream-1-for-alice');
    assert.deepEqual(exchanges, [{ subjectToken: alice, subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token' }]);
    assert.equal(await whoami(gw, 'exchange', bearer(alice)), 'Bearer upstream-1-for-alice', 'the second call is served from the cache');
    const client = await modernClient(gw.url, bearer(alice));
    try {
      const called = await client.callTool({ name: 'exchange__whoami_token', arguments: {} });
      assert.equal((called.structuredContent as { value: string }).value, 'Bearer upstream-1-for-alice', 'the MCP path shares the cache');
    } finally {
      await client.close();
    }
    assert.equal(exchanges.length, 1);

    // Another token of the same subject may carry other scopes: it gets its own exchange.
    const aliceAgain = await clientToken({ sub: 'alice', roles: ['dev'] });
    assert.equal(await whoami(gw, 'exchange', bearer(aliceAgain)), 'Bearer upstream-2-for-alice');
    assert.equal(exchanges.length, 2);
  });

  test('concurrent first calls of one caller share a single exchange', async () => {
    exchanges.length = 0;
    const carol = await clientToken({ sub: 'carol' });
    const values = await Promise.all(Array.from({ length: 5 }, () => whoami(gw, 'exchange', bearer(carol))));
    assert.equal(exchanges.length, 1);
    assert.deepEqual(new Set(values), new Set(['Bearer upstream-1-for-carol']));
  });

  test('a caller without a bearer token (an API key) is vouched for with a gateway-signed JWT, verifiable with the JWKS', async () => {
    exchanges.length = 0;
    assert.equal(await whoami(gw, 'exchange', BOB), 'Bearer upstream-1-for-bob');
    assert.equal(exchanges[0]!.subjectTokenType, 'urn:ietf:params:oauth:token-type:jwt');
    const claims = decodeJwt(exchanges[0]!.subjectToken);
    assert.equal(claims.sub, 'bob');
    assert.deepEqual(claims.roles, ['reader']);
    assert.ok(!exchanges[0]!.subjectToken.includes('key-of-bob'), 'the API key itself goes nowhere');
  });

  test('a token endpoint that refuses gives the call MCPGW_ERR_UPSTREAM_IDENTITY (502 / -32603) saying why; the upstream is not called', async () => {
    const dave = await clientToken({ sub: 'dave' });
    const refused = await gw.post('/api/v1/tools/call', { tool: 'whoami_token', server: 'failing' }, bearer(dave));
    assert.equal(refused.status, 502);
    assert.equal(refused.body.error.code, 'MCPGW_ERR_UPSTREAM_IDENTITY');
    assert.match(refused.body.error.message, /server "failing".*HTTP 400 \(invalid_grant: the subject token was revoked\)/);
    assert.deepEqual(refused.body.error.data, { server: 'failing' });
    assert.ok(!refused.text.includes(dave) && !refused.text.includes(CLIENT_SECRET_AT_IDP));

    const client = await modernClient(gw.url, bearer(dave));
    try {
      await assert.rejects(client.callTool({ name: 'failing__whoami_token', arguments: {} }), (error: { code?: number; data?: { code?: string } }) => {
        assert.equal(error.code, -32603);
        assert.equal(error.data?.code, 'MCPGW_ERR_UPSTREAM_IDENTITY');
        return true;
      });
    } finally {
      await client.close();
    }
    const seen = await seenBy(gw, 'plain', BOB);
    assert.ok(!seen.some((request) => request.path === '/mcp/failing' && request.methods.includes('tools/call')), 'no call reached the upstream');
    const log = await gw.get('/api/v1/requests?server=failing', BOB);
    assert.equal(log.body.requests[0].errorCode, 'MCPGW_ERR_UPSTREAM_IDENTITY');
  });

  test('a token endpoint that never answers fails the call after timeoutMs, and the gateway stays healthy', async () => {
    const erin = await clientToken({ sub: 'erin' });
    const startedAt = Date.now();
    const slow = await gw.post('/api/v1/tools/call', { tool: 'whoami_token', server: 'slow' }, bearer(erin));
    const tookMs = Date.now() - startedAt;
    assert.equal(slow.status, 502);
    assert.equal(slow.body.error.code, 'MCPGW_ERR_UPSTREAM_IDENTITY');
    assert.match(slow.body.error.message, /did not answer within 1500 ms/);
    assert.ok(tookMs >= 1400 && tookMs < 4000, `took ${tookMs} ms`);
    const health = await gw.get('/api/v1/health');
    assert.equal(health.body.status, 'ok');
    assert.equal(await whoami(gw, 'plain', bearer(erin)), null, 'other servers answer as before');
    assert.match((await whoami(gw, 'exchange', bearer(erin))) ?? '', /^Bearer upstream-\d+-for-erin$/);
  });

  test('a client that leaves while the exchange is pending ends its call at once, not when the token endpoint gives up', async () => {
    const frank = await clientToken({ sub: 'frank' });
    const aborter = new AbortController();
    const pending = fetch(`${gw.url}/api/v1/tools/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(frank) },
      body: JSON.stringify({ tool: 'whoami_token', server: 'slow' }),
      signal: aborter.signal,
    }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const abortedAt = Date.now();
    aborter.abort();
    await pending;
    const logged = await eventually(
      () => gw.get('/api/v1/requests?server=slow&limit=1', BOB),
      (response) => response.body.requests[0]?.errorCode === 'MCPGW_ERR_CANCELLED',
      5000,
    );
    assert.equal(logged.body.requests[0].errorCode, 'MCPGW_ERR_CANCELLED');
    assert.ok(Date.now() - abortedAt < 1000, `recorded ${Date.now() - abortedAt} ms after the client left (the exchange timeout is 1500 ms)`);
  });

  test("the client's token went to the token endpoint only, never to an upstream", async () => {
    assert.ok(subjectTokens.length >= 5);
    for (const request of await seenBy(gw, 'plain', BOB)) {
      const values = Object.values(request.headers).join(' ');
      for (const token of subjectTokens) assert.ok(!values.includes(token), `${request.path} ${request.methods.join(',')}`);
      assert.equal(request.headers['x-mcp-gateway-identity'], undefined);
    }
  });
});
