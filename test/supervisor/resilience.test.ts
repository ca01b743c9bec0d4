/**
 * The supervisor under failure and load, with real upstream processes:
 * servers that never start, health checks, concurrency queues, replicas,
 * graceful stop, and process hygiene. Faults of a running upstream (hangs,
 * crashes mid-call, garbage, huge answers, killed workers, client
 * disconnects…) are in test/faults/.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtures, wrapperScript } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway } from '../helpers/gateway.js';

const modern = (id: string, extra: Record<string, unknown> = {}) => ({ id, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: id }, ...extra });

describe('crashes and restarts', () => {
  test('an upstream that never starts is reported with its reason and ends up failed', async () => {
    const gw = await startGateway([
      { id: 'broken', command: process.execPath, args: [fixtures.neverStarts], restart: { initialDelayMs: 20, maxDelayMs: 40, maxRestarts: 2, windowSeconds: 60 } },
      modern('fine'),
    ]);
    try {
      const broken = gw.report.servers.find((s) => s.id === 'broken')!;
      assert.equal(broken.ok, false);
      assert.match(broken.reason ?? '', /exited with code 3/);
      assert.match(broken.reason ?? '', /cannot start/);
      assert.equal(gw.report.servers.find((s) => s.id === 'fine')!.ok, true);
      const health = await eventually(() => gw.get('/api/v1/health'), (r) => r.body.servers.find((s: any) => s.id === 'broken').state === 'failed');
      const entry = health.body.servers.find((s: any) => s.id === 'broken');
      assert.equal(entry.state, 'failed');
      assert.match(entry.lastError, /gave up after 2 restarts/);
      assert.equal(health.body.status, 'degraded');
      const call = await gw.call('echo', { message: 'x' }, 'broken');
      assert.equal(call.status, 503);
      assert.equal(call.body.error.code, 'MCPGW_ERR_SERVER_UNAVAILABLE');
      assert.match(call.body.error.message, /failed/);
    } finally {
      await gw.stop();
    }
  });

  test('a command that does not exist fails with a clear reason', async () => {
    const gw = await startGateway([{ id: 'ghost', command: '/nonexistent/mcp-server', restart: { maxRestarts: 0, initialDelayMs: 10, maxDelayMs: 10, windowSeconds: 60 } }]);
    try {
      const entry = gw.report.servers[0]!;
      assert.equal(entry.ok, false);
      assert.match(entry.reason ?? '', /could not start "\/nonexistent\/mcp-server"|ENOENT/);
    } finally {
      await gw.stop();
    }
  });

  test('a silent upstream (never answers the handshake) fails its start within startupTimeoutMs', async () => {
    const gw = await startGateway([{ id: 'mute', command: process.execPath, args: [fixtures.silent], startupTimeoutMs: 1500, restart: { maxRestarts: 0, initialDelayMs: 10, maxDelayMs: 10, windowSeconds: 60 } }]);
    try {
      const entry = gw.report.servers[0]!;
      assert.equal(entry.ok, false);
      assert.match(entry.reason ?? '', /1500 ms|timed out/i);
      await eventually(() => processesWithMark(gw.mark), (pids) => pids.length === 0);
      assert.deepEqual(processesWithMark(gw.mark), []);
    } finally {
      await gw.stop();
    }
  });

  test('a hung upstream misses its health checks, is marked unhealthy and replaced', async () => {
    const gw = await startGateway([modern('frozen', { healthCheck: { enabled: true, intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 1 }, restart: { initialDelayMs: 50, maxDelayMs: 100, maxRestarts: 5, windowSeconds: 60 } })]);
    try {
      const [pid] = processesWithMark(gw.mark);
      assert.ok(pid);
      process.kill(pid, 'SIGSTOP');
      const replaced = await eventually(() => gw.get('/api/v1/servers/frozen'), (r) => r.body.restarts >= 1 && r.body.state === 'ready', 15_000);
      assert.equal(replaced.body.restarts, 1);
      assert.equal(replaced.body.state, 'ready');
      // The stopped process was killed with its group (SIGKILL works on stopped processes).
      const pids = await eventually(() => processesWithMark(gw.mark), (list) => !list.includes(pid));
      assert.ok(!pids.includes(pid));
    } finally {
      await gw.stop();
    }
  });
});

describe('concurrency, replicas and stopping', () => {
  test('maxConcurrency queues calls; a full queue answers 503 at once', async () => {
    const gw = await startGateway([modern('narrow', { maxConcurrency: 1, maxQueue: 1 })]);
    try {
      const calls = [gw.call('slow', { ms: 400 }), gw.call('slow', { ms: 10 })];
      await eventually(() => gw.get('/api/v1/servers/narrow'), (r) => r.body.inFlight === 2);
      const refused = await gw.call('echo', { message: 'no room' });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'MCPGW_ERR_QUEUE_FULL');
      for (const answer of await Promise.all(calls)) assert.equal(answer.status, 200);
      const log = await gw.get('/api/v1/requests?tool=slow');
      const queued = log.body.requests.map((r: any) => r.queuedMs).sort((a: number, b: number) => a - b);
      assert.ok(queued[1] >= 300, `second call waited ${queued[1]} ms`);
    } finally {
      await gw.stop();
    }
  });

  test('replicas each run their own upstream and calls spread to the least loaded', async () => {
    const gw = await startGateway([modern('wide', { replicas: 2, maxConcurrency: 1, maxQueue: 0 })]);
    try {
      assert.equal(processesWithMark(gw.mark).length, 2);
      const calls = [gw.call('slow', { ms: 500 }), gw.call('slow', { ms: 500 })];
      const busy = await eventually(() => gw.get('/api/v1/servers/wide'), (r) => r.body.replicas.every((replica: any) => replica.inFlight === 1));
      assert.deepEqual(busy.body.replicas.map((replica: any) => replica.inFlight), [1, 1]);
      for (const answer of await Promise.all(calls)) assert.equal(answer.status, 200);
    } finally {
      await gw.stop();
    }
  });

  test('--workers N gives every server N replicas', async () => {
    const gw = await startGateway([modern('multi')], { workers: 3 });
    try {
      const { body } = await gw.get('/api/v1/servers/multi');
      assert.equal(body.replicas.length, 3);
      assert.ok(body.replicas.every((replica: any) => replica.ready));
      assert.equal(processesWithMark(gw.mark).length, 3);
    } finally {
      await gw.stop();
    }
  });

  test('a graceful stop lets calls in flight finish and refuses new ones', async () => {
    const gw = await startGateway([modern('draining')]);
    const inFlight = gw.call('slow', { ms: 600 });
    await eventually(() => gw.get('/api/v1/servers/draining'), (r) => r.body.inFlight === 1);
    const stopping = gw.stop();
    const answer = await inFlight;
    assert.equal(answer.status, 200);
    assert.equal(answer.body.content[0].text, 'slept 600 ms');
    await stopping;
    assert.deepEqual(processesWithMark(gw.mark), []);
  });

  test('no process is left after stop, including a grandchild of a wrapper script', async () => {
    const gw = await startGateway([{ id: 'wrapped', command: wrapperScript }]);
    assert.equal(gw.report.servers[0]!.ok, true, gw.report.servers[0]!.reason);
    assert.equal((await gw.call('echo', { message: 'through a shell' })).status, 200);
    // sh, node and the background sleep all carry the mark.
    assert.ok(processesWithMark(gw.mark).length >= 3, `found ${processesWithMark(gw.mark).length}`);
    await gw.stop();
    const left = await eventually(() => processesWithMark(gw.mark), (pids) => pids.length === 0, 5000);
    assert.deepEqual(left, []);
  });
});
