/**
 * A virtual server: a named bundle selected from the merged catalog (whole
 * servers, servers by tag, `server/name` globs), with tools renamed or
 * described anew, served at `/mcp/<name>` and as a REST scope. Its view is
 * built once per catalog change; a call then costs one map lookup. Anything
 * outside the bundle is answered exactly as a name no server offers.
 */
import type { VirtualServerConfig } from '../config/types.js';
import type { Caller } from '../policy/caller.js';
import type { Tenancy, TenantScope } from '../policy/tenancy.js';
import { globsPattern } from '../policy/glob.js';
import type { EntryRef, MergedCatalog, PromptRoute } from '../supervisor/catalog.js';
import type { Route } from '../supervisor/routing-table.js';
import type { ServerGroup } from '../supervisor/server-group.js';
import { notOffered } from '../supervisor/not-offered.js';

type Entry = Readonly<Record<string, unknown>>;

/** The four lists with their refs, the shape McpService filters and pages. */
export interface CatalogLists {
  readonly tools: readonly Entry[];
  readonly prompts: readonly Entry[];
  readonly resources: readonly Entry[];
  readonly resourceTemplates: readonly Entry[];
  readonly toolRefs: readonly EntryRef[];
  readonly promptRefs: readonly EntryRef[];
  readonly resourceRefs: readonly EntryRef[];
  readonly templateRefs: readonly EntryRef[];
}

export interface BundleView extends CatalogLists {
  /** Exposed tool name → the real server and tool. */
  readonly toolRoutes: ReadonlyMap<string, Route>;
  readonly promptRoutes: ReadonlyMap<string, PromptRoute>;
}

export class VirtualServer {
  readonly config: VirtualServerConfig;
  readonly path: string;
  readonly #servers: ReadonlySet<string>;
  readonly #tags: ReadonlySet<string>;
  readonly #tools: RegExp | undefined;
  readonly #resources: RegExp | undefined;
  readonly #prompts: RegExp | undefined;
  readonly #allowKeys: ReadonlySet<string> | undefined;
  readonly #allowRoles: ReadonlySet<string> | undefined;
  readonly #allowTenants: ReadonlySet<string> | undefined;
  #views = new WeakMap<MergedCatalog, BundleView>();
  readonly #groups: (id: string) => ServerGroup | undefined;

  constructor(config: VirtualServerConfig, groups: (id: string) => ServerGroup | undefined) {
    this.config = config;
    this.path = `/mcp/${config.name}`;
    this.#groups = groups;
    this.#servers = new Set(config.servers);
    this.#tags = new Set(config.tags);
    this.#tools = globsPattern(config.tools);
    this.#resources = globsPattern(config.resources);
    this.#prompts = globsPattern(config.prompts);
    this.#allowKeys = config.allow?.keys ? new Set(config.allow.keys) : undefined;
    this.#allowRoles = config.allow?.roles ? new Set(config.allow.roles) : undefined;
    this.#allowTenants = config.allow?.tenants ? new Set(config.allow.tenants) : undefined;
  }

