/**
 * Which server answers a tool name. Built once per catalog change (not per
 * call): a name unique across servers routes by itself, a shared name needs a
 * server, and `<serverId>__<tool>` always names one exactly.
 */
import { GatewayError } from '../errors.js';

export const QUALIFIED_SEPARATOR = '__';

export interface Route {
  readonly serverId: string;
  /** The tool's name on its own server. */
  readonly tool: string;
}

export class RoutingTable {
  readonly #byTool = new Map<string, string[]>();
  readonly #toolsByServer: ReadonlyMap<string, ReadonlySet<string>>;

  /** `toolsByServer`: for every routable (ready, enabled) server, its tool names. */
  constructor(toolsByServer: ReadonlyMap<string, ReadonlySet<string>>) {
    this.#toolsByServer = toolsByServer;
    for (const [serverId, tools] of toolsByServer) {
      for (const tool of tools) {
        const servers = this.#byTool.get(tool);
        if (servers) servers.push(serverId);
        else this.#byTool.set(tool, [serverId]);
      }
    }
  }

  static qualify(serverId: string, tool: string): string {
    return `${serverId}${QUALIFIED_SEPARATOR}${tool}`;
  }

  /** Servers that offer `tool` (by its plain name). */
  serversFor(tool: string): readonly string[] {
    return this.#byTool.get(tool) ?? [];
  }

  resolve(name: string, serverId?: string): Route {
    if (serverId !== undefined) {
      const tools = this.#toolsByServer.get(serverId);
      if (!tools) throw new GatewayError('MCPGW_ERR_UNKNOWN_SERVER', `no server "${serverId}" is registered and ready`);
      const prefix = serverId + QUALIFIED_SEPARATOR;
      if (name.startsWith(prefix) && tools.has(name.slice(prefix.length))) return { serverId, tool: name.slice(prefix.length) };
      if (tools.has(name)) return { serverId, tool: name };
      throw new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `server "${serverId}" has no tool "${name}"`);
    }
    // Qualified names first: they are what the tool listing advertises, so they must always mean that tool.
    // Server ids never contain the separator, so the first one splits server from tool.
    const separator = name.indexOf(QUALIFIED_SEPARATOR);
    if (separator > 0) {
      const owner = name.slice(0, separator);
      const tool = name.slice(separator + QUALIFIED_SEPARATOR.length);
      if (this.#toolsByServer.get(owner)?.has(tool)) return { serverId: owner, tool };
    }
    const servers = this.#byTool.get(name);
    if (servers?.length === 1) return { serverId: servers[0]!, tool: name };
    if (servers && servers.length > 1) {
      throw new GatewayError('MCPGW_ERR_AMBIGUOUS_TOOL', `tool "${name}" is offered by ${servers.length} servers (${servers.join(', ')}); pass "server" or call "<serverId>${QUALIFIED_SEPARATOR}${name}"`, {
        servers: [...servers],
        qualifiedNames: servers.map((id) => RoutingTable.qualify(id, name)),
      });
    }
    throw new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `no ready server offers a tool named "${name}"`);
  }
}
