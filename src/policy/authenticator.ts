/**
 * From request headers to a Caller. Credentials: `X-API-Key: <key>` or
 * `Authorization: Bearer <key-or-token>`. With several strategies a bearer
 * value is tried as an API key first (a local hash comparison), then as a
 * token: a JWT verified locally when a key source is configured, an opaque
 * token by introspection. The client's token is never sent anywhere else.
 */
import type { AuthConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { ApiKeyVerifier } from './api-keys.js';
import type { Caller } from './caller.js';
import { TokenIntrospector } from './introspection.js';
import { JwtVerifier } from './jwt-verifier.js';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export class Authenticator {
  readonly #config: AuthConfig;
  readonly #keys: ApiKeyVerifier | undefined;
  readonly #jwt: JwtVerifier | undefined;
  readonly #introspector: TokenIntrospector | undefined;
  readonly #publicExact: ReadonlySet<string>;
  readonly #publicPrefixes: readonly string[];

  constructor(config: AuthConfig) {
    this.#config = config;
    const resource = config.oauth?.resource;
    this.#keys = config.strategies.includes('api-key') ? new ApiKeyVerifier(config.apiKeys) : undefined;
    const jwt = config.jwt;
    const hasKeySource = jwt !== undefined && (jwt.secret !== undefined || jwt.publicKey !== undefined || jwt.jwksUrl !== undefined);
    const tokens = config.strategies.includes('jwt');
    this.#jwt = tokens && hasKeySource ? new JwtVerifier(jwt, resource !== undefined ? { resource } : {}) : undefined;
    const introspection = config.oauth?.introspection;
    this.#introspector = tokens && introspection ? new TokenIntrospector(introspection, { ...(jwt ? { claims: jwt } : {}), ...(resource !== undefined ? { resource } : {}) }) : undefined;
    this.#publicExact = new Set(config.publicPaths.filter((path) => !path.endsWith('*')));
    this.#publicPrefixes = config.publicPaths.filter((path) => path.endsWith('*')).map((path) => path.slice(0, -1));
  }

  /** False when `auth.strategy` is none: every request is the anonymous caller. */
  get enabled(): boolean {
    return this.#config.strategies.length > 0;
  }

  isPublic(path: string): boolean {
    return this.#publicExact.has(path) || this.#publicPrefixes.some((prefix) => path.startsWith(prefix));
  }

  /** The caller the request's credential names; throws MCPGW_ERR_UNAUTHORIZED / _INSUFFICIENT_SCOPE / _AUTH_UNAVAILABLE. Only call when enabled. */
  async authenticate(headers: Readonly<Record<string, string>>): Promise<Caller> {
    const apiKey = headers['x-api-key'];
    const authorization = headers.authorization;
    if (apiKey !== undefined) {
      if (this.#keys === undefined) throw new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'API keys are not accepted here (auth.strategy does not include api-key)');
      const caller = this.#keys.verify(apiKey);
      if (caller === undefined) throw new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'unknown API key');
      return caller;
    }
    if (authorization === undefined) throw new GatewayError('MCPGW_ERR_UNAUTHORIZED', this.#keys ? 'a credential is required: Authorization: Bearer <key or token>, or X-API-Key' : 'a bearer token is required (Authorization: Bearer <token>)');
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (!match) throw new GatewayError('MCPGW_ERR_UNAUTHORIZED', 'the Authorization header must be "Bearer <credential>"');
    const credential = match[1]!;
    const keyCaller = this.#keys?.verify(credential);
    if (keyCaller !== undefined) return keyCaller;
    const caller = await this.#verifyToken(credential);
    this.#checkScopes(caller);
    return caller;
  }

  #verifyToken(token: string): Promise<Caller> {
    if (this.#jwt !== undefined && (JWT_SHAPE.test(token) || this.#introspector === undefined)) return this.#jwt.verify(token);
    if (this.#introspector !== undefined) return this.#introspector.verify(token);
    throw new GatewayError('MCPGW_ERR_UNAUTHORIZED', this.#keys ? 'unknown API key' : 'bearer tokens are not accepted here');
  }

  #checkScopes(caller: Caller): void {
    const required = this.#config.oauth?.scopes ?? [];
    const missing = required.filter((scope) => !caller.scopes.includes(scope));
    if (missing.length > 0) {
      throw new GatewayError('MCPGW_ERR_INSUFFICIENT_SCOPE', `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`, { scope: required.join(' ') });
    }
  }
}
