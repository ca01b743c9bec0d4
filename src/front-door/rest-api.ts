/**
 * The REST API (`/api/v1/...`) and `/metrics`. Routes are matched on a small
 * table built once; each handler reads what it needs and answers through
 * respond.ts, so every error has the same `{"error":{code,message}}` shape.
 */
import { approvalRefusal, type ApprovalRecord, type Approvals } from '../approval/approvals.js';
import type { GatewayConfig } from '../config/types.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { CallOutcomeLabel, GatewayMetrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import type { RequestLog, RequestLogQuery } from '../observability/request-log.js';
import { outcomeOf, type CallRecorder, type UpstreamTrace } from '../observability/call-recorder.js';
import { identityView, redactValues } from '../observability/redact.js';
import type { TraceIds } from '../observability/trace-context.js';
import type { ServerGroup } from '../supervisor/server-group.js';
import type { QualifiedNames } from '../qualified-names.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Caller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import type { HttpRequest, HttpResponse } from './engine.js';
import type { CallerHandler } from './policy-gate.js';
import { approvalRoutes, type PeerApprovals } from './approval-routes.js';
import { readJsonBody } from './json-body.js';
import { parsedMemberText } from '../json-member.js';
import { replayRoutes } from './replay-api.js';
import { llmToolDefinition, LlmToolNamesCache, parseLlmFormat } from './llm-tools.js';
import { sendLive, sendReady } from './probes.js';
import { getPrompt, listEntries, listFilter, readResource, type RestCatalogContext } from './rest-catalog.js';
import { sendError, sendJson, sendRawJson, withHeaders } from './respond.js';
import { ListCache } from '../protocol/list-cache.js';
import type { VirtualServer } from '../protocol/virtual-server.js';
import { Tenancy, type TenantScope } from '../policy/tenancy.js';
import { unknownServer } from '../supervisor/supervisor.js';
import type { JsonText } from '../json-text.js';

/** In multi-tenant mode, every REST answer says whose view it is: `all-tenants`, `tenant=<name>` or `untenanted`. */
export const SCOPE_HEADER = 'x-mcp-gateway-scope';

export interface RestApiContext {
  readonly config: GatewayConfig;
  readonly supervisor: Supervisor;
  readonly metrics: GatewayMetrics;
  readonly requestLog: RequestLog;
  readonly recorder: CallRecorder;
  readonly traceIds: TraceIds;
  readonly logger: Logger;
  readonly policy: Policy;
  readonly version: string;
  readonly startedAt: number;
  readonly httpEngine: () => string;
  /** True once a graceful stop began: new calls get 503. */
  readonly stopping: () => boolean;
  /** Re-reads the config file and applies it (POST /api/v1/admin/reload). */
  readonly reload: () => Promise<unknown>;
  /** Human approval (`approval.rules`): checked before a call is dispatched; held calls are decided at /api/v1/approvals. */
  readonly approvals: Approvals;
  /** In a cluster: the views over every instance (`?scope=cluster`), and the calls other instances hold for approval. */
  readonly cluster?: { health(): Promise<unknown>; metrics(): Promise<unknown> } & PeerApprovals;
  /** The virtual servers by name: `?virtual=<name>` lists one's tools, `"virtual"` calls through one. */
  readonly virtualServers?: ReadonlyMap<string, VirtualServer>;
  /** The gateway's cache of serialised lists (shared with /mcp); one of its own otherwise. */
  readonly listCache?: ListCache;
}

type Handler = (request: HttpRequest, response: HttpResponse, params: Record<string, string>, caller: Caller) => void | Promise<void>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly handler: Handler;
}

