import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ThreadSampler, type ThreadSample } from '../../src/observability/thread-stats.js';

const INTERVAL_MS = 50;
/**
 * For tests that need an interval to read as idle: "busy" is 5 % of the interval, and on a loaded
 * machine a GC or a preemption is 2.5 ms of a 50 ms one.
 */
const IDLE_PROOF_INTERVAL_MS = 200;

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // holding the event loop, as a slow synchronous handler would
  }
}

/** A sampler on a short interval, its samples collected, stopped when the test ends. */
function sampling(t: { after: (fn: () => void) => void }, intervalMs = INTERVAL_MS): { samples: ThreadSample[]; sampler: ThreadSampler } {
  const samples: ThreadSample[] = [];
  const sampler = new ThreadSampler((sample) => samples.push(sample), intervalMs);
  t.after(() => sampler.stop());
  return { samples, sampler };
}

test('an idle thread is sampled by its report timer alone: no fine lag timer, next to no utilization', async (t) => {
  const { samples, sampler } = sampling(t, IDLE_PROOF_INTERVAL_MS);
  assert.equal(samples.length, 1, 'one sample at once');
  await delay(IDLE_PROOF_INTERVAL_MS * 8);
  // The first intervals hold the test file's own start-up.
  const idle = samples.slice(-3);
  assert.ok(samples.length >= 6, `${samples.length} samples`);
  assert.equal(sampler.watchingLag, false);
  for (const sample of idle) {
    assert.ok(sample.utilization >= 0 && sample.utilization < 0.05, `utilization ${sample.utilization}`);
    assert.ok(sample.lagMeanSeconds === sample.lagMaxSeconds && sample.lagP99Seconds === sample.lagMaxSeconds, 'one reading: the report timer');
    assert.ok(sample.heapUsedBytes > 0 && sample.heapUsedBytes <= sample.heapTotalBytes && sample.rssBytes >= sample.heapUsedBytes);
  }
});

test('a stall on an idle thread still shows as lag: the report timer runs late', async (t) => {
  const { samples } = sampling(t);
  await delay(INTERVAL_MS * 2);
  spin(300);
  await delay(INTERVAL_MS * 2);
  const worst = Math.max(...samples.map((sample) => sample.lagMaxSeconds));
  assert.ok(worst >= 0.2, `a 300 ms stall on a ${INTERVAL_MS} ms report interval shows ${worst} s of lag`);
});

test('a busy thread gets the fine lag timer, and drops it once idle again', async (t) => {
  const { samples, sampler } = sampling(t, IDLE_PROOF_INTERVAL_MS);
  // Busy: 30 ms of every 40 ms spent in synchronous work.
  const busy = setInterval(() => spin(30), 40);
  await delay(IDLE_PROOF_INTERVAL_MS * 6);
  clearInterval(busy);
  assert.equal(sampler.watchingLag, true);
  const loaded = samples.slice(-2);
  for (const sample of loaded) assert.ok(sample.utilization > 0.3, `utilization under load ${sample.utilization}`);
  // A 10 ms timer behind 30 ms handlers waits for them: the fine histogram sees it.
  assert.ok(loaded.some((sample) => sample.lagMeanSeconds > 0.002), `lag under load ${loaded.map((s) => s.lagMeanSeconds).join(', ')}`);
  await delay(IDLE_PROOF_INTERVAL_MS * 4);
  assert.equal(sampler.watchingLag, false);
  assert.ok(samples.at(-1)!.utilization < 0.05, `utilization once idle ${samples.at(-1)!.utilization}`);
});
