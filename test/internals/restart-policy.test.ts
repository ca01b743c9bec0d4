import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RestartConfig } from '../../src/config/types.js';
import { RestartPolicy, type RestartDecision } from '../../src/supervisor/restart-policy.js';

const config: RestartConfig = { maxRestarts: 10, windowSeconds: 60, initialDelayMs: 100, maxDelayMs: 1000 };
/** The largest value Math.random can return is just below 1. */
const ALMOST_ONE = 1 - Number.EPSILON;

function delayOf(decision: RestartDecision): number {
  assert.ok(decision.restart, `expected a restart, got: ${decision.restart ? '' : decision.reason}`);
  return decision.delayMs;
}

/** Delays of `count` restarts one second apart, all inside the window. */
function delays(policy: RestartPolicy, count: number, start = 0): number[] {
  return Array.from({ length: count }, (_, i) => delayOf(policy.decide(start + i * 1000)));
}

test('the backoff ceiling doubles from initialDelayMs and is capped at maxDelayMs', () => {
  assert.deepEqual(delays(new RestartPolicy(config, () => ALMOST_ONE), 7), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('jitter never goes below half the ceiling', () => {
  assert.deepEqual(delays(new RestartPolicy(config, () => 0), 7), [50, 100, 200, 400, 500, 500, 500]);
});

test('any random value keeps each delay within [ceiling/2, ceiling]', () => {
  const ceilings = [100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000];
  for (const r of [0, 0.1, 0.25, 0.5, 0.75, 0.9, ALMOST_ONE]) {
    const got = delays(new RestartPolicy(config, () => r), ceilings.length);
    got.forEach((delay, i) => {
      const ceiling = ceilings[i]!;
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `random ${r}, restart ${i + 1}: ${delay} not in [${ceiling / 2}, ${ceiling}]`);
    });
    // Jitter is a fraction of the ceiling, not a fixed amount.
    assert.equal(got[0], Math.round(50 + r * 50));
  }
});

test('gives up once maxRestarts restarts fall within the window, naming the numbers', () => {
  const policy = new RestartPolicy({ ...config, maxRestarts: 3 }, () => 0);
  assert.equal(delays(policy, 3).length, 3);
  assert.equal(policy.recentRestarts, 3);
  const decision = policy.decide(3000);
  assert.equal(decision.restart, false);
  assert.match(decision.restart ? '' : decision.reason, /\b3 restarts within 60 s\b/);
  // And stays given up while those restarts are in the window.
  assert.equal(policy.decide(4000).restart, false);
  assert.equal(policy.recentRestarts, 3, 'a refusal is not counted as a restart');
});

test('maxRestarts 0 gives up on the first crash', () => {
  const decision = new RestartPolicy({ ...config, maxRestarts: 0 }).decide(0);
  assert.equal(decision.restart, false);
  assert.match(decision.restart ? '' : decision.reason, /\b0 restarts within 60 s\b/);
});

test('restarts older than the window are forgotten', () => {
  const policy = new RestartPolicy({ ...config, maxRestarts: 3, windowSeconds: 10 }, () => 0);
  delays(policy, 3); // at 0, 1000, 2000
  assert.equal(policy.decide(9_999).restart, false, 'the first restart is still 1 ms inside the window');
  // At 10 000 the restart at 0 is exactly windowSeconds old: out. Two remain, so this is the third attempt.
  assert.equal(delayOf(policy.decide(10_000)), 200);
  assert.equal(policy.recentRestarts, 3);
  assert.equal(policy.decide(10_500).restart, false);
});

test('after a quiet window the backoff starts again from initialDelayMs', () => {
  const policy = new RestartPolicy({ ...config, maxRestarts: 3, windowSeconds: 10 }, () => ALMOST_ONE);
  assert.deepEqual(delays(policy, 3), [100, 200, 400]);
  assert.deepEqual(delays(policy, 3, 60_000), [100, 200, 400]);
});

test('initialDelayMs 0 restarts at once', () => {
  assert.deepEqual(delays(new RestartPolicy({ ...config, initialDelayMs: 0 }, () => ALMOST_ONE), 3), [0, 0, 0]);
});