export function createRestApi(context: RestApiContext): CallerHandler {
  const routes: Route[] = [];
  const add = (method: string, path: string, handler: Handler): void => {
    const keys: string[] = [];
    const pattern = new RegExp('^' + path.replace(/:([a-zA-Z]+)/g, (_, key: string) => (keys.push(key), '([^/]+)')) + '/?$');
    routes.push({ method, pattern, keys, handler });
  };

  add('GET', '/health/live', (_q, r) => sendLive(r));
  add('GET', '/health/ready', (_q, r) => sendReady(r, context.supervisor, context.config.health.readyMinServers, context.stopping()));
  add('GET', '/api/v1/health', async (q, r, _p, caller) => {
    if (wantsCluster(q)) return void sendJson(r, 200, await (await clusterView(context, q, caller)).health());
    sendJson(r, context.stopping() ? 503 : 200, health(context, caller));
  });
  add('GET', '/api/v1/servers', (_q, r, _p, caller) => {
    const scope = context.policy.scope(caller);
    sendJson(r, 200, { servers: context.supervisor.groups().filter((g) => scope.seesServer(g.config.id)).map((g) => serverSummary(g, scope)) });
  });
  add('GET', '/api/v1/servers/:id', (_q, r, p, caller) => {
    const group = visibleGroup(context, p.id!, caller);
    sendJson(r, 200, serverDetail(group, context.supervisor.names, context.policy, caller));
  });
  const llmNames = new LlmToolNamesCache(context.supervisor.names);
  const lists = context.listCache ?? new ListCache();
  /** A list answer as bytes, built once per (catalog, access rules, request key, view) — list-cache.ts. Checks that refuse a request run before, never inside. */
  const sendList = (response: HttpResponse, caller: Caller, key: readonly unknown[], build: () => unknown): void => {
    const access = context.policy.access;
    const bytes = lists.get([context.supervisor.catalog(), access], `rest\n${JSON.stringify([...key, access.viewKey(caller)])}`, () => Buffer.from(JSON.stringify(build())));
    sendRawJson(response, 200, bytes);
  };
  add('GET', '/api/v1/tools', (q, r, _p, caller) => {
    const query = new URLSearchParams(q.query);
    const server = query.get('server') ?? undefined;
    const tag = query.get('tag') ?? undefined;
    const virtual = query.get('virtual') ?? undefined;
    if (virtual !== undefined) {
      const bundle = virtualServer(context, virtual, caller);
      return sendList(r, caller, ['virtual', virtual], () => ({ virtual, tools: listVirtualTools(context, bundle, caller) }));
    }
    const format = parseLlmFormat(query.get('format'));
    if (server !== undefined) visibleGroup(context, server, caller);
    sendList(r, caller, ['tools', server ?? null, tag ?? null, format ?? null], () => {
      const tools = listTools(context.supervisor, context.policy, caller, server, tag);
      if (format === undefined) return { tools };
      const names = llmNames.for(context.supervisor.catalog(context.policy.catalogScope(caller)));
      const mapping: Record<string, string> = {};
      const definitions = tools.map((tool) => {
        const qualified = String(tool.qualifiedName);
        const name = names.llmName(qualified) ?? qualified;
        mapping[name] = qualified;
        return llmToolDefinition(format, name, tool);
      });
      return { format, tools: definitions, names: mapping };
    });
  });
  add('POST', '/api/v1/tools/call', (q, r, _p, caller) => callTool(context, q, r, caller, llmNames));
  const catalogContext: RestCatalogContext = { ...context, maxBodyBytes: context.config.maxBodyBytes, maxJsonDepth: context.config.maxJsonDepth };
  const sendEntries = (r: HttpResponse, caller: Caller, kind: 'resources' | 'resourceTemplates' | 'prompts', query: string): void => {
    const filter = listFilter(context, query, caller);
    sendList(r, caller, [kind, filter.server ?? null, filter.tag ?? null], () => ({ [kind]: listEntries(context, kind, caller, filter) }));
  };
  add('GET', '/api/v1/resources', (q, r, _p, caller) => sendEntries(r, caller, 'resources', q.query));
  add('GET', '/api/v1/resources/templates', (q, r, _p, caller) => sendEntries(r, caller, 'resourceTemplates', q.query));
  add('POST', '/api/v1/resources/read', (q, r, _p, caller) => readResource(catalogContext, q, r, caller));
  add('GET', '/api/v1/prompts', (q, r, _p, caller) => sendEntries(r, caller, 'prompts', q.query));
  add('POST', '/api/v1/prompts/get', (q, r, _p, caller) => getPrompt(catalogContext, q, r, caller));
  add('GET', '/api/v1/metrics', async (q, r, _p, caller) => {
    if (wantsCluster(q)) return void sendJson(r, 200, await (await clusterView(context, q, caller)).metrics());
    const wantsText = new URLSearchParams(q.query).get('format') === 'prometheus' || (q.headers.accept ?? '').includes('text/plain');
    if (wantsText) {
      mustSeeAllTenants(context, caller, 'read the Prometheus metrics');
      r.send(200, { 'content-type': context.metrics.contentType }, await context.metrics.prometheus());
    } else sendJson(r, 200, context.metrics.summary(Date.now(), context.policy.scope(caller)));
  });
  add('GET', '/api/v1/requests', (q, r, _p, caller) => {
    const page = context.requestLog.page(requestLogQuery(new URLSearchParams(q.query), context.policy.scope(caller)));
    sendJson(r, 200, { enabled: context.requestLog.enabled, requests: page.requests, nextBefore: page.nextBefore });
  });
  for (const route of replayRoutes(context, requestLogQuery)) add(route.method, route.path, route.handler);
  add('GET', '/api/v1/requests/:id', (_q, r, p, caller) => {
    const id = positiveInteger('id', p.id!);
    const found = context.requestLog.get(id);
    // Another tenant's entry is answered as one that was never recorded.
    const entry = found !== undefined && context.policy.scope(caller).seesSlice(found.tenant) ? found : undefined;
    if (!entry) {
      throw new GatewayError('MCPGW_ERR_UNKNOWN_REQUEST', context.requestLog.enabled ? `no request-log entry ${id} (never recorded, or gone: monitor.retentionHours, monitor.maxEntries)` : 'the request log is off (monitor.requestLog: false)', { id });
    }
    sendJson(r, 200, entry);
  });
  // The dashboard asks this once before it shows anything: the page itself is public, what it shows is for administrators.
  // In multi-tenant mode a tenant's caller gets the dashboard too, showing its tenant's slice only.
  add('GET', '/api/v1/admin/whoami', (_q, r, _p, caller) => {
    const admin = context.policy.mayAdminister(caller);
    const scope = context.policy.scope(caller);
    const tenantMember = context.policy.tenancy.enabled && scope.tenant !== undefined;
    if (!admin && !tenantMember) {
      throw new GatewayError('MCPGW_ERR_FORBIDDEN', context.policy.authenticator.enabled ? `${caller.name} may not use the dashboard (needs one of auth.adminRoles)` : 'without authentication, only a caller on this machine may use the dashboard');
    }
    sendJson(r, 200, {
      name: caller.name,
      via: caller.via,
      roles: caller.roles,
      authentication: context.policy.authenticator.enabled,
      ...(context.policy.tenancy.enabled ? { admin, approver: context.approvals.mayApprove(caller), scope: Tenancy.label(scope), ...(caller.tenant !== undefined ? { tenant: caller.tenant } : {}) } : {}),
    });
  });
  add('POST', '/api/v1/admin/reload', async (_q, r, _p, caller) => {
    if (!context.policy.mayAdminister(caller)) {
      throw new GatewayError('MCPGW_ERR_FORBIDDEN', context.policy.authenticator.enabled ? `${caller.name} may not reload the config (needs one of auth.adminRoles)` : 'without authentication, only a caller on this machine may reload the config');
    }
    sendJson(r, 200, await context.reload());
  });
  for (const route of approvalRoutes(context.approvals, context.config, context.cluster)) add(route.method, route.path, route.handler);
  if (context.config.monitor.prometheus) {
    add('GET', '/metrics', async (_q, r, _p, caller) => {
      // Series are labelled with every server, tool and tenant: in multi-tenant mode, for administrators only.
      mustSeeAllTenants(context, caller, 'read the Prometheus metrics');
      r.send(200, { 'content-type': context.metrics.contentType }, await context.metrics.prometheus());
    });
  }

  const dispatch = (request: HttpRequest, response: HttpResponse, caller: Caller): void => {
    let pathMatched = false;
    for (const route of routes) {
      const match = route.pattern.exec(request.path);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== request.method) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => (params[key] = safeDecode(match[i + 1]!)));
      run(route.handler, request, response, params, caller, context.logger);
      return;
    }
    if (pathMatched) sendError(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${request.path}`));
    else sendError(response, new GatewayError('MCPGW_ERR_ROUTE_NOT_FOUND', `no route ${request.method} ${request.path}`));
  };

  return (request, response, caller) => {
    const policy = context.policy;
    if (!policy.tenancy.enabled) return dispatch(request, response, caller);
    const scoped = (who: Caller) => dispatch(request, withHeaders(response, { [SCOPE_HEADER]: Tenancy.label(policy.scope(who)) }), who);
    // A public path (health) asked with a credential answers for that credential's view, not the anonymous one.
    const credentialGiven = request.headers['x-api-key'] !== undefined || request.headers.authorization !== undefined;
    if (caller.via !== 'anonymous' || !credentialGiven || !policy.authenticator.enabled) return scoped(caller);
    policy.authenticator.authenticate(request.headers).then(scoped, (error: unknown) => {
      if (!response.closed) sendError(response, toGatewayError(error));
    });
  };
}

/** A server the caller may see; one it may not is answered exactly as one that does not exist. */
function visibleGroup(context: RestApiContext, id: string, caller: Caller): ServerGroup {
  const group = context.supervisor.group(id);
  if (group === undefined || !context.policy.scope(caller).seesServer(id)) throw unknownServer(id);
  return group;
}

/** Views spanning every tenant (Prometheus series) are for administrators in multi-tenant mode. */
function mustSeeAllTenants(context: RestApiContext, caller: Caller, what: string): void {
  if (!context.policy.tenancy.enabled || context.policy.scope(caller).all) return;
  throw new GatewayError('MCPGW_ERR_FORBIDDEN', `${caller.name} may not ${what}: in multi-tenant mode they span every tenant (needs one of auth.adminRoles); GET /api/v1/metrics shows this caller's tenant`);
}

