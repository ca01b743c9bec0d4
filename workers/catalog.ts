/**
 * Lists an upstream's tools, resources, resource templates and prompts, page by
 * page, for the capabilities it declared. Lists are taken as sent (no schema
 * re-parse): one odd tool must not hide the server's other tools.
 */
import type { Catalog } from '../src/threads/messages.js';
import type { UpstreamConnection } from './upstream-connection.js';

/** A server whose cursor never converges must not keep a worker listing forever. */
const MAX_PAGES = 100;

type ListKind = 'tools' | 'resources' | 'resourceTemplates' | 'prompts';

const LISTS: readonly { kind: ListKind; method: string; capability: string }[] = [
  { kind: 'tools', method: 'tools/list', capability: 'tools' },
  { kind: 'resources', method: 'resources/list', capability: 'resources' },
  { kind: 'resourceTemplates', method: 'resources/templates/list', capability: 'resources' },
  { kind: 'prompts', method: 'prompts/list', capability: 'prompts' },
];

export interface FetchedCatalog {
  readonly catalog: Catalog;
  /** The shortest positive `ttlMs` a 2026-07-28 upstream gave its lists: re-list after that long. */
  readonly freshForMs?: number;
}

export async function fetchCatalog(connection: UpstreamConnection, timeoutMs: number): Promise<FetchedCatalog> {
  const capabilities = connection.identity.capabilities;
  const ttls: number[] = [];
  const entries = await Promise.all(
    LISTS.map(async ({ kind, method, capability }) => (capability in capabilities ? await listAll(connection, method, kind, timeoutMs, ttls) : [])),
  );
  const positive = ttls.filter((ttl) => ttl > 0);
  return {
    catalog: { tools: entries[0]!, resources: entries[1]!, resourceTemplates: entries[2]!, prompts: entries[3]! },
    ...(positive.length > 0 ? { freshForMs: Math.min(...positive) } : {}),
  };
}

async function listAll(connection: UpstreamConnection, method: string, kind: ListKind, timeoutMs: number, ttls: number[]): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = (await connection.request(method, cursor === undefined ? undefined : { cursor }, { timeout: timeoutMs })) as Record<string, unknown>;
    if (typeof result?.ttlMs === 'number') ttls.push(result.ttlMs);
    const list = result?.[kind];
    if (!Array.isArray(list)) throw new Error(`${method} answered without a "${kind}" array`);
    for (const item of list) if (isNamedEntry(item, kind)) items.push(item);
    cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
    if (cursor === undefined) return items;
  }
  throw new Error(`${method} did not finish paginating within ${MAX_PAGES} pages`);
}

function isNamedEntry(item: unknown, kind: ListKind): item is Record<string, unknown> {
  if (typeof item !== 'object' || item === null) return false;
  const entry = item as Record<string, unknown>;
  if (kind === 'resources') return typeof entry.uri === 'string';
  if (kind === 'resourceTemplates') return typeof entry.uriTemplate === 'string';
  return typeof entry.name === 'string';
}
