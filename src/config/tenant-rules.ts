/**
 * What the schema cannot say about tenants: every tenant a server, key or
 * bundle names must be declared, and a tenant's bundle selects only from what
 * that tenant may see (its own servers, the untenanted ones) so a config
 * cannot hand one tenant's upstream to another by way of a virtual server.
 */
import { formatPath, show, type ConfigIssue } from './schema.js';

type Path = (string | number)[];

/** Tenant names appear in URLs, metrics labels and rate-limit keys: kept to a safe alphabet. */
const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The top-level `virtualServers` and each tenant's, with where they are in the file. */
export function virtualServerLists(doc: Record<string, unknown>): { entries: unknown[]; path: Path; tenant?: string }[] {
  const lists: { entries: unknown[]; path: Path; tenant?: string }[] = [];
  if (Array.isArray(doc.virtualServers)) lists.push({ entries: doc.virtualServers, path: ['virtualServers'] });
  if (isRecord(doc.tenants)) {
    for (const [tenant, config] of Object.entries(doc.tenants)) {
      if (isRecord(config) && Array.isArray(config.virtualServers)) lists.push({ entries: config.virtualServers, path: ['tenants', tenant, 'virtualServers'], tenant });
    }
  }
  return lists;
}

export function tenantIssues(doc: Record<string, unknown>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const at = (path: Path, message: string) => issues.push({ path: formatPath(path), message });
  const tenants = isRecord(doc.tenants) ? Object.keys(doc.tenants) : [];
  const declared = new Set(tenants);
  const known = tenants.length === 0 ? 'no tenants are declared (add them under "tenants")' : `declared tenants: ${tenants.join(', ')}`;
  for (const name of tenants) if (!TENANT_NAME.test(name)) at(['tenants', name], 'a tenant name must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit');

  const servers = (Array.isArray(doc.servers) ? doc.servers : []).map((server) => (isRecord(server) ? server : {}));
  const ownerOf = new Map<unknown, string | undefined>(servers.map((server) => [server.id, typeof server.tenant === 'string' ? server.tenant : undefined]));
  servers.forEach((server, i) => {
    if (typeof server.tenant === 'string' && !declared.has(server.tenant)) at(['servers', i, 'tenant'], `names no tenant (got ${show(server.tenant)}; ${known})`);
  });
  // Without `tenants` a key's or bundle's tenant is only a label (for identity claims and `allow.tenants`); with them it must be one.
  if (tenants.length > 0) {
    const auth = isRecord(doc.auth) ? doc.auth : {};
    if (Array.isArray(auth.apiKeys)) {
      auth.apiKeys.forEach((entry: unknown, i) => {
        if (isRecord(entry) && typeof entry.tenant === 'string' && !declared.has(entry.tenant)) at(['auth', 'apiKeys', i, 'tenant'], `names no tenant (got ${show(entry.tenant)}; ${known})`);
      });
    }
  }

  for (const { entries, path, tenant } of virtualServerLists(doc)) {
    const owner = tenant === undefined ? 'the untenanted servers' : `its tenant's servers ("${tenant}") or untenanted ones`;
    entries.forEach((entry: unknown, i) => {
      if (!isRecord(entry)) return;
      const foreign = (id: unknown) => ownerOf.has(id) && ownerOf.get(id) !== undefined && ownerOf.get(id) !== tenant;
      if (Array.isArray(entry.servers)) {
        entry.servers.forEach((id: unknown, j) => foreign(id) && at([...path, i, 'servers', j], `belongs to tenant "${ownerOf.get(id)}"; this virtual server may only select ${owner}`));
      }
      if (isRecord(entry.overrides)) {
        for (const target of Object.keys(entry.overrides)) {
          const id = target.slice(0, Math.max(0, target.indexOf('/')));
          if (foreign(id)) at([...path, i, 'overrides', target], `names a server of tenant "${ownerOf.get(id)}"; this virtual server may only select ${owner}`);
        }
      }
      const allowed = isRecord(entry.allow) && Array.isArray(entry.allow.tenants) ? entry.allow.tenants : [];
      if (tenants.length > 0) allowed.forEach((name: unknown, j) => typeof name === 'string' && !declared.has(name) && at([...path, i, 'allow', 'tenants', j], `names no tenant (got ${show(name)}; ${known})`));
    });
  }

  // A share names untenanted servers: one naming a tenant's server (or none at all) is a mistake worth saying.
  for (const name of tenants) {
    const tenant = (doc.tenants as Record<string, unknown>)[name];
    const share = isRecord(tenant) && Array.isArray(tenant.share) ? tenant.share : [];
    share.forEach((glob: unknown, j) => {
      if (typeof glob !== 'string' || !glob.includes('/')) return;
      const id = glob.slice(0, glob.indexOf('/'));
      if (id.includes('*')) return;
      if (!ownerOf.has(id)) at(['tenants', name, 'share', j], `names no configured server (got ${show(glob)})`);
      else if (ownerOf.get(id) !== undefined) at(['tenants', name, 'share', j], `names a server of tenant "${ownerOf.get(id)}"; a share is over untenanted servers only`);
    });
  }
  return issues;
}
