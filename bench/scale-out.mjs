#!/usr/bin/env node
/**
 * The scale-out scenario: rate-limited tools/call (REST, echo 100 B, c=32) on
 *
 *   memory x1   one gateway, counters in its memory (the baseline)
 *   redis x1    one gateway, counters in Redis (the Lua sliding window)
 *   redis x2    two gateways sharing Redis and a cluster, behind a round-robin TCP proxy
 *
 * reported as throughput and p99, and as ratios to the baseline. Gateways run as
 * separate processes (`mcp-gateway start`); rounds of the three cells are
 * interleaved so a noisy neighbour hits all of them. Not part of npm test.
 *
 *   npm run build && node bench/scale-out.mjs [--redis redis://127.0.0.1:6379] [--rounds 3] [--quick]
 *
 * On a 2-core machine two instances share the same two cores as the load
 * generator, so "x2" shows the cost of the shared state, not the gain of more
 * machines.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'src/cli/main.js');
const DEMO = join(DIST, 'src/demo/server.js');
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const QUICK = argv.includes('--quick');
const ROUNDS = Math.max(1, Number(option('rounds', QUICK ? 1 : 3)));
const REDIS_URL = option('redis', process.env.MCP_GATEWAY_REDIS_URL ?? 'redis://127.0.0.1:6379');
const MEASURE_MS = QUICK ? 1500 : 4000;
const WARMUP_MS = QUICK ? 300 : 1000;
const CONCURRENCY = 32;

for (const file of [CLI, DEMO]) {
  if (!existsSync(file)) {
    console.error(`missing ${file}: run npm run build first`);
    process.exit(1);
  }
}
const { runBench } = await import(join(DIST, 'src/bench/runner.js'));

const work = mkdtempSync(join(tmpdir(), 'mcpgw-scale-out-'));
const running = new Set();
const cleanup = async () => {
  await Promise.all([...running].map((stop) => stop()));
  rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => cleanup().finally(() => process.exit(130)));

/** Starts `mcp-gateway start` with this config; resolves with its URL and a stop function. */
function startGateway(config) {
  const file = join(work, `gateway-${randomUUID()}.json`);
  writeFileSync(file, JSON.stringify({ port: 0, host: '127.0.0.1', logLevel: 'warn', servers: [{ id: 'demo', transport: 'stdio', command: process.execPath, args: [DEMO], maxConcurrency: 64 }], ...config }));
  const child = spawn(process.execPath, [CLI, 'start', '-c', file, '--http-engine', 'uws'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MCP_GATEWAY_PORT: '', MCP_GATEWAY_REDIS_URL: '' } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    running.delete(stop);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  running.add(stop);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-2000)));
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${err}`)));
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) resolve({ url: match[1], pid: child.pid, stop });
    });
  });
}

/** A round-robin TCP proxy (each new connection to the next backend), as a plain load balancer. */
async function startProxy(urls) {
  const ports = urls.map((url) => Number(new URL(url).port));
  let next = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    const backend = connect(ports[next++ % ports.length], '127.0.0.1');
    for (const socket of [client, backend]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(backend).pipe(client);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = async () => {
    running.delete(stop);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  running.add(stop);
  return { url: `http://127.0.0.1:${server.address().port}`, stop };
}

const prefix = `mcpgw-bench:${randomUUID()}:`;
// A limit the load never reaches: every call pays for the decision, none is refused.
const rateLimit = (store) => ({ enabled: true, limit: 1_000_000_000, windowSeconds: 60, store, redis: { url: REDIS_URL, keyPrefix: `${prefix}rl:`, timeoutMs: 1000, onError: 'fail-closed' } });
const cluster = (id) => ({ enabled: true, instanceId: id, secret: 'bench-cluster-secret-of-at-least-32-chars', redis: { prefix: `${prefix}c:` } });

const cells = {
  'memory x1': async () => {
    const gateway = await startGateway({ rateLimit: rateLimit('memory') });
    return { url: gateway.url, pids: [gateway.pid], stop: gateway.stop };
  },
  'redis x1': async () => {
    const gateway = await startGateway({ rateLimit: rateLimit('redis') });
    return { url: gateway.url, pids: [gateway.pid], stop: gateway.stop };
  },
  'redis x2': async () => {
    const gateways = await Promise.all(['a', 'b'].map((id) => startGateway({ rateLimit: rateLimit('redis'), cluster: cluster(id) })));
    const proxy = await startProxy(gateways.map((g) => g.url));
    return { url: proxy.url, pids: gateways.map((g) => g.pid), stop: async () => Promise.all([proxy.stop(), ...gateways.map((g) => g.stop())]) };
  },
};

const results = Object.fromEntries(Object.keys(cells).map((name) => [name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of Object.entries(cells)) {
      const target = await start();
      try {
        const report = await runBench({ target: { kind: 'rest', url: target.url }, calls: [{ tool: 'echo', payload: 100 }], concurrency: CONCURRENCY, durationMs: MEASURE_MS, warmup: { durationMs: WARMUP_MS }, timeoutMs: 30_000, threads: 1, pids: target.pids, label: name });
        const r = report.result;
        results[name].push({ rps: r.callsPerSecond, p99: r.latencyMs.p99, errors: r.errors });
        console.error(`  round ${round + 1} ${name}: ${Math.round(r.callsPerSecond)} calls/s, p99 ${r.latencyMs.p99.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
      } finally {
        await target.stop();
      }
    }
  }
} finally {
  await cleanup();
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const base = { rps: median(results['memory x1'].map((r) => r.rps)), p99: median(results['memory x1'].map((r) => r.p99)) };
console.log(`\nscale-out: REST tools/call echo 100 B, c=${CONCURRENCY}, rate limit on every call; median of ${ROUNDS} round(s)\n`);
console.log('| cell | calls/s | p99 ms | calls/s vs memory x1 | p99 vs memory x1 | errors |');
console.log('|---|---|---|---|---|---|');
for (const [name, runs] of Object.entries(results)) {
  const rps = median(runs.map((r) => r.rps));
  const p99 = median(runs.map((r) => r.p99));
  const errors = runs.reduce((sum, r) => sum + r.errors, 0);
  console.log(`| ${name} | ${Math.round(rps)} | ${p99.toFixed(2)} | ${(rps / base.rps).toFixed(2)} | ${(p99 / base.p99).toFixed(2)} | ${errors} |`);
}
