/** The gateway's signing key: configured PEMs of each supported type, the generated default, and tokens that verify against the JWKS it publishes. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { CallerTokenSigner } from '../../src/identity/caller-token.js';
import { GatewayKeys } from '../../src/identity/gateway-keys.js';
import { signingKeyProblem } from '../../src/identity/signing-key.js';
import type { Caller } from '../../src/policy/caller.js';

const CALLER: Caller = { key: 'key:ci', name: 'ci', via: 'api-key', roles: ['deployer'], scopes: [], tenant: 'acme' };

function pem(type: 'ed25519' | 'rsa' | 'ec', options: Record<string, unknown> = {}): string {
  const { privateKey } = generateKeyPairSync(type as 'ec', options as { namedCurve: string });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

const jwksOf = (keys: GatewayKeys) => JSON.parse(keys.jwks) as { keys: (JWK & { kid: string; alg: string })[] };

async function signAndVerify(keys: GatewayKeys): Promise<void> {
  const { value } = await new CallerTokenSigner(keys).sign(CALLER, { audience: 'https://upstream/mcp', ttlSeconds: 60, claims: ['roles', 'tenant'] });
  const { payload, protectedHeader } = await jwtVerify(value, createLocalJWKSet(jwksOf(keys)), { issuer: keys.issuer, audience: 'https://upstream/mcp' });
  assert.equal(payload.sub, 'ci');
  assert.deepEqual(payload.roles, ['deployer']);
  assert.equal(payload.tenant, 'acme');
  assert.equal(payload.name, undefined, 'not asked for');
  assert.equal(protectedHeader.kid, jwksOf(keys).keys[0]!.kid);
}

test('a configured Ed25519 key signs EdDSA under the configured kid', async () => {
  const keys = new GatewayKeys({ issuer: 'https://gw', signingKey: pem('ed25519'), keyId: 'gw-2026' });
  const [jwk] = jwksOf(keys).keys;
  assert.deepEqual([jwk!.kid, jwk!.alg, jwk!.kty, jwk!.use], ['gw-2026', 'EdDSA', 'OKP', 'sig']);
  assert.equal(jwk!.d, undefined);
  await signAndVerify(keys);
});

test('a configured RSA key signs RS256; without keyId the kid is its RFC 7638 thumbprint', async () => {
  const keys = new GatewayKeys({ issuer: 'https://gw', signingKey: pem('rsa', { modulusLength: 2048 }) });
  const [jwk] = jwksOf(keys).keys;
  assert.equal(jwk!.alg, 'RS256');
  assert.equal(jwk!.kid, await calculateJwkThumbprint({ kty: jwk!.kty!, n: jwk!.n!, e: jwk!.e! }));
  assert.equal(jwk!.d, undefined);
  assert.equal(jwk!.p, undefined);
  await signAndVerify(keys);
});

test('EC keys sign with the algorithm of their curve', async () => {
  for (const [curve, alg] of [['P-256', 'ES256'], ['P-384', 'ES384'], ['P-521', 'ES512']] as const) {
    const keys = new GatewayKeys({ issuer: 'gw', signingKey: pem('ec', { namedCurve: curve }) });
    assert.equal(jwksOf(keys).keys[0]!.alg, alg);
    await signAndVerify(keys);
  }
});

test('without a configured key each gateway makes its own ES256 pair, stable for its life', async () => {
  const one = new GatewayKeys({ issuer: 'mcp-gateway' });
  const two = new GatewayKeys({ issuer: 'mcp-gateway' });
  assert.equal(jwksOf(one).keys[0]!.alg, 'ES256');
  assert.equal(one.jwks, one.jwks);
  assert.notEqual(jwksOf(one).keys[0]!.kid, jwksOf(two).keys[0]!.kid);
  await signAndVerify(one);
});

test('signingKeyProblem names what is wrong with a key the gateway cannot sign with', () => {
  assert.equal(signingKeyProblem(pem('ed25519')), undefined);
  assert.match(signingKeyProblem('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----') ?? '', /^is not a readable PEM private key/);
  assert.match(signingKeyProblem(pem('ec', { namedCurve: 'secp256k1' })) ?? '', /^must be an RSA, EC \(P-256, P-384, P-521\) or Ed25519 private key/);
  const { publicKey } = generateKeyPairSync('ed25519');
  assert.match(signingKeyProblem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) ?? '', /^is not a readable PEM private key/);
});
