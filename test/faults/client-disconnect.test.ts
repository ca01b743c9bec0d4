/**
 * Fault: the client goes away mid-call — a REST caller, and a 2026-07-28 MCP
 * client whose request stream closes. The call is cancelled upstream (the
 * upstream tool itself records that its request was cancelled: over stdio by
 * `notifications/cancelled`, over Streamable HTTP by the request's stream
 * closing), its slot is freed, and the call is logged as 499 / cancelled.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { MODERN_META } from '../../src/bench/targets/mcp-modern.js';
import { fixtures, startHttpFixture } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { assertOthersAnswer, assertRecorded, journal, scratchDir, stopLeavingNothing } from '../helpers/faults.js';

/** Starts a call the way `send` does, waits until `server` has it in flight, then hangs up. */
async function hangUpMidCall(gw: RunningGateway, server: string, send: (signal: AbortSignal) => Promise<Response>): Promise<void> {
  const controller = new AbortController();
  const pending = send(controller.signal);
  await eventually(() => gw.get(`/api/v1/servers/${server}`), (r) => r.body.inFlight === 1);
  controller.abort();
  await assert.rejects(pending);
}

const restCall = (gw: RunningGateway, server: string) => (signal: AbortSignal) =>
  fetch(`${gw.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'wait_for_cancel', server }), signal });

const modernCall = (gw: RunningGateway, name: string) => (signal: AbortSignal) =>
  fetch(`${gw.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {}, _meta: MODERN_META } }),
    signal,
  }).then(async (response) => {
    // The answer is a stream: the call is only over when it is read to its end.
    await response.text();
    return response;
  });

test('a client that hangs up mid-call cancels it upstream (stdio and HTTP, REST and /mcp) and frees the slot', async (t) => {
  const dir = await scratchDir(t);
  const cancelLog = join(dir, 'cancelled.jsonl');
  const remote = await startHttpFixture('modern-http', [], { FIXTURE_NAME: 'remote', FIXTURE_FAULT_TOOLS: '1', FIXTURE_CANCEL_LOG: cancelLog });
  t.after(() => remote.stop());
  const gw = await startGateway([
    { id: 'local', command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: 'local', FIXTURE_FAULT_TOOLS: '1', FIXTURE_CANCEL_LOG: cancelLog }, maxConcurrency: 1, maxQueue: 0 },
    { id: 'remote', url: remote.url, protocol: '2026-07-28', maxConcurrency: 1, maxQueue: 0 },
    { id: 'steady', command: process.execPath, args: [fixtures.faultStdio], protocol: 'legacy' },
  ]);
  t.after(() => gw.stop());
  const cancellations = (fixture: string) => journal<{ fixture: string }>(cancelLog).then((list) => list.filter((entry) => entry.fixture === fixture).length);

  for (const server of ['local', 'remote']) {
    await hangUpMidCall(gw, server, restCall(gw, server));
    assert.equal(await eventually(() => cancellations(server), (n) => n === 1), 1, `${server}: the upstream saw the REST call cancelled`);
    await eventually(() => gw.get(`/api/v1/servers/${server}`), (r) => r.body.inFlight === 0);
    // maxConcurrency 1, no queue: only a freed slot lets this through.
    assert.equal((await gw.call('echo', { message: 'slot free' }, server)).status, 200);
    await assertRecorded(gw, { server, tool: 'wait_for_cancel', code: 'MCPGW_ERR_CANCELLED', httpStatus: 499, outcome: 'cancelled' });

    await hangUpMidCall(gw, server, modernCall(gw, `${server}__wait_for_cancel`));
    assert.equal(await eventually(() => cancellations(server), (n) => n === 2), 2, `${server}: the upstream saw the /mcp call cancelled`);
    await eventually(() => gw.get(`/api/v1/servers/${server}`), (r) => r.body.inFlight === 0);
    assert.equal((await gw.call('echo', { message: 'slot free' }, server)).status, 200);
    await assertRecorded(gw, { server, tool: 'wait_for_cancel', code: 'MCPGW_ERR_CANCELLED', httpStatus: 499, outcome: 'cancelled', count: 2 });
  }
  await assertOthersAnswer(gw, 'steady');
  await stopLeavingNothing(gw);
});
