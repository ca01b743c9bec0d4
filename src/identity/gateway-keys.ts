/**
 * The gateway's own key, one per Gateway instance: the configured one, or a
 * pair generated the first time something needs it (a token to sign, or the
 * JWKS), so a gateway that signs nothing never makes one.
 */
import type { GatewayIdentityConfig } from '../config/types.js';
import { generateSigningKey, loadSigningKey, type SigningKey } from './signing-key.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export class GatewayKeys {
  readonly issuer: string;
  readonly #config: GatewayIdentityConfig;
  #key: SigningKey | undefined;
  #jwks: string | undefined;

  constructor(config: GatewayIdentityConfig) {
    this.issuer = config.issuer;
    this.#config = config;
  }

  get signingKey(): SigningKey {
    this.#key ??= this.#config.signingKey !== undefined ? loadSigningKey(this.#config.signingKey, this.#config.keyId) : generateSigningKey(this.#config.keyId);
    return this.#key;
  }

  /** The JWKS document (RFC 7517) upstreams verify the gateway's tokens against. */
  get jwks(): string {
    this.#jwks ??= JSON.stringify({ keys: [this.signingKey.publicJwk] });
    return this.#jwks;
  }
}
