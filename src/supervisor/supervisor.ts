/**
 * The supervisor: starts every configured server's workers (in config order,
 * stopped in reverse, as OTP does), keeps the routing table in step with the
 * catalogs, and routes calls. Strategy is one_for_one: a replica's crash
 * touches nothing but that replica.
 */
import type { GatewayConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { ServerState, StartReportEntry } from '../gateway-types.js';
import type { ForwardedMethod } from '../threads/messages.js';
import type { CallOutcome } from './replica.js';
import { RoutingTable, type Route } from './routing-table.js';
import { ServerGroup, type GroupObserver } from './server-group.js';

export interface SupervisorOptions {
  /** Default replicas per server (`--workers N`); a server's own `replicas` wins when set above 1. */
  readonly workers: number;
  readonly observer: GroupObserver;
}

export interface RoutedCall {
  readonly route: Route;
  readonly outcome: Promise<CallOutcome>;
  readonly cancel: (reason: string) => void;
}

export class Supervisor {
  readonly #groups = new Map<string, ServerGroup>();
  readonly #order: ServerGroup[] = [];
  #routing: RoutingTable | undefined;
  readonly #observer: GroupObserver;

  constructor(config: GatewayConfig, options: SupervisorOptions) {
    this.#observer = {
      ...options.observer,
      catalogChanged: (serverId) => {
        this.#routing = undefined;
        options.observer.catalogChanged(serverId);
      },
    };
    for (const server of config.servers) {
      const replicas = server.replicas > 1 ? server.replicas : Math.max(1, options.workers);
      const group = new ServerGroup(server, replicas, this.#observer);
      this.#groups.set(server.id, group);
      this.#order.push(group);
    }
  }

  /** Starts every server; resolves once each is ready or has failed its first start. */
  async start(): Promise<StartReportEntry[]> {
    const outcomes = await Promise.all(this.#order.map((group) => group.start()));
    return this.#order.map((group, index) => {
      const outcome = outcomes[index]!;
      const base = { id: group.config.id, name: group.config.name };
      if (!outcome.ok) return { ...base, ok: false, tools: 0, reason: outcome.reason ?? 'not ready' };
      return { ...base, ok: true, tools: group.catalog.tools.length, ...(group.identity ? { protocolVersion: group.identity.protocolVersion } : {}) };
    });
  }

  async stop(graceMs: number): Promise<void> {
    // Calls in flight on every server finish in parallel; reverse order only decides who is asked first.
    await Promise.all([...this.#order].reverse().map((group) => group.stop(graceMs)));
  }

  groups(): readonly ServerGroup[] {
    return this.#order;
  }

  group(id: string): ServerGroup | undefined {
    return this.#groups.get(id);
  }

  routing(): RoutingTable {
    if (!this.#routing) {
      const toolsByServer = new Map<string, Set<string>>();
      for (const group of this.#order) {
        if (group.state !== 'ready' && group.state !== 'unhealthy') continue;
        toolsByServer.set(group.config.id, new Set(group.catalog.tools.map((tool) => tool.name as string)));
      }
      this.#routing = new RoutingTable(toolsByServer);
    }
    return this.#routing;
  }

  /** Routes a tool call and dispatches it; throws routing errors synchronously. */
  callTool(name: string, args: unknown, options: { server?: string; deadlineFor: (timeoutMs: number) => number; onProgress?: (json: string) => void }): RoutedCall {
    if (options.server !== undefined && !this.#groups.has(options.server)) {
      throw new GatewayError('MCPGW_ERR_UNKNOWN_SERVER', `no server "${options.server}" is configured`);
    }
    if (options.server !== undefined) {
      const group = this.#groups.get(options.server)!;
      if (group.state !== 'ready' && group.state !== 'unhealthy') {
        const why = group.lastError ? `: ${group.lastError}` : '';
        throw new GatewayError(group.state === 'stopping' || group.state === 'stopped' ? 'MCPGW_ERR_SHUTTING_DOWN' : 'MCPGW_ERR_SERVER_UNAVAILABLE', `server "${group.config.id}" is ${group.state}${why}`, { state: group.state });
      }
    }
    const route = this.routing().resolve(name, options.server);
    const group = this.#groups.get(route.serverId)!;
    const params = JSON.stringify(args === undefined ? { name: route.tool } : { name: route.tool, arguments: args });
    const call = group.call({
      method: 'tools/call' satisfies ForwardedMethod,
      params,
      deadline: options.deadlineFor(group.config.timeout),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { route, ...call };
  }

  states(): Record<string, ServerState> {
    return Object.fromEntries(this.#order.map((group) => [group.config.id, group.state]));
  }
}
