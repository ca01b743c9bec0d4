/**
 * Metrics the workers report over their MessagePort, through a real gateway
 * and real stdio upstreams: exact queue depth while calls are held in a
 * worker, per-thread figures for the main thread and every worker, and
 * aggregation across a worker restart (the successor's report replaces the
 * dead worker's, cumulative counters lose nothing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtures } from '../fixtures/paths.js';
import { eventually, startGateway, type RunningGateway } from '../helpers/gateway.js';
import { parsePrometheus, type Scrape } from '../helpers/prometheus.js';

const REPORT_WAIT_MS = 10_000;

async function scrape(gw: RunningGateway): Promise<Scrape> {
  const reply = await gw.get('/metrics');
  assert.equal(reply.status, 200);
  return parsePrometheus(reply.text);
}

/** The queue gauges of one replica, or undefined while it has no report. */
function queueOf(metrics: Scrape, server: string, replica = 0): { queued: number; running: number } | undefined {
  const labels = { server, replica: String(replica) };
  const queued = metrics.find('mcp_gateway_worker_queue_depth', labels);
  const running = metrics.find('mcp_gateway_worker_upstream_in_flight', labels);
  if (queued.length !== 1 || running.length !== 1) return undefined;
  return { queued: queued[0]!.value, running: running[0]!.value };
}

const THREAD_GAUGES = [
  'mcp_gateway_thread_event_loop_utilization',
  'mcp_gateway_thread_event_loop_lag_seconds',
  'mcp_gateway_thread_event_loop_lag_p99_seconds',
  'mcp_gateway_thread_event_loop_lag_max_seconds',
  'mcp_gateway_thread_heap_used_bytes',
  'mcp_gateway_thread_heap_total_bytes',
  'mcp_gateway_thread_rss_bytes',
];

test('queue depth is exact while calls are held in a worker, and survives the worker\'s restart as its successor\'s figures', async (t) => {
  const gw = await startGateway([
    { id: 'narrow', command: process.execPath, args: [fixtures.modernStdio], maxConcurrency: 1, maxQueue: 10, restart: { initialDelayMs: 50, maxDelayMs: 100, maxRestarts: 5, windowSeconds: 60 } },
  ]);
  t.after(() => gw.stop());
  assert.equal((await gw.call('echo', { message: 'before' }, 'narrow')).status, 200);

  // Idle first: a report exists and says nothing waits.
  const idle = await eventually(() => scrape(gw), (m) => queueOf(m, 'narrow') !== undefined, REPORT_WAIT_MS);
  assert.deepEqual(queueOf(idle, 'narrow'), { queued: 0, running: 0 });

  // Four calls on a server that runs one at a time: one at the upstream, three in the worker's queue.
  const held = [1, 2, 3, 4].map(() => gw.call('slow', { ms: 60_000 }, 'narrow'));
  const busy = await eventually(() => scrape(gw), (m) => queueOf(m, 'narrow')?.queued === 3, REPORT_WAIT_MS);
  assert.deepEqual(queueOf(busy, 'narrow'), { queued: 3, running: 1 });
  assert.equal(busy.value('mcp_gateway_calls_in_flight', { server: 'narrow' }), 4, 'the main thread sees all four dispatched');
  const json = (await gw.get('/api/v1/metrics')).body;
  assert.deepEqual(json.workers['narrow#0'], { server: 'narrow', replica: 0, queued: 3, running: 1 });

  // The worker dies: its four calls fail, it is restarted, and its successor reports under the same labels.
  await gw.gateway.supervisor.group('narrow')!.killReplica(0);
  for (const reply of await Promise.all(held)) assert.equal(reply.status, 502, reply.text);
  await eventually(() => gw.get('/api/v1/servers/narrow'), (r) => r.body.state === 'ready', REPORT_WAIT_MS);
  assert.equal((await gw.call('echo', { message: 'after' }, 'narrow')).status, 200);
  const healed = await eventually(() => scrape(gw), (m) => queueOf(m, 'narrow')?.queued === 0 && queueOf(m, 'narrow')?.running === 0, REPORT_WAIT_MS);
  assert.deepEqual(queueOf(healed, 'narrow'), { queued: 0, running: 0 });
  assert.equal(healed.find('mcp_gateway_worker_queue_depth', { server: 'narrow' }).length, 1, 'one series per replica, not one per worker that ever ran');
  assert.equal(healed.find('mcp_gateway_thread_heap_used_bytes', { thread: 'narrow#0' }).length, 1);

  // Cumulative counters are the main thread's: nothing from before the restart is lost.
  assert.equal(healed.value('mcp_gateway_server_restarts_total', { server: 'narrow' }), 1);
  assert.equal(healed.value('mcp_gateway_tool_calls_total', { server: 'narrow', tool: 'echo', outcome: 'ok' }), 2);
  assert.equal(healed.value('mcp_gateway_tool_calls_total', { server: 'narrow', tool: 'slow', outcome: 'upstream_error' }), 4);
  assert.equal(healed.value('mcp_gateway_tool_call_duration_seconds_count', { server: 'narrow', outcome: 'ok' }), 2);
  const after = (await gw.get('/api/v1/metrics')).body;
  assert.deepEqual({ calls: after.servers.narrow.calls, errors: after.servers.narrow.errors }, { calls: 6, errors: 4 });
  assert.deepEqual(after.workers['narrow#0'], { server: 'narrow', replica: 0, queued: 0, running: 0 });
});

