#!/usr/bin/env node
/**
 * What counting one finished call costs on the hot path: GatewayMetrics.recordCall
 * alone, and CallRecorder.record (metrics plus the request log entry), over a
 * rotating mix of 3 servers x 10 tools x 20 callers and mixed outcomes.
 *
 *   npm run build && node bench/micro/record-call.mjs [--calls 200000] [--rounds 7]
 *
 * Prints the median µs per call over the rounds (after a warm-up round). A
 * figure for comparing builds on one machine, never an assertion anywhere.
 */
const { GatewayMetrics } = await import(new URL('../../dist/src/observability/metrics.js', import.meta.url));
const { RequestLog } = await import(new URL('../../dist/src/observability/request-log.js', import.meta.url));
const { CallRecorder } = await import(new URL('../../dist/src/observability/call-recorder.js', import.meta.url));

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const CALLS = option('calls', 200_000);
const ROUNDS = option('rounds', 7);
const SERVERS = ['docs', 'web', 'files'];
const TOOLS = Array.from({ length: 10 }, (_, i) => `tool_${i}`);
const CALLERS = Array.from({ length: 20 }, (_, i) => `key-${i}`);
const OUTCOMES = ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'tool_error', 'ok', 'timeout', 'ok'];
const noGauges = { serverGauges: () => [] };

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(label, once) {
  const perCall = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) once(i);
    const elapsedNs = Number(process.hrtime.bigint() - started);
    if (round > 0) perCall.push(elapsedNs / CALLS / 1000);
  }
  console.log(`${label.padEnd(34)} ${median(perCall).toFixed(3)} µs/call (median of ${ROUNDS} rounds of ${CALLS}; min ${Math.min(...perCall).toFixed(3)})`);
}

const metrics = new GatewayMetrics(noGauges, { defaultMetrics: false });
measure('GatewayMetrics.recordCall', (i) => metrics.recordCall(SERVERS[i % 3], TOOLS[i % 10], OUTCOMES[i % 10], 1 + (i % 250), i % 200, CALLERS[i % 20]));

const monitor = { requestLog: true, prometheus: true, retentionHours: 24, maxEntries: 10_000 };
const recorder = new CallRecorder(new GatewayMetrics(noGauges, { defaultMetrics: false }), new RequestLog(monitor));
const base = Date.now();
measure('CallRecorder.record', (i) =>
  recorder.record({
    via: 'rest',
    caller: CALLERS[i % 20],
    receivedAt: base - (i % 250),
    server: SERVERS[i % 3],
    tool: TOOLS[i % 10],
    outcome: OUTCOMES[i % 10],
    httpStatus: 200,
    upstreamMs: i % 200,
    queuedMs: 0,
    requestBytes: 120,
    responseBytes: 480,
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  }),
);
