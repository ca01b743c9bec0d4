/**
 * Which lists of the merged catalog changed, so clients are told exactly that
 * (a tools change is not a prompts change). Bursts (a restart changes state
 * and catalog in quick succession) are coalesced into one comparison.
 */
import { createHash } from 'node:crypto';
import type { Supervisor } from '../supervisor/supervisor.js';

export type ListKind = 'tools' | 'resources' | 'prompts';

type Lists = Readonly<Record<'tools' | 'resources' | 'resourceTemplates' | 'prompts', unknown>>;

/**
 * `lists`: what the clients being told see (a virtual server's bundle); the whole merged catalog by default.
 * `versions`: a short digest of each changed list as it now is (instances with the same catalog agree on it).
 */
export function watchCatalog(
  supervisor: Supervisor,
  onChange: (kinds: readonly ListKind[], versions: Readonly<Partial<Record<ListKind, string>>>) => void,
  delayMs = 50,
  lists: () => Lists = () => supervisor.catalog(),
): () => void {
  let previous = signatures(lists());
  let timer: NodeJS.Timeout | undefined;
  const unwatch = supervisor.onCatalogChange(() => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      const next = signatures(lists());
      const changed = (Object.keys(next) as ListKind[]).filter((kind) => next[kind] !== previous[kind]);
      previous = next;
      if (changed.length > 0) onChange(changed, digests(next, changed));
    }, delayMs);
    timer.unref();
  });
  return () => {
    if (timer) clearTimeout(timer);
    unwatch();
  };
}

/** One view whose changes are told apart from the others' (a tenant's). */
export interface WatchedScope {
  readonly key: string;
  lists(): Lists;
}

/**
 * `watchCatalog` for several views at once (multi-tenant mode): after a burst
 * of changes each view is compared with how it was, and only the views that
 * changed are told, so one tenant's servers coming and going is no news to
 * another. `scopes` is read on every change: a reload may add tenants (a view
 * seen for the first time sets its baseline).
 */
export function watchCatalogScopes(
  supervisor: Supervisor,
  scopes: () => readonly WatchedScope[],
  onChange: (kinds: readonly ListKind[], key: string, versions: Readonly<Partial<Record<ListKind, string>>>) => void,
  delayMs = 50,
): () => void {
  const previous = new Map(scopes().map((scope) => [scope.key, signatures(scope.lists())]));
  let timer: NodeJS.Timeout | undefined;
  const unwatch = supervisor.onCatalogChange(() => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      for (const scope of scopes()) {
        const next = signatures(scope.lists());
        const before = previous.get(scope.key);
        previous.set(scope.key, next);
        if (before === undefined) continue;
        const changed = (Object.keys(next) as ListKind[]).filter((kind) => next[kind] !== before[kind]);
        if (changed.length > 0) onChange(changed, scope.key, digests(next, changed));
      }
    }, delayMs);
    timer.unref();
  });
  return () => {
    if (timer) clearTimeout(timer);
    unwatch();
  };
}

/** A short digest of each changed list as it now is (instances with the same catalog agree on it). */
function digests(next: Record<ListKind, string>, changed: readonly ListKind[]): Partial<Record<ListKind, string>> {
  return Object.fromEntries(changed.map((kind) => [kind, createHash('sha256').update(next[kind]).digest('base64url').slice(0, 16)]));
}

/** The whole entry, not just names: a changed description or schema is a change too. */
function signatures(catalog: Lists): Record<ListKind, string> {
  return {
    tools: JSON.stringify(catalog.tools),
    resources: JSON.stringify([catalog.resources, catalog.resourceTemplates]),
    prompts: JSON.stringify(catalog.prompts),
  };
}
