/**
 * The merged catalog an MCP client sees through the gateway: every routable
 * server's tools, prompts, resources and resource templates in one list each.
 * A tool or prompt name that two servers share is exposed as
 * `<serverId><separator><name>` for each of them; a unique name stays as it is. Built
 * once per catalog change, never per request.
 */
import { QualifiedNames } from '../qualified-names.js';
import type { ServerGroup } from './server-group.js';
import { notOffered } from './not-offered.js';

type Entry = Readonly<Record<string, unknown>>;

export interface PromptRoute {
  readonly serverId: string;
  readonly prompt: string;
}

/** Which server an exposed entry comes from, and its name (or URI, URI template) there; what access rules match. */
export interface EntryRef {
  readonly serverId: string;
  readonly name: string;
}

/**
 * A part of the catalog some callers are limited to (a tenant's view, see
 * policy/tenancy.ts): a catalog built for it holds only what it sees, so its
 * names are qualified only where two of those entries clash.
 */
export interface CatalogScope {
  /** Tells scopes apart in cache keys. */
  readonly key: string;
  /** May the scope see this entry (a tool or prompt name, a resource URI or URI template) of that server? */
  sees(serverId: string, name: string): boolean;
  /** Is the whole server the scope's (not only some shared entries)? */
  whole(serverId: string): boolean;
}

export class MergedCatalog {
  readonly tools: readonly Entry[];
  readonly prompts: readonly Entry[];
  readonly resources: readonly Entry[];
  readonly resourceTemplates: readonly Entry[];
  /** Parallel to the four lists above. */
  readonly toolRefs: readonly EntryRef[] = [];
  readonly promptRefs: readonly EntryRef[] = [];
  readonly resourceRefs: readonly EntryRef[] = [];
  readonly templateRefs: readonly EntryRef[] = [];
  readonly #promptRoutes = new Map<string, PromptRoute>();
  readonly #resourceOwners = new Map<string, string>();
  readonly #templateOwners: { serverId: string; pattern: RegExp }[] = [];
  readonly #resourceServers: string[] = [];

  constructor(groups: readonly ServerGroup[], options: { alwaysPrefix?: boolean; names?: QualifiedNames; scope?: CatalogScope } = {}) {
    const names = options.names ?? new QualifiedNames();
    const prefixed = (count: number) => options.alwaysPrefix === true || count > 1;
    const tools: Entry[] = [];
    const prompts: Entry[] = [];
    const resources: Entry[] = [];
    const templates: Entry[] = [];
    const scope = options.scope;
    const sources = scope === undefined ? groups.map((group) => ({ group, catalog: group.catalog })) : groups.map((group) => ({ group, catalog: scopedLists(group, scope) }));
    const toolCounts = countNames(sources, (source) => source.catalog.tools);
    const promptCounts = countNames(sources, (source) => source.catalog.prompts);
    for (const { group, catalog } of sources) {
      const id = group.config.id;
      for (const tool of catalog.tools) {
        const name = String(tool.name);
        (this.toolRefs as EntryRef[]).push({ serverId: id, name });
        tools.push(prefixed(toolCounts.get(name)!) ? { ...tool, name: names.qualify(id, name) } : tool);
      }
      for (const prompt of catalog.prompts) {
        const name = String(prompt.name);
        const exposed = prefixed(promptCounts.get(name)!) ? names.qualify(id, name) : name;
        (this.promptRefs as EntryRef[]).push({ serverId: id, name });
        prompts.push(exposed === name ? prompt : { ...prompt, name: exposed });
        this.#promptRoutes.set(exposed, { serverId: id, prompt: name });
        this.#promptRoutes.set(names.qualify(id, name), { serverId: id, prompt: name });
      }
      for (const resource of catalog.resources) {
        const uri = String(resource.uri);
        // Two servers claiming one URI: the first in config order owns it.
        if (this.#resourceOwners.has(uri)) continue;
        this.#resourceOwners.set(uri, id);
        resources.push(resource);
        (this.resourceRefs as EntryRef[]).push({ serverId: id, name: uri });
      }
      for (const template of catalog.resourceTemplates) {
        templates.push(template);
        (this.templateRefs as EntryRef[]).push({ serverId: id, name: String(template.uriTemplate) });
        this.#templateOwners.push({ serverId: id, pattern: templatePattern(String(template.uriTemplate)) });
      }
      // The fallback owner of unlisted URIs must be a server the scope has whole, never one it only shares entries of.
      if ('resources' in (group.identity?.capabilities ?? {}) && (scope === undefined || scope.whole(id))) this.#resourceServers.push(id);
    }
    this.tools = tools;
    this.prompts = prompts;
    this.resources = resources;
    this.resourceTemplates = templates;
  }

  routePrompt(name: string): PromptRoute {
    const route = this.#promptRoutes.get(name);
    if (!route) throw notOffered('prompt', name);
    return route;
  }

  /** The server that owns a resource URI: listed, else matched by a template, else the only server with resources. */
  resourceOwner(uri: string): string {
    const listed = this.#resourceOwners.get(uri);
    if (listed) return listed;
    const templated = this.#templateOwners.find((owner) => owner.pattern.test(uri));
    if (templated) return templated.serverId;
    if (this.#resourceServers.length === 1) return this.#resourceServers[0]!;
    throw notOffered('resource', uri);
  }
}

type Lists = Pick<ServerGroup['catalog'], 'tools' | 'prompts' | 'resources' | 'resourceTemplates'>;

/** A server's lists as a scope sees them. */
function scopedLists(group: ServerGroup, scope: CatalogScope): Lists {
  const id = group.config.id;
  if (scope.whole(id)) return group.catalog;
  const keep = (field: string) => (entry: Entry) => scope.sees(id, String(entry[field]));
  const catalog = group.catalog;
  return { tools: catalog.tools.filter(keep('name')), prompts: catalog.prompts.filter(keep('name')), resources: catalog.resources.filter(keep('uri')), resourceTemplates: catalog.resourceTemplates.filter(keep('uriTemplate')) };
}

function countNames<T>(sources: readonly T[], list: (source: T) => readonly Entry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const source of sources) for (const entry of list(source)) counts.set(String(entry.name), (counts.get(String(entry.name)) ?? 0) + 1);
  return counts;
}

/** An RFC 6570 template as a matcher: `{var}` is one path segment, `{+var}`/`{#var}` anything. */
function templatePattern(template: string): RegExp {
  let source = '';
  let last = 0;
  for (const match of template.matchAll(/\{([+#./;?&]?)[^}]*\}/g)) {
    source += escapeRegExp(template.slice(last, match.index));
    source += match[1] === '+' || match[1] === '#' ? '.*' : match[1] === '?' || match[1] === '&' ? '(?:[?&].*)?' : '[^/?#]*';
    last = match.index! + match[0].length;
  }
  source += escapeRegExp(template.slice(last));
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