function run(handler: Handler, request: HttpRequest, response: HttpResponse, params: Record<string, string>, caller: Caller, logger: Logger): void {
  const fail = (error: unknown): void => {
    const gatewayError = toGatewayError(error);
    if (gatewayError.code === 'MCPGW_ERR_INTERNAL') logger.error({ err: error, path: request.path, requestId: request.requestId }, 'request failed');
    if (!response.closed) sendError(response, gatewayError);
  };
  try {
    const pending = handler(request, response, params, caller);
    if (pending) pending.catch(fail);
  } catch (error) {
    fail(error);
  }
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `${name} must be a positive integer (got "${text}")`);
  return value;
}

/** `?limit`, `?before` and the filters of `GET /api/v1/requests`; `scope` keeps the page to the caller's tenant slice. */
function requestLogQuery(query: URLSearchParams, scope?: TenantScope): RequestLogQuery {
  const text = (name: string) => query.get(name) ?? undefined;
  const limit = text('limit');
  const before = text('before');
  const filter: { -readonly [K in keyof RequestLogQuery]: RequestLogQuery[K] } = {};
  if (limit !== undefined) filter.limit = positiveInteger('limit', limit);
  if (before !== undefined) filter.before = positiveInteger('before', before);
  for (const key of ['server', 'caller', 'tool', 'method', 'status', 'traceId', 'requestId', 'tenant'] as const) {
    const value = text(key);
    if (value !== undefined) filter[key] = value;
  }
  if (scope !== undefined && !scope.all) filter.visible = (tenant) => scope.seesSlice(tenant);
  return filter;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface CallBody {
  tool: string;
  arguments?: Record<string, unknown>;
  server?: string;
  virtual?: string;
}

interface ParsedCallBody {
  readonly body: CallBody;
  /** `arguments` as the JSON text the client sent (passed on as it is). */
  readonly argumentsText: string | undefined;
  readonly bytes: number;
}

function parseCallBody(body: Buffer, contentType: string | undefined, maxJsonDepth: number): ParsedCallBody {
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `Content-Type must be application/json (got "${contentType}")`);
  }
  const { value, text } = readJsonBody(body, maxJsonDepth);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'request body must be a JSON object {"tool", "arguments"?, "server"?}');
  const candidate = value as Record<string, unknown>;
  const unknownKeys = Object.keys(candidate).filter((key) => key !== 'tool' && key !== 'arguments' && key !== 'server' && key !== 'virtual');
  if (unknownKeys.length > 0) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `unknown field(s) in request body: ${unknownKeys.join(', ')} (expected "tool", "arguments", "server", "virtual")`);
  if (candidate.virtual !== undefined && (typeof candidate.virtual !== 'string' || candidate.virtual === '')) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"virtual" must be a non-empty string');
  if (candidate.virtual !== undefined && candidate.server !== undefined) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"virtual" and "server" cannot be combined: a virtual server routes its own tool names');
  if (typeof candidate.tool !== 'string' || candidate.tool === '') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"tool" must be a non-empty string');
  if (candidate.arguments !== undefined && (typeof candidate.arguments !== 'object' || candidate.arguments === null || Array.isArray(candidate.arguments))) {
    throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"arguments" must be a JSON object');
  }
  if (candidate.server !== undefined && (typeof candidate.server !== 'string' || candidate.server === '')) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"server" must be a non-empty string');
  return { body: candidate as unknown as CallBody, argumentsText: candidate.arguments === undefined ? undefined : parsedMemberText(text, 'arguments'), bytes: body.length };
}

