/**
 * `/mcp`: the gateway as an MCP server, both eras on one URL. In order:
 * Origin check (DNS-rebinding protection, which the SDK's handler lacks),
 * size-limited body read, one parse, era classification, then the era's
 * handler. Runs on our own engines, not the SDK's HTTP handler (the brief
 * measured that at 4-5x the CPU of a plain handler).
 */
import type { GatewayConfig } from '../config/types.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { errorFrame, parseInbound } from '../protocol/jsonrpc.js';
import type { LegacySessions } from '../protocol/legacy.js';
import { handleModern, type ModernContext } from '../protocol/modern.js';
import { classify } from '../protocol/versions.js';
import { HttpExchange } from '../protocol/exchange.js';
import type { Arrival } from '../protocol/dispatch.js';
import type { TraceIds } from '../observability/trace-context.js';
import type { Caller } from '../policy/caller.js';
import type { HttpRequest, HttpResponse } from './engine.js';
import type { CallerHandler } from './policy-gate.js';

import { MCP_PATH, MCP_PATHS, MESSAGES_PATH, SSE_PATH } from './mcp-paths.js';

export { MCP_PATH, MCP_PATHS, MESSAGES_PATH, SSE_PATH };

export interface McpEndpointContext {
  readonly config: GatewayConfig;
  readonly modern: ModernContext;
  readonly legacy: LegacySessions;
  readonly traceIds: TraceIds;
  readonly stopping: () => boolean;
}

const LOOPBACK_ORIGIN = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function createMcpEndpoint(context: McpEndpointContext): CallerHandler {
  const anyOrigin = context.config.corsOrigins.includes('*');
  const origins = new Set(context.config.corsOrigins);
  const originAllowed = (origin: string | undefined) => origin === undefined || anyOrigin || origins.has(origin) || LOOPBACK_ORIGIN.test(origin);

  return (request, response, caller) => {
    if (!originAllowed(request.headers.origin)) {
      return fail(response, new GatewayError('MCPGW_ERR_FORBIDDEN_ORIGIN', `origin ${request.headers.origin} is not allowed (add it to corsOrigins)`));
    }
    if (request.path === SSE_PATH) {
      if (request.method !== 'GET') return fail(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${SSE_PATH}`), { allow: 'GET' });
      if (context.stopping()) return fail(response, new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'the gateway is stopping'));
      return context.legacy.openSseSession(response, caller, MESSAGES_PATH);
    }
    if (request.path === MESSAGES_PATH) {
      if (request.method !== 'POST') return fail(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${MESSAGES_PATH}`), { allow: 'POST' });
      void postMessage(context, request, response, caller);
      return;
    }
    switch (request.method) {
      case 'POST':
        void post(context, request, response, caller);
        return;
      case 'GET':
        // A 2026-07-28 client has no GET stream; a 2025 client opens its session's stream.
        if (request.headers['mcp-session-id'] === undefined) return fail(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', 'GET /mcp needs an Mcp-Session-Id (2025 sessions); MCP 2026-07-28 uses POST only'), { allow: 'POST, DELETE' });
        return guard(response, () => context.legacy.openStream(request, response, caller));
      case 'DELETE':
        return guard(response, async () => {
          await context.legacy.close(request, caller);
          response.send(200, {}, '');
        });
      default:
        return fail(response, new GatewayError('MCPGW_ERR_METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${MCP_PATH}`), { allow: 'POST, GET, DELETE' });
    }
  };
}

async function post(context: McpEndpointContext, request: HttpRequest, response: HttpResponse, caller: Caller): Promise<void> {
  const receivedAt = Date.now();
  try {
    if (context.stopping()) throw new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'the gateway is stopping and takes no new requests');
    const body = await request.readBody(context.config.maxBodyBytes);
    const inbound = parseInbound(body, context.config.maxJsonDepth);
    const era = inbound.kind === 'response' ? { era: 'legacy' as const } : classify(inbound.message.method, inbound.message.params);
    const arrival = arrivalOf(context, request, receivedAt, body.length);
    if (era.era === 'modern') await handleModern(request, inbound, era.version, new HttpExchange(response), context.modern, caller, arrival);
    else await context.legacy.post(request, inbound, response, caller, arrival);
  } catch (error) {
    fail(response, toGatewayError(error));
  }
}

async function postMessage(context: McpEndpointContext, request: HttpRequest, response: HttpResponse, caller: Caller): Promise<void> {
  const receivedAt = Date.now();
  try {
    const sessionId = new URLSearchParams(request.query).get('sessionId') ?? undefined;
    const body = await request.readBody(context.config.maxBodyBytes);
    const arrival = arrivalOf(context, request, receivedAt, body.length);
    await context.legacy.postMessage(sessionId, parseInbound(body, context.config.maxJsonDepth), response, caller, arrival);
  } catch (error) {
    fail(response, toGatewayError(error));
  }
}

function arrivalOf(context: McpEndpointContext, request: HttpRequest, receivedAt: number, requestBytes: number): Arrival {
  const traceparent = request.headers.traceparent;
  return { receivedAt, requestBytes, traceId: context.traceIds.of(request.headers), requestId: request.requestId, ...(traceparent !== undefined ? { traceparent } : {}) };
}

function guard(response: HttpResponse, action: () => Promise<void>): void {
  action().catch((error: unknown) => fail(response, toGatewayError(error)));
}

function fail(response: HttpResponse, error: GatewayError, headers: Readonly<Record<string, string>> = {}): void {
  new HttpExchange(response).reply(error.status, errorFrame(null, error), headers);
}
