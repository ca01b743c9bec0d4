/**
 * Fault: an upstream that answers with far more than anyone should hold in
 * memory (50 MB). `maxResponseBytes` bounds each message in the worker's
 * transports: the answer is dropped as it streams in, that one call fails with
 * 502 MCPGW_ERR_RESPONSE_TOO_LARGE, and — over stdio and HTTP — the connection
 * stays up and the next call answers. Over WebSocket the protocol's own answer
 * to a message too big is closing the connection (1009): the call fails with
 * the same code and the replica reconnects. The gateway's RSS before and after
 * is printed, not asserted.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtures, startHttpFixture } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, rssMiB, stopLeavingNothing } from '../helpers/faults.js';

const MB = 1_000_000;
const MIB = 1024 * 1024;

test('a 50 MB answer over stdio fails that call (502, default limit); the same process answers the next call', async (t) => {
  const gw = await startGateway([
    { id: 'bulky', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_FAULT_TOOLS: '1' } },
    { id: 'steady', command: process.execPath, args: [fixtures.faultStdio], protocol: 'legacy' },
  ]);
  t.after(() => gw.stop());
  const pids = processesWithMark(gw.mark);
  const before = rssMiB();
  const reply = await gw.call('big', { bytes: 50 * MB }, 'bulky');
  const after = rssMiB();
  t.diagnostic(`gateway RSS around a 50 MB stdio answer: ${before} MiB before, ${after} MiB after`);
  assertClearError(reply, 'MCPGW_ERR_RESPONSE_TOO_LARGE', 'bulky', /maxResponseBytes \(16777216 bytes\)/);
  assert.ok(reply.text.length < 2000, 'the client got an error, not the answer');
  assert.equal(reply.body.error.data.maxResponseBytes, 16 * MIB);
  assert.ok(reply.body.error.data.bytes > 50 * MB, 'the dropped answer was measured whole');

  // The connection survived: same process, no restart, calls answer (a 1 MB answer too, under the limit).
  assert.deepEqual(processesWithMark(gw.mark), pids);
  const fine = await gw.call('big', { bytes: MB }, 'bulky');
  assert.equal(fine.status, 200);
  assert.equal(fine.body.content[0].text.length, MB);
  assert.equal((await gw.get('/api/v1/servers/bulky')).body.restarts, 0);
  await assertOthersAnswer(gw, 'steady');
  await assertRecorded(gw, { server: 'bulky', tool: 'big', httpStatus: 200, outcome: 'ok' });
  await assertRecorded(gw, { server: 'bulky', tool: 'big', code: 'MCPGW_ERR_RESPONSE_TOO_LARGE', httpStatus: 502, outcome: 'upstream_error' });
  await stopLeavingNothing(gw);
});

test('a configured maxResponseBytes holds over stdio whatever the key order: just under passes, over fails', async (t) => {
  const gw = await startGateway([{ id: 'raw', command: process.execPath, args: [fixtures.faultStdio], protocol: 'legacy', maxResponseBytes: MIB }]);
  t.after(() => gw.stop());
  const under = await gw.call('huge', { bytes: MIB - 200 }, 'raw');
  assert.equal(under.status, 200, under.text.slice(0, 300));
  assert.equal(under.body.content[0].text.length, MIB - 200);
  const over = await gw.call('huge', { bytes: 5 * MB }, 'raw');
  assertClearError(over, 'MCPGW_ERR_RESPONSE_TOO_LARGE', 'raw', /maxResponseBytes \(1048576 bytes\)/);
  assert.equal((await gw.call('echo', { message: 'still here' }, 'raw')).body.content[0].text, 'still here');
  await stopLeavingNothing(gw);
});

test('over HTTP a 50 MB answer fails its call whether it comes as JSON (sized, chunked or gzipped) or as an event', async (t) => {
  const http = await startHttpFixture('fault-http');
  t.after(() => http.stop());
  const sdk = await startHttpFixture('modern-http', [], { FIXTURE_FAULT_TOOLS: '1' });
  t.after(() => sdk.stop());
  const gw = await startGateway([
    { id: 'web', url: http.url, protocol: 'legacy' },
    { id: 'sdk', url: sdk.url },
  ]);
  t.after(() => gw.stop());
  const before = rssMiB();
  // gzipped: ~50 KB on the wire, its Content-Length within the limit, 50 MB once fetch has decoded it.
  for (const args of [{ bytes: 50 * MB }, { bytes: 50 * MB, chunked: true }, { bytes: 50 * MB, gzip: true }]) {
    assertClearError(await gw.call('huge_json', args, 'web'), 'MCPGW_ERR_RESPONSE_TOO_LARGE', 'web', /maxResponseBytes/);
  }
  const gzippedUnder = await gw.call('huge_json', { bytes: MB, gzip: true }, 'web');
  assert.equal(gzippedUnder.status, 200, gzippedUnder.text.slice(0, 300));
  assert.equal(gzippedUnder.body.content[0].text.length, MB, 'a compressed answer under the limit arrives decoded and whole');
  assertClearError(await gw.call('huge_sse', { bytes: 50 * MB }, 'web'), 'MCPGW_ERR_RESPONSE_TOO_LARGE', 'web', /maxResponseBytes/);
  // The SDK's own Streamable HTTP server, in the era it negotiated.
  assertClearError(await gw.call('big', { bytes: 50 * MB }, 'sdk'), 'MCPGW_ERR_RESPONSE_TOO_LARGE', 'sdk', /maxResponseBytes/);
  t.diagnostic(`gateway RSS around four 50 MB HTTP answers: ${before} MiB before, ${rssMiB()} MiB after`);
  for (const server of ['web', 'sdk']) {
    assert.equal((await gw.call('echo', { message: 'after the flood' }, server)).status, 200);
    assert.equal((await gw.get(`/api/v1/servers/${server}`)).body.restarts, 0);
  }
  assert.equal((await gw.call('big', { bytes: MB }, 'sdk')).body.content[0].text.length, MB);
  await assertRecorded(gw, { server: 'web', tool: 'huge_sse', code: 'MCPGW_ERR_RESPONSE_TOO_LARGE', httpStatus: 502, outcome: 'upstream_error' });
  await stopLeavingNothing(gw);
});

test('over WebSocket an answer over the limit fails its call and the replica reconnects', async (t) => {
  const ws = await startHttpFixture('websocket-server', [], { FIXTURE_FAULT_TOOLS: '1' });
  t.after(() => ws.stop());
  const gw = await startGateway([{ id: 'socket', url: ws.url, maxResponseBytes: MIB, restart: { initialDelayMs: 50, maxDelayMs: 100, maxRestarts: 5, windowSeconds: 60 } }]);
  t.after(() => gw.stop());
  assert.equal((await gw.call('big', { bytes: MIB - 200 }, 'socket')).status, 200);
  const over = await gw.call('big', { bytes: 5 * MB }, 'socket');
  assertClearError(over, 'MCPGW_ERR_RESPONSE_TOO_LARGE', 'socket', /WebSocket message larger than maxResponseBytes \(1048576 bytes\).*1009/);
  const back = await eventually(() => gw.get('/api/v1/servers/socket'), (r) => r.body.state === 'ready' && r.body.restarts === 1);
  assert.equal(back.body.restarts, 1);
  assert.equal((await gw.call('echo', { message: 'reconnected' }, 'socket')).body.content[0].text, 'reconnected');
  await assertRecorded(gw, { server: 'socket', tool: 'big', code: 'MCPGW_ERR_RESPONSE_TOO_LARGE', httpStatus: 502, outcome: 'upstream_error' });
  await stopLeavingNothing(gw);
});
