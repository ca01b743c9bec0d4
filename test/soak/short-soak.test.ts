/**
 * The soak's 30-second version, in CI: mixed load on a real gateway process in
 * front of real upstreams, with a crash and a killed worker injected (one
 * every 10 s). It must end with no error that an injected restart does not
 * explain, every server ready, and no process left; the memory figures are
 * printed as diagnostics, not judged (`npm run soak` runs the long version).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport } from './report.js';
import { runSoak } from './soak.js';

test('30 s of mixed load with injected restarts: no unexpected error, healthy at the end, nothing left behind', { timeout: 180_000 }, async (t) => {
  const report = await runSoak({ durationMs: 30_000, restartEveryMs: 10_000 });
  for (const line of formatReport(report).split('\n')) t.diagnostic(line);

  assert.ok(report.totalCalls > 100, `only ${report.totalCalls} calls were made`);
  for (const op of ['rest_call', 'mcp_modern_call', 'mcp_legacy_call', 'rest_list', 'mcp_modern_list', 'mcp_legacy_list', 'legacy_get_stream', 'modern_listen_stream', 'legacy_session_churn'] as const) {
    assert.ok((report.calls[op] ?? 0) > 0, `no ${op} was made`);
  }
  assert.deepEqual(report.injections.map((i) => i.kind), ['crash-tool', 'kill-replica'], 'both kinds of restart were injected');
  assert.ok(report.injections.every((i) => i.to !== undefined), 'every injected restart recovered');
  const unexpected = report.errors.filter((e) => !e.expected);
  assert.deepEqual(unexpected, [], 'errors no injected restart explains');
  assert.equal(report.healthyAtEnd, true, JSON.stringify(report.healthAtEnd));
  assert.deepEqual(report.leftovers, [], 'processes left after the gateway stopped');
});