/** A tool name as the REST caller sent it: a tool or qualified name, or the LLM name GET /api/v1/tools?format= gave it. */
function routeTool(context: RestApiContext, llmNames: LlmToolNamesCache, body: CallBody, caller: Caller): { serverId: string; tool: string } {
  const scope = context.policy.catalogScope(caller);
  try {
    return context.supervisor.route(body.tool, body.server, scope);
  } catch (error) {
    // Only a name no tool has is looked up as an LLM name: the error path, never the call's usual one.
    const qualified = body.server === undefined && error instanceof GatewayError && error.code === 'MCPGW_ERR_UNKNOWN_TOOL' ? llmNames.for(context.supervisor.catalog(scope)).qualified(body.tool) : undefined;
    if (qualified === undefined) throw error;
    return context.supervisor.route(qualified, undefined, scope);
  }
}

async function callTool(context: RestApiContext, request: HttpRequest, response: HttpResponse, caller: Caller, llmNames: LlmToolNamesCache): Promise<void> {
  const receivedAt = Date.now();
  const traceId = context.traceIds.of(request.headers);
  let requestBytes = 0;
  let body: CallBody | undefined;
  let route: { serverId: string; tool: string } | undefined;
  const finish = (httpStatus: number, outcome: CallOutcomeLabel, responseBytes: number, timings: { upstreamMs: number; queuedMs: number }, error?: GatewayError, resultJson?: JsonText): void => {
    const server = recordedServer();
    // Undefined fields are as good as absent to the recorder; no spreads on the per-call path.
    context.recorder.record({
      via: 'rest',
      caller: caller.name,
      tenant: context.policy.tenancy.sliceOf(caller, server),
      receivedAt,
      traceId,
      requestId: request.requestId,
      server,
      tool: route?.tool ?? body?.tool ?? '',
      outcome,
      httpStatus,
      requestBytes,
      responseBytes,
      upstreamMs: timings.upstreamMs,
      queuedMs: timings.queuedMs,
      arguments: body?.arguments,
      resultJson,
      error,
      clientTraceparent: request.headers.traceparent,
      upstreamSpanId: upstream?.spanId,
      approval,
    });
  };
  // A call refused before routing (its server is down) still belongs to the server it named, if that one exists and the
  // caller may see it: never an unknown id (client input as a metrics label), never another tenant's.
  const recordedServer = (): string | null => route?.serverId ?? (body?.server !== undefined && context.supervisor.group(body.server) && context.policy.scope(caller).seesServer(body.server) ? body.server : null);
  let upstream: UpstreamTrace | undefined;
  let approval: ApprovalRecord | undefined;
  const failWith = (error: GatewayError, timings = { upstreamMs: 0, queuedMs: 0 }): void => {
    const bytes = response.closed ? 0 : sendError(response, error);
    finish(error.status, outcomeOf(error), bytes, timings, error);
  };

  try {
    if (context.stopping()) throw new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'the gateway is stopping and takes no new calls');
    let parsed: ParsedCallBody | undefined = parseCallBody(await request.readBody(context.config.maxBodyBytes), request.headers['content-type'], context.config.maxJsonDepth);
    requestBytes = parsed.bytes;
    body = parsed.body;
    if (body.virtual === undefined) route = routeTool(context, llmNames, body, caller);
    else {
      const bundle = virtualServer(context, body.virtual, caller);
      route = bundle.routeTool(bundle.catalogIn(context.supervisor, context.policy.tenancy), body.tool);
    }
    await context.policy.admit(caller, 'tool', route.serverId, route.tool);
    // The upstream's timeout counts from dispatch: a call that waited for approval gets all of it.
    let dispatchAt = receivedAt;
    const requirement = context.approvals.requirement(route.serverId, route.tool);
    if (requirement !== undefined) {
      const subject = { serverId: route.serverId, tool: route.tool, arguments: body.arguments };
      approval = await context.approvals.hold(subject, caller, 'rest', requirement, (cancel) => {
        response.onAbort(() => cancel('the client disconnected'));
        if (response.closed) cancel('the client disconnected');
      });
      const refusal = approvalRefusal(approval, subject, requirement);
      if (refusal !== undefined) return failWith(refusal);
      dispatchAt = Date.now();
    }
    let inputWanted: string | undefined;
    upstream = context.recorder.upstreamTrace(traceId);
    const call = context.supervisor.callTool(route, body.arguments, {
      caller,
      argumentsText: parsed.argumentsText,
      extraParams: upstream === undefined ? undefined : { _meta: { traceparent: upstream.traceparent } },
      headers: upstream === undefined ? undefined : { traceparent: upstream.traceparent },
      deadlineFor: (timeoutMs) => dispatchAt + timeoutMs,
      // A 2025 upstream asking for input mid-call: REST has no way to ask the caller.
      onInputRequest: (method) => {
        inputWanted = method;
        return Promise.reject(new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `${method} cannot be answered over REST`));
      },
    });
    route = call.route;
    // What was sent is let go before the wait: a large payload held until its answer would be copied by every
    // young-generation GC meanwhile, then promoted (bench/README.md, "Large payloads").
    parsed = undefined;
    if (context.recorder.capture === undefined) body = { tool: body.tool, server: body.server };
    response.onAbort(() => call.cancel('the client disconnected'));
    const outcome = await call.outcome;
    const timings = { upstreamMs: outcome.upstreamMs, queuedMs: outcome.queuedMs };
    if (!outcome.ok) return failWith(outcome.error, timings);
    if (outcome.inputRequired || inputWanted !== undefined) {
      return failWith(
        new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `tool "${route.tool}" on server "${route.serverId}" needs input from the client (elicitation, sampling or roots), which REST cannot carry; call it through the MCP endpoint /mcp`),
        timings,
      );
    }
    if (response.closed) return finish(499, 'cancelled', 0, timings);
    const bytes = sendRawJson(response, 200, outcome.result);
    finish(200, outcome.toolError ? 'tool_error' : 'ok', bytes, timings, undefined, outcome.result);
  } catch (error) {
    failWith(toGatewayError(error));
  }
}

