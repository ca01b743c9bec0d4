/**
 * Fault: an upstream that hangs forever. Each hung call times out with a clean
 * 504, the gateway really sends `notifications/cancelled` for it (the
 * hand-written upstream journals every message it receives), and the slots the
 * hung calls held are given back: with maxConcurrency hung calls and no queue,
 * one more call still gets through.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, journal, scratchDir, stopLeavingNothing } from '../helpers/faults.js';

test('hung calls time out (504), are cancelled upstream, and give their slots back', async (t) => {
  const dir = await scratchDir(t);
  const received = join(dir, 'received.jsonl');
  const gw = await startGateway([
    { id: 'stuck', command: process.execPath, args: [fixtures.faultStdio], env: { FAULT_JOURNAL: received }, protocol: 'legacy', timeout: 500, maxConcurrency: 2, maxQueue: 0 },
    { id: 'steady', command: process.execPath, args: [fixtures.modernStdio] },
  ]);
  t.after(() => gw.stop());

  const hung = await Promise.all([gw.call('hang', {}, 'stuck'), gw.call('hang', {}, 'stuck')]);
  for (const reply of hung) assertClearError(reply, 'MCPGW_ERR_TIMEOUT', 'stuck', /timed out after 500 ms/);

  // The upstream's own record: each tools/call it got was followed by a cancellation naming that request.
  const messages = await eventually(() => journal<{ method?: string; id?: string | number; requestId?: string | number }>(received), (list) => list.filter((m) => m.method === 'notifications/cancelled').length === 2);
  const calls = messages.filter((m) => m.method === 'tools/call').map((m) => m.id);
  const cancelled = messages.filter((m) => m.method === 'notifications/cancelled').map((m) => m.requestId);
  assert.equal(calls.length, 2);
  assert.deepEqual([...cancelled].sort(), [...calls].sort(), 'notifications/cancelled reached the upstream for both hung calls');

  // Both slots are free again (maxConcurrency 2, maxQueue 0): this call would get 503 QUEUE_FULL otherwise.
  const next = await gw.call('echo', { message: 'the slots are free' }, 'stuck');
  assert.equal(next.status, 200, next.text);
  assert.equal((await gw.get('/api/v1/servers/stuck')).body.inFlight, 0);

  await assertRecorded(gw, { server: 'stuck', tool: 'hang', code: 'MCPGW_ERR_TIMEOUT', httpStatus: 504, outcome: 'timeout', count: 2 });
  await assertOthersAnswer(gw, 'steady');
  await stopLeavingNothing(gw);
});
