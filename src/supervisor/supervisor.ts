/**
 * The supervisor: starts every configured server's workers (in config order,
 * stopped in reverse, as OTP does), keeps the routing table in step with the
 * catalogs, and routes calls. Strategy is one_for_one: a replica's crash
 * touches nothing but that replica.
 */
import { isDeepStrictEqual } from 'node:util';
import type { GatewayConfig, ServerConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import type { StartReportEntry } from '../gateway-types.js';
import type { UpstreamCredentials } from '../identity/upstream-credentials.js';
import type { Caller } from '../policy/caller.js';
import type { ForwardedMethod } from '../threads/messages.js';
import { withCredentials } from './credentialed-call.js';
import type { CallOutcome } from './replica.js';
import { MergedCatalog, type CatalogScope } from './catalog.js';
import { QualifiedNames } from '../qualified-names.js';
import { RoutingTable, type Route } from './routing-table.js';
import { ServerGroup, type GroupCallRequest, type GroupObserver } from './server-group.js';

export interface SupervisorOptions {
  /** Default replicas per server (`--workers N`); a server's own `replicas` wins when set above 1. */
  readonly workers: number;
  readonly observer: GroupObserver;
  /** Per server with `identity`: how a caller's credential for it is made. */
  readonly credentials?: ReadonlyMap<string, UpstreamCredentials>;
}

export interface ForwardOptions {
  /** The call's absolute deadline, given the server's `timeout`. */
  readonly deadlineFor: (timeoutMs: number) => number;
  readonly onProgress?: (progressJson: string) => void;
  /** Passed to HTTP upstreams with the request (e.g. `Mcp-Param-*`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly onInputRequest?: (method: string, paramsJson: string) => Promise<string>;
  /** Who the call is for: a server with `identity` is told, in a header of its own (never the caller's token). */
  readonly caller?: Caller;
}

/** What a reload did to the servers. */
export interface ReconcileReport {
  readonly added: readonly string[];
  /** Drained (calls in flight finished, up to the grace period) and stopped. */
  readonly removed: readonly string[];
  /** Changed config: the new workers took over once ready, then the old ones drained. */
  readonly replaced: readonly string[];
  readonly unchanged: readonly string[];
  /** Added or changed servers whose new workers did not come up; a changed one keeps running as it was. */
  readonly failed: readonly { readonly id: string; readonly reason: string }[];
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
  #catalog: MergedCatalog | undefined;
  /** Per scope (a tenant's view), its catalog and routing, rebuilt with the whole one. */
  #scoped = new WeakMap<CatalogScope, { catalog?: MergedCatalog; routing?: RoutingTable }>();
  #catalogListeners = new Set<() => void>();
  readonly #resourceListeners = new Set<(serverId: string, uri: string) => void>();
  readonly #observer: GroupObserver;
  readonly #workers: number;
  readonly #alwaysPrefix: boolean;
  #credentials: ReadonlyMap<string, UpstreamCredentials>;
  /** How `<serverId><separator><name>` names are made and read (`mcp.separator`). */
  readonly names: QualifiedNames;

  constructor(config: GatewayConfig, options: SupervisorOptions) {
    this.#alwaysPrefix = config.mcp.alwaysPrefix;
    this.#workers = options.workers;
    this.#credentials = options.credentials ?? new Map();
    this.names = new QualifiedNames(config.mcp.separator);
    this.#observer = {
      ...options.observer,
      catalogChanged: (serverId) => {
        this.#routing = undefined;
        this.#catalog = undefined;
        this.#scoped = new WeakMap();
        options.observer.catalogChanged(serverId);
        for (const listener of this.#catalogListeners) listener();
      },
      resourceUpdated: (serverId, uri) => {
        options.observer.resourceUpdated(serverId, uri);
        for (const listener of this.#resourceListeners) listener(serverId, uri);
      },
    };
    for (const server of config.servers) {
      const group = this.#newGroup(server);
      this.#groups.set(server.id, group);
      this.#order.push(group);
    }
  }

  #newGroup(server: ServerConfig): ServerGroup {
    const replicas = server.replicas > 1 ? server.replicas : Math.max(1, this.#workers);
    return new ServerGroup(server, replicas, this.#observer);
  }

  /**
   * Brings the running servers in line with a reloaded config. Removed
   * servers leave the routing at once and drain; added ones start; a changed
   * one is started anew beside the old, which keeps serving until the new one
   * is ready, then drains. No call is dropped: each runs to its end on the
   * workers that took it.
   */
  async reconcile(servers: readonly ServerConfig[], graceMs: number, credentials?: ReadonlyMap<string, UpstreamCredentials>): Promise<ReconcileReport> {
    // New identity settings apply to the next call, on old workers and new alike.
    if (credentials !== undefined) this.#credentials = credentials;
    const wanted = new Map(servers.map((server) => [server.id, server]));
    const removed = this.#order.filter((group) => !wanted.has(group.config.id));
    const added = servers.filter((server) => !this.#groups.has(server.id));
    const changed = servers.filter((server) => this.#groups.has(server.id) && !isDeepStrictEqual(this.#groups.get(server.id)!.config, server));
    const unchanged = servers.filter((server) => this.#groups.has(server.id) && !changed.includes(server)).map((server) => server.id);
    const failed: { id: string; reason: string }[] = [];

    for (const group of removed) this.#groups.delete(group.config.id);
    this.#reorder(servers);
    const draining = removed.map((group) => group.stop(graceMs));

    const fresh = await Promise.all(
      [...added, ...changed].map(async (server) => {
        const group = this.#newGroup(server);
        const outcome = await group.start();
        return { server, group, outcome };
      }),
    );
    const replaced: string[] = [];
    for (const { server, group, outcome } of fresh) {
      const old = this.#groups.get(server.id);
      if (old !== undefined && !outcome.ok) {
        // The old workers are still good for the old config: keep them rather than serve nothing.
        failed.push({ id: server.id, reason: outcome.reason ?? 'not ready' });
        await group.stop(0);
        continue;
      }
      if (!outcome.ok) failed.push({ id: server.id, reason: outcome.reason ?? 'not ready' });
      group.takeSubscriptionsFrom(old);
      this.#groups.set(server.id, group);
      if (old !== undefined) {
        replaced.push(server.id);
        draining.push(old.stop(graceMs));
      }
    }
    this.#reorder(servers);
    await Promise.all(draining);
    return { added: added.map((server) => server.id), removed: removed.map((group) => group.config.id), replaced, unchanged, failed };
  }

  /** `#order` follows the config, over the groups now in `#groups`; routing and catalogs are rebuilt. */
  #reorder(servers: readonly ServerConfig[]): void {
    const next = servers.map((server) => this.#groups.get(server.id)).filter((group): group is ServerGroup => group !== undefined);
    this.#order.splice(0, this.#order.length, ...next);
    this.#observer.catalogChanged('*');
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

  /** What MCP clients see: every routable server's catalog, merged; with a scope, only what that scope sees. */
  catalog(scope?: CatalogScope): MergedCatalog {
    if (scope !== undefined) {
      const scoped = this.#scopedEntry(scope);
      scoped.catalog ??= new MergedCatalog(this.#routableGroups(), { alwaysPrefix: this.#alwaysPrefix, names: this.names, scope });
      return scoped.catalog;
    }
    this.#catalog ??= new MergedCatalog(this.#routableGroups(), { alwaysPrefix: this.#alwaysPrefix, names: this.names });
    return this.#catalog;
  }

  #routableGroups(): ServerGroup[] {
    return this.#order.filter((group) => group.state === 'ready' || group.state === 'unhealthy');
  }

  #scopedEntry(scope: CatalogScope): { catalog?: MergedCatalog; routing?: RoutingTable } {
    let entry = this.#scoped.get(scope);
    if (entry === undefined) this.#scoped.set(scope, (entry = {}));
    return entry;
  }

  /** Called (synchronously, possibly in bursts) whenever a catalog or a server's routability changes. */
  onCatalogChange(listener: () => void): () => void {
    this.#catalogListeners.add(listener);
    return () => this.#catalogListeners.delete(listener);
  }

  /** Called when an upstream reports an update of a resource that is subscribed on it. */
  onResourceUpdated(listener: (serverId: string, uri: string) => void): () => void {
    this.#resourceListeners.add(listener);
    return () => this.#resourceListeners.delete(listener);
  }

  routing(scope?: CatalogScope): RoutingTable {
    if (scope !== undefined) {
      const scoped = this.#scopedEntry(scope);
      scoped.routing ??= this.#routingTable(scope);
      return scoped.routing;
    }
    this.#routing ??= this.#routingTable(undefined);
    return this.#routing;
  }

  #routingTable(scope: CatalogScope | undefined): RoutingTable {
    const toolsByServer = new Map<string, Set<string>>();
    for (const group of this.#routableGroups()) {
      const id = group.config.id;
      const names = group.catalog.tools.map((tool) => tool.name as string);
      if (scope === undefined || scope.whole(id)) toolsByServer.set(id, new Set(names));
      else {
        const seen = names.filter((name) => scope.sees(id, name));
        if (seen.length > 0) toolsByServer.set(id, new Set(seen));
      }
    }
    return new RoutingTable(toolsByServer, this.names);
  }

  /**
   * The server and tool a name means (with `server`: on that server, which must be able to take calls).
   * With a scope, a server outside it is answered exactly as one that does not exist.
   */
  route(name: string, server?: string, scope?: CatalogScope): Route {
    if (server !== undefined) {
      if (scope !== undefined && !this.inScope(server, scope)) throw unknownServer(server);
      this.#routable(server);
    }
    return this.routing(scope).resolve(name, server);
  }

  /** Does the scope see anything of the server (it is its own, or it shares some of its entries)? */
  inScope(serverId: string, scope: CatalogScope): boolean {
    if (!this.#groups.has(serverId)) return false;
    if (scope.whole(serverId)) return true;
    const catalog = this.#groups.get(serverId)?.catalog;
    if (catalog === undefined) return false;
    return (
      catalog.tools.some((entry) => scope.sees(serverId, String(entry.name))) ||
      catalog.prompts.some((entry) => scope.sees(serverId, String(entry.name))) ||
      catalog.resources.some((entry) => scope.sees(serverId, String(entry.uri))) ||
      catalog.resourceTemplates.some((entry) => scope.sees(serverId, String(entry.uriTemplate)))
    );
  }

  /** Dispatches a tool call already routed (with `route()`, so policy could look at it first). */
  callTool(route: Route, args: unknown, options: ForwardOptions & { extraParams?: Readonly<Record<string, unknown>>; argumentsText?: string }): RoutedCall {
    const idempotent = this.#groups.get(route.serverId)?.isIdempotentTool(route.tool) ?? false;
    const { outcome, cancel } = this.forward(route.serverId, 'tools/call', toolCallParams(route.tool, args, options.extraParams, options.argumentsText), options, idempotent);
    return { route, outcome, cancel };
  }

  /** Sends one request to a server (its least-loaded ready replica); routing is the caller's job. */
  forward(serverId: string, method: ForwardedMethod, params: string, options: ForwardOptions, idempotent = method === 'resources/read'): Omit<RoutedCall, 'route'> {
    const group = this.#routable(serverId);
    const request: GroupCallRequest = callRequest(method, params, group.config.timeout, options, idempotent);
    const credentials = this.#credentialsFor(serverId, options.caller);
    if (credentials === undefined) return group.call(request);
    return withCredentials(credentials.headersFor(options.caller!), request, (ready) => group.call(ready));
  }

  /** Like `forward`, to one replica: the one an upstream task lives on. */
  forwardToReplica(serverId: string, replica: number, method: ForwardedMethod, params: string, options: ForwardOptions): Omit<RoutedCall, 'route'> {
    const group = this.#routable(serverId);
    const request = callRequest(method, params, group.config.timeout, options);
    const credentials = this.#credentialsFor(serverId, options.caller);
    if (credentials === undefined) return group.callReplica(replica, request);
    return withCredentials(credentials.headersFor(options.caller!), request, (ready) => group.callReplica(replica, ready));
  }

  /** How `serverId` learns who a call is for; undefined (and nothing else done) for servers without `identity`. */
  #credentialsFor(serverId: string, caller: Caller | undefined): UpstreamCredentials | undefined {
    if (this.#credentials.size === 0 || caller === undefined) return undefined;
    return this.#credentials.get(serverId);
  }

  /** The group, if it can take calls now; otherwise the error that says why not. */
  #routable(serverId: string): ServerGroup {
    const group = this.#groups.get(serverId);
    if (!group) throw unknownServer(serverId);
    if (group.state === 'ready' || group.state === 'unhealthy') return group;
    const why = group.lastError ? `: ${group.lastError}` : '';
    const code = group.state === 'stopping' || group.state === 'stopped' ? 'MCPGW_ERR_SHUTTING_DOWN' : 'MCPGW_ERR_SERVER_UNAVAILABLE';
    throw new GatewayError(code, `server "${group.config.id}" is ${group.state}${why}`, { state: group.state });
  }
}

/** The one answer for a server id nobody may see: the same whether it does not exist or is another tenant's. */
export function unknownServer(serverId: string): GatewayError {
  return new GatewayError('MCPGW_ERR_UNKNOWN_SERVER', `no server "${serverId}" is configured`);
}

function callRequest(method: ForwardedMethod, params: string, timeoutMs: number, options: ForwardOptions, idempotent?: boolean): GroupCallRequest {
  // Undefined fields are as good as absent downstream; no spreads on the per-call path.
  return { method, params, deadline: options.deadlineFor(timeoutMs), onProgress: options.onProgress, headers: options.headers, onInputRequest: options.onInputRequest, idempotent };
}

function isEmpty(object: Readonly<Record<string, unknown>>): boolean {
  for (const _key in object) return false;
  return true;
}

/**
 * tools/call params as JSON text. `argumentsText`, the arguments as the
 * client's JSON text, goes in as it is: a large payload is not serialised again.
 */
function toolCallParams(name: string, args: unknown, extraParams: Readonly<Record<string, unknown>> | undefined, argumentsText: string | undefined): string {
  if (args === undefined) return JSON.stringify({ ...extraParams, name });
  if (argumentsText === undefined) return JSON.stringify({ ...extraParams, name, arguments: args });
  const head = extraParams === undefined || isEmpty(extraParams) ? `{"name":${JSON.stringify(name)}` : JSON.stringify({ ...extraParams, name }).slice(0, -1);
  return `${head},"arguments":${argumentsText}}`;
}