function wantsCluster(request: HttpRequest): boolean {
  return new URLSearchParams(request.query).get('scope') === 'cluster';
}

/**
 * The cluster views show every instance: for administrators only, as the
 * dashboard's views are. The health path is public, so its caller is
 * authenticated here when it asks for the cluster.
 */
async function clusterView(context: RestApiContext, request: HttpRequest, caller: Caller): Promise<NonNullable<RestApiContext['cluster']>> {
  const authenticator = context.policy.authenticator;
  if (authenticator.enabled && caller.via === 'anonymous') caller = await authenticator.authenticate(request.headers);
  if (!context.policy.mayAdminister(caller)) {
    throw new GatewayError('MCPGW_ERR_FORBIDDEN', context.policy.authenticator.enabled ? `${caller.name} may not see the cluster views (needs one of auth.adminRoles)` : 'without authentication, only a caller on this machine may see the cluster views');
  }
  if (context.cluster === undefined) throw new GatewayError('MCPGW_ERR_NOT_CLUSTERED', 'this gateway runs alone (cluster.enabled is false); ask without scope=cluster');
  return context.cluster;
}

function health(context: RestApiContext, caller: Caller): Record<string, unknown> {
  const scope = context.policy.scope(caller);
  const groups = context.supervisor.groups().filter((g) => scope.seesServer(g.config.id));
  const enabled = groups.filter((g) => g.config.enabled);
  const ready = enabled.filter((g) => g.state === 'ready');
  const status = context.stopping() ? 'stopping' : ready.length === enabled.length ? 'ok' : ready.length === 0 && enabled.length > 0 ? 'down' : 'degraded';
  return {
    status,
    version: context.version,
    uptimeSeconds: Math.round((Date.now() - context.startedAt) / 1000),
    httpEngine: context.httpEngine(),
    servers: groups.map((g) => ({
      id: g.config.id,
      name: g.config.name,
      state: g.state,
      era: g.identity?.era ?? null,
      protocolVersion: g.identity?.protocolVersion ?? null,
      tools: entryCounts(g, scope).tools,
      restarts: g.restarts,
      circuit: g.circuit,
      ...(g.lastError && g.state !== 'ready' ? { lastError: g.lastError } : {}),
    })),
  };
}

