/**
 * The keys every instance of a cluster derives from the one shared secret
 * (`cluster.secret`), one per use, so a key leaking from one use does not
 * open the other. HKDF is a single HMAC pass: deriving costs nothing per
 * request (it runs once at start), unlike the password-style derivation
 * some gateways pay per session.
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../errors.js';

export interface ClusterKeys {
  /** Signs MRTR requestState, so any instance can verify a state another issued. */
  readonly requestState: Buffer;
  /** Authenticates calls between instances on the internal route. */
  readonly internal: Buffer;
}

export function deriveClusterKeys(secret: string): ClusterKeys {
  const derive = (use: string) => Buffer.from(hkdfSync('sha256', secret, 'mcp-gateway cluster', use, 32));
  return { requestState: derive('request-state'), internal: derive('internal-route') };
}

/** The header a call between instances carries: `<instance>.<epoch ms>.<signature>`. */
export const INTERNAL_AUTH_HEADER = 'x-mcpgw-cluster-auth';

/** A signed internal call older (or further ahead) than this is refused: a captured one cannot be replayed later. */
const MAX_SKEW_MS = 30_000;

function signature(key: Buffer, instanceId: string, at: string, method: string, path: string, body: Uint8Array | string): string {
  const digest = createHash('sha256').update(body).digest('base64url');
  return createHmac('sha256', key).update(`${instanceId}\n${at}\n${method}\n${path}\n${digest}`).digest('base64url');
}

export function signInternal(key: Buffer, instanceId: string, method: string, path: string, body: Uint8Array | string, now = Date.now()): string {
  return `${instanceId}.${now}.${signature(key, instanceId, String(now), method, path, body)}`;
}

/** Returns the calling instance's id; throws MCPGW_ERR_UNAUTHORIZED for anything not signed with this cluster's secret. */
export function verifyInternal(key: Buffer, header: string | undefined, method: string, path: string, body: Uint8Array | string, now = Date.now()): string {
  const refused = (why: string) => new GatewayError('MCPGW_ERR_UNAUTHORIZED', `internal cluster route: ${why}`);
  if (header === undefined) throw refused(`the ${INTERNAL_AUTH_HEADER} header is missing`);
  const parts = header.split('.');
  if (parts.length !== 3) throw refused('malformed credential');
  const [instanceId, at, given] = parts as [string, string, string];
  const time = Number(at);
  if (!Number.isSafeInteger(time) || Math.abs(now - time) > MAX_SKEW_MS) throw refused('the credential is stale or from the future (clocks more than 30 s apart?)');
  const expected = Buffer.from(signature(key, instanceId, at, method, path, body));
  const actual = Buffer.from(given);
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw refused('bad signature (another cluster.secret?)');
  return instanceId;
}
