/**
 * Fault: an upstream that writes things on stdout that are not answers —
 * log lines, JSON that is not JSON-RPC, raw binary, answers to requests
 * nobody made, a frame cut in two — one that answers with something that is
 * not a result object, and one that writes half an answer and dies. Noise is
 * logged and ignored, the connection and its calls go on; a result that is
 * not an object is a 502, never passed on as one; half a frame followed by a
 * crash is a clean 502, never half a result.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, stopLeavingNothing } from '../helpers/faults.js';

const faulty = (id: string) => ({ id, command: process.execPath, args: [fixtures.faultStdio], protocol: 'legacy', restart: { initialDelayMs: 50, maxDelayMs: 100, maxRestarts: 5, windowSeconds: 60 } });

test('garbage on stdout is logged and ignored; the call it surrounds and the next ones answer', async (t) => {
  const gw = await startGateway([faulty('noisy')], { captureLog: 'warn' });
  t.after(() => gw.stop());
  const [pid] = processesWithMark(gw.mark);

  const reply = await gw.call('noise', {}, 'noisy');
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.body.content[0].text, 'answered after the noise');
  for (let i = 0; i < 3; i++) assert.equal((await gw.call('echo', { message: `after ${i}` }, 'noisy')).body.content[0].text, `after ${i}`);

  const ignored = gw.logs.filter((entry) => entry.msg === 'upstream wrote a line on stdout that is not JSON-RPC; ignored').map((entry) => String(entry.line));
  for (const line of ['this line is a log message, not JSON', '{"not":"json-rpc"}', '[1,2,3]', '{"jsonrpc":"2.0","id":"broken']) assert.ok(ignored.includes(line), `not logged as noise: ${line}`);
  assert.ok(ignored.some((line) => line.includes('\u0000')), 'the binary line was logged as noise');
  assert.deepEqual(processesWithMark(gw.mark), [pid], 'the same process: noise is no reason to restart');
  assert.equal((await gw.get('/api/v1/servers/noisy')).body.restarts, 0);
  await assertRecorded(gw, { server: 'noisy', tool: 'noise', httpStatus: 200, outcome: 'ok' });
  await stopLeavingNothing(gw);
});

test('an answer whose result is not an object is a 502, and the connection goes on', async (t) => {
  const gw = await startGateway([faulty('odd')]);
  t.after(() => gw.stop());
  for (const [value, what] of [[42, 'a number'], [null, 'null'], ['text', 'a string'], [[1, 2], 'an array']] as const) {
    const reply = await gw.call('bad_result', { value }, 'odd');
    assertClearError(reply, 'MCPGW_ERR_UPSTREAM_BAD_RESPONSE', 'odd', new RegExp(`result is ${what}, not an object`));
  }
  assert.equal((await gw.call('echo', { message: 'fine' }, 'odd')).body.content[0].text, 'fine');
  assert.equal((await gw.get('/api/v1/servers/odd')).body.restarts, 0);
  await assertRecorded(gw, { server: 'odd', tool: 'bad_result', code: 'MCPGW_ERR_UPSTREAM_BAD_RESPONSE', httpStatus: 502, outcome: 'upstream_error', count: 4 });
  await stopLeavingNothing(gw);
});

test('half an answer followed by a crash is a clean 502; the server comes back', async (t) => {
  const gw = await startGateway([faulty('torn'), { id: 'steady', command: process.execPath, args: [fixtures.modernStdio] }]);
  t.after(() => gw.stop());

  const reply = await gw.call('partial_then_crash', {}, 'torn');
  assertClearError(reply, 'MCPGW_ERR_UPSTREAM_CRASHED', 'torn', /exited with code 1/);
  assert.ok(!reply.text.includes('cut off in the mid'), 'nothing of the partial frame reached the client');
  await assertOthersAnswer(gw, 'steady');
  await eventually(() => gw.get('/api/v1/servers/torn'), (r) => r.body.state === 'ready');
  assert.equal((await gw.call('echo', { message: 'whole again' }, 'torn')).body.content[0].text, 'whole again');
  await assertRecorded(gw, { server: 'torn', tool: 'partial_then_crash', code: 'MCPGW_ERR_UPSTREAM_CRASHED', httpStatus: 502, outcome: 'upstream_error' });
  await stopLeavingNothing(gw);
});
