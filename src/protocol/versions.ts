/** The protocol revisions the gateway serves, and how a request says which it speaks. */
import { GatewayError } from '../errors.js';

export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
/** Newest first; advertised by `server/discover`. */
export const SUPPORTED_VERSIONS: readonly string[] = [MODERN_VERSION, ...LEGACY_VERSIONS];

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** The client capability each kind of input request needs. */
export const INPUT_CAPABILITY: Readonly<Record<string, string>> = { 'elicitation/create': 'elicitation', 'sampling/createMessage': 'sampling', 'roots/list': 'roots' };

/** Whether declared client capabilities allow asking for `method`. */
export function canAnswer(capabilities: unknown, method: string): boolean {
  const capability = INPUT_CAPABILITY[method];
  return capability !== undefined && typeof capabilities === 'object' && capabilities !== null && capability in capabilities;
}

export function missingCapability(method: string): GatewayError {
  return new GatewayError('MCPGW_ERR_MISSING_CAPABILITY', `the tool needs ${method}, but this client did not declare the "${INPUT_CAPABILITY[method] ?? method}" capability`, { method });
}

export type Era = { readonly era: 'modern'; readonly version: string } | { readonly era: 'legacy' };

/**
 * A request whose `_meta` claims 2026-07-28 or later is modern (even a version
 * we do not serve: that gets -32022, never a silent fallback); `initialize` or
 * no claim is legacy. The `MCP-Protocol-Version` header only cross-checks.
 */
export function classify(method: string, params: Readonly<Record<string, unknown>>): Era {
  if (method === 'initialize') return { era: 'legacy' };
  const meta = params._meta as Record<string, unknown> | undefined;
  const claim = meta?.[META_PROTOCOL_VERSION];
  if (typeof claim === 'string' && claim >= MODERN_VERSION) return { era: 'modern', version: claim };
  return { era: 'legacy' };
}

/** The version a legacy `initialize` settles on: the client's if we serve it, else our newest 2025 one. */
export function negotiateLegacy(requested: unknown): string {
  return typeof requested === 'string' && (LEGACY_VERSIONS as readonly string[]).includes(requested) ? requested : LEGACY_VERSIONS[0];
}
