/**
 * Fault: an upstream process that dies mid-call. Every call in flight on it
 * fails at once with a clean 502 (not a timeout), the server is restarted and
 * answers again, the other server never notices, and the dead process's
 * replacement is the only one left.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, stopLeavingNothing } from '../helpers/faults.js';

const restart = { initialDelayMs: 50, maxDelayMs: 200, maxRestarts: 5, windowSeconds: 60 };

test('an upstream that crashes mid-call fails every call in flight on it (502), restarts, and counts the restart', async (t) => {
  const gw = await startGateway([
    { id: 'crashy', command: process.execPath, args: [fixtures.modernStdio], restart },
    { id: 'steady', command: process.execPath, args: [fixtures.modernStdio] },
  ]);
  t.after(() => gw.stop());
  const started = Date.now();
  const bystanderCall = gw.call('slow', { ms: 10_000 }, 'crashy');
  await eventually(() => gw.get('/api/v1/servers/crashy'), (r) => r.body.inFlight === 1);
  const crashed = await gw.call('crash', {}, 'crashy');
  assertClearError(crashed, 'MCPGW_ERR_UPSTREAM_CRASHED', 'crashy', /exited with code 1/);
  const alongside = await bystanderCall;
  assertClearError(alongside, 'MCPGW_ERR_UPSTREAM_CRASHED', 'crashy');
  assert.ok(Date.now() - started < 5000, 'the call in flight failed with the crash, not at its timeout');

  await assertOthersAnswer(gw, 'steady');
  const healed = await eventually(() => gw.get('/api/v1/servers/crashy'), (r) => r.body.state === 'ready');
  assert.equal(healed.body.restarts, 1);
  assert.equal((await gw.call('echo', { message: 'back' }, 'crashy')).body.content[0].text, 'back');

  await assertRecorded(gw, { server: 'crashy', tool: 'crash', code: 'MCPGW_ERR_UPSTREAM_CRASHED', httpStatus: 502, outcome: 'upstream_error' });
  await assertRecorded(gw, { server: 'crashy', tool: 'slow', code: 'MCPGW_ERR_UPSTREAM_CRASHED', httpStatus: 502, outcome: 'upstream_error' });
  assert.match((await gw.get('/metrics')).text, /^mcp_gateway_server_restarts_total\{server="crashy"\} 1$/m);
  // Two servers, two processes: the crashed one was replaced, not joined.
  assert.equal(processesWithMark(gw.mark).length, 2);
  await stopLeavingNothing(gw);
});
