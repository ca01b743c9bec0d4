/**
 * Per upstream with `identity`: the header that tells it who a call is for,
 * made on the main thread and cached per caller. The value travels to the
 * worker under IDENTITY_CARRIER_HEADER and leaves it under the configured
 * header (`authorization` gets `Bearer <token>`, any other header the bare
 * token). Servers without `identity` get no entry, so their calls never ask.
 */
import { createHash } from 'node:crypto';
import type { ServerConfig, UpstreamIdentityConfig } from '../config/types.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { Caller } from '../policy/caller.js';
import { IDENTITY_CARRIER_HEADER } from '../threads/messages.js';
import { CallerTokenSigner } from './caller-token.js';
import type { GatewayKeys } from './gateway-keys.js';
import { TokenExchange } from './token-exchange.js';
import { TokenCache, type Minted } from './token-cache.js';

export type CredentialHeaders = Readonly<Record<string, string>>;

export interface UpstreamCredentials {
  /** The per-call headers carrying `caller`'s credential: synchronously when cached, else once signed or exchanged. Rejects with MCPGW_ERR_UPSTREAM_IDENTITY. */
  headersFor(caller: Caller): CredentialHeaders | Promise<CredentialHeaders>;
}

/** One entry per server that configures `identity`. */
export function upstreamCredentials(servers: readonly ServerConfig[], keys: GatewayKeys): ReadonlyMap<string, UpstreamCredentials> {
  const found = new Map<string, UpstreamCredentials>();
  // One signer for every server on the gateway's key; HMAC servers get their own.
  const gatewaySigner = new CallerTokenSigner(keys);
  for (const server of servers) {
    if (server.identity === undefined) continue;
    found.set(server.id, new CallerCredentials(server.id, server.identity, gatewaySigner, keys));
  }
  return found;
}

class CallerCredentials implements UpstreamCredentials {
  readonly #serverId: string;
  readonly #bearer: boolean;
  readonly #cache = new TokenCache<CredentialHeaders>();
  readonly #mint: (caller: Caller) => Promise<Minted<string>>;
  readonly #keyOf: (caller: Caller) => string;

  constructor(serverId: string, identity: UpstreamIdentityConfig, gatewaySigner: CallerTokenSigner, keys: GatewayKeys) {
    this.#serverId = serverId;
    this.#bearer = identity.header === 'authorization';
    // The gateway's key is made (or read) now, at start, rather than on some caller's first call.
    if (identity.mode === 'exchange' || identity.secret === undefined) void keys.signingKey;
    if (identity.mode === 'signed') {
      const signer = identity.secret !== undefined ? new CallerTokenSigner(keys, identity.secret) : gatewaySigner;
      const options = { audience: identity.audience, ttlSeconds: identity.ttlSeconds, claims: identity.claims };
      this.#mint = (caller) => signer.sign(caller, options);
      this.#keyOf = factsKey;
    } else {
      const exchange = new TokenExchange(identity, serverId, gatewaySigner);
      this.#mint = (caller) => exchange.exchange(caller);
      this.#keyOf = exchangeKey;
    }
  }

  headersFor(caller: Caller): CredentialHeaders | Promise<CredentialHeaders> {
    return this.#cache.get(this.#keyOf(caller), () => this.#headers(caller));
  }

  async #headers(caller: Caller): Promise<Minted<CredentialHeaders>> {
    let minted: Minted<string>;
    try {
      minted = await this.#mint(caller);
    } catch (error) {
      if (GatewayError.is(error)) throw error;
      throw new GatewayError('MCPGW_ERR_UPSTREAM_IDENTITY', `no credential for server "${this.#serverId}": ${toGatewayError(error).message}`, { server: this.#serverId });
    }
    const value = this.#bearer ? `Bearer ${minted.value}` : minted.value;
    return { value: Object.freeze({ [IDENTITY_CARRIER_HEADER]: value }), expiresAt: minted.expiresAt };
  }
}

/** Everything a signed token says about the caller, unambiguously (JSON): callers that would get the same token share one. */
function factsKey(caller: Caller): string {
  return JSON.stringify([caller.key, caller.name, caller.subject ?? null, caller.tenant ?? null, caller.roles]);
}

/**
 * An exchanged token is only as good as the token it was exchanged for: two
 * tokens of one subject may carry different scopes, so each bearer token gets
 * its own (kept by digest, never as itself).
 */
function exchangeKey(caller: Caller): string {
  if (caller.bearerToken === undefined || caller.bearerToken === '') return factsKey(caller);
  return JSON.stringify([caller.key, createHash('sha256').update(caller.bearerToken).digest('base64url')]);
}
