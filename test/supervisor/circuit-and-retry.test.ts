/**
 * The circuit breaker (with a given clock, then through a real gateway whose
 * upstream hangs) and retries of idempotent calls only (an upstream that
 * crashes on its first call, with two replicas).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CircuitBreaker } from '../../src/supervisor/circuit-breaker.js';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway } from '../helpers/gateway.js';

const CONFIG = { enabled: true, consecutiveFailures: 3, errorRate: 0.5, minimumCalls: 10, windowSeconds: 10, openSeconds: 5 };

describe('the circuit breaker', () => {
  test('opens after N failures in a row, lets one probe through after openSeconds, and its answer decides', () => {
    let now = 0;
    const breaker = new CircuitBreaker(CONFIG, () => now);
    for (let i = 0; i < 2; i++) breaker.record(true, breaker.tryAcquire().probe);
    breaker.record(false, false);
    assert.equal(breaker.state, 'closed', 'a success in between resets the run');
    for (let i = 0; i < 3; i++) breaker.record(true, breaker.tryAcquire().probe);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.tryAcquire().allowed, false);
    assert.equal(breaker.retryAfterSeconds, 5);
    now = 5_000;
    assert.equal(breaker.state, 'half-open');
    const probe = breaker.tryAcquire();
    assert.deepEqual(probe, { allowed: true, probe: true });
    assert.equal(breaker.tryAcquire().allowed, false, 'one probe at a time');
    breaker.record(true, true);
    assert.equal(breaker.state, 'open', 'a failed probe opens it again');
    now = 10_000;
    breaker.record(false, breaker.tryAcquire().probe);
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.tryAcquire().allowed, true);
  });

  test('opens on the error rate over the window once enough calls were made', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ ...CONFIG, consecutiveFailures: 100 }, () => now);
    for (let i = 0; i < 9; i++) {
      now += 100;
      breaker.record(i % 2 === 0, false);
    }
    assert.equal(breaker.state, 'closed', 'below minimumCalls');
    now += 100;
    breaker.record(true, false);
    assert.equal(breaker.state, 'open', '6 of 10 failed');
  });

  test('failures older than the window are forgotten; a released probe frees the slot; disabled never opens', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ ...CONFIG, consecutiveFailures: 100 }, () => now);
    for (let i = 0; i < 10; i++) breaker.record(true, false);
    assert.equal(breaker.state, 'open');
    breaker.reset();
    for (let i = 0; i < 9; i++) breaker.record(true, false);
    now = 20_000;
    breaker.record(true, false);
    assert.equal(breaker.state, 'closed', 'the 9 old failures left the window');

    const probing = new CircuitBreaker(CONFIG, () => now);
    for (let i = 0; i < 3; i++) probing.record(true, false);
    now += 5_000;
    probing.release(probing.tryAcquire().probe);
    assert.equal(probing.tryAcquire().allowed, true, 'a probe that never ran does not block the next one');

    const off = new CircuitBreaker({ ...CONFIG, enabled: false });
    for (let i = 0; i < 10; i++) off.record(true, false);
    assert.equal(off.tryAcquire().allowed, true);
  });
});

describe('circuit breaking through the gateway', () => {
  test('a hanging upstream opens the circuit: calls then fail at once with 503, and a good probe closes it', async (t) => {
    const gw = await startGateway([
      {
        id: 'alpha',
        command: process.execPath,
        args: [fixtures.modernStdio],
        timeout: 300,
        healthCheck: { enabled: false },
        circuitBreaker: { consecutiveFailures: 3, openSeconds: 1 },
      },
    ]);
    t.after(() => gw.stop());
    const timeouts = await Promise.all([1, 2, 3].map(() => gw.call('hang')));
    assert.deepEqual(timeouts.map((r) => r.status), [504, 504, 504]);
    const open = await gw.call('echo', { message: 'x' });
    assert.equal(open.status, 503);
    assert.equal(open.body.error.code, 'MCPGW_ERR_CIRCUIT_OPEN');
    assert.equal(open.body.error.data.retryAfterSeconds, 1);
    assert.equal((await gw.get('/api/v1/servers/alpha')).body.circuit, 'open');
    assert.match((await gw.get('/metrics')).text, /^mcp_gateway_server_circuit_open\{server="alpha"\} 1$/m);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const probe = await gw.call('echo', { message: 'probe' });
    assert.equal(probe.status, 200);
    assert.equal((await gw.get('/api/v1/health')).body.servers[0].circuit, 'closed');
    assert.match((await gw.get('/metrics')).text, /^mcp_gateway_server_circuit_open\{server="alpha"\} 0$/m);
  });
});

describe('retries', () => {
  test('an idempotent call whose upstream crashes is retried on the other replica; other calls never are', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpgw-retry-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const gw = await startGateway([
      {
        id: 'alpha',
        command: process.execPath,
        args: [fixtures.modernStdio],
        env: { FIXTURE_CRASH_ONCE_MARK: join(dir, 'crashed') },
        replicas: 2,
        retry: { attempts: 1, backoffMs: 10 },
        restart: { initialDelayMs: 50, maxDelayMs: 100 },
      },
    ]);
    t.after(() => gw.stop());
    const retried = await gw.call('crash_once');
    assert.equal(retried.status, 200, retried.text);
    assert.equal(retried.body.content[0].text, 'survived');
    await eventually(() => gw.get('/api/v1/servers/alpha'), (r) => r.body.restarts === 1);

    // "crash" is not annotated read-only or idempotent: one attempt, one crashed replica.
    await eventually(() => gw.get('/api/v1/servers/alpha'), (r) => r.body.replicas.every((replica: { ready: boolean }) => replica.ready));
    const once = await gw.call('crash');
    assert.equal(once.status, 502);
    assert.equal(once.body.error.code, 'MCPGW_ERR_UPSTREAM_CRASHED');
    await eventually(() => gw.get('/api/v1/servers/alpha'), (r) => r.body.restarts === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await gw.get('/api/v1/servers/alpha')).body.restarts, 2, 'the crash was not retried on the second replica');
  });
});

describe('connection gauges', () => {
  test('open 2025 sessions and 2026-07-28 listen streams are counted at scrape time', async (t) => {
    const { legacyClient } = await import('../policy/helpers.js');
    const gw = await startGateway([{ id: 'alpha', command: process.execPath, args: [fixtures.modernStdio] }]);
    t.after(() => gw.stop());
    assert.match((await gw.get('/metrics')).text, /^mcp_gateway_mcp_connections\{kind="session"\} 0$/m);
    const { client } = await legacyClient(gw.url, {});
    assert.match((await gw.get('/metrics')).text, /^mcp_gateway_mcp_connections\{kind="session"\} 1$/m);
    await client.close();
    await eventually(async () => (await gw.get('/metrics')).text, (text) => /^mcp_gateway_mcp_connections\{kind="session"\} 0$/m.test(text));
  });
});
