/**
 * OAuth 2.0 token introspection (RFC 7662) for opaque access tokens: one POST
 * to the authorization server per token, bounded by `timeoutMs`, answers
 * cached (never past the token's `exp`) so a busy client costs one round trip
 * per cache period, not one per request.
 */
import { createHash } from 'node:crypto';
import type { IntrospectionConfig, JwtConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Caller } from './caller.js';
import { callerFromClaims, type ClaimNames } from './claims.js';

/** Entries kept at most; the oldest go first. */
const CACHE_LIMIT = 10_000;

type Verdict = { readonly caller: Caller } | { readonly refused: string };

export class TokenIntrospector {
  readonly #config: IntrospectionConfig;
  readonly #names: ClaimNames;
  /** The resource a token must name in `aud` (RFC 8707). */
  readonly #resource: string | undefined;
  readonly #cache = new Map<string, { verdict: Verdict; expiresAt: number }>();
  readonly #now: () => number;

  constructor(config: IntrospectionConfig, options: { claims?: JwtConfig; resource?: string; now?: () => number } = {}) {
    this.#config = config;
    this.#names = options.claims ?? { subjectClaim: 'sub', rolesClaim: 'roles', scopesClaim: 'scope' };
    this.#resource = options.resource;
    this.#now = options.now ?? Date.now;
  }

  async verify(token: string): Promise<Caller> {
    const key = createHash('sha256').update(token).digest('base64url');
    const now = this.#now();
    const cached = this.#cache.get(key);
    const verdict = cached !== undefined && cached.expiresAt > now ? cached.verdict : await this.#ask(token, key, now);
    if ('refused' in verdict) throw new GatewayError('MCPGW_ERR_UNAUTHORIZED', verdict.refused);
    return { ...verdict.caller, bearerToken: token };
  }

  async #ask(token: string, key: string, now: number): Promise<Verdict> {
    const answer = await this.#post(token);
    const verdict = this.#judge(answer, now);
    const exp = typeof answer.exp === 'number' ? answer.exp * 1000 : Infinity;
    const expiresAt = Math.min(now + this.#config.cacheSeconds * 1000, exp);
    if (expiresAt > now) {
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(key, { verdict, expiresAt });
    }
    return verdict;
  }

  #judge(answer: Record<string, unknown>, now: number): Verdict {
    if (answer.active !== true) return { refused: 'the token is not active (revoked, expired or unknown to the authorization server)' };
    if (typeof answer.exp === 'number' && answer.exp * 1000 <= now) return { refused: 'the token has expired' };
    if (this.#resource !== undefined) {
      const audiences = typeof answer.aud === 'string' ? [answer.aud] : Array.isArray(answer.aud) ? answer.aud : [];
      if (!audiences.includes(this.#resource)) return { refused: 'the token was not issued for this gateway (audience mismatch)' };
    }
    // Introspection answers carry no token, and the exchange needs none from here: it is added per request.
    const { bearerToken: _none, ...caller } = callerFromClaims(answer, this.#names, 'introspection', '');
    return { caller };
  }

  async #post(token: string): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.#config.clientId !== undefined) {
      const secret = this.#config.clientSecret ?? '';
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.#config.clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await fetch(this.#config.url, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.#config.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new GatewayError('MCPGW_ERR_AUTH_UNAVAILABLE', `the token cannot be checked now: the introspection endpoint ${timedOut ? 'did not answer in time' : 'is unreachable'}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new GatewayError('MCPGW_ERR_AUTH_UNAVAILABLE', `the token cannot be checked now: the introspection endpoint answered HTTP ${response.status}`);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayError('MCPGW_ERR_AUTH_UNAVAILABLE', 'the token cannot be checked now: the introspection endpoint sent no JSON object');
    return body as Record<string, unknown>;
  }
}
