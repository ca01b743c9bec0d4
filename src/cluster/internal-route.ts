/**
 * `/internal/v1/*`: what instances ask each other. Every request must carry a
 * credential signed with the cluster's key (cluster-keys.ts); without one it
 * gets 401 and nothing else, so an ordinary client that reaches the port learns
 * nothing and can do nothing here. The load balancer need not hide it, though
 * it may.
 */
import type { Approvals } from '../approval/approvals.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { HttpRequest, HttpResponse, RequestHandler } from '../front-door/engine.js';
import { sendError, sendJson } from '../front-door/respond.js';
import type { McpService } from '../protocol/mcp-service.js';
import { INTERNAL_AUTH_HEADER, verifyInternal } from './cluster-keys.js';
import { APPROVAL_DECIDE_PATH, APPROVALS_PATH, RESUME_PATH, SNAPSHOT_PATH, type ApprovalsRequest, type DecideRequest, type ResumeLine, type ResumeRequest } from './peers.js';
import type { InstanceSnapshot } from './registry.js';

export interface InternalRouteContext {
  readonly key: Buffer;
  readonly maxBodyBytes: number;
  readonly snapshot: () => InstanceSnapshot;
  readonly service: () => McpService | undefined;
  readonly approvals: Approvals;
}

export function createInternalRoute(context: InternalRouteContext): RequestHandler {
  return (request, response) => {
    void serve(context, request, response).catch((error: unknown) => {
      if (!response.closed) sendError(response, toGatewayError(error));
    });
  };
}

async function serve(context: InternalRouteContext, request: HttpRequest, response: HttpResponse): Promise<void> {
  const body = request.method === 'POST' ? await request.readBody(context.maxBodyBytes) : Buffer.alloc(0);
  verifyInternal(context.key, request.headers[INTERNAL_AUTH_HEADER], request.method, request.path, body);
  if (request.path === SNAPSHOT_PATH && request.method === 'GET') return void sendJson(response, 200, context.snapshot());
  if (request.path === RESUME_PATH && request.method === 'POST') return resume(context, JSON.parse(body.toString('utf8')) as ResumeRequest, response);
  // The approver was authenticated by the instance it reached; this one checks the same rules again.
  if (request.path === APPROVALS_PATH && request.method === 'POST') {
    const { caller } = JSON.parse(body.toString('utf8')) as ApprovalsRequest;
    context.approvals.assertApprover(caller);
    return void sendJson(response, 200, { approvals: context.approvals.list(caller) });
  }
  if (request.path === APPROVAL_DECIDE_PATH && request.method === 'POST') {
    const { caller, id, decision, reason } = JSON.parse(body.toString('utf8')) as DecideRequest;
    context.approvals.assertApprover(caller);
    return void sendJson(response, 200, context.approvals.decide(id, decision, caller, reason));
  }
  throw new GatewayError('MCPGW_ERR_ROUTE_NOT_FOUND', `no internal route ${request.method} ${request.path}`);
}

/** A retry another instance received for a call parked here: served exactly as if it had landed here. */
async function resume(context: InternalRouteContext, request: ResumeRequest, response: HttpResponse): Promise<void> {
  const service = context.service();
  if (service === undefined) throw new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'this instance is not serving MCP');
  response.startStream(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  const line = (value: ResumeLine) => response.write(JSON.stringify(value) + '\n');
  try {
    const answer = await service.callTool(request.params, {
      caller: request.caller,
      receivedAt: Date.now(),
      requestBytes: 0,
      traceId: request.traceId,
      requestId: request.requestId,
      onProgress: (progress) => line({ progress }),
      onCancel: (cancel) => response.onAbort(() => cancel('the client went away (at the instance it is connected to)')),
      clientCapabilities: request.clientCapabilities,
      canPark: true,
    });
    line({ answer });
  } catch (error) {
    line({ error: toGatewayError(error).toWire() });
  }
  response.end();
}
