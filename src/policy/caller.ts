/**
 * Who is calling: what authentication established, in the only form the rest
 * of the gateway sees. Nothing secret lives here except `bearerToken`, which
 * only the token exchange (RFC 8693) reads and nothing logs.
 */
import type { WindowLimit } from '../config/types.js';

export interface Caller {
  /** The principal: `key:<name>`, `sub:<subject>`, or `anonymous`. 2025 sessions and requestState are bound to it. */
  readonly key: string;
  /** For anonymous callers only: their address, which per-caller rate limits count by. */
  readonly address?: string;
  /** How the caller appears in logs, metrics and the request log: a key's name or a token's subject. */
  readonly name: string;
  readonly via: 'anonymous' | 'api-key' | 'jwt' | 'introspection';
  /** The token's subject (`sub`, or the configured claim). */
  readonly subject?: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
  readonly tenant?: string;
  /** The key's own limit, replacing `rateLimit.limit`. */
  readonly rateLimit?: WindowLimit;
  /** The client's bearer token, kept only to exchange it for an upstream token; never forwarded or logged. */
  readonly bearerToken?: string;
}

const NONE: readonly string[] = Object.freeze([]);

/** A caller without a credential (no auth, or a public path), told apart by address. */
export function anonymousCaller(remoteAddress: string): Caller {
  return { key: 'anonymous', address: remoteAddress, name: 'anonymous', via: 'anonymous', roles: NONE, scopes: NONE };
}