/** A server as the scope sees it: of a server it only shares entries of, the counts are of those entries. */
function serverSummary(group: ServerGroup, scope: TenantScope): Record<string, unknown> {
  const config = group.config;
  const counts = entryCounts(group, scope);
  return {
    id: config.id,
    name: config.name,
    transport: config.transport,
    ...(config.url ? { url: config.url } : {}),
    ...(config.command ? { command: config.command } : {}),
    identity: config.identity?.mode ?? null,
    ...(config.tenant !== undefined ? { tenant: config.tenant } : {}),
    tags: config.tags,
    enabled: config.enabled,
    state: group.state,
    era: group.identity?.era ?? null,
    protocolVersion: group.identity?.protocolVersion ?? null,
    serverInfo: group.identity?.serverInfo ?? null,
    ...counts,
    replicas: config.replicas,
    inFlight: group.inFlight,
    restarts: group.restarts,
    circuit: group.circuit,
    lastError: group.lastError ?? null,
  };
}

function entryCounts(group: ServerGroup, scope: TenantScope): { tools: number; resources: number; prompts: number } {
  const catalog = group.catalog;
  const id = group.config.id;
  if (scope.whole(id)) return { tools: catalog.tools.length, resources: catalog.resources.length, prompts: catalog.prompts.length };
  const seen = (entries: readonly Record<string, unknown>[], field: string) => entries.filter((entry) => scope.sees(id, String(entry[field]))).length;
  return { tools: seen(catalog.tools, 'name'), resources: seen(catalog.resources, 'uri'), prompts: seen(catalog.prompts, 'name') };
}