test('every thread reports: main and each worker (replicas apart), with finite lag and sane memory', async (t) => {
  const gw = await startGateway([
    { id: 'solo', command: process.execPath, args: [fixtures.modernStdio] },
    { id: 'pair', command: process.execPath, args: [fixtures.modernStdio], replicas: 2 },
  ]);
  t.after(() => gw.stop());
  const expected = ['main', 'solo#0', 'pair#0', 'pair#1'];
  const threadsOf = (m: Scrape) => new Set(m.find('mcp_gateway_thread_heap_used_bytes').map((s) => s.labels.thread));
  const metrics = await eventually(() => scrape(gw), (m) => expected.every((thread) => threadsOf(m).has(thread)), REPORT_WAIT_MS);
  assert.deepEqual([...threadsOf(metrics)].sort(), [...expected].sort());
  for (const thread of expected) {
    for (const name of THREAD_GAUGES) {
      const value = metrics.value(name, { thread });
      assert.ok(Number.isFinite(value) && value >= 0, `${name}{thread="${thread}"} = ${value}`);
    }
    const lag = ['', '_p99', '_max'].map((stat) => metrics.value(`mcp_gateway_thread_event_loop_lag${stat}_seconds`, { thread }));
    assert.ok(lag[0]! <= lag[2]! && lag[1]! <= lag[2]!, `mean and p99 lag within the max for ${thread}: ${lag.join(', ')}`);
    const used = metrics.value('mcp_gateway_thread_heap_used_bytes', { thread });
    assert.ok(used > 0 && used <= metrics.value('mcp_gateway_thread_heap_total_bytes', { thread }), `heap of ${thread}`);
    assert.ok(metrics.value('mcp_gateway_thread_rss_bytes', { thread }) >= used, `rss of ${thread}`);
  }
  for (const [server, replica] of [['solo', 0], ['pair', 0], ['pair', 1]] as const) assert.deepEqual(queueOf(metrics, server, replica), { queued: 0, running: 0 });

  const json = (await gw.get('/api/v1/metrics')).body;
  assert.deepEqual(Object.keys(json.threads).sort(), [...expected].sort());
  assert.deepEqual(Object.keys(json.workers).sort(), ['pair#0', 'pair#1', 'solo#0']);
  for (const sample of Object.values(json.threads) as Record<string, number>[]) {
    assert.deepEqual(Object.keys(sample).sort(), ['heapTotalBytes', 'heapUsedBytes', 'lagMaxSeconds', 'lagMeanSeconds', 'lagP99Seconds', 'rssBytes', 'utilization']);
    for (const value of Object.values(sample)) assert.ok(Number.isFinite(value) && value >= 0);
  }
});
