/**
 * The merged catalog an MCP client sees through the gateway: every routable
 * server's tools, prompts, resources and resource templates in one list each.
 * A tool or prompt name that two servers share is exposed as
 * `<serverId><separator><name>` for each of them; a unique name stays as it is. Built
 * once per catalog change, never per request.
 */
import { GatewayError } from '../errors.js';
import { QualifiedNames } from '../qualified-names.js';
import type { ServerGroup } from './server-group.js';

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

  constructor(groups: readonly ServerGroup[], options: { alwaysPrefix?: boolean; names?: QualifiedNames } = {}) {
    const names = options.names ?? new QualifiedNames();
    const prefixed = (count: number) => options.alwaysPrefix === true || count > 1;
    const tools: Entry[] = [];
    const prompts: Entry[] = [];
    const resources: Entry[] = [];
    const templates: Entry[] = [];
    const toolCounts = countNames(groups, (group) => group.catalog.tools);
    const promptCounts = countNames(groups, (group) => group.catalog.prompts);
    for (const group of groups) {
      const id = group.config.id;
      const catalog = group.catalog;
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
      if ('resources' in (group.identity?.capabilities ?? {})) this.#resourceServers.push(id);
    }
    this.tools = tools;
    this.prompts = prompts;
    this.resources = resources;
    this.resourceTemplates = templates;
  }

  routePrompt(name: string): PromptRoute {
    const route = this.#promptRoutes.get(name);
    if (!route) throw new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `no ready server offers a prompt named "${name}"`);
    return route;
  }

  /** The server that owns a resource URI: listed, else matched by a template, else the only server with resources. */
  resourceOwner(uri: string): string {
    const listed = this.#resourceOwners.get(uri);
    if (listed) return listed;
    const templated = this.#templateOwners.find((owner) => owner.pattern.test(uri));
    if (templated) return templated.serverId;
    if (this.#resourceServers.length === 1) return this.#resourceServers[0]!;
    throw new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `no ready server offers the resource "${uri}"`, { uri });
  }
}

function countNames(groups: readonly ServerGroup[], list: (group: ServerGroup) => readonly Entry[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const group of groups) for (const entry of list(group)) counts.set(String(entry.name), (counts.get(String(entry.name)) ?? 0) + 1);
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
