/**
 * Fault: a worker thread killed outright (`ServerGroup.killReplica`, as an
 * unresponsive worker is). Its calls in flight fail at once with a clean 502,
 * the supervisor restarts it, the upstream process it owned is reaped (the
 * worker could not do it itself), and a call on another server that was in
 * flight at the same moment finishes normally.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, stopLeavingNothing } from '../helpers/faults.js';

test('a killed worker thread fails its calls in flight (502), is restarted, and leaves no upstream process behind', async (t) => {
  const gw = await startGateway([
    { id: 'victim', command: process.execPath, args: [fixtures.modernStdio], restart: { initialDelayMs: 50, maxDelayMs: 100, maxRestarts: 5, windowSeconds: 60 } },
    { id: 'bystander', command: process.execPath, args: [fixtures.modernStdio] },
  ]);
  t.after(() => gw.stop());
  const before = processesWithMark(gw.mark);
  assert.equal(before.length, 2);
  const threadBefore = (await gw.get('/api/v1/servers/victim')).body.replicas[0].threadId;

  const doomed = [gw.call('slow', { ms: 10_000 }, 'victim'), gw.call('slow', { ms: 10_000 }, 'victim')];
  const unrelated = gw.call('slow', { ms: 400 }, 'bystander');
  await eventually(() => gw.get('/api/v1/servers/victim'), (r) => r.body.inFlight === 2);
  await gw.gateway.supervisor.group('victim')!.killReplica(0);
  for (const reply of await Promise.all(doomed)) assertClearError(reply, 'MCPGW_ERR_UPSTREAM_CRASHED', 'victim', /worker thread/);
  const finished = await unrelated;
  assert.equal(finished.status, 200, finished.text);
  assert.equal(finished.body.content[0].text, 'slept 400 ms');
  await assertOthersAnswer(gw, 'bystander');

  const healed = await eventually(() => gw.get('/api/v1/servers/victim'), (r) => r.body.state === 'ready');
  assert.equal(healed.body.restarts, 1);
  assert.notEqual(healed.body.replicas[0].threadId, threadBefore, 'a new worker thread');
  assert.equal((await gw.call('echo', { message: 'new worker' }, 'victim')).status, 200);
  // The killed worker's upstream process was reaped; one per server again, the bystander's untouched.
  const after = await eventually(() => processesWithMark(gw.mark), (pids) => pids.length === 2);
  assert.equal(after.length, 2);
  assert.equal(after.filter((pid) => before.includes(pid)).length, 1, 'exactly one process (the bystander\'s) survived');

  await assertRecorded(gw, { server: 'victim', tool: 'slow', code: 'MCPGW_ERR_UPSTREAM_CRASHED', httpStatus: 502, outcome: 'upstream_error', count: 2 });
  assert.match((await gw.get('/metrics')).text, /^mcp_gateway_server_restarts_total\{server="victim"\} 1$/m);
  assert.match((await gw.get('/metrics')).text, /^mcp_gateway_tool_calls_total\{server="bystander",tool="slow",outcome="ok"\} 1$/m);
  await stopLeavingNothing(gw);
});
