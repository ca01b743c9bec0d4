/**
 * The replay routes of the REST API, all for administrators:
 * `GET /api/v1/requests/export` (captured calls as NDJSON, one
 * {@link CaptureRecord} a line, oldest first), `POST /api/v1/requests/:id/replay`
 * (a call in this gateway's log) and `POST /api/v1/replay` (a capture given in
 * the body, e.g. a line of an export from elsewhere).
 */
import { GatewayError } from '../errors.js';
import { MAX_PAGE, type RequestLogQuery } from '../observability/request-log.js';
import type { Caller } from '../policy/caller.js';
import { parseCaptureRecord, toCaptureRecord, type CaptureRecord } from '../replay/capture-record.js';
import { Replayer, type ReplayOptions } from '../replay/replayer.js';
import type { HttpRequest, HttpResponse } from './engine.js';
import { parseJsonBody } from './json-body.js';
import { sendJson } from './respond.js';
import type { RestApiContext } from './rest-api.js';

type Handler = (request: HttpRequest, response: HttpResponse, params: Record<string, string>, caller: Caller) => void | Promise<void>;

export interface ReplayRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: Handler;
}

export const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';

/** Routes to add before `GET /api/v1/requests/:id`, which would otherwise take `export` for an id. */
export function replayRoutes(context: RestApiContext, logQuery: (query: URLSearchParams) => RequestLogQuery): ReplayRoute[] {
  const replayer = new Replayer({ supervisor: context.supervisor, policy: context.policy, recorder: context.recorder, traceIds: context.traceIds, capture: context.config.monitor.capture });
  const mustAdminister = (caller: Caller, what: string): void => {
    if (context.policy.mayAdminister(caller)) return;
    throw new GatewayError('MCPGW_ERR_FORBIDDEN', context.policy.authenticator.enabled ? `${caller.name} may not ${what} (needs one of auth.adminRoles)` : `without authentication, only a caller on this machine may ${what}`);
  };
  const readBody = async (request: HttpRequest): Promise<{ body: Record<string, unknown>; bytes: number }> => {
    if (context.stopping()) throw new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'the gateway is stopping and takes no new calls');
    const raw = await request.readBody(context.config.maxBodyBytes);
    const contentType = request.headers['content-type'];
    if (raw.length === 0) return { body: {}, bytes: 0 };
    if (contentType !== undefined && !/^application\/(.+\+)?json\b/i.test(contentType)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `Content-Type must be application/json (got "${contentType}")`);
    const body = parseJsonBody(raw, context.config.maxJsonDepth);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'request body must be a JSON object');
    return { body: body as Record<string, unknown>, bytes: raw.length };
  };

  return [
    {
      method: 'GET',
      path: '/api/v1/requests/export',
      handler: (request, response, _params, caller) => {
        mustAdminister(caller, 'export captured requests');
        const query = new URLSearchParams(request.query);
        const filter = logQuery(query);
        const wanted = filter.limit ?? Number.POSITIVE_INFINITY;
        const lines: string[] = [];
        let before = filter.before;
        // Newest first through the log, page by page; written oldest first, the order they happened in.
        while (lines.length < wanted) {
          const page = context.requestLog.page({ ...filter, limit: MAX_PAGE, ...(before !== undefined ? { before } : {}) });
          for (const listed of page.requests) {
            const entry = context.requestLog.get(listed.id);
            const record = entry === undefined ? undefined : toCaptureRecord(entry);
            if (record !== undefined && lines.length < wanted) lines.push(JSON.stringify(record));
          }
          if (page.nextBefore === null) break;
          before = page.nextBefore;
        }
        lines.reverse();
        response.send(200, { 'content-type': NDJSON_TYPE, 'content-disposition': 'attachment; filename="mcp-gateway-captures.ndjson"' }, lines.map((line) => `${line}\n`).join(''));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/requests/:id/replay',
      handler: async (request, response, params, caller) => {
        mustAdminister(caller, 'replay requests');
        const id = Number(params.id);
        if (!/^\d+$/.test(params.id!) || !Number.isSafeInteger(id) || id < 1) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `id must be a positive integer (got "${params.id}")`);
        const { body, bytes } = await readBody(request);
        const options = replayOptions(body, [], bytes, request.requestId);
        const entry = context.requestLog.get(id);
        if (entry === undefined) {
          throw new GatewayError('MCPGW_ERR_UNKNOWN_REQUEST', context.requestLog.enabled ? `no request-log entry ${id} (never recorded, or gone: monitor.retentionHours, monitor.maxEntries)` : 'the request log is off (monitor.requestLog: false)', { id });
        }
        const record = toCaptureRecord(entry);
        if (record === undefined) throw new GatewayError('MCPGW_ERR_NOT_REPLAYABLE', `request ${id} cannot be replayed: nothing of it was captured (monitor.capture)`, { id, reason: 'not_captured' });
        sendJson(response, 200, await replayer.replay(record, 'log', options, caller));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/replay',
      handler: async (request, response, _params, caller) => {
        mustAdminister(caller, 'replay requests');
        const { body, bytes } = await readBody(request);
        const options = replayOptions(body, ['capture'], bytes, request.requestId);
        if (body.capture === undefined) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"capture" is missing: give one line of GET /api/v1/requests/export');
        const record: CaptureRecord = parseCaptureRecord(body.capture, '"capture"');
        sendJson(response, 200, await replayer.replay(record, 'import', options, caller));
      },
    },
  ];
}

/** `{"server"?, "confirm"?, "arguments"?}` (and the route's own `extra` keys), strictly. */
function replayOptions(body: Record<string, unknown>, extra: readonly string[], requestBytes: number, requestId: string): ReplayOptions {
  const known = ['server', 'confirm', 'arguments', ...extra];
  const unknownKeys = Object.keys(body).filter((key) => !known.includes(key));
  if (unknownKeys.length > 0) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `unknown field(s) in request body: ${unknownKeys.join(', ')} (expected ${known.map((key) => `"${key}"`).join(', ')})`);
  if (body.server !== undefined && (typeof body.server !== 'string' || body.server === '')) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"server" must be a non-empty string');
  if (body.confirm !== undefined && typeof body.confirm !== 'boolean') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"confirm" must be true or false');
  if (body.arguments !== undefined && (typeof body.arguments !== 'object' || body.arguments === null || Array.isArray(body.arguments))) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', '"arguments" must be a JSON object');
  return {
    confirm: body.confirm === true,
    requestBytes,
    requestId,
    ...(body.server !== undefined ? { server: body.server as string } : {}),
    ...(body.arguments !== undefined ? { arguments: body.arguments as Record<string, unknown> } : {}),
  };
}
