import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayMetrics } from '../../src/observability/metrics.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function metrics(gauges: { id: string; inFlight: number; tools: number; up: boolean }[] = []): GatewayMetrics {
  return new GatewayMetrics({ serverGauges: () => gauges }, { defaultMetrics: false, now: T0 - 3_600_000 });
}

test('per server and per tool: counts, rates and recent percentiles after known calls', () => {
  const m = metrics([
    { id: 'docs', inFlight: 2, tools: 5, up: true },
    { id: 'idle', inFlight: 0, tools: 1, up: false },
  ]);
  // 60 calls over the last minute on docs/search, 1..60 ms, every tenth a tool error; 3 on docs/fetch.
  for (let i = 1; i <= 60; i++) m.recordCall('docs', 'search', i % 10 === 0 ? 'tool_error' : 'ok', i, i - 1, 'ann', T0 - 60_000 + i * 900);
  for (let i = 0; i < 3; i++) m.recordCall('docs', 'fetch', 'timeout', 1000, 0, 'bob', T0 - 1000);
  m.recordCall(null, 'nope', 'client_error', 1, 0, 'bob', T0 - 500);
  const summary = m.summary(T0);

  assert.deepEqual({ calls: summary.totals.calls, errors: summary.totals.errors }, { calls: 64, errors: 10 });
  const search = summary.tools['docs__search']!;
  assert.deepEqual({ server: search.server, tool: search.tool }, { server: 'docs', tool: 'search' });
  assert.deepEqual({ calls: search.calls, errors: search.errors, errorRate: search.errorRate }, { calls: 60, errors: 6, errorRate: 0.1 });
  assert.deepEqual(search.latencyMs, { p50: 30, p95: 57, p99: 60, samples: 60 });
  // The minute's calls over the 55-60 s the 1-minute window spans, and over 5/15 minutes (the gateway has been up an hour).
  assert.ok(search.rates['1m'] >= 1 && search.rates['1m'] <= 60 / 55, String(search.rates['1m']));
  assert.equal(search.rates['5m'], Math.round((60 / 295) * 1000) / 1000);
  assert.equal(search.rates['15m'], Math.round((60 / 895) * 1000) / 1000);
  // Two significant digits: 1000 ms reads back within 1%.
  const fetch = summary.tools['docs__fetch']!.latencyMs!;
  assert.equal(fetch.samples, 3);
  for (const p of [fetch.p50, fetch.p95, fetch.p99]) assert.ok(p >= 1000 && p <= 1010, String(p));

  const docs = summary.servers.docs as unknown as Record<string, unknown>;
  assert.deepEqual({ calls: docs.calls, errors: docs.errors, up: docs.up, inFlight: docs.inFlight, tools: docs.tools }, { calls: 63, errors: 9, up: true, inFlight: 2, tools: 5 });
  // A configured server no call reached is listed with its gauges.
  assert.deepEqual(summary.servers.idle, { calls: 0, errors: 0, errorRate: 0, avgLatencyMs: 0, maxLatencyMs: 0, rates: { '1m': 0, '5m': 0, '15m': 0 }, latencyMs: null, up: false, inFlight: 0, tools: 1 });
  // Unroutable calls count under "none", and never as a tool.
  assert.equal((summary.servers.none as { calls: number }).calls, 1);
  assert.deepEqual(Object.keys(summary.tools).sort(), ['docs__fetch', 'docs__search']);

  assert.deepEqual(summary.callers, { ann: { calls: 60, errors: 6, rateLimited: 0 }, bob: { calls: 4, errors: 4, rateLimited: 0 } });
  assert.equal(summary.uptimeSeconds, 3600);
});

test('front-door refusals by reason and caller, most first; rate-limited calls per caller', () => {
  const m = metrics();
  for (let i = 0; i < 3; i++) m.recordRefusal('rate_limited', 'ci-bot');
  m.recordRefusal('rate_limited', 'ann');
  m.recordRefusal('unauthorized');
  m.recordCall('docs', 'create', 'rate_limited', 0, 0, 'ann', T0);
  const summary = m.summary(T0);
  assert.deepEqual(summary.refusals, [
    { reason: 'rate_limited', caller: 'ci-bot', count: 3 },
    { reason: 'rate_limited', caller: 'ann', count: 1 },
    { reason: 'unauthorized', caller: 'none', count: 1 },
  ]);
  assert.deepEqual(summary.callers.ann, { calls: 1, errors: 1, rateLimited: 1 });
});

test('percentiles forget calls older than two minutes; lifetime figures keep them', () => {
  const m = metrics();
  m.recordCall('docs', 'search', 'ok', 500, 0, 'ann', T0);
  const later = m.summary(T0 + 180_000).tools['docs__search']!;
  assert.equal(later.latencyMs, null);
  assert.deepEqual({ calls: later.calls, avg: later.avgLatencyMs, max: later.maxLatencyMs }, { calls: 1, avg: 500, max: 500 });
  assert.equal(later.rates['1m'], 0);
  assert.ok(later.rates['15m'] > 0);
});
