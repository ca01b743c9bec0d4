/** Turning a verified token's claims (a JWT payload or an introspection answer) into a Caller. */
import type { Caller } from './caller.js';

export interface ClaimNames {
  readonly subjectClaim: string;
  readonly rolesClaim: string;
  readonly scopesClaim: string;
  readonly tenantClaim?: string;
}

export function callerFromClaims(claims: Readonly<Record<string, unknown>>, names: ClaimNames, via: Caller['via'], bearerToken: string): Caller {
  const subject = stringClaim(claims, names.subjectClaim);
  const tenant = names.tenantClaim === undefined ? undefined : stringClaim(claims, names.tenantClaim);
  const name = subject ?? stringClaim(claims, 'client_id') ?? 'token';
  return Object.freeze({
    key: `sub:${name}`,
    name,
    via,
    ...(subject !== undefined ? { subject } : {}),
    roles: listClaim(claimAt(claims, names.rolesClaim)),
    // OAuth's `scope` is one space-separated string; some issuers send `scp` as a list.
    scopes: listClaim(claimAt(claims, names.scopesClaim) ?? claims.scp),
    ...(tenant !== undefined ? { tenant } : {}),
    bearerToken,
  });
}

/** `a.b.c` reaches into nested claims (Keycloak puts roles under `realm_access.roles`). */
function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let node: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function stringClaim(claims: Readonly<Record<string, unknown>>, path: string): string | undefined {
  const value = claimAt(claims, path);
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

function listClaim(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((part) => part !== '');
  if (Array.isArray(value)) return value.filter((part): part is string => typeof part === 'string' && part !== '');
  return [];
}
