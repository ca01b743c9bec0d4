/**
 * The gateway's signing key for the tokens it hands upstreams: a configured
 * PEM private key, or an ES256 pair made when first needed. Only the public
 * half ever leaves this module, as a JWKS.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

export type AsymmetricAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

export interface SigningKey {
  readonly alg: AsymmetricAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  /** The public JWK with `kid`, `alg` and `use: "sig"`, as the JWKS lists it. */
  readonly publicJwk: Readonly<JsonWebKey>;
}

const CURVE_ALGORITHMS: Readonly<Record<string, AsymmetricAlgorithm>> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** The JWS algorithm a private key signs with, or undefined for a key type the gateway does not sign with. */
export function algorithmFor(key: KeyObject): AsymmetricAlgorithm | undefined {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec') return CURVE_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
  return undefined;
}

/** Why a PEM cannot be the gateway's signing key, or undefined when it can. */
export function signingKeyProblem(pem: string): string | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    return `is not a readable PEM private key (${(error as Error).message})`;
  }
  return algorithmFor(key) === undefined ? `must be an RSA, EC (P-256, P-384, P-521) or Ed25519 private key (got ${key.asymmetricKeyType ?? 'unknown'})` : undefined;
}

export function loadSigningKey(pem: string, keyId?: string): SigningKey {
  const privateKey = createPrivateKey(pem);
  const alg = algorithmFor(privateKey);
  // load.ts refuses such keys; only a caller that skipped the config pipeline gets here.
  if (alg === undefined) throw new Error(`identity.signingKey ${signingKeyProblem(pem)}`);
  return describe(privateKey, alg, keyId);
}

export function generateSigningKey(keyId?: string): SigningKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return describe(privateKey, 'ES256', keyId);
}

function describe(privateKey: KeyObject, alg: AsymmetricAlgorithm, keyId: string | undefined): SigningKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  const kid = keyId ?? thumbprint(jwk);
  return { alg, kid, privateKey, publicJwk: Object.freeze({ ...jwk, kid, alg, use: 'sig' }) };
}

/** RFC 7638: SHA-256 over the key's required members in lexical order, base64url. */
function thumbprint(jwk: JsonWebKey): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : jwk.kty === 'EC' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
