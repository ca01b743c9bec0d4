/**
 * The supervisor under failure and load, with real upstream processes:
 * timeouts, crashes mid-call, servers that never start, health checks,
 * concurrency queues, replicas, graceful stop, and process hygiene.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fixtures, wrapperScript } from '../fixtures/paths.js';
import { eventually, processesWithMark, startGateway } from '../helpers/gateway.js';

const modern = (id: string, extra: Record<string, unknown> = {}) => ({ id, command: process.execPath, args: [fixtures.modernStdio], env: { FIXTURE_NAME: id }, ...extra });

describe('timeouts and cancellation', () => {
  test('a call over its timeout gets 504, is cancelled upstream, and frees its slot', async () => {
    const gw = await startGateway([modern('slowpoke', { timeout: 400, maxConcurrency: 1, maxQueue: 0 })]);
    try {
      const started = Date.now();
      const hung = await gw.call('hang', {});
      assert.equal(hung.status, 504);
      assert.equal(hung.body.error.code, 'MCPGW_ERR_TIMEOUT');
      assert.match(hung.body.error.message, /timed out after 400 ms/);
      assert.ok(Date.now() - started < 5000);
      // maxConcurrency 1 and no queue: this only succeeds if the timed-out call gave its slot back.
      const next = await gw.call('echo', { message: 'slot is free' });
      assert.equal(next.status, 200, JSON.stringify(next.body));
      const log = await gw.get('/api/v1/requests?tool=hang');
      assert.equal(log.body.requests[0].errorCode, 'MCPGW_ERR_TIMEOUT');
      const metrics = await gw.get('/api/v1/metrics?format=prometheus');
      assert.match(metrics.text, /mcp_gateway_tool_calls_total\{server="slowpoke",tool="hang",outcome="timeout"\} 1/);
    } finally {
      await gw.stop();
    }
  });

  test('a client that disconnects mid-call cancels the upstream call and frees the slot', async () => {
    const gw = await startGateway([modern('cancel-me', { maxConcurrency: 1, maxQueue: 0, timeout: 30_000 })]);
    try {
      const controller = new AbortController();
      const pending = fetch(gw.url + '/api/v1/tools/call', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tool: 'slow', arguments: { ms: 20_000 } }), signal: controller.signal });
      await eventually(() => gw.get('/api/v1/servers/cancel-me'), (r) => r.body.inFlight === 1);
      controller.abort();
      await assert.rejects(pending);
      const freed = await eventually(() => gw.get('/api/v1/servers/cancel-me'), (r) => r.body.inFlight === 0);
      assert.equal(freed.body.inFlight, 0);
      assert.equal((await gw.call('echo', { message: 'free again' })).status, 200);
    } finally {
      await gw.stop();
    }
  });
});

describe('crashes and restarts', () => {
  test('an upstream that crashes mid-call fails only its calls (502), restarts, and counts the restart', async () => {
    const gw = await startGateway([modern('crashy', { restart: { initialDelayMs: 50, maxDelayMs: 200, maxRestarts: 5, windowSeconds: 60 } }), modern('steady')]);
    try {
      const crashed = await gw.call('crash', {}, 'crashy');
      assert.equal(crashed.status, 502);
      assert.equal(crashed.body.error.code, 'MCPGW_ERR_UPSTREAM_CRASHED');
      assert.match(crashed.body.error.message, /crashy/);
      assert.equal((await gw.call('echo', { message: 'unaffected' }, 'steady')).status, 200);
      const healed = await eventually(() => gw.get('/api/v1/health'), (r) => r.body.servers.find((s: any) => s.id === 'crashy').state === 'ready');
      const crashy = healed.body.servers.find((s: any) => s.id === 'crashy');
      assert.equal(crashy.state, 'ready');
      assert.equal(crashy.restarts, 1);
      assert.equal((await gw.call('echo', { message: 'back' }, 'crashy')).body.content[0].text, 'back');
    } finally {
      await gw.stop();
    }
  });

  test('a killed worker thread fails its calls cleanly, is restarted, and leaves no upstream process behind', async () => {
    const gw = await startGateway([modern('victim', { restart: { initialDelayMs: 50, maxDelayMs: 100, maxRestarts: 5, windowSeconds: 60 } }), modern('bystander')]);
    try {
      const before = processesWithMark(gw.mark);
      assert.equal(before.length, 2);
      const inFlight = gw.call('slow', { ms: 10_000 }, 'victim');
      await eventually(() => gw.get('/api/v1/servers/victim'), (r) => r.body.inFlight === 1);
      await gw.gateway.supervisor.group('victim')!.killReplica(0);
      const failed = await inFlight;
      assert.equal(failed.status, 502);
      assert.equal(failed.body.error.code, 'MCPGW_ERR_UPSTREAM_CRASHED');
      assert.equal((await gw.call('echo', { message: 'fine' }, 'bystander')).status, 200);
      const healed = await eventually(() => gw.get('/api/v1/servers/victim'), (r) => r.body.state === 'ready');
      assert.equal(healed.body.restarts, 1);
      // The old upstream process was reaped; exactly one per server again.
      const after = await eventually(() => processesWithMark(gw.mark), (pids) => pids.length === 2);
      assert.equal(after.length, 2);
    } finally {
      await gw.stop();
    }
  });

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
