/**
 * Human approval (`approval.rules`) end to end: a real gateway, the
 * approval-stdio fixture (whose own counters say whether a call reached it),
 * real SDK clients of both eras, REST over loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { normalizeConfig } from '../../src/config/load.js';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';

const MODERN = '2026-07-28';
const USER = { authorization: 'Bearer user-key' };
const ONCALL = { authorization: 'Bearer oncall-key' };
const ADMIN = { authorization: 'Bearer admin-key' };
const CAN_ELICIT = { 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };

interface Counts {
  wipe: number;
  deploy: number;
  last: unknown;
}

describe('human approval', () => {
  let gw: RunningGateway;

  before(async () => {
    gw = await startGateway([{ id: 'ops', command: process.execPath, args: [fixtures.approvalStdio] }], {
      config: {
        auth: {
          strategy: 'api-key',
          apiKeys: [
            { key: 'user-key', name: 'user', roles: ['dev'] },
            { key: 'oncall-key', name: 'oncall', roles: ['oncall'] },
            { key: 'admin-key', name: 'root', roles: ['admin'] },
          ],
        },
        monitor: { capture: { arguments: true } },
        approval: {
          timeoutSeconds: 30,
          maxPending: 2,
          approverRoles: ['oncall'],
          rules: [{ annotations: { destructiveHint: true } }, { tools: ['ops/deploy'], ask: 'approver', timeoutSeconds: 0.5 }],
        },
      },
    });
  });
  after(() => gw?.stop());

  const rest = (tool: string, args: Record<string, unknown>, headers: Record<string, string> = USER, signal?: AbortSignal) =>
    fetch(`${gw.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ tool, arguments: args }), ...(signal ? { signal } : {}) });
  const pending = async (headers = ONCALL) => (await gw.get('/api/v1/approvals', headers)).body.approvals as { id: string; tool: string; caller: string; via: string; arguments: Record<string, unknown> }[];
  const heldCall = async (tool: string) => {
    const list = await eventually(pending, (entries) => entries.some((entry) => entry.tool === tool));
    const found = list.find((entry) => entry.tool === tool);
    assert.ok(found, `a held ${tool} call`);
    return found;
  };
  const decide = (id: string, decision: string, headers = ONCALL, reason?: string) => gw.post(`/api/v1/approvals/${id}`, { decision, ...(reason ? { reason } : {}) }, headers);
  /** The upstream's own count of the calls it received. */
  const counts = async (): Promise<Counts> => {
    const answer = await gw.post('/api/v1/tools/call', { tool: 'calls' }, USER);
    assert.equal(answer.status, 200, answer.text);
    return answer.body.structuredContent as Counts;
  };
  const lastLogged = async (tool: string) => {
    const page = await gw.get(`/api/v1/requests?tool=${tool}&limit=1`, ADMIN);
    return (await gw.get(`/api/v1/requests/${page.body.requests[0].id}`, ADMIN)).body;
  };

  test('REST: a held call is listed (arguments redacted), decided by an approver, then dispatched; the request log says who', async () => {
    const before = await counts();
    const answer = rest('wipe', { target: 'db-1', token: 's3cret' });
    const held = await heldCall('wipe');
    assert.equal(held.caller, 'user');
    assert.equal(held.via, 'rest');
    assert.deepEqual(held.arguments, { target: 'db-1', token: '[redacted]' });
    assert.equal((await counts()).wipe, before.wipe, 'nothing reached the upstream while held');

    // Neither the caller nor anyone without an approver role sees or decides it.
    const peek = await gw.get('/api/v1/approvals', USER);
    assert.equal(peek.status, 403);
    assert.equal(peek.body.error.code, 'MCPGW_ERR_FORBIDDEN');
    const selfApproval = await decide(held.id, 'approve', USER);
    assert.equal(selfApproval.status, 403);
    const badBody = await decide(held.id, 'maybe');
    assert.equal(badBody.status, 400);
    assert.match(badBody.body.error.message, /"approve" or "deny"/);

    const decided = await decide(held.id, 'approve', ONCALL, 'change ticket 42');
    assert.equal(decided.status, 200, decided.text);
    assert.equal(decided.body.decidedBy, 'oncall');
    const response = await answer;
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { content: { text: string }[] }).content[0]!.text, 'wiped db-1');
    assert.equal((await counts()).wipe, before.wipe + 1);

    const entry = await lastLogged('wipe');
    assert.equal(entry.approval.outcome, 'approved');
    assert.equal(entry.approval.via, 'api');
    assert.equal(entry.approval.decidedBy, 'oncall');
    assert.equal(entry.approval.reason, 'change ticket 42');
    assert.equal(typeof entry.approval.waitMs, 'number');
    const again = await decide(held.id, 'approve');
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'MCPGW_ERR_UNKNOWN_APPROVAL');
  });

  test('REST: a denied call gets MCPGW_ERR_APPROVAL_DENIED and never reaches the upstream', async () => {
    const before = await counts();
    const answer = rest('wipe', { target: 'db-2' });
    const held = await heldCall('wipe');
    assert.equal((await decide(held.id, 'deny', ADMIN, 'not during the freeze')).status, 200);
    const response = await answer;
    assert.equal(response.status, 403);
    const body = (await response.json()) as { error: { code: string; message: string; data: { decidedBy: string; reason: string } } };
    assert.equal(body.error.code, 'MCPGW_ERR_APPROVAL_DENIED');
    assert.equal(body.error.data.decidedBy, 'root');
    assert.match(body.error.message, /not during the freeze/);
    assert.equal((await counts()).wipe, before.wipe);
    const entry = await lastLogged('wipe');
    assert.equal(entry.approval.outcome, 'denied');
    assert.equal(entry.errorCode, 'MCPGW_ERR_APPROVAL_DENIED');
  });

  test('REST: nobody decides within the rule\'s timeout: MCPGW_ERR_APPROVAL_TIMEOUT, never dispatched', async () => {
    const before = await counts();
    const response = await rest('deploy', { env: 'prod' });
    assert.equal(response.status, 504);
    const body = (await response.json()) as { error: { code: string; data: { timeoutSeconds: number } } };
    assert.equal(body.error.code, 'MCPGW_ERR_APPROVAL_TIMEOUT');
    assert.equal(body.error.data.timeoutSeconds, 0.5);
    assert.equal((await counts()).deploy, before.deploy);
    assert.deepEqual(await pending(), []);
    assert.equal((await lastLogged('deploy')).approval.outcome, 'timed_out');
  });

  test('REST: the client disconnecting cancels the held call; it is never dispatched', async () => {
    const before = await counts();
    const abort = new AbortController();
    const answer = rest('wipe', { target: 'db-3' }, USER, abort.signal).catch((error: Error) => error);
    const held = await heldCall('wipe');
    abort.abort();
    assert.ok((await answer) instanceof Error);
    assert.deepEqual(await eventually(pending, (entries) => entries.length === 0), []);
    const late = await decide(held.id, 'approve');
    assert.equal(late.status, 404);
    assert.equal((await counts()).wipe, before.wipe);
    const metrics = await gw.get('/metrics', ADMIN);
    assert.match(metrics.text, /mcp_gateway_approvals_total\{outcome="cancelled"\} 1/);
    assert.match(metrics.text, /mcp_gateway_approvals_pending 0/);
  });

  test('more held calls than approval.maxPending: refused at once with MCPGW_ERR_APPROVAL_LIMIT', async () => {
    const first = rest('wipe', { target: 'q-1' });
    const second = rest('wipe', { target: 'q-2' });
    await eventually(pending, (entries) => entries.length === 2);
    const third = await rest('wipe', { target: 'q-3' });
    assert.equal(third.status, 503);
    assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'MCPGW_ERR_APPROVAL_LIMIT');
    for (const held of await pending()) assert.equal((await decide(held.id, 'deny')).status, 200);
    assert.equal((await first).status, 403);
    assert.equal((await second).status, 403);
  });

  test('2026-07-28 client with elicitation: asked through MRTR; accept dispatches, decline is MCPGW_ERR_APPROVAL_DENIED', async () => {
    const before = await counts();
    let reply: { action: 'accept' | 'decline'; content?: Record<string, string | boolean> } = { action: 'accept', content: { approve: true, reason: 'looks right' } };
    const asked: { message: string; schema: unknown }[] = [];
    const client = new Client({ name: 'approver-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { message: string; requestedSchema: unknown };
      asked.push({ message: params.message, schema: params.requestedSchema });
      return reply;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: USER } }));
    try {
      const result = await client.callTool({ name: 'wipe', arguments: { target: 'cache', token: 'hush' } });
      assert.equal((result.content as { text: string }[])[0]!.text, 'wiped cache');
      assert.equal(asked.length, 1);
      assert.match(asked[0]!.message, /tool "wipe" on server "ops"/);
      assert.match(asked[0]!.message, /"target": "cache"/);
      assert.match(asked[0]!.message, /\[redacted\]/);
      assert.doesNotMatch(asked[0]!.message, /hush/);
      assert.equal((await counts()).wipe, before.wipe + 1);
      const entry = await lastLogged('wipe');
      assert.deepEqual([entry.approval.outcome, entry.approval.via, entry.approval.decidedBy, entry.approval.reason], ['approved', 'elicitation', 'user', 'looks right']);

      reply = { action: 'decline' };
      await assert.rejects(client.callTool({ name: 'wipe', arguments: { target: 'cache' } }), (error: { code?: number; message: string }) => {
        assert.equal(error.code, -32031);
        assert.match(error.message, /not approved/);
        return true;
      });
      assert.equal((await counts()).wipe, before.wipe + 1);
      assert.deepEqual(await pending(), [], 'asked, not held');
    } finally {
      await client.close();
    }
  });

  test('2026-07-28: the approval state is bound to the exact arguments and caller, and approves one dispatch only', async () => {
    const before = await counts();
    const post = (body: Record<string, unknown>, headers: Record<string, string> = USER) =>
      fetch(`${gw.url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'wipe', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wipe', ...body, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, ...CAN_ELICIT } } }),
      }).then((response) => response.json() as Promise<{ result?: Record<string, any>; error?: { code: number; message: string; data: { code: string } } }>);
    const first = await post({ arguments: { target: 'one' } });
    assert.equal(first.result?.resultType, 'input_required');
    const question = first.result!.inputRequests['mcpgw.approval'];
    assert.equal(question.method, 'elicitation/create');
    assert.equal(question.params.mode, 'form');
    const state = first.result!.requestState as string;
    const yes = { 'mcpgw.approval': { action: 'accept', content: { approve: true } } };

    const otherArguments = await post({ arguments: { target: 'everything' }, requestState: state, inputResponses: yes });
    assert.equal(otherArguments.error?.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
    assert.match(otherArguments.error!.message, /other arguments/);
    const otherCaller = await post({ arguments: { target: 'one' }, requestState: state, inputResponses: yes }, ADMIN);
    assert.equal(otherCaller.error?.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
    const [prefix, payload, signature] = state.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), a: 'forged' })).toString('base64url');
    const tampered = await post({ arguments: { target: 'everything' }, requestState: `${prefix}.${forged}.${signature}`, inputResponses: yes });
    assert.equal(tampered.error?.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
    const noAnswer = await post({ arguments: { target: 'one' }, requestState: state });
    assert.equal(noAnswer.error?.data.code, 'MCPGW_ERR_INVALID_PARAMS');
    assert.equal((await counts()).wipe, before.wipe, 'no refused retry reached the upstream');

    const approved = await post({ arguments: { target: 'one' }, requestState: state, inputResponses: yes });
    assert.equal(approved.result?.content[0].text, 'wiped one', JSON.stringify(approved));
    const replayed = await post({ arguments: { target: 'one' }, requestState: state, inputResponses: yes });
    assert.equal(replayed.error?.data.code, 'MCPGW_ERR_BAD_REQUEST_STATE');
    assert.match(replayed.error!.message, /already used/);
    const after = await counts();
    assert.equal(after.wipe, before.wipe + 1);
    assert.deepEqual(after.last, { target: 'one' }, 'the approval answer itself never went upstream');
  });

  test('2025 session with an elicitation handler: asked with elicitation/create; accept dispatches, decline is refused', async () => {
    const before = await counts();
    let reply: { action: 'accept' | 'decline'; content?: Record<string, string | boolean> } = { action: 'accept', content: { approve: true } };
    const asked: string[] = [];
    const client = new V1Client({ name: 'approver-legacy', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(String(request.params.message));
      return reply;
    });
    await client.connect(new V1Transport(new URL(`${gw.url}/mcp`), { requestInit: { headers: USER } }));
    try {
      const result = await client.callTool({ name: 'wipe', arguments: { target: 'logs' } });
      assert.equal((result.content as { text: string }[])[0]!.text, 'wiped logs');
      assert.match(asked[0]!, /tool "wipe"/);
      assert.equal((await lastLogged('wipe')).approval.via, 'elicitation');
      reply = { action: 'decline' };
      await assert.rejects(client.callTool({ name: 'wipe', arguments: { target: 'logs' } }), (error: { code?: number }) => error.code === -32031);
      assert.equal(asked.length, 2);
      assert.equal((await counts()).wipe, before.wipe + 1);
    } finally {
      await client.close();
    }
  });

  test('MCP clients without elicitation (either era), and ask: approver rules, fall back to the held path', async () => {
    const before = await counts();
    const modern = new Client({ name: 'no-elicit', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    await modern.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: USER } }));
    const legacy = new V1Client({ name: 'no-elicit-legacy', version: '1.0.0' });
    await legacy.connect(new V1Transport(new URL(`${gw.url}/mcp`), { requestInit: { headers: USER } }));
    try {
      const viaModern = modern.callTool({ name: 'wipe', arguments: { target: 'm' } });
      const heldModern = await heldCall('wipe');
      assert.equal(heldModern.via, 'mcp');
      assert.equal((await decide(heldModern.id, 'approve')).status, 200);
      assert.equal(((await viaModern).content as { text: string }[])[0]!.text, 'wiped m');

      const viaLegacy = legacy.callTool({ name: 'wipe', arguments: { target: 'l' } });
      const heldLegacy = await heldCall('wipe');
      assert.equal((await decide(heldLegacy.id, 'deny')).status, 200);
      await assert.rejects(viaLegacy, (error: { code?: number }) => error.code === -32031);
      assert.equal((await counts()).wipe, before.wipe + 1);
    } finally {
      await modern.close();
      await legacy.close();
    }
    // ask: approver never asks the client, even one that could answer.
    const elicitor = new Client({ name: 'elicitor', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
    let askedDeploy = false;
    elicitor.setRequestHandler('elicitation/create', async () => {
      askedDeploy = true;
      return { action: 'accept', content: { approve: true } };
    });
    await elicitor.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: USER } }));
    try {
      await assert.rejects(elicitor.callTool({ name: 'deploy', arguments: { env: 'prod' } }), (error: { code?: number }) => error.code === -32032);
      assert.equal(askedDeploy, false);
    } finally {
      await elicitor.close();
    }
  });

  test('2026-07-28: an answer that comes after the rule\'s timeout is MCPGW_ERR_APPROVAL_TIMEOUT, logged, never dispatched', async () => {
    const running = gw.gateway.config;
    await gw.gateway.reload({ ...running, approval: { ...running.approval, rules: [{ tools: ['ops/wipe'], ask: 'client', timeoutSeconds: 0.2 }] } });
    try {
      const before = await counts();
      const post = (body: Record<string, unknown>) =>
        fetch(`${gw.url}/mcp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'wipe', ...USER },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wipe', arguments: { target: 'late' }, ...body, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, ...CAN_ELICIT } } }),
        }).then((response) => response.json() as Promise<{ result?: Record<string, any>; error?: { code: number; message: string; data: { code: string } } }>);
      const first = await post({});
      assert.equal(first.result?.resultType, 'input_required');
      await new Promise((resolve) => setTimeout(resolve, 400));
      const late = await post({ requestState: first.result!.requestState, inputResponses: { 'mcpgw.approval': { action: 'accept', content: { approve: true } } } });
      assert.equal(late.error?.code, -32032, JSON.stringify(late));
      assert.equal(late.error?.data.code, 'MCPGW_ERR_APPROVAL_TIMEOUT');
      assert.equal((late.error?.data as { detail?: { timeoutSeconds?: number } }).detail?.timeoutSeconds, 0.2);
      assert.equal((await counts()).wipe, before.wipe, 'the late approval dispatched nothing');
      const logged = await lastLogged('wipe');
      assert.deepEqual([logged.via, logged.errorCode], ['mcp', 'MCPGW_ERR_APPROVAL_TIMEOUT']);
    } finally {
      await gw.gateway.reload(running);
    }
  });

  test('a reload changes the rules for the next call', async () => {
    const running = gw.gateway.config;
    const before = await counts();
    await gw.gateway.reload({ ...running, approval: { ...running.approval, rules: [] } });
    try {
      const direct = await rest('wipe', { target: 'no-rule' });
      assert.equal(direct.status, 200);
      assert.equal((await counts()).wipe, before.wipe + 1);
      assert.equal((await lastLogged('wipe')).approval, undefined);
    } finally {
      await gw.gateway.reload(running);
    }
    const held = rest('wipe', { target: 'rule-again' });
    assert.equal((await decide((await heldCall('wipe')).id, 'deny')).status, 200);
    assert.equal((await held).status, 403);
  });
});

describe('approval config', () => {
  const load = (approval: unknown) => () => normalizeConfig({ approval, servers: [] }, { env: {} });

  test('defaults: no rules, 5 minutes, 100 pending', () => {
    const config = normalizeConfig({ servers: [] }, { env: {} });
    assert.deepEqual(config.approval, { rules: [], timeoutSeconds: 300, maxPending: 100, approverRoles: [] });
    assert.equal(normalizeConfig({ approval: { rules: [{ tools: ['a/b'] }] }, servers: [] }, { env: {} }).approval.rules[0]!.ask, 'client');
  });

  test('a rule that names no calls, an unknown hint and an unbounded timeout are clear errors', () => {
    assert.throws(load({ rules: [{ ask: 'approver' }] }), /approval\.rules\[0\]: needs "tools" \(server\/tool globs\) or "annotations"/);
    assert.throws(load({ rules: [{ annotations: { destructive: true } }] }), /approval\.rules\[0\]\.annotations/);
    assert.throws(load({ timeoutSeconds: 7200 }), /approval\.timeoutSeconds/);
    assert.throws(load({ rules: [{ tools: ['x'], ask: 'nobody' }] }), /approval\.rules\[0\]\.ask/);
  });
});
