/**
 * Faults of an HTTP upstream: 500s, connections reset mid-request, an upstream
 * that goes away, and one that is not there yet when the gateway starts. Each
 * gives the client a clear error (what the upstream said, or which socket
 * error); repeated failures open the circuit breaker, so later calls fail at
 * once with 503 until a probe succeeds; an upstream that appears later is
 * picked up by the restart policy.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { fixtures, startHttpFixture } from '../fixtures/paths.js';
import { eventually, startGateway } from '../helpers/gateway.js';
import { assertClearError, assertOthersAnswer, assertRecorded, stopLeavingNothing } from '../helpers/faults.js';

const steady = { id: 'steady', command: process.execPath, args: [fixtures.faultStdio], protocol: 'legacy' };

test('500s and resets are clear 502s, open the circuit when repeated, and a good probe closes it', async (t) => {
  const http = await startHttpFixture('fault-http');
  t.after(() => http.stop());
  const gw = await startGateway([
    { id: 'web', url: http.url, protocol: 'legacy', healthCheck: { enabled: false }, circuitBreaker: { consecutiveFailures: 3, openSeconds: 1 } },
    steady,
  ]);
  t.after(() => gw.stop());

  const failing = await gw.call('fail500', {}, 'web');
  assertClearError(failing, 'MCPGW_ERR_UPSTREAM_BAD_RESPONSE', 'web', /answered HTTP 500.*fault-http: internal failure/);
  assert.equal(failing.body.error.data.httpStatus, 500);
  const reset = await gw.call('reset', {}, 'web');
  assertClearError(reset, 'MCPGW_ERR_UPSTREAM_CRASHED', 'web', /connection to the upstream failed \((ECONNRESET|UND_ERR_SOCKET)/);
  // A good answer between failures resets the run: the breaker counts failures in a row.
  assert.equal((await gw.call('echo', { message: 'fine' }, 'web')).status, 200);
  for (const tool of ['fail500', 'reset', 'fail500']) assert.equal((await gw.call(tool, {}, 'web')).status, 502);

  const open = await gw.call('echo', { message: 'refused at once' }, 'web');
  assertClearError(open, 'MCPGW_ERR_CIRCUIT_OPEN', 'web', /circuit open/);
  assert.equal(open.body.error.data.retryAfterSeconds, 1);
  assert.equal((await gw.get('/api/v1/servers/web')).body.circuit, 'open');
  await assertOthersAnswer(gw, 'steady');

  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal((await gw.call('echo', { message: 'probe' }, 'web')).status, 200);
  assert.equal((await gw.get('/api/v1/servers/web')).body.circuit, 'closed');

  await assertRecorded(gw, { server: 'web', tool: 'fail500', code: 'MCPGW_ERR_UPSTREAM_BAD_RESPONSE', httpStatus: 502, outcome: 'upstream_error', count: 3 });
  await assertRecorded(gw, { server: 'web', tool: 'reset', code: 'MCPGW_ERR_UPSTREAM_CRASHED', httpStatus: 502, outcome: 'upstream_error', count: 2 });
  await assertRecorded(gw, { server: 'web', tool: 'echo', code: 'MCPGW_ERR_CIRCUIT_OPEN', httpStatus: 503, outcome: 'unavailable' });

  // The upstream goes away altogether: a refused connection, said as such.
  await http.stop();
  assertClearError(await gw.call('echo', { message: 'anyone?' }, 'web'), 'MCPGW_ERR_UPSTREAM_CRASHED', 'web', /ECONNREFUSED/);
  await assertOthersAnswer(gw, 'steady');
  await stopLeavingNothing(gw);
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('an HTTP upstream unreachable at start is reported with the socket error, and picked up once it listens', async (t) => {
  const port = await closedPort();
  const gw = await startGateway([
    { id: 'late', url: `http://127.0.0.1:${port}/mcp`, protocol: 'legacy', restart: { initialDelayMs: 100, maxDelayMs: 300, maxRestarts: 50, windowSeconds: 60 } },
    steady,
  ]);
  t.after(() => gw.stop());
  const entry = gw.report.servers.find((s) => s.id === 'late')!;
  assert.equal(entry.ok, false);
  assert.match(entry.reason ?? '', /ECONNREFUSED/);
  assert.equal(gw.report.servers.find((s) => s.id === 'steady')!.ok, true);
  const refused = await gw.call('echo', { message: 'x' }, 'late');
  assertClearError(refused, 'MCPGW_ERR_SERVER_UNAVAILABLE', 'late', /ECONNREFUSED/);
  await assertRecorded(gw, { server: 'late', tool: 'echo', code: 'MCPGW_ERR_SERVER_UNAVAILABLE', httpStatus: 503, outcome: 'unavailable' });

  const http = await startHttpFixture('fault-http', ['--port', String(port)]);
  t.after(() => http.stop());
  const ready = await eventually(() => gw.get('/api/v1/servers/late'), (r) => r.body.state === 'ready', 10_000);
  assert.equal(ready.body.state, 'ready');
  assert.equal((await gw.call('echo', { message: 'arrived' }, 'late')).body.content[0].text, 'arrived');
  assert.equal((await gw.get('/api/v1/health')).body.status, 'ok');
  await stopLeavingNothing(gw);
});