function serverDetail(group: ServerGroup, names: QualifiedNames, policy: Policy, caller: Caller): Record<string, unknown> {
  const id = group.config.id;
  return {
    ...serverSummary(group, policy.scope(caller)),
    replicas: group.replicaSummaries(),
    // Credentials by name only: which are set is worth seeing, their values never leave the config.
    headers: redactValues(group.config.headers),
    env: redactValues(group.config.env),
    identity: group.config.identity === undefined ? null : identityView(group.config.identity),
    timeout: group.config.timeout,
    maxConcurrency: group.config.maxConcurrency,
    maxQueue: group.config.maxQueue,
    capabilities: group.identity?.capabilities ?? null,
    instructions: group.identity?.instructions ?? null,
    health: group.lastHealth ?? null,
    readySince: group.readySince ? new Date(group.readySince).toISOString() : null,
    toolList: group.catalog.tools.filter((tool) => policy.visible(caller, id, String(tool.name))).map((tool) => toolView(names, id, tool)),
    resourceList: group.catalog.resources.filter((resource) => policy.visible(caller, id, String(resource.uri))),
    resourceTemplateList: group.catalog.resourceTemplates.filter((template) => policy.visible(caller, id, String(template.uriTemplate))),
    promptList: group.catalog.prompts.filter((prompt) => policy.visible(caller, id, String(prompt.name))),
  };
}

