/**
 * Resources and prompts over REST, for applications that are not MCP clients:
 * the lists as the caller may see them, and `resources/read` / `prompts/get`
 * routed, admitted and counted exactly like `POST /api/v1/tools/call`
 * (policy, metrics, request log, traces), answering the upstream's MCP result
 * unchanged or the one REST error body.
 */
import { GatewayError, toGatewayError } from '../errors.js';
import { outcomeOf, type CallRecorder, type UpstreamTrace, type RecordedMethod } from '../observability/call-recorder.js';
import type { CallOutcomeLabel } from '../observability/metrics.js';
import type { TraceIds } from '../observability/trace-context.js';
import type { AccessKind } from '../policy/access.js';
import type { Caller } from '../policy/caller.js';
import type { Policy } from '../policy/policy.js';
import { unknownServer, type Supervisor } from '../supervisor/supervisor.js';
import type { TenantScope } from '../policy/tenancy.js';
import type { ForwardedMethod } from '../threads/messages.js';
import type { HttpRequest, HttpResponse } from './engine.js';
import { parseJsonBody } from './json-body.js';
import { sendError, sendRawJson } from './respond.js';
import type { JsonText } from '../json-text.js';

type Entry = Readonly<Record<string, unknown>>;

export interface RestCatalogContext {
  readonly supervisor: Supervisor;
  readonly policy: Policy;
  readonly recorder: CallRecorder;
  readonly traceIds: TraceIds;
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly stopping: () => boolean;
}

export interface ListFilter {
  readonly server?: string;
  readonly tag?: string;
}

/** `?server=` and `?tag=` as GET /api/v1/tools reads them; an unknown server (or one the caller may not see) is a 404, not an empty list. */
export function listFilter(context: Pick<RestCatalogContext, 'supervisor' | 'policy'>, query: string, caller: Caller): ListFilter {
  const params = new URLSearchParams(query);
  const server = params.get('server') ?? undefined;
  const tag = params.get('tag') ?? undefined;
  if (server !== undefined && (!context.supervisor.group(server) || !context.policy.scope(caller).seesServer(server))) throw unknownServer(server);
  return { ...(server !== undefined ? { server } : {}), ...(tag !== undefined ? { tag } : {}) };
}

type ListKind = 'resources' | 'resourceTemplates' | 'prompts';

const REF_FIELD: Record<ListKind, string> = { resources: 'uri', resourceTemplates: 'uriTemplate', prompts: 'name' };

/**
 * One list across the routable servers, each entry with its `server` (and a
 * prompt's `qualifiedName`, which `POST /api/v1/prompts/get` accepts like a
 * tool's). Not paged, like GET /api/v1/tools: the whole list in one answer.
 */
export function listEntries(context: Pick<RestCatalogContext, 'supervisor' | 'policy'>, kind: ListKind, caller: Caller, filter: ListFilter): Entry[] {
  const { supervisor, policy } = context;
  const field = REF_FIELD[kind];
  const found: Entry[] = [];
  for (const group of supervisor.groups()) {
    const id = group.config.id;
    if (filter.server !== undefined && id !== filter.server) continue;
    if (filter.tag !== undefined && !group.config.tags.includes(filter.tag)) continue;
    if (group.state !== 'ready' && group.state !== 'unhealthy') continue;
    for (const entry of group.catalog[kind]) {
      const ref = String(entry[field]);
      if (!policy.visible(caller, id, ref)) continue;
      found.push(kind === 'prompts' ? { ...entry, server: id, qualifiedName: supervisor.names.qualify(id, ref) } : { ...entry, server: id });
    }
  }
  return found;
}

/** A routed read or get: where it goes, what access rules and the request log call it, and the params it carries. */
interface Routed {
  readonly serverId: string;
  /** The URI or the prompt's name on its server. */
  readonly target: string;
  readonly params: Record<string, unknown>;
}

