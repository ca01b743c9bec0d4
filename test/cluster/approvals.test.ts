/**
 * Human approval in a cluster: a REST call held on one instance is listed and
 * decided through another, as an approver behind a round-robin balancer would
 * (the list spans every instance; a decision goes to the instance holding the
 * call, over the signed internal route, and the held call then runs or is
 * refused there).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../helpers/gateway.js';
import { fixtures } from '../fixtures/paths.js';
import { skipWithoutRedis, startCluster, type TestCluster } from './helpers.js';

const OPS = { id: 'ops', command: process.execPath, args: [fixtures.approvalStdio] };
const USER = { 'x-api-key': 'user-key' };
const ONCALL = { 'x-api-key': 'oncall-key' };

interface Held {
  id: string;
  tool: string;
  caller: string;
  instance: string;
  arguments: Record<string, unknown>;
}

describe('approvals across instances', { skip: skipWithoutRedis('cluster approvals') }, () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster(2, [OPS], {
      auth: {
        strategy: 'api-key',
        apiKeys: [
          { key: 'user-key', name: 'user', roles: ['dev'] },
          { key: 'oncall-key', name: 'oncall', roles: ['oncall'] },
        ],
      },
      approval: { timeoutSeconds: 30, approverRoles: ['oncall'], rules: [{ annotations: { destructiveHint: true } }] },
    });
  });
  after(() => cluster?.stop());

  const on = (index: number) => cluster.instances[index]!;
  const wipeOn = (index: number, target: string) =>
    fetch(`${on(index).url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...USER }, body: JSON.stringify({ tool: 'wipe', arguments: { target } }) });
  const pendingOn = async (index: number) => (await on(index).get('/api/v1/approvals', ONCALL)).body.approvals as Held[];
  const heldOn = async (index: number, target: string) => {
    const list = await eventually(() => pendingOn(index), (entries) => entries.some((entry) => entry.arguments.target === target));
    return list.find((entry) => entry.arguments.target === target)!;
  };

  test('a call held on gw-0 is listed by gw-1, approved there, and runs on gw-0', async () => {
    const call = wipeOn(0, 'disk-a');
    const held = await heldOn(1, 'disk-a');
    assert.equal(held.instance, 'gw-0');
    assert.equal(held.caller, 'user');
    assert.deepEqual(
      (await pendingOn(0)).map((entry) => [entry.id, entry.instance]),
      [[held.id, 'gw-0']],
      'both instances list the same held call',
    );
    const decided = await on(1).post(`/api/v1/approvals/${held.id}`, { decision: 'approve', reason: 'planned' }, ONCALL);
    assert.equal(decided.status, 200, decided.text);
    assert.deepEqual({ id: decided.body.id, instance: decided.body.instance, decidedBy: decided.body.decidedBy, tool: decided.body.tool }, { id: held.id, instance: 'gw-0', decidedBy: 'oncall', tool: 'wipe' });
    const answer = await call;
    assert.equal(answer.status, 200);
    assert.equal(((await answer.json()) as { content: { text: string }[] }).content[0]!.text, 'wiped disk-a');
    const logged = (await on(0).get('/api/v1/requests?tool=wipe', ONCALL)).body.requests[0];
    assert.deepEqual({ decidedBy: logged.approval.decidedBy, outcome: logged.approval.outcome, reason: logged.approval.reason }, { decidedBy: 'oncall', outcome: 'approved', reason: 'planned' });
    assert.deepEqual(await pendingOn(1), []);
  });

  test('a denial through the other instance refuses the call where it is held; a second decision finds nothing', async () => {
    const call = wipeOn(1, 'disk-b');
    const held = await heldOn(0, 'disk-b');
    assert.equal(held.instance, 'gw-1');
    const denied = await on(0).post(`/api/v1/approvals/${held.id}`, { decision: 'deny', reason: 'not today' }, ONCALL);
    assert.equal(denied.status, 200, denied.text);
    const answer = await call;
    assert.equal(answer.status, 403);
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'MCPGW_ERR_APPROVAL_DENIED');
    for (const index of [0, 1]) {
      const again = await on(index).post(`/api/v1/approvals/${held.id}`, { decision: 'approve' }, ONCALL);
      assert.equal(again.status, 404);
      assert.equal(again.body.error.code, 'MCPGW_ERR_UNKNOWN_APPROVAL');
    }
  });

  test('a caller who may not approve is refused on every instance, and the held call keeps waiting', async () => {
    const call = wipeOn(0, 'disk-c');
    const held = await heldOn(1, 'disk-c');
    for (const index of [0, 1]) {
      const refused = await on(index).post(`/api/v1/approvals/${held.id}`, { decision: 'approve' }, USER);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'MCPGW_ERR_FORBIDDEN');
      assert.equal((await on(index).get('/api/v1/approvals', USER)).status, 403);
    }
    assert.equal((await heldOn(1, 'disk-c')).id, held.id);
    assert.equal((await on(1).post(`/api/v1/approvals/${held.id}`, { decision: 'deny' }, ONCALL)).status, 200);
    assert.equal((await call).status, 403);
  });

  test('the internal approval routes answer only requests signed with the cluster key', async () => {
    for (const path of ['/internal/v1/approvals', '/internal/v1/approvals/decide']) {
      const forged = await fetch(`${on(0).url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ caller: { key: 'key:oncall', name: 'oncall', via: 'api-key', roles: ['oncall'], scopes: [] }, id: 'x', decision: 'approve' }),
      });
      assert.equal(forged.status, 401, path);
    }
  });
});
