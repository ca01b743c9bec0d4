/**
 * The one refusal for a name no ready server offers. Every lookup (routing,
 * catalogs, virtual servers) and the tenant check use it, so a name outside a
 * caller's view is refused in exactly the words of a name never configured.
 */
import { GatewayError } from '../errors.js';

export function notOffered(kind: 'tool' | 'resource' | 'prompt', name: string): GatewayError {
  if (kind === 'resource') return new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `no ready server offers the resource "${name}"`, { uri: name });
  return new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `no ready server offers a ${kind} named "${name}"`);
}
