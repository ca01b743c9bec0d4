/**
 * `GET /api/v1/approvals` and `POST /api/v1/approvals/:id`: the held calls an
 * approver sees and decides (the dashboard uses the same two routes). Only
 * administrators and `approval.approverRoles` get past the first line. In a
 * cluster a call is held by the instance its client reached, which the
 * approver's request behind a round-robin balancer rarely is: the list then
 * spans every instance, and a decision goes to the one holding the call.
 */
import type { Approvals, HeldView } from '../approval/approvals.js';
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

/** The other instances' held calls (cluster/cluster.ts). */
export interface PeerApprovals {
  readonly instanceId: string;
  peerApprovals(approver: Caller): Promise<{ approvals: (HeldView & { instance: string })[]; unreachable: string[] }>;
  decideOnPeer(id: string, decision: 'approve' | 'deny', approver: Caller, reason?: string): Promise<HeldView & { instance: string }>;
}

export function approvalRoutes(approvals: Approvals, limits: { readonly maxBodyBytes: number; readonly maxJsonDepth: number }, peers?: PeerApprovals): ApprovalRoute[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/approvals',
      handler: async (_q, r, _p, caller) => {
        approvals.assertApprover(caller);
        if (peers === undefined) return void sendJson(r, 200, { approvals: approvals.list(caller) });
        const local = approvals.list(caller).map((view) => ({ ...view, instance: peers.instanceId }));
        const remote = await peers.peerApprovals(caller);
        const all = [...local, ...remote.approvals].sort((x, y) => (x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : 0));
        sendJson(r, 200, { approvals: all, ...(remote.unreachable.length > 0 ? { unreachableInstances: remote.unreachable } : {}) });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/approvals/:id',
      handler: async (q, r, p, caller) => {
        approvals.assertApprover(caller);
        const body = parseDecision(parseJsonBody(await q.readBody(limits.maxBodyBytes), limits.maxJsonDepth));
        const held = await decide(approvals, peers, p.id!, body.decision, caller, body.reason);
        sendJson(r, 200, { id: held.id, decision: body.decision, server: held.server, tool: held.tool, caller: held.caller, decidedBy: caller.name, ...(held.instance !== undefined ? { instance: held.instance } : {}) });
      },
    },
  ];
}

/** Here when this instance holds the call, else on the peer that does. */
async function decide(approvals: Approvals, peers: PeerApprovals | undefined, id: string, decision: 'approve' | 'deny', caller: Caller, reason?: string): Promise<HeldView & { instance?: string }> {
  try {
    const held = approvals.decide(id, decision, caller, reason);
    return peers === undefined ? held : { ...held, instance: peers.instanceId };
  } catch (error) {
    if (peers === undefined || !(GatewayError.is(error) && error.code === 'MCPGW_ERR_UNKNOWN_APPROVAL')) throw error;
    return peers.decideOnPeer(id, decision, caller, reason);
  }
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
