/** `identity` in the config: the gateway's issuer and key, and `servers[].identity` — defaults, and every refusal naming its field. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { configErrors } from './helpers.js';

const http = (identity: string, extra = '') => `servers:\n  - id: up\n    url: https://upstream.example/mcp\n${extra}    identity: ${identity}\n`;

test('defaults: issuer mcp-gateway, no key; signed identity gets authorization, the url as audience, 60 s and every claim', () => {
  const config = parseConfig(http('{ mode: signed }'), { env: {} });
  assert.deepEqual(config.identity, { issuer: 'mcp-gateway' });
  assert.deepEqual(config.servers[0]?.identity, { mode: 'signed', header: 'authorization', audience: 'https://upstream.example/mcp', ttlSeconds: 60, claims: ['subject', 'name', 'roles', 'tenant'] });
  assert.equal(parseConfig('servers: []\n', { env: {} }).servers.length, 0);
});

test('signed with an HMAC secret from the environment, a header of its own (lower-cased) and chosen claims', () => {
  const config = parseConfig(http('{ mode: signed, secret: "${UPSTREAM_SECRET}", header: X-User-Token, audience: api, ttlSeconds: 300, claims: [roles] }'), {
    env: { UPSTREAM_SECRET: 'x'.repeat(32) },
  });
  assert.deepEqual(config.servers[0]?.identity, { mode: 'signed', header: 'x-user-token', audience: 'api', ttlSeconds: 300, claims: ['roles'], secret: 'x'.repeat(32) });
});

test('exchange: its own fields and a 3 s timeout; none of the signed-mode defaults', () => {
  const config = parseConfig(http('{ mode: exchange, tokenEndpoint: "https://idp.example/token", clientId: gw, clientSecret: s3cret, resource: "https://upstream.example/mcp", scope: "a b" }'), { env: {} });
  assert.deepEqual(config.servers[0]?.identity, {
    mode: 'exchange',
    header: 'authorization',
    tokenEndpoint: 'https://idp.example/token',
    clientId: 'gw',
    clientSecret: 's3cret',
    resource: 'https://upstream.example/mcp',
    scope: 'a b',
    timeoutMs: 3000,
  });
});

test('identity is refused on stdio, websocket and sse servers, naming the field and why', () => {
  assert.deepEqual(configErrors('servers:\n  - id: local\n    command: node\n    identity: { mode: signed }\n'), [
    'servers[0].identity: is only for streamable-http servers: a stdio server has no HTTP request to carry it',
  ]);
  assert.deepEqual(configErrors('servers:\n  - id: ws\n    url: ws://127.0.0.1:9/mcp\n    identity: { mode: signed }\n'), [
    "servers[0].identity: is only for streamable-http servers: one WebSocket connection carries every caller's calls, so no header can travel per call",
  ]);
  assert.deepEqual(configErrors('servers:\n  - id: old\n    transport: sse\n    url: http://127.0.0.1:9/sse\n    identity: { mode: signed }\n'), [
    "servers[0].identity: is only for streamable-http servers: the SDK's HTTP+SSE client transport sends every message without per-request headers",
  ]);
});

test('mode-specific fields are named when missing or misplaced', () => {
  assert.deepEqual(configErrors(http('{ mode: exchange, ttlSeconds: 30 }')), [
    'servers[0].identity.ttlSeconds: is only for mode: signed',
    'servers[0].identity.tokenEndpoint: is required for mode: exchange',
    'servers[0].identity.clientId: is required for mode: exchange',
    'servers[0].identity.clientSecret: is required for mode: exchange',
  ]);
  assert.deepEqual(configErrors(http('{ mode: signed, tokenEndpoint: "https://idp/token", scope: x }')), [
    'servers[0].identity.tokenEndpoint: is only for mode: exchange',
    'servers[0].identity.scope: is only for mode: exchange',
  ]);
  assert.deepEqual(configErrors(http('{ mode: exchange, tokenEndpoint: "ftp://idp/token", clientId: a, clientSecret: b }')), [
    'servers[0].identity.tokenEndpoint: must be an http:// or https:// URL (got "ftp://idp/token")',
  ]);
});

test('schema checks: the mode, claims, a short secret, header names the transport owns', () => {
  assert.deepEqual(configErrors(http('{ mode: forward }')), ['servers[0].identity.mode: must be one of signed, exchange (got "forward")']);
  assert.deepEqual(configErrors(http('{}')), ['servers[0].identity.mode: is required']);
  assert.deepEqual(configErrors(http('{ mode: signed, claims: [email] }')), ['servers[0].identity.claims[0]: must be one of subject, name, roles, tenant (got "email")']);
  assert.match(configErrors(http('{ mode: signed, secret: short }'))[0] ?? '', /^servers\[0\]\.identity\.secret: must be at least 32 characters/);
  assert.match(configErrors(http('{ mode: signed, ttlSeconds: 5 }'))[0] ?? '', /^servers\[0\]\.identity\.ttlSeconds: must be between 10 and 3600/);
  assert.match(configErrors(http('{ mode: signed, header: "bad header" }'))[0] ?? '', /^servers\[0\]\.identity\.header: must be an HTTP header name/);
  for (const header of ['Mcp-Session-Id', 'content-type', 'Mcp-Param-Region', 'x-mcp-gateway-identity']) {
    assert.match(configErrors(http(`{ mode: signed, header: ${header} }`))[0] ?? '', new RegExp(`^servers\\[0\\]\\.identity\\.header: must not be "${header}": the MCP transport sets that header itself`));
  }
});

test('the gateway signing key must be a PEM private key of a type it signs with', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const good = JSON.stringify(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  assert.equal(parseConfig(`identity: { issuer: "https://gw.example", signingKey: ${good}, keyId: k1 }\nservers: []\n`, { env: {} }).identity.keyId, 'k1');
  assert.match(configErrors('identity: { signingKey: "not a key" }\nservers: []\n')[0] ?? '', /^identity\.signingKey: must be a PEM private key/);
  assert.match(configErrors('identity: { signingKey: "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----" }\nservers: []\n')[0] ?? '', /^identity\.signingKey: is not a readable PEM private key/);
  const { privateKey: dsa } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 224 });
  const dsaPem = JSON.stringify(dsa.export({ type: 'pkcs8', format: 'pem' }).toString());
  assert.match(configErrors(`identity: { signingKey: ${dsaPem} }\nservers: []\n`)[0] ?? '', /^identity\.signingKey: must be an RSA, EC \(P-256, P-384, P-521\) or Ed25519 private key \(got dsa\)/);
  assert.deepEqual(configErrors('identity: { issuer: "", extra: 1 }\nservers: []\n'), ['identity.issuer: must not be empty', 'identity.extra: unknown key']);
});
