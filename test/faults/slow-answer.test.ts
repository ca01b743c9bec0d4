/**
 * Fault: an upstream that answers very slowly, a few bytes at a time — one
 * frame over stdio in dozens of writes, an HTTP body or SSE event trickled
 * out. The answer is put back together correctly; one that takes longer than
 * the server's timeout ends in a clean 504, the late remainder is ignored, and
 * the connection stays usable.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtures, startHttpFixture } from '../fixtures/paths.js';
import { processesWithMark, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertRecorded, stopLeavingNothing } from '../helpers/faults.js';

const TRICKLED = 'trickled '.repeat(20).trim();

test('an answer trickled in small pieces is correct; one slower than the timeout is a clean 504', async (t) => {
  const http = await startHttpFixture('fault-http');
  t.after(() => http.stop());
  const gw = await startGateway([
    { id: 'drip', command: process.execPath, args: [fixtures.faultStdio], protocol: 'legacy', timeout: 1500, maxConcurrency: 1, maxQueue: 0 },
    { id: 'dripweb', url: http.url, protocol: 'legacy', timeout: 1500, maxConcurrency: 1, maxQueue: 0 },
  ]);
  t.after(() => gw.stop());
  const pids = processesWithMark(gw.mark);

  for (const [server, extra] of [['drip', {}], ['dripweb', {}], ['dripweb', { sse: true }]] as const) {
    const slowButInTime = await gw.call('trickle', { pieces: 40, delayMs: 15, ...extra }, server);
    assert.equal(slowButInTime.status, 200, `${server} ${JSON.stringify(extra)}: ${slowButInTime.text}`);
    assert.equal(slowButInTime.body.content[0].text, TRICKLED);

    // 40 pieces 60 ms apart: 2.4 s, over the 1.5 s timeout.
    const tooSlow = await gw.call('trickle', { pieces: 40, delayMs: 60, ...extra }, server);
    assertClearError(tooSlow, 'MCPGW_ERR_TIMEOUT', server, /timed out after 1500 ms/);
    // maxConcurrency 1 and no queue: the timed-out call gave its slot back, and the tail it still receives is ignored.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const next = await gw.call('echo', { message: 'after the drip' }, server);
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.content[0].text, 'after the drip');
  }
  assert.deepEqual(processesWithMark(gw.mark), pids, 'slowness is no reason to restart');
  await assertRecorded(gw, { server: 'drip', tool: 'trickle', httpStatus: 200, outcome: 'ok' });
  await assertRecorded(gw, { server: 'dripweb', tool: 'trickle', code: 'MCPGW_ERR_TIMEOUT', httpStatus: 504, outcome: 'timeout', count: 2 });
  await stopLeavingNothing(gw);
});