  /** Its own access rule, before the gateway's `access` rules (which still apply to every entry). */
  admits(caller: Caller): boolean {
    if (this.#allowKeys === undefined && this.#allowRoles === undefined && this.#allowTenants === undefined) return true;
    if (caller.via === 'api-key' && this.#allowKeys?.has(caller.name)) return true;
    if (caller.tenant !== undefined && this.#allowTenants?.has(caller.tenant)) return true;
    return caller.roles.some((role) => this.#allowRoles?.has(role) === true);
  }

  /**
   * Whether a caller of this scope may know the bundle exists: a tenant's
   * bundle is its tenant's (and administrators') only; to anyone else it is a
   * name that was never configured.
   */
  visibleTo(scope: TenantScope): boolean {
    return scope.all || this.config.tenant === undefined || scope.tenant === this.config.tenant;
  }

  /** What the bundle selects from: in multi-tenant mode its tenant's view (the untenanted one for a top-level bundle), never another's. */
  catalogIn(supervisor: { catalog(scope?: TenantScope): MergedCatalog }, tenancy: Tenancy): MergedCatalog {
    return supervisor.catalog(tenancy.enabled ? tenancy.scopeNamed(this.config.tenant) : undefined);
  }

  view(catalog: MergedCatalog): BundleView {
    let view = this.#views.get(catalog);
    if (view === undefined) this.#views.set(catalog, (view = this.#build(catalog)));
    return view;
  }

  /** The real tool behind an exposed name; a name outside the bundle is refused like one no server has. */
  routeTool(catalog: MergedCatalog, name: string): Route {
    const route = this.view(catalog).toolRoutes.get(name);
    if (route === undefined) throw notOffered('tool', name);
    return route;
  }

  routePrompt(catalog: MergedCatalog, name: string): PromptRoute {
    const route = this.view(catalog).promptRoutes.get(name);
    if (route === undefined) throw notOffered('prompt', name);
    return route;
  }

  /** The owner of a URI, if the bundle holds it (listed, by template, or its whole server); else "not offered". */
  resourceOwner(catalog: MergedCatalog, uri: string): string {
    let owner: string | undefined;
    try {
      owner = catalog.resourceOwner(uri);
    } catch {
      owner = undefined;
    }
    if (owner === undefined || !(this.#wholeServer(owner) || this.#resources?.test(`${owner}/${uri}`) === true || this.#listsResource(catalog, owner, uri))) {
      throw notOffered('resource', uri);
    }
    return owner;
  }

  #listsResource(catalog: MergedCatalog, owner: string, uri: string): boolean {
    const view = this.view(catalog);
    return view.resourceRefs.some((ref) => ref.serverId === owner && ref.name === uri) || view.templateRefs.some((ref) => ref.serverId === owner);
  }

  #wholeServer(serverId: string): boolean {
    if (this.#servers.has(serverId)) return true;
    if (this.#tags.size === 0) return false;
    return this.#groups(serverId)?.config.tags.some((tag) => this.#tags.has(tag)) ?? false;
  }

  #selects(pattern: RegExp | undefined, ref: EntryRef): boolean {
    return this.#wholeServer(ref.serverId) || pattern?.test(`${ref.serverId}/${ref.name}`) === true;
  }

  #build(catalog: MergedCatalog): BundleView {
    const pick = (entries: readonly Entry[], refs: readonly EntryRef[], pattern: RegExp | undefined) => {
      const kept: { entry: Entry; ref: EntryRef }[] = [];
      refs.forEach((ref, i) => this.#selects(pattern, ref) && kept.push({ entry: entries[i]!, ref }));
      return kept;
    };
    const tools = pick(catalog.tools, catalog.toolRefs, this.#tools);
    const prompts = pick(catalog.prompts, catalog.promptRefs, this.#prompts);
    const resources = pick(catalog.resources, catalog.resourceRefs, this.#resources);
    const templates = pick(catalog.resourceTemplates, catalog.templateRefs, this.#resources);
    const toolRoutes = new Map<string, Route>();
    const exposedTools: Entry[] = [];
    const toolRefs: EntryRef[] = [];
    // Plain names unless two selected entries share one: a bundle's names do not depend on servers outside it.
    const plainTools = countPlain(tools.map(({ ref }) => ref.name));
    for (const { entry, ref } of tools) {
      const override = this.config.overrides[`${ref.serverId}/${ref.name}`];
      const name = override?.name ?? (plainTools.get(ref.name) === 1 ? ref.name : String(entry.name));
      if (toolRoutes.has(name)) continue;
      toolRoutes.set(name, { serverId: ref.serverId, tool: ref.name });
      toolRefs.push(ref);
      exposedTools.push({ ...entry, name, ...(override?.description !== undefined ? { description: override.description } : {}) });
    }
    const promptRoutes = new Map<string, PromptRoute>();
    const exposedPrompts: Entry[] = [];
    const promptRefs: EntryRef[] = [];
    const plainPrompts = countPlain(prompts.map(({ ref }) => ref.name));
    for (const { entry, ref } of prompts) {
      const name = plainPrompts.get(ref.name) === 1 ? ref.name : String(entry.name);
      if (promptRoutes.has(name)) continue;
      promptRoutes.set(name, { serverId: ref.serverId, prompt: ref.name });
      promptRefs.push(ref);
      exposedPrompts.push(name === entry.name ? entry : { ...entry, name });
    }
    return {
      tools: exposedTools,
      toolRefs,
      prompts: exposedPrompts,
      promptRefs,
      resources: resources.map(({ entry }) => entry),
      resourceRefs: resources.map(({ ref }) => ref),
      resourceTemplates: templates.map(({ entry }) => entry),
      templateRefs: templates.map(({ ref }) => ref),
      toolRoutes,
      promptRoutes,
    };
  }
}

function countPlain(names: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}
