/**
 * JWT bearer tokens, verified with jose: an HMAC secret, a PEM public key or a
 * JWKS URL (cached; jose re-fetches on an unknown `kid`, at most once per
 * `jwksCooldownSeconds`, and every fetch is bounded by `jwksTimeoutMs` so a slow identity
 * provider delays a request by that much at worst, never hangs it).
 * jose is loaded by the first verifier made: a gateway without JWT auth never
 * loads its 46 modules.
 */
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { JWTVerifyOptions, JWTVerifyResult } from 'jose';
import type { JwtConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Caller } from './caller.js';
import { callerFromClaims } from './claims.js';

type Jose = typeof import('jose');

export class JwtVerifier {
  readonly #config: JwtConfig;
  readonly #jose: Promise<Jose> = import('jose');
  readonly #verify: (token: string) => Promise<JWTVerifyResult>;

  /** `audience` adds the OAuth resource this gateway is (RFC 8707) to the accepted audiences. */
  constructor(config: JwtConfig, extra: { resource?: string } = {}) {
    this.#config = config;
    const audiences = [...toList(config.audience), ...(extra.resource !== undefined ? [extra.resource] : [])];
    const options: JWTVerifyOptions = {
      ...(config.algorithms ? { algorithms: [...config.algorithms] } : { algorithms: defaultAlgorithms(config) }),
      ...(config.issuer !== undefined ? { issuer: toList(config.issuer) } : {}),
      ...(audiences.length > 0 ? { audience: audiences } : {}),
      clockTolerance: config.clockToleranceSeconds,
      requiredClaims: [...config.requiredClaims],
    };
    if (config.secret !== undefined || config.publicKey !== undefined) {
      const key: KeyObject = config.secret !== undefined ? createSecretKey(Buffer.from(config.secret, 'utf8')) : createPublicKey(config.publicKey!);
      this.#verify = async (token) => (await this.#jose).jwtVerify(token, key, options);
    } else if (config.jwksUrl !== undefined) {
      const jwksUrl = new URL(config.jwksUrl);
      const jwks = this.#jose.then((jose) =>
        jose.createRemoteJWKSet(jwksUrl, {
          timeoutDuration: config.jwksTimeoutMs,
          cooldownDuration: config.jwksCooldownSeconds * 1000,
          cacheMaxAge: config.jwksCacheSeconds * 1000,
        }),
      );
      this.#verify = async (token) => (await this.#jose).jwtVerify(token, await jwks, options);
    } else throw new GatewayError('MCPGW_ERR_CONFIG', 'auth.jwt needs one of secret, publicKey or jwksUrl');
  }

  async verify(token: string): Promise<Caller> {
    try {
      const { payload } = await this.#verify(token);
      return callerFromClaims(payload, this.#config, 'jwt', token);
    } catch (error) {
      throw describeFailure(error, await this.#jose);
    }
  }
}

/** Without `algorithms`, only the family the key can verify: never `none`, never HS* with a public key (key confusion). */
function defaultAlgorithms(config: JwtConfig): string[] {
  if (config.secret !== undefined) return ['HS256', 'HS384', 'HS512'];
  return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
}

function toList(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

function describeFailure(error: unknown, { errors }: Jose): GatewayError {
  if (error instanceof errors.JWTExpired) return new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    const reason =
      claim === 'aud'
        ? 'the token was not issued for this gateway (audience mismatch)'
        : claim === 'iss'
          ? 'the token comes from an issuer this gateway does not trust'
          : claim === 'nbf'
            ? 'the token is not valid yet'
            : `the token's "${claim}" claim is missing or invalid`;
    return new GatewayError('MCPGW_ERR_UNAUTHORIZED', reason);
  }
  if (error instanceof errors.JWKSTimeout) return new GatewayError('MCPGW_ERR_AUTH_UNAVAILABLE', 'the token cannot be verified now: the JWKS endpoint did not answer in time');
  if (error instanceof errors.JWKSNoMatchingKey) return new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'the token is signed with a key the issuer does not publish');
  if (error instanceof errors.JOSEAlgNotAllowed) return new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'the token is signed with an algorithm this gateway does not accept');
  if (error instanceof errors.JWSSignatureVerificationFailed) return new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'the token signature is invalid');
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JWKSMultipleMatchingKeys) return new GatewayError('MCPGW_ERR_AUTH_UNAVAILABLE', `the token cannot be verified now: ${error.message}`);
  if (error instanceof errors.JOSEError) return new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'the token is malformed');
  // A network failure fetching the JWKS.
  return new GatewayError('MCPGW_ERR_AUTH_UNAVAILABLE', `the token cannot be verified now: the JWKS endpoint is unreachable (${(error as Error).message})`);
}
