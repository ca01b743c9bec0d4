import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../../src/observability/series-metrics.js';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

test('a series histogram writes what prom-client writes for the same observations', async () => {
  const reference = new Registry();
  const ours = new Registry();
  const histogram = new Histogram({ name: 'calls_seconds', help: 'Call time.', labelNames: ['server', 'outcome'], buckets: BOUNDS, registers: [reference] });
  const series = new SeriesHistogram('calls_seconds', 'Call time.', BOUNDS, ours);
  // On bounds, between them, past the last one, zero; two label sets, one with a value to escape.
  const values = [0, 0.0005, 0.0006, 0.001, 0.3, 1, 59.9, 60, 61, 1e6, 0.02];
  for (const [i, value] of values.entries()) {
    const labels = i % 3 === 0 ? { server: 'docs', outcome: 'ok' } : { server: 'we"b\\', outcome: 'timeout' };
    histogram.observe(labels, value);
    series.series(`${labels.server}\0${labels.outcome}`, () => labels).observe(value);
  }
  assert.equal(await ours.metrics(), await reference.metrics());
});

test('a series counter writes what prom-client writes, and a series is made once per key', async () => {
  const reference = new Registry();
  const ours = new Registry();
  const counter = new Counter({ name: 'calls_total', help: 'Calls.', labelNames: ['server', 'tool', 'outcome'], registers: [reference] });
  const series = new SeriesCounter('calls_total', 'Calls.', ours);
  let made = 0;
  for (let i = 0; i < 10; i++) {
    const labels = { server: 'docs', tool: i % 2 ? 'search' : 'fetch', outcome: i % 5 ? 'ok' : 'upstream_error' };
    counter.inc(labels);
    series
      .series(`${labels.server}\0${labels.tool}\0${labels.outcome}`, () => {
        made++;
        return labels;
      })
      .value++;
  }
  assert.equal(made, 4);
  assert.equal(await ours.metrics(), await reference.metrics());
  series.reset();
  assert.equal(await ours.metrics(), '# HELP calls_total Calls.\n# TYPE calls_total counter\n');
});
