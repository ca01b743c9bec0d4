/**
 * OAuth 2.0 Token Exchange (RFC 8693): the caller's own bearer token — the
 * only place it is ever sent — or, for a caller that came without one (an API
 * key), a gateway-signed JWT about it, traded at the upstream's authorization
 * server for a token meant for that upstream. The gateway authenticates as a
 * client with HTTP Basic. One bounded request: a slow or failing token
 * endpoint fails the call with MCPGW_ERR_UPSTREAM_IDENTITY, never hangs it.
 */
import type { ExchangeIdentityConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { Caller } from '../policy/caller.js';
import type { CallerTokenSigner } from './caller-token.js';
import type { Minted } from './token-cache.js';

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** Life of the gateway-signed subject token: it only has to reach the token endpoint. */
const SUBJECT_TOKEN_TTL_SECONDS = 60;
const HEADER_SAFE = /^[\x21-\x7e]+$/;
/** How much of an authorization server's error description goes into the message. */
const DESCRIPTION_LIMIT = 200;

export class TokenExchange {
  readonly #config: ExchangeIdentityConfig;
  readonly #serverId: string;
  readonly #signer: CallerTokenSigner;
  readonly #authorization: string;

  constructor(config: ExchangeIdentityConfig, serverId: string, signer: CallerTokenSigner) {
    this.#config = config;
    this.#serverId = serverId;
    this.#signer = signer;
    // RFC 6749 §2.3.1: each part form-encoded, then joined and base64-encoded.
    this.#authorization = `Basic ${Buffer.from(`${formEncode(config.clientId)}:${formEncode(config.clientSecret)}`).toString('base64')}`;
  }

  async exchange(caller: Caller): Promise<Minted<string>> {
    const body = new URLSearchParams({ grant_type: GRANT_TYPE, ...(await this.#subject(caller)), requested_token_type: ACCESS_TOKEN_TYPE });
    if (this.#config.audience !== undefined) body.set('audience', this.#config.audience);
    if (this.#config.resource !== undefined) body.set('resource', this.#config.resource);
    if (this.#config.scope !== undefined) body.set('scope', this.#config.scope);
    const startedAt = Date.now();
    const signal = AbortSignal.timeout(this.#config.timeoutMs);
    let answer: { status: number; ok: boolean; body: unknown };
    try {
      const response = await fetch(this.#config.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: this.#authorization },
        body: body.toString(),
        signal,
        redirect: 'error',
      });
      // The body is read under the same signal: a server that sends headers and then stalls is cut off too.
      answer = { status: response.status, ok: response.ok, body: parseJson(await response.text()) };
    } catch (error) {
      const timedOut = signal.aborted;
      throw this.#failure(timedOut ? `the token endpoint did not answer within ${this.#config.timeoutMs} ms` : `the token endpoint is unreachable (${(error as Error).message})`);
    }
    if (!answer.ok) throw this.#failure(`the token endpoint answered HTTP ${answer.status}${describeOAuthError(answer.body)}`);
    const issued = answer.body as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof issued?.access_token !== 'string' || issued.access_token === '') throw this.#failure('the token endpoint answered without an access_token');
    // It goes out as a header value: anything beyond visible ASCII (a CR/LF above all) cannot.
    if (!HEADER_SAFE.test(issued.access_token)) throw this.#failure('the token endpoint answered with an access_token that cannot travel in an HTTP header');
    const expiresIn = typeof issued.expires_in === 'number' ? issued.expires_in : typeof issued.expires_in === 'string' ? Number(issued.expires_in) : NaN;
    // Without expires_in the token's life is unknown: use it for this call only.
    return { value: issued.access_token, expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? startedAt + expiresIn * 1000 : undefined };
  }

  async #subject(caller: Caller): Promise<{ subject_token: string; subject_token_type: string }> {
    if (caller.bearerToken !== undefined && caller.bearerToken !== '') return { subject_token: caller.bearerToken, subject_token_type: ACCESS_TOKEN_TYPE };
    const minted = await this.#signer.sign(caller, { audience: this.#config.tokenEndpoint, ttlSeconds: SUBJECT_TOKEN_TTL_SECONDS, claims: ['subject', 'name', 'roles', 'tenant'] });
    return { subject_token: minted.value, subject_token_type: JWT_TOKEN_TYPE };
  }

  #failure(reason: string): GatewayError {
    return new GatewayError('MCPGW_ERR_UPSTREAM_IDENTITY', `no credential for server "${this.#serverId}": the token exchange failed: ${reason}`, { server: this.#serverId });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function formEncode(text: string): string {
  return encodeURIComponent(text).replace(/%20/g, '+');
}

/** RFC 6749 §5.2 `error` and `error_description`, when the answer has them. */
function describeOAuthError(body: unknown): string {
  const { error, error_description: description } = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string') return '';
  const detail = typeof description === 'string' && description !== '' ? `: ${description.length > DESCRIPTION_LIMIT ? `${description.slice(0, DESCRIPTION_LIMIT)}…` : description}` : '';
  return ` (${error}${detail})`;
}
