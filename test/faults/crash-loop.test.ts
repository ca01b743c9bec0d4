/**
 * Fault: an upstream that crashes as soon as it starts, again and again (the
 * fixture exits at start while a marker file exists). The supervisor backs
 * off — each delay at least the one before, the ceiling doubling — and after
 * `restart.maxRestarts` in the window gives up: state `failed`, a reason that
 * says why, 503 for calls. Removing the marker before it gives up brings the
 * server back by itself. `failed` is terminal: nothing re-tries a failed
 * server (fixing it afterwards does not bring it back; that needs a restart
 * of the gateway, or a config reload once there is one).
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, journal, scratchDir, stopLeavingNothing } from '../helpers/faults.js';

const looping = (marker: string, starts: string, restart: Record<string, number>) => ({
  id: 'loopy',
  command: process.execPath,
  args: [fixtures.faultStdio],
  env: { FAULT_CRASH_WHILE: marker, FAULT_STARTS: starts },
  protocol: 'legacy',
  restart,
});

/** The backoff delays the supervisor announced, in order. */
function delays(gw: RunningGateway): number[] {
  return gw.logs.flatMap((entry) => {
    const match = entry.server === 'loopy' ? /restarting in (\d+) ms/.exec(String(entry.msg)) : null;
    return match ? [Number(match[1])] : [];
  });
}

test('a crash-looping upstream backs off with growing delays, then is failed for good with the reason', async (t) => {
  const dir = await scratchDir(t);
  const marker = join(dir, 'broken');
  const starts = join(dir, 'starts.jsonl');
  await writeFile(marker, '');
  const gw = await startGateway([looping(marker, starts, { initialDelayMs: 100, maxDelayMs: 5000, maxRestarts: 4, windowSeconds: 60 }), { id: 'steady', command: process.execPath, args: [fixtures.modernStdio] }], { captureLog: 'warn' });
  t.after(() => gw.stop());
  const first = gw.report.servers.find((s) => s.id === 'loopy')!;
  assert.equal(first.ok, false);
  assert.match(first.reason ?? '', /exited with code 1/);
  assert.match(first.reason ?? '', /exists; exiting at start/, 'the reason carries the upstream\'s own stderr');

  const failed = await eventually(() => gw.get('/api/v1/servers/loopy'), (r) => r.body.state === 'failed', 15_000);
  assert.equal(failed.body.state, 'failed');
  assert.match(failed.body.lastError, /gave up after 4 restarts within 60 s/);
  assert.equal(failed.body.restarts, 4);
  assert.equal((await journal(starts)).length, 5, 'the first start and four restarts');

  // Equal jitter: delay k lies in [c/2, c] with c = 100·2^k, so each is at least the previous and the last at least 4x the first.
  const announced = delays(gw);
  assert.equal(announced.length, 4, JSON.stringify(announced));
  for (let k = 1; k < announced.length; k++) assert.ok(announced[k]! >= announced[k - 1]!, `delays grow: ${announced.join(', ')}`);
  assert.ok(announced[3]! >= 4 * announced[0]!, `delays grow: ${announced.join(', ')}`);
  assert.ok(announced[0]! >= 50 && announced[0]! <= 100 && announced[3]! >= 400 && announced[3]! <= 800, `within the backoff: ${announced.join(', ')}`);

  const refused = await gw.call('echo', { message: 'x' }, 'loopy');
  assertClearError(refused, 'MCPGW_ERR_SERVER_UNAVAILABLE', 'loopy', /is failed: .*gave up after 4 restarts/);
  assert.equal(refused.body.error.data.state, 'failed');
  await assertRecorded(gw, { server: 'loopy', tool: 'echo', code: 'MCPGW_ERR_SERVER_UNAVAILABLE', httpStatus: 503, outcome: 'unavailable' });
  assert.match((await gw.get('/metrics')).text, /^mcp_gateway_server_restarts_total\{server="loopy"\} 4$/m);
  assert.equal((await gw.get('/api/v1/health')).body.status, 'degraded');
  await assertOthersAnswer(gw, 'steady');

  // Terminal: fixed now, it is not tried again.
  await rm(marker);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal((await gw.get('/api/v1/servers/loopy')).body.state, 'failed');
  assert.equal((await journal(starts)).length, 5, 'no start after giving up');
  await stopLeavingNothing(gw);
});

test('a crash loop that is fixed before the supervisor gives up recovers by itself', async (t) => {
  const dir = await scratchDir(t);
  const marker = join(dir, 'broken');
  const starts = join(dir, 'starts.jsonl');
  await writeFile(marker, '');
  const gw = await startGateway([looping(marker, starts, { initialDelayMs: 200, maxDelayMs: 400, maxRestarts: 50, windowSeconds: 60 })], { captureLog: 'warn' });
  t.after(() => gw.stop());
  assert.equal(gw.report.servers[0]!.ok, false);
  await eventually(() => journal(starts), (list) => list.length >= 3);
  const whileDown = await gw.call('echo', { message: 'x' }, 'loopy');
  assertClearError(whileDown, 'MCPGW_ERR_SERVER_UNAVAILABLE', 'loopy', /restarting|starting/);

  await rm(marker);
  const back = await eventually(() => gw.get('/api/v1/servers/loopy'), (r) => r.body.state === 'ready', 10_000);
  assert.equal(back.body.state, 'ready');
  assert.ok(back.body.restarts >= 2);
  assert.equal((await gw.call('echo', { message: 'fixed' }, 'loopy')).body.content[0].text, 'fixed');
  assert.equal((await gw.get('/api/v1/health')).body.status, 'ok');
  await stopLeavingNothing(gw);
});