function toolView(names: QualifiedNames, serverId: string, tool: Record<string, unknown>): Record<string, unknown> {
  const { name, ...rest } = tool;
  return { name, server: serverId, qualifiedName: names.qualify(serverId, String(name)), ...rest };
}

function listTools(supervisor: Supervisor, policy: Policy, caller: Caller, server: string | undefined, tag: string | undefined): Record<string, unknown>[] {
  const tools: Record<string, unknown>[] = [];
  for (const group of supervisor.groups()) {
    if (server !== undefined && group.config.id !== server) continue;
    if (tag !== undefined && !group.config.tags.includes(tag)) continue;
    if (group.state !== 'ready' && group.state !== 'unhealthy') continue;
    for (const tool of group.catalog.tools) if (policy.visible(caller, group.config.id, String(tool.name))) tools.push(toolView(supervisor.names, group.config.id, tool));
  }
  return tools;
}

/** The virtual server a REST request names, if this caller may use it (another tenant's is one never configured). */
function virtualServer(context: RestApiContext, name: string, caller: Caller): VirtualServer {
  const server = context.virtualServers?.get(name);
  if (server === undefined || !server.visibleTo(context.policy.scope(caller))) throw new GatewayError('MCPGW_ERR_UNKNOWN_SERVER', `no virtual server "${name}" is configured`);
  if (!server.admits(caller)) throw new GatewayError('MCPGW_ERR_FORBIDDEN', `${caller.name} may not use the virtual server "${name}"`);
  return server;
}

/** A bundle's tools under their exposed names, each with the server and tool it calls. */
function listVirtualTools(context: RestApiContext, server: VirtualServer, caller: Caller): Record<string, unknown>[] {
  const view = server.view(server.catalogIn(context.supervisor, context.policy.tenancy));
  const tools: Record<string, unknown>[] = [];
  view.tools.forEach((tool, i) => {
    const ref = view.toolRefs[i]!;
    if (!context.policy.visible(caller, ref.serverId, ref.name)) return;
    const { name, ...rest } = tool;
    tools.push({ name, server: ref.serverId, tool: ref.name, ...rest });
  });
  return tools;
}
