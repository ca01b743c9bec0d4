/**
 * `GET /api/v1/approvals` and `POST /api/v1/approvals/:id`: the held calls an
 * approver sees and decides (the dashboard uses the same two routes). Only
 * administrators and `approval.approverRoles` get past the first line.
 */
import type { Approvals } from '../approval/approvals.js';
import { GatewayError } from '../errors.js';
import type { Caller } from '../policy/caller.js';
import type { HttpRequest, HttpResponse } from './engine.js';
import { parseJsonBody } from './json-body.js';
import { sendJson } from './respond.js';

type Handler = (request: HttpRequest, response: HttpResponse, params: Record<string, string>, caller: Caller) => void | Promise<void>;

export interface ApprovalRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly handler: Handler;
}

const MAX_REASON = 500;

export function approvalRoutes(approvals: Approvals, limits: { readonly maxBodyBytes: number; readonly maxJsonDepth: number }): ApprovalRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/approvals',
      handler: (_q, r, _p, caller) => {
        approvals.assertApprover(caller);
        sendJson(r, 200, { approvals: approvals.list(caller) });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/approvals/:id',
      handler: async (q, r, p, caller) => {
        approvals.assertApprover(caller);
        const body = parseDecision(parseJsonBody(await q.readBody(limits.maxBodyBytes), limits.maxJsonDepth));
        const held = approvals.decide(p.id!, body.decision, caller, body.reason);
        sendJson(r, 200, { id: held.id, decision: body.decision, server: held.server, tool: held.tool, caller: held.caller, decidedBy: caller.name });
      },
    },
  ];
}

function parseDecision(value: unknown): { decision: 'approve' | 'deny'; reason?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', 'request body must be a JSON object {"decision": "approve" | "deny", "reason"?: string}');
  const body = value as Record<string, unknown>;
  const unknownKeys = Object.keys(body).filter((key) => key !== 'decision' && key !== 'reason');
  if (unknownKeys.length > 0) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `unknown field(s) in request body: ${unknownKeys.join(', ')} (expected "decision", "reason")`);
  if (body.decision !== 'approve' && body.decision !== 'deny') throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `"decision" must be "approve" or "deny" (got ${JSON.stringify(body.decision) ?? 'nothing'})`);
  if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > MAX_REASON)) throw new GatewayError('MCPGW_ERR_BAD_REQUEST', `"reason" must be a string of at most ${MAX_REASON} characters`);
  return { decision: body.decision, ...(typeof body.reason === 'string' && body.reason !== '' ? { reason: body.reason } : {}) };
}
