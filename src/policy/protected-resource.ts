/**
 * The gateway as an OAuth 2.1 protected resource, as MCP authorization asks:
 * RFC 9728 metadata (at the root well-known URL and its path-aware form for
 * the resource's path) and the `WWW-Authenticate` challenges that lead a
 * client from a 401 to its authorization server.
 */
import type { AuthConfig } from '../config/types.js';
import type { GatewayError } from '../errors.js';

export const PRM_PATH = '/.well-known/oauth-protected-resource';

export class ProtectedResource {
  readonly #auth: AuthConfig;
  /** Paths the metadata is served at: the root form and the path-aware form of the resource URL. */
  readonly metadataPaths: ReadonlySet<string>;
  readonly #metadataUrl: string | undefined;
  readonly #document: string | undefined;

  constructor(auth: AuthConfig) {
    this.#auth = auth;
    const oauth = auth.oauth;
    if (oauth === undefined) {
      this.metadataPaths = new Set();
      return;
    }
    const resource = new URL(oauth.resource);
    const resourcePath = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
    this.metadataPaths = new Set([PRM_PATH, `${PRM_PATH}${resourcePath}`]);
    this.#metadataUrl = `${resource.origin}${PRM_PATH}${resourcePath}`;
    this.#document = JSON.stringify({
      resource: oauth.resource,
      authorization_servers: oauth.authorizationServers,
      ...(oauth.scopes.length > 0 ? { scopes_supported: oauth.scopes } : {}),
      bearer_methods_supported: ['header'],
      ...(oauth.resourceName !== undefined ? { resource_name: oauth.resourceName } : {}),
    });
  }

  /** The RFC 9728 document, or undefined when `auth.oauth` is not configured. */
  get document(): string | undefined {
    return this.#document;
  }

  /** The `WWW-Authenticate` value for a 401 or an insufficient-scope 403 (RFC 6750 §3). */
  challenge(error: GatewayError, credentialGiven: boolean): string {
    const parts: string[] = [];
    if (error.code === 'MCPGW_ERR_INSUFFICIENT_SCOPE') parts.push('error="insufficient_scope"');
    // A request without any credential gets no error code (RFC 6750 §3.1).
    else if (credentialGiven) parts.push('error="invalid_token"', `error_description="${quoted(error.message)}"`);
    if (this.#metadataUrl !== undefined) parts.push(`resource_metadata="${this.#metadataUrl}"`);
    const scopes = this.#auth.oauth?.scopes ?? [];
    if (scopes.length > 0) parts.push(`scope="${scopes.join(' ')}"`);
    if (this.#metadataUrl === undefined) parts.unshift('realm="mcp-gateway"');
    return `Bearer ${parts.join(', ')}`;
  }
}

function quoted(text: string): string {
  return text.replace(/["\\]/g, "'");
}