interface CallSpec {
  readonly method: Extract<ForwardedMethod, 'resources/read' | 'prompts/get'> & RecordedMethod;
  readonly kind: AccessKind;
  /** The body field naming the target, for messages and the request log before routing. */
  readonly targetField: 'uri' | 'name';
  readonly fields: Readonly<Record<string, 'string' | 'object'>>;
  /** `scope`: the caller's tenant view (undefined: the whole catalog). */
  route(body: Record<string, unknown>, supervisor: Supervisor, scope: TenantScope | undefined): Routed;
}

const READ_RESOURCE: CallSpec = {
  method: 'resources/read',
  kind: 'resource',
  targetField: 'uri',
  fields: { uri: 'string', server: 'string' },
  route(body, supervisor, scope) {
    const uri = body.uri as string;
    // With `server`: that server, even when another one lists the URI first.
    const serverId = body.server === undefined ? supervisor.catalog(scope).resourceOwner(uri) : routableServer(supervisor, body.server as string, scope);
    return { serverId, target: uri, params: { uri } };
  },
};

const GET_PROMPT: CallSpec = {
  method: 'prompts/get',
  kind: 'prompt',
  targetField: 'name',
  fields: { name: 'string', arguments: 'object', server: 'string' },
  route(body, supervisor, scope) {
    const name = body.name as string;
    const exposed = body.server === undefined ? name : supervisor.names.qualify(routableServer(supervisor, body.server as string, scope), name);
    const route = supervisor.catalog(scope).routePrompt(exposed);
    return { serverId: route.serverId, target: route.prompt, params: { name: route.prompt, ...(body.arguments !== undefined ? { arguments: body.arguments } : {}) } };
  },
};

function routableServer(supervisor: Supervisor, id: string, scope: TenantScope | undefined): string {
  // route() with a server checks it can take calls (unknown → 404, down → 503) before the name is looked at.
  const group = supervisor.group(id);
  if (!group || (scope !== undefined && !supervisor.inScope(id, scope))) throw unknownServer(id);
  if (group.state !== 'ready' && group.state !== 'unhealthy') throw new GatewayError('MCPGW_ERR_SERVER_UNAVAILABLE', `server "${id}" is ${group.state}${group.lastError ? `: ${group.lastError}` : ''}`, { state: group.state });
  return id;
}

export const readResource = (context: RestCatalogContext, request: HttpRequest, response: HttpResponse, caller: Caller): Promise<void> => restCall(context, READ_RESOURCE, request, response, caller);
export const getPrompt = (context: RestCatalogContext, request: HttpRequest, response: HttpResponse, caller: Caller): Promise<void> => restCall(context, GET_PROMPT, request, response, caller);

function parseBody(raw: Buffer, contentType: string | undefined, maxJsonDepth: number, spec: CallSpec): Record<string, unknown> {
  if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) {
    throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `Content-Type must be application/json (got "${contentType}")`);
  }
  const expected = Object.keys(spec.fields).map((key) => `"${key}"`).join(', ');
  const value = parseJsonBody(raw, maxJsonDepth);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `request body must be a JSON object with ${expected}`);
  const body = value as Record<string, unknown>;
  const unknownKeys = Object.keys(body).filter((key) => !(key in spec.fields));
  if (unknownKeys.length > 0) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `unknown field(s) in request body: ${unknownKeys.join(', ')} (expected ${expected})`);
  if (typeof body[spec.targetField] !== 'string' || body[spec.targetField] === '') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `"${spec.targetField}" must be a non-empty string`);
  for (const [key, type] of Object.entries(spec.fields)) {
    const field = body[key];
    if (field === undefined) continue;
    if (type === 'string' && (typeof field !== 'string' || field === '')) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `"${key}" must be a non-empty string`);
    if (type === 'object' && (typeof field !== 'object' || field === null || Array.isArray(field))) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `"${key}" must be a JSON object`);
  }
  return body;
}

