import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyWindow } from '../../src/observability/latency-window.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** HDR histograms keep 2 significant digits: above ~256 ms a value reads back within 1%. */
function near(actual: number | undefined, expected: number): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= expected * 0.01, `${actual} is not within 1% of ${expected}`);
}

test('p50/p95/p99 over known latencies', () => {
  const window = new LatencyWindow();
  for (let ms = 1; ms <= 100; ms++) window.record(ms, T0 + ms);
  assert.deepEqual(window.percentiles(T0 + 1000, LatencyWindow.scratch()), { p50: 50, p95: 95, p99: 99, samples: 100 });
});

test('percentiles cover the last one to two minutes, then forget', () => {
  const window = new LatencyWindow();
  const scratch = LatencyWindow.scratch();
  for (let i = 0; i < 10; i++) window.record(1000, T0 + i);
  // The next minute: a fast call; both minutes count.
  window.record(2, T0 + 61_000);
  assert.equal(window.percentiles(T0 + 61_000, scratch)?.samples, 11);
  near(window.percentiles(T0 + 61_000, scratch)?.p50, 1000);
  // Two minutes on, the slow minute is gone.
  assert.deepEqual(window.percentiles(T0 + 121_000, scratch), { p50: 2, p95: 2, p99: 2, samples: 1 });
  assert.equal(window.percentiles(T0 + 181_000, scratch), null);
  // A call after a long silence does not resurrect old samples.
  window.record(7, T0 + 600_000);
  assert.deepEqual(window.percentiles(T0 + 600_001, scratch), { p50: 7, p95: 7, p99: 7, samples: 1 });
});

test('latencies beyond an hour count as an hour, negative ones as zero', () => {
  const window = new LatencyWindow();
  window.record(10 * 3_600_000, T0);
  window.record(-5, T0);
  const found = window.percentiles(T0, LatencyWindow.scratch());
  assert.equal(found?.samples, 2);
  assert.equal(found?.p50, 0);
  near(found?.p99, 3_600_000);
});
