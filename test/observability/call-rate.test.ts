import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallRate } from '../../src/observability/call-rate.js';

// On a 5-second bucket boundary, so the spans below are exact.
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const LONG_AGO = T0 - 24 * 3_600_000;
const s = (seconds: number) => T0 + seconds * 1000;
/** Calls per second as reported: three decimals. */
const r = (calls: number, seconds: number) => Math.round((calls / seconds) * 1000) / 1000;

test('exact counts over 1, 5 and 15 minutes, divided by the span they were counted over', () => {
  const rate = new CallRate();
  // 30 calls 10 minutes ago, 60 calls 3 minutes ago, 12 calls in the last 30 s.
  for (let i = 0; i < 30; i++) rate.record(s(-600 + i));
  for (let i = 0; i < 60; i++) rate.record(s(-180 + i));
  for (let i = 0; i < 12; i++) rate.record(s(-30 + i));
  // Two seconds into a 5-second bucket: each window is its full buckets before plus those 2 s.
  assert.deepEqual(rate.rates(s(2), LONG_AGO), { '1m': r(12, 57), '5m': r(72, 297), '15m': r(102, 897) });
  // Just as a bucket begins, the window is its full buckets alone (55 s for the minute).
  assert.deepEqual(rate.rates(s(0), LONG_AGO), { '1m': r(12, 55), '5m': r(72, 295), '15m': r(102, 895) });
});

test('windows slide: calls older than a window stop counting in it', () => {
  const rate = new CallRate();
  for (let i = 0; i < 6; i++) rate.record(s(i));
  // 2 minutes on, the 1-minute window is empty; 20 minutes on, all of them are.
  assert.equal(rate.rates(s(125), LONG_AGO)['1m'], 0);
  assert.ok(rate.rates(s(125), LONG_AGO)['5m'] > 0);
  assert.deepEqual(rate.rates(s(1200), LONG_AGO), { '1m': 0, '5m': 0, '15m': 0 });
  // And the ring is reused cleanly after the long gap.
  rate.record(s(1200));
  assert.deepEqual(rate.rates(s(1201), LONG_AGO), { '1m': r(1, 56), '5m': r(1, 296), '15m': r(1, 896) });
});

test('a young gateway reports its rate over its own uptime, not diluted by time it did not run', () => {
  const rate = new CallRate();
  for (let i = 0; i < 20; i++) rate.record(s(i / 2));
  assert.deepEqual(rate.rates(s(10), s(0)), { '1m': 2, '5m': 2, '15m': 2 });
});

test('a clock stepping back counts into the newest bucket', () => {
  const rate = new CallRate();
  rate.record(s(30));
  rate.record(s(10));
  assert.equal(rate.rates(s(31), LONG_AGO)['15m'], r(2, 896));
});
