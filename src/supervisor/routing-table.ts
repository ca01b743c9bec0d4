/**
 * Which server answers a tool name. Built once per catalog change (not per
 * call): a name unique across servers routes by itself, a shared name needs a
 * server, and `<serverId><separator><tool>` always names one exactly.
 */
import { GatewayError } from '../errors.js';
import { QualifiedNames } from '../qualified-names.js';
import { notOffered } from './not-offered.js';

export interface Route {
  readonly serverId: string;
  /** The tool's name on its own server. */
  readonly tool: string;
}

export class RoutingTable {
  readonly #byTool = new Map<string, string[]>();
  readonly #toolsByServer: ReadonlyMap<string, ReadonlySet<string>>;
  readonly names: QualifiedNames;

  /** `toolsByServer`: for every routable (ready, enabled) server, its tool names. */
  constructor(toolsByServer: ReadonlyMap<string, ReadonlySet<string>>, names: QualifiedNames = new QualifiedNames()) {
    this.#toolsByServer = toolsByServer;
    this.names = names;
    for (const [serverId, tools] of toolsByServer) {
      for (const tool of tools) {
        const servers = this.#byTool.get(tool);
        if (servers) servers.push(serverId);
        else this.#byTool.set(tool, [serverId]);
      }
    }
  }

  /** Servers that offer `tool` (by its plain name). */
  serversFor(tool: string): readonly string[] {
    return this.#byTool.get(tool) ?? [];
  }

  resolve(name: string, serverId?: string): Route {
    if (serverId !== undefined) {
      const tools = this.#toolsByServer.get(serverId);
      if (!tools) throw new GatewayError('MCPGW_ERR_UNKNOWN_SERVER', `no server "${serverId}" is registered and ready`);
      const prefix = serverId + this.names.separator;
      if (name.startsWith(prefix) && tools.has(name.slice(prefix.length))) return { serverId, tool: name.slice(prefix.length) };
      if (tools.has(name)) return { serverId, tool: name };
      throw new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', `server "${serverId}" has no tool "${name}"`);
    }
    // Qualified names first: they are what the tool listing advertises, so they must always mean that tool.
    const qualified = this.names.split(name);
    if (qualified && this.#toolsByServer.get(qualified.serverId)?.has(qualified.name)) return { serverId: qualified.serverId, tool: qualified.name };
    const servers = this.#byTool.get(name);
    if (servers?.length === 1) return { serverId: servers[0]!, tool: name };
    if (servers && servers.length > 1) {
      throw new GatewayError('MCPGW_ERR_AMBIGUOUS_TOOL', `tool "${name}" is offered by ${servers.length} servers (${servers.join(', ')}); pass "server" or call "<serverId>${this.names.separator}${name}"`, {
        servers: [...servers],
        qualifiedNames: servers.map((id) => this.names.qualify(id, name)),
      });
    }
    throw notOffered('tool', name);
  }
}
