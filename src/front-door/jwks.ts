/**
 * `GET /.well-known/jwks.json`: the gateway's public key, for upstreams that
 * verify the tokens it signs with any JWT library. Served ahead of the policy
 * gate: a public key needs no credential, and an upstream fetching it must not
 * depend on how `auth.publicPaths` is set or be counted against a rate limit.
 */
import { GatewayError } from '../errors.js';
import { JWKS_PATH, type GatewayKeys } from '../identity/gateway-keys.js';
import type { RequestHandler } from './engine.js';
import { sendError } from './respond.js';

/** Short enough that a restarted gateway's new key is picked up soon; verifiers re-fetch on an unknown `kid` anyway. */
const CACHE_CONTROL = 'public, max-age=300';

export function withJwks(keys: GatewayKeys, next: RequestHandler): RequestHandler {
  return (request, response) => {
    if (request.path !== JWKS_PATH) return next(request, response);
    if (request.method !== 'GET') return void sendError(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${request.path}`), { allow: 'GET' });
    response.send(200, { 'content-type': 'application/jwk-set+json', 'cache-control': CACHE_CONTROL }, keys.jwks);
  };
}
