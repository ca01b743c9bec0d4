/**
 * A short-lived JWT that says, in the gateway's name, who a call is for:
 * `sub` is the caller (its token's subject, else its name), `act` the gateway
 * acting for it (RFC 8693 §4.1). Signed with the gateway's key (verifiable
 * against its JWKS) or an HMAC secret shared with one upstream. jose is loaded
 * at the first signing: a gateway that forwards no identity never loads it.
 */
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import type { IdentityClaim } from '../config/types.js';
import type { Caller } from '../policy/caller.js';
import type { GatewayKeys } from './gateway-keys.js';
import type { Minted } from './token-cache.js';

export interface CallerTokenOptions {
  readonly audience: string;
  readonly ttlSeconds: number;
  readonly claims: readonly IdentityClaim[];
}

type Key = { readonly alg: string; readonly kid?: string; readonly key: KeyObject };

export class CallerTokenSigner {
  readonly #issuer: string;
  readonly #key: () => Key;

  /** With `secret`: HS256 and that secret; without: the gateway's own key pair. */
  constructor(keys: GatewayKeys, secret?: string) {
    this.#issuer = keys.issuer;
    if (secret !== undefined) {
      const key: Key = { alg: 'HS256', key: createSecretKey(Buffer.from(secret, 'utf8')) };
      this.#key = () => key;
    } else {
      this.#key = () => {
        const { alg, kid, privateKey } = keys.signingKey;
        return { alg, kid, key: privateKey };
      };
    }
  }

  async sign(caller: Caller, options: CallerTokenOptions): Promise<Minted<string>> {
    const { alg, kid, key } = this.#key();
    const issuedAt = Math.floor(Date.now() / 1000);
    const expiresAt = issuedAt + options.ttlSeconds;
    const { SignJWT } = await import('jose');
    const token = await new SignJWT(claimsOf(caller, options.claims, this.#issuer))
      .setProtectedHeader({ alg, typ: 'JWT', ...(kid !== undefined ? { kid } : {}) })
      .setIssuer(this.#issuer)
      .setSubject(caller.subject ?? caller.name)
      .setAudience(options.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(key);
    return { value: token, expiresAt: expiresAt * 1000 };
  }
}

/** The caller facts `claims` asks for, beyond `sub`; a fact the caller does not have is left out rather than sent empty. */
function claimsOf(caller: Caller, claims: readonly IdentityClaim[], issuer: string): Record<string, unknown> {
  const payload: Record<string, unknown> = { act: { sub: issuer } };
  if (claims.includes('name')) payload.name = caller.name;
  if (claims.includes('roles')) payload.roles = [...caller.roles];
  if (claims.includes('tenant') && caller.tenant !== undefined) payload.tenant = caller.tenant;
  return payload;
}