async function restCall(context: RestCatalogContext, spec: CallSpec, request: HttpRequest, response: HttpResponse, caller: Caller): Promise<void> {
  const receivedAt = Date.now();
  const traceId = context.traceIds.of(request.headers);
  let requestBytes = 0;
  let body: Record<string, unknown> | undefined;
  let routed: Routed | undefined;
  let upstream: UpstreamTrace | undefined;
  const finish = (httpStatus: number, outcome: CallOutcomeLabel, responseBytes: number, timings: { upstreamMs: number; queuedMs: number }, error?: GatewayError, resultJson?: JsonText): void => {
    const named = body?.server;
    // Never an unknown id as the server (client input must not become a metrics label), nor another tenant's.
    const server = routed?.serverId ?? (typeof named === 'string' && context.supervisor.group(named) && context.policy.scope(caller).seesServer(named) ? named : null);
    context.recorder.record({
      via: 'rest',
      method: spec.method,
      caller: caller.name,
      ...context.policy.tenancy.sliceField(caller, server),
      receivedAt,
      traceId,
      requestId: request.requestId,
      server,
      tool: routed?.target ?? (typeof body?.[spec.targetField] === 'string' ? (body[spec.targetField] as string) : ''),
      outcome,
      httpStatus,
      requestBytes,
      responseBytes,
      ...timings,
      ...(spec.method === 'prompts/get' && body?.arguments !== undefined ? { arguments: body.arguments } : {}),
      ...(resultJson !== undefined ? { resultJson } : {}),
      ...(error ? { error } : {}),
      ...(request.headers.traceparent !== undefined ? { clientTraceparent: request.headers.traceparent } : {}),
      ...(upstream !== undefined ? { upstreamSpanId: upstream.spanId } : {}),
    });
  };
  const failWith = (error: GatewayError, timings = { upstreamMs: 0, queuedMs: 0 }): void => {
    const bytes = response.closed ? 0 : sendError(response, error);
    finish(error.status, outcomeOf(error), bytes, timings, error);
  };

  try {
    if (context.stopping()) throw new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'the gateway is stopping and takes no new calls');
    const raw = await request.readBody(context.maxBodyBytes);
    requestBytes = raw.length;
    body = parseBody(raw, request.headers['content-type'], context.maxJsonDepth, spec);
    routed = spec.route(body, context.supervisor, context.policy.catalogScope(caller));
    await context.policy.admit(caller, spec.kind, routed.serverId, routed.target);
    upstream = context.recorder.upstreamTrace(traceId);
    const params = upstream === undefined ? routed.params : { ...routed.params, _meta: { traceparent: upstream.traceparent } };
    const call = context.supervisor.forward(routed.serverId, spec.method, JSON.stringify(params), {
      caller,
      deadlineFor: (timeoutMs) => receivedAt + timeoutMs,
      ...(upstream !== undefined ? { headers: { traceparent: upstream.traceparent } } : {}),
      // A 2025 upstream asking for input mid-read: REST has no way to ask the caller.
      onInputRequest: (method) => Promise.reject(new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `${method} cannot be answered over REST`)),
    });
    response.onAbort(() => call.cancel('the client disconnected'));
    const outcome = await call.outcome;
    const timings = { upstreamMs: outcome.upstreamMs, queuedMs: outcome.queuedMs };
    if (!outcome.ok) return failWith(outcome.error, timings);
    if (outcome.inputRequired) {
      return failWith(new GatewayError('MCPGW_ERR_INPUT_REQUIRED', `${spec.method} of "${routed.target}" on server "${routed.serverId}" needs input from the client, which REST cannot carry; use the MCP endpoint /mcp`), timings);
    }
    if (response.closed) return finish(499, 'cancelled', 0, timings);
    const bytes = sendRawJson(response, 200, outcome.result);
    finish(200, 'ok', bytes, timings, undefined, outcome.result);
  } catch (error) {
    failWith(toGatewayError(error));
  }
}
