#!/usr/bin/env node
/**
 * The benchmark scenarios, run with the bench harness (dist/src/bench) against
 * real gateways started as separate processes (`mcp-gateway start`), so their
 * CPU and memory are theirs alone. Writes bench/RESULTS.md.
 *
 *   npm run bench                       (builds first; ~15 min on 2 cores)
 *   node bench/scenarios.mjs [--quick] [--rounds N] [--only 1,2,3,4,5,6,profile] [--out FILE]
 *
 *   1  front door only: GET /api/v1/health, uws vs node engine
 *   2  tools/call echo, 100 B and 100 KiB, c=1 and c=64: direct stdio vs the gateway's REST API (uws)
 *      and its /mcp endpoint (2026-07-28 and 2025 sessions, when the build has it) vs the modern-http
 *      fixture (SDK v2 over Streamable HTTP) direct, and the "ideal" endpoint (the same uws front door
 *      answering echo itself: what client and front door alone cost; the gateway's added latency is over it)
 *      and the relay floor (the same front door, one worker thread and the demo server over stdio, nothing
 *      else: the least the worker-per-server design can cost; the gateway's own logic is what it adds)
 *   3  replicas: a CPU-bound stdio upstream behind --workers 1 vs 2 (and direct, 1 vs 2 processes)
 *   4  catalog scale: 100 stdio catalog-server upstreams × 50 tools: start-up to all ready, RSS, and a
 *      whole tools/list (REST, /mcp in both eras) p50/p99
 *   5  memory: gateway RSS idle with 0, 1, 10 and 50 upstream workers, and the cost per worker
 *   6  peers: scenario 2's echo (100 B, c=1 and c=64) through supergateway, mcp-proxy and mcp-hub
 *      (bench/peers, `npm ci --ignore-scripts --prefix bench/peers`; skipped with the reason when
 *      missing) beside the gateway, in the same run
 *   profile  the gateway under scenario 2's c=64 100 B load with --cpu-prof: top self time per thread
 *
 * RESULTS.md ends its header with the targets of issue 13, each with its figure and met / not met.
 * Each figure is the median of ≥3 rounds, with the range; rounds of the cells
 * being compared are interleaved, so a noisy neighbour hits both sides.
 * The gateway and the fixtures bind 127.0.0.1 and the harness only talks to loopback;
 * supergateway and mcp-hub have no listen-address option, so scenario 6's copies of
 * them listen on every interface (a random free port) while it runs. Every run is
 * bounded in time and calls, and the whole script by SCRIPT_LIMIT_MS (it then writes
 * what finished).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const CLI = join(DIST, 'src/cli/main.js');
const DEMO = join(DIST, 'src/demo/server.js');
const CPU_SERVER = join(DIST, 'src/bench/fixtures/cpu-server.js');
const MODERN_HTTP = join(DIST, 'test/fixtures/modern-http.js');
const IDEAL = join(DIST, 'src/bench/fixtures/ideal-endpoint.js');
const RELAY_FLOOR = join(DIST, 'src/bench/fixtures/relay-floor.js');
const CATALOG_SERVER = join(DIST, 'src/bench/fixtures/catalog-server.js');
const NODE = process.execPath;

// ---- options ---------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, fallback) => {
  const at = argv.indexOf(`--${name}`);
  return at === -1 ? fallback : argv[at + 1];
};
const QUICK = flag('quick');
const ROUNDS = Math.max(3, Number(option('rounds', 3)));
const ONLY = new Set(String(option('only', '1,2,3,4,5,6,profile')).split(','));
const OUT = option('out', join(ROOT, 'bench/RESULTS.md'));
const MEASURE_MS = QUICK ? 1000 : 3000;
const WARMUP_MS = QUICK ? 300 : 1000;
const PROFILE_MS = QUICK ? 3000 : 8000;
/** Scenario 6 has 16 cells: shorter runs keep the whole script near 15 minutes. */
const PEER_MEASURE_MS = QUICK ? 1000 : 2000;
/** Hard ceiling for the whole script. */
const SCRIPT_LIMIT_MS = 20 * 60_000;

for (const file of [CLI, DEMO, CPU_SERVER, MODERN_HTTP, CATALOG_SERVER]) {
  if (!existsSync(file)) {
    console.error(`missing ${file}: run npm run build first (npm run bench does)`);
    process.exit(1);
  }
}
const { runBench } = await import(join(DIST, 'src/bench/runner.js'));
const { formatBytes } = await import(join(DIST, 'src/bench/report.js'));

const scriptStarted = Date.now();
const killSwitch = setTimeout(() => {
  console.error(`scenarios overran ${SCRIPT_LIMIT_MS / 60000} min; stopping`);
  try {
    writeResults(true);
  } catch (error) {
    console.error(`could not write partial results: ${error.stack ?? error}`);
  }
  cleanup().finally(() => process.exit(1));
}, SCRIPT_LIMIT_MS);
killSwitch.unref();

// ---- processes -------------------------------------------------------------------------

const running = new Set();
const work = mkdtempSync(join(tmpdir(), 'mcpgw-scenarios-'));

async function cleanup() {
  await Promise.all([...running].map((p) => p.stop()));
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => cleanup().finally(() => process.exit(130)));

/**
 * Spawns `node args…` with a stop() that SIGTERMs it (SIGKILL after `killAfterMs`). With `reap`, stop()
 * also ends, by pid, the processes it had spawned: a peer killed hard must not leave its stdio server.
 */
function spawnTracked(args, { env, killAfterMs = 15_000, reap = false } = {}) {
  const child = spawn(NODE, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: work, ...(env ? { env: { ...process.env, ...env } } : {}) });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const handle = {
    child,
    pid: child.pid,
    async stop() {
      running.delete(handle);
      // Before it exits: its orphans are re-parented and no longer found as its children.
      const spawned = reap ? childrenOf(child.pid) : [];
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(kill);
      }
      for (const pid of spawned) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    },
  };
  running.add(handle);
  return handle;
}

/** Spawns `node args…`, resolves when a stdout line matches `ready`. */
function startProcess(name, args, ready, { nodeFlags = [], timeoutMs = 60_000 } = {}) {
  const handle = spawnTracked([...nodeFlags, ...args]);
  const { child } = handle;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const fail = (why) => {
      clearTimeout(timer);
      void handle.stop();
      reject(new Error(`${name} ${why}; stderr: ${err.trim().slice(-500)}`));
    };
    child.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-4000)));
    const onExit = (code, signal) => fail(`exited (code ${code}, signal ${signal})`);
    child.once('exit', onExit);
    child.stdout.setEncoding('utf8').on('data', (d) => {
      if (out === undefined) return;
      out += d;
      const match = ready.exec(out);
      if (match) {
        out = undefined;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({ ...handle, match });
      }
    });
  });
}

let configCount = 0;
/** A gateway process (`mcp-gateway start`) with the given servers. */
async function startGateway({ engine = 'uws', servers, workers, nodeFlags = [], timeoutMs }) {
  const file = join(work, `gateway-${++configCount}.json`);
  writeFileSync(file, JSON.stringify({ port: 0, host: '127.0.0.1', logLevel: 'warn', servers }));
  const args = [CLI, 'start', '-c', file, '--http-engine', engine, ...(workers ? ['--workers', String(workers)] : [])];
  const gateway = await startProcess(`gateway (${engine})`, args, /listening on (http:\/\/\S+) \((\w+)\)/, { nodeFlags, ...(timeoutMs ? { timeoutMs } : {}) });
  if (gateway.match[2] !== engine) throw new Error(`asked for the ${engine} engine, got ${gateway.match[2]}`);
  return { ...gateway, url: gateway.match[1] };
}

const demoServer = (id = 'demo') => ({ id, transport: 'stdio', command: NODE, args: [DEMO], maxConcurrency: 64 });

// ---- measuring -------------------------------------------------------------------------

/** One harness run; a failure is recorded, not thrown. */
async function measure(label, options) {
  const started = Date.now();
  try {
    const report = await runBench({ durationMs: MEASURE_MS, warmup: { durationMs: WARMUP_MS }, timeoutMs: 30_000, threads: 1, label, ...options });
    const r = report.result;
    const errors = r.errors > 0 ? ` ${r.errors} errors ${JSON.stringify(r.errorsByKind)}` : '';
    const others = report.cpu.machine ? ` others ${report.cpu.machine.otherCores.toFixed(2)} cores` : '';
    console.error(`  ${label}: ${Math.round(r.callsPerSecond)} calls/s p50 ${r.latencyMs.p50.toFixed(2)} ms p99 ${r.latencyMs.p99.toFixed(2)} ms` + ` target ${report.cpu.target ? Math.round(report.cpu.target.microsPerCall) : '-'} µs/call${errors}${others} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return report;
  } catch (error) {
    console.error(`  ${label}: FAILED ${error.message}`);
    return { failed: error.message };
  }
}

const median = (values) => {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Median and range of one metric over a cell's rounds. */
function stat(reports, pick) {
  const values = reports.filter((r) => !r.failed).map(pick).filter((x) => x !== undefined && Number.isFinite(x));
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

const num = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const sig = (x) => (!Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const cell = (s, f = sig) => (s.n === 0 ? '—' : s.n === 1 ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && a !== 0 ? `${(b / a).toFixed(2)}×` : '—');
const failures = (reports) => reports.filter((r) => r.failed).map((r) => r.failed);
const errorsOf = (reports) => reports.filter((r) => !r.failed).reduce((n, r) => n + r.result.errors, 0);

const metrics = {
  rps: (r) => r.result.callsPerSecond,
  p50: (r) => r.result.latencyMs.p50,
  p99: (r) => r.result.latencyMs.p99,
  targetCpu: (r) => r.cpu.target?.microsPerCall,
  targetSys: (r) => r.cpu.target?.systemMicrosPerCall,
  targetCores: (r) => r.cpu.target?.cores,
  mainCpu: (r) => r.cpu.target?.threads.find((t) => t.name === 'main' && t.pid === r.cpu.target.pids[0])?.microsPerCall,
  childCpu: (r) => r.cpu.children?.microsPerCall,
  genCpu: (r) => r.cpu.generator.microsPerCall,
};

/** Whole-machine busy cores over `ms` (from /proc/stat). */
async function busyCores(ms) {
  const read = () => {
    const [user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return user + nice + system + irq + softirq;
  };
  const before = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (read() - before) / 100 / (ms / 1000);
}

/** Before a round: wait (up to QUIET_WAIT_MS) for a second in which the machine is nearly idle, so a neighbour's burst is not measured. */
const QUIET_WAIT_MS = 10_000;
async function waitForQuiet() {
  const until = Date.now() + QUIET_WAIT_MS;
  let busy = await busyCores(1000);
  while (busy > 0.3 && Date.now() < until) busy = await busyCores(1000);
  if (busy > 0.3) console.error(`  (machine still busy: ${busy.toFixed(2)} cores used by others; measuring anyway)`);
  const ms = speedCheck();
  speedChecks.push(ms);
  console.error(`  speed check: ${ms.toFixed(1)} ms`);
}

/**
 * A fixed CPU task timed in this process: if it takes longer in one round than
 * another, the vCPUs themselves were slower (a neighbour on the host, which
 * no /proc figure inside this VM shows), and so is everything measured then.
 */
function speedCheck() {
  const started = performance.now();
  let x = 0x2545f491;
  for (let i = 0; i < 10_000_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  if (x === 42) console.error('');
  return performance.now() - started;
}
let speedChecks = [];

/** Runs `cells` (name → () => Promise<report>) for ROUNDS interleaved rounds. */
async function rounds(cells) {
  const results = Object.fromEntries(Object.keys(cells).map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    await waitForQuiet();
    console.error(` round ${round}/${ROUNDS}`);
    for (const [name, run] of Object.entries(cells)) results[name].push(await run());
  }
  return results;
}

const md = [];
const sections = {};

// ---- the machine -----------------------------------------------------------------------

function machine() {
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = (git(['status', '--porcelain', '--', 'src', 'workers', 'bench', 'package.json']) ?? '') !== '';
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    commit: `${commit}${dirty ? ' + uncommitted changes' : ''}`,
    date: new Date().toISOString(),
  };
}
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

// ---- 1. front door ---------------------------------------------------------------------

async function scenarioFrontDoor() {
  console.error('1. front door only: GET /api/v1/health, uws vs node');
  const gateways = {};
  for (const engine of ['uws', 'node']) gateways[engine] = await startGateway({ engine, servers: [demoServer()] });
  try {
    const get = (engine) => () => measure(`health ${engine}`, { target: { kind: 'get', url: `${gateways[engine].url}/api/v1/health` }, calls: [{ tool: 'GET' }], concurrency: 16, pids: [gateways[engine].pid] });
    const results = await rounds({ uws: get('uws'), node: get('node') });
    const rows = ['uws', 'node'].map((engine) => {
      const r = results[engine];
      return `| ${engine} | ${cell(stat(r, metrics.rps), (x) => num(x))} | ${cell(stat(r, metrics.p50))} | ${cell(stat(r, metrics.p99))} | ${cell(stat(r, metrics.targetCpu), (x) => num(x, 1))} | ${cell(stat(r, metrics.targetCores), (x) => num(x * 100))} | ${cell(stat(r, metrics.genCpu), (x) => num(x, 1))} | ${errorsOf(r)} |`;
    });
    const u = results.uws;
    const n = results.node;
    sections.frontDoor = {
      rps: ratio(stat(n, metrics.rps).median, stat(u, metrics.rps).median),
      cpu: ratio(stat(n, metrics.targetCpu).median, stat(u, metrics.targetCpu).median),
      nodeOverUws: stat(n, metrics.targetCpu).median / stat(u, metrics.targetCpu).median,
    };
    md.push(
      '## 1. Front door only: `GET /api/v1/health`, uws vs node',
      '',
      `Gateway with the demo server behind it (not called). Closed loop, c=16 over 16 keep-alive connections, 1 load thread, ${MEASURE_MS / 1000} s per round after ${WARMUP_MS / 1000} s warm-up.`,
      '',
      '| engine | req/s | p50 ms | p99 ms | gateway µs CPU/req | gateway % of a core | generator µs CPU/req | errors |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `**uws / node:** req/s ${sections.frontDoor.rps}, gateway CPU per request ${sections.frontDoor.cpu}.`,
      ...failureLines(results),
      '',
    );
  } finally {
    await Promise.all(Object.values(gateways).map((g) => g.stop()));
  }
}

function failureLines(results) {
  const lines = Object.entries(results).flatMap(([name, reports]) => failures(reports).map((f) => `- ${name}: run failed: ${f}`));
  const all = Object.values(results).flat().filter((r) => !r.failed && r.cpu.machine);
  const others = all.map((r) => r.cpu.machine.otherCores);
  const steal = all.map((r) => r.cpu.machine.stealCores);
  const noise =
    others.length === 0
      ? []
      : ['', `Other processes on the machine during these runs (not the target, its children or the generator): median ${num(median(others), 2)} cores, max ${num(Math.max(...others), 2)}; hypervisor steal max ${num(Math.max(...steal), 2)} cores.${Math.max(...others) > 0.25 ? ' Runs with other load above ~0.25 core are disturbed: the ranges show it.' : ''}`];
  if (speedChecks.length > 0) {
    const slowest = Math.max(...speedChecks);
    const fastest = Math.min(...speedChecks);
    noise.push(`CPU speed check before each round (a fixed 10M-iteration loop): ${num(median(speedChecks), 1)} ms median (${num(fastest, 1)}–${num(slowest, 1)})${slowest / fastest > 1.25 ? `: the CPU itself was up to ${num(slowest / fastest, 1)}× slower in some rounds (contention on the host), so their figures are too` : ': steady'}.`);
  }
  speedChecks = [];
  return [...noise, ...(lines.length > 0 ? ['', 'Failed runs:', ...lines] : [])];
}

// ---- 2. echo: direct vs gateway --------------------------------------------------------

async function scenarioEcho() {
  console.error('2. tools/call echo: direct stdio vs the gateway (REST, /mcp) vs modern-http direct');
  const gateway = await startGateway({ engine: 'uws', servers: [demoServer()] });
  const modern = await startProcess('modern-http fixture', [MODERN_HTTP], /^LISTEN (\d+)$/m);
  const modernUrl = `http://127.0.0.1:${modern.match[1]}/mcp`;
  // The gateway's own front door (uws) answering echo itself: what the client and the front door alone cost.
  const ideal = await startProcess('ideal endpoint', [IDEAL, '--engine', 'uws'], /^LISTEN (\d+)/m);
  const idealUrl = `http://127.0.0.1:${ideal.match[1]}`;
  // The design's floor: that front door, one worker thread and the demo server on its pipes, nothing else.
  const floor = await startProcess('relay floor', [RELAY_FLOOR, '--engine', 'uws', '--', NODE, DEMO], /^LISTEN (\d+)/m);
  const floorUrl = `http://127.0.0.1:${floor.match[1]}`;
  // The gateway's own /mcp endpoint, measured when this build has one (a server/discover that answers).
  const gatewayMcp = await runBench({ target: { kind: 'mcp', url: `${gateway.url}/mcp` }, calls: [{ tool: 'echo', payload: 10 }], concurrency: 1, requests: 5, durationMs: 5000, threads: 1 }).then(
    (r) => r.result.ok === 5,
    () => false,
  );
  try {
    const cells = {};
    const grid = [];
    for (const payload of [100, 100 * 1024]) {
      for (const c of [1, 64]) {
        const calls = [{ tool: 'echo', payload }];
        const key = `${formatBytes(payload)} c=${c}`;
        grid.push({ key, payload, c });
        const common = { calls, concurrency: c };
        cells[`${key} direct`] = () => measure(`${key} direct stdio`, { ...common, target: { kind: 'stdio', command: NODE, args: [DEMO], protocol: 'auto' } });
        cells[`${key} gateway`] = () => measure(`${key} gateway REST`, { ...common, target: { kind: 'rest', url: gateway.url }, pids: [gateway.pid] });
        if (gatewayMcp) {
          cells[`${key} gateway-mcp`] = () => measure(`${key} gateway /mcp 2026`, { ...common, target: { kind: 'mcp', url: `${gateway.url}/mcp` }, pids: [gateway.pid] });
          cells[`${key} gateway-mcp-legacy`] = () => measure(`${key} gateway /mcp 2025`, { ...common, target: { kind: 'mcp-legacy', url: `${gateway.url}/mcp` }, pids: [gateway.pid] });
        }
        cells[`${key} modern`] = () => measure(`${key} modern-http`, { ...common, target: { kind: 'mcp', url: modernUrl }, pids: [modern.pid] });
        cells[`${key} ideal`] = () => measure(`${key} ideal REST`, { ...common, target: { kind: 'rest', url: idealUrl }, pids: [ideal.pid] });
        cells[`${key} ideal-mcp`] = () => measure(`${key} ideal /mcp`, { ...common, target: { kind: 'mcp', url: `${idealUrl}/mcp` }, pids: [ideal.pid] });
        cells[`${key} floor`] = () => measure(`${key} relay floor REST`, { ...common, target: { kind: 'rest', url: floorUrl }, pids: [floor.pid] });
      }
    }
    const results = await rounds(cells);
    const rows = [];
    const ratioRows = [];
    sections.echo = [];
    for (const { key } of grid) {
      const d = results[`${key} direct`];
      const g = results[`${key} gateway`];
      const m = results[`${key} modern`];
      const gm = results[`${key} gateway-mcp`];
      const gl = results[`${key} gateway-mcp-legacy`];
      const i = results[`${key} ideal`];
      const im = results[`${key} ideal-mcp`];
      const f = results[`${key} floor`];
      const gatewayCell = (r) => `${cell(stat(r, metrics.targetCpu), (x) => num(x))}; main thread ${num(stat(r, metrics.mainCpu).median)}, kernel ${num(stat(r, metrics.targetSys).median)}`;
      const row = (name, r, target, upstream) =>
        `| ${key} | ${name} | ${cell(stat(r, metrics.rps), (x) => num(x))} | ${cell(stat(r, metrics.p50))} | ${cell(stat(r, metrics.p99))} | ${target} | ${upstream} | ${cell(stat(r, metrics.genCpu), (x) => num(x))} | ${errorsOf(r)} |`;
      rows.push(
        row('direct stdio', d, '—', cell(stat(d, metrics.targetCpu), (x) => num(x))),
        row('gateway REST (uws)', g, gatewayCell(g), cell(stat(g, metrics.childCpu), (x) => num(x))),
        ...(gm ? [row('gateway /mcp, 2026-07-28 (uws)', gm, gatewayCell(gm), cell(stat(gm, metrics.childCpu), (x) => num(x)))] : []),
        ...(gl ? [row('gateway /mcp, 2025 session (uws)', gl, gatewayCell(gl), cell(stat(gl, metrics.childCpu), (x) => num(x)))] : []),
        row('modern-http direct', m, '—', cell(stat(m, metrics.targetCpu), (x) => num(x))),
        row('ideal endpoint REST (uws, answers itself)', i, cell(stat(i, metrics.targetCpu), (x) => num(x)), '—'),
        row('ideal endpoint /mcp 2026-07-28 (uws, answers itself)', im, cell(stat(im, metrics.targetCpu), (x) => num(x)), '—'),
        row('relay floor REST (uws → one worker → stdio, nothing else)', f, gatewayCell(f), cell(stat(f, metrics.childCpu), (x) => num(x))),
      );
      const entry = {
        key,
        rps: ratio(stat(d, metrics.rps).median, stat(g, metrics.rps).median),
        p50: ratio(stat(d, metrics.p50).median, stat(g, metrics.p50).median),
        p99: ratio(stat(d, metrics.p99).median, stat(g, metrics.p99).median),
        gwCpu: stat(g, metrics.targetCpu).median,
        floorCpu: stat(f, metrics.targetCpu).median,
        gatewayOverFloor: ratio(stat(f, metrics.targetCpu).median, stat(g, metrics.targetCpu).median),
        modernVsGateway: ratio(stat(g, metrics.rps).median, stat(m, metrics.rps).median),
        mcpCpu: gm ? stat(gm, metrics.targetCpu).median : NaN,
        mcpVsDirect: gm ? ratio(stat(d, metrics.rps).median, stat(gm, metrics.rps).median) : '—',
        mcpCpuVsRest: gm ? ratio(stat(g, metrics.targetCpu).median, stat(gm, metrics.targetCpu).median) : '—',
        restOverDirect: stat(g, metrics.rps).median / stat(d, metrics.rps).median,
        p50Added: stat(g, metrics.p50).median - stat(d, metrics.p50).median,
        p99Added: stat(g, metrics.p99).median - stat(d, metrics.p99).median,
        overIdeal: {
          rest: { p50: stat(g, metrics.p50).median - stat(i, metrics.p50).median, p99: stat(g, metrics.p99).median - stat(i, metrics.p99).median },
          mcp: gm ? { p50: stat(gm, metrics.p50).median - stat(im, metrics.p50).median, p99: stat(gm, metrics.p99).median - stat(im, metrics.p99).median } : undefined,
          floor: { p50: stat(f, metrics.p50).median - stat(i, metrics.p50).median, p99: stat(f, metrics.p99).median - stat(i, metrics.p99).median },
        },
      };
      sections.echo.push(entry);
      ratioRows.push(`| ${key} | ${entry.rps} | ${entry.p50} | ${entry.p99} | ${num(entry.gwCpu)} | ${entry.gatewayOverFloor} | ${entry.mcpVsDirect} | ${entry.mcpCpuVsRest} | ${entry.modernVsGateway} |`);
    }
    md.push(
      '## 2. `tools/call echo`: direct vs through the gateway',
      '',
      `The demo server's \`echo\` (answers its message verbatim; every answer checked). Lean clients: raw JSON-RPC on the child's pipes (direct stdio, era settled by a \`server/discover\` probe as the gateway does, so both speak 2026-07-28 to the server), REST over keep-alive HTTP (gateway), stateless 2026-07-28 POSTs to the gateway's own \`/mcp\` (when the build has it) and to the modern-http fixture (SDK v2 \`createMcpHandler\` + \`McpServer\` over node:http), and 2025 session POSTs (\`Mcp-Session-Id\`, one session) to the gateway's \`/mcp\`. Closed loop, connections = c, 1 load thread, ${MEASURE_MS / 1000} s per round after ${WARMUP_MS / 1000} s warm-up. The gateway runs the demo server as its one upstream with \`maxConcurrency: 64\` (default 16) so c=64 is not queued in the gateway. The relay floor (\`src/bench/fixtures/relay-floor.ts\`) is the design's floor: the same uws front door, one worker thread (batched MessagePort posts, as the gateway) and the demo server on its pipes, with no policy, routing, queue, timeouts, metrics or logs; the gateway's CPU over it is its own logic, and a target below it cannot be met by a worker-per-server design.`,
      '',
      'CPU columns are µs of CPU time per call. "gateway": the gateway process, all threads; of it, the main (front-door) thread and the kernel (stime: syscalls, and on loopback the TCP/pipe delivery to the peer). "upstream": the process doing the tool work — the demo server (direct stdio, and the gateway\'s child) or the modern-http fixture.',
      '',
      '| load | path | calls/s | p50 ms | p99 ms | gateway µs CPU/call | upstream µs CPU/call | generator µs CPU/call | errors |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      "Ratios (medians): gateway REST / direct stdio; the gateway's CPU per call (REST) over the relay floor's; gateway /mcp (2026-07-28) / direct stdio and its CPU per call against REST; modern-http direct / gateway REST.",
      '',
      '| load | calls/s REST/direct | p50 REST/direct | p99 REST/direct | gateway µs CPU/call (REST) | CPU/call gateway/floor | calls/s /mcp/direct | CPU/call /mcp vs REST | calls/s modern-http/REST |',
      '|---|---|---|---|---|---|---|---|---|',
      ...ratioRows,
      ...failureLines(results),
      '',
    );
  } finally {
    await Promise.all([gateway.stop(), modern.stop(), ideal.stop(), floor.stop()]);
  }
}

// ---- 3. replicas -----------------------------------------------------------------------

const BURN = 1_000_000;

async function scenarioReplicas() {
  console.error('3. replicas: CPU-bound upstream, --workers 1 vs 2');
  const cpuServer = { id: 'cpu', transport: 'stdio', command: NODE, args: [CPU_SERVER], maxConcurrency: 64 };
  const gateways = { 1: await startGateway({ servers: [cpuServer], workers: 1 }), 2: await startGateway({ servers: [cpuServer], workers: 2 }) };
  try {
    const calls = [{ tool: 'burn', arguments: { iterations: BURN }, expect: 'ok' }];
    const c = 8;
    const results = await rounds({
      'gateway --workers 1': () => measure('gateway workers=1', { calls, concurrency: c, target: { kind: 'rest', url: gateways[1].url }, pids: [gateways[1].pid] }),
      'gateway --workers 2': () => measure('gateway workers=2', { calls, concurrency: c, target: { kind: 'rest', url: gateways[2].url }, pids: [gateways[2].pid] }),
      'direct, 1 process': () => measure('direct 1 process', { calls, concurrency: c, connections: 1, target: { kind: 'stdio', command: NODE, args: [CPU_SERVER], protocol: 'auto' } }),
      'direct, 2 processes': () => measure('direct 2 processes', { calls, concurrency: c, connections: 2, threads: 2, target: { kind: 'stdio', command: NODE, args: [CPU_SERVER], protocol: 'auto' } }),
    });
    const rows = Object.entries(results).map(([name, r]) => {
      const upstream = name.startsWith('gateway') ? metrics.childCpu : metrics.targetCpu;
      const cores = name.startsWith('gateway') ? (x) => x.cpu.children?.cores : metrics.targetCores;
      return `| ${name} | ${cell(stat(r, metrics.rps), (x) => num(x))} | ${cell(stat(r, metrics.p50))} | ${cell(stat(r, metrics.p99))} | ${name.startsWith('gateway') ? cell(stat(r, metrics.targetCpu), (x) => num(x)) : '—'} | ${cell(stat(r, upstream), (x) => num(x))} | ${cell(stat(r, cores), (x) => num(x, 2))} | ${errorsOf(r)} |`;
    });
    sections.replicas = {
      gateway: ratio(stat(results['gateway --workers 1'], metrics.rps).median, stat(results['gateway --workers 2'], metrics.rps).median),
      direct: ratio(stat(results['direct, 1 process'], metrics.rps).median, stat(results['direct, 2 processes'], metrics.rps).median),
      twoOverOne: stat(results['gateway --workers 2'], metrics.rps).median / stat(results['gateway --workers 1'], metrics.rps).median,
    };
    md.push(
      '## 3. Replicas: a CPU-bound upstream, `--workers 1` vs `--workers 2`',
      '',
      `\`src/bench/fixtures/cpu-server.ts\`: tool \`burn {iterations: ${BURN.toLocaleString('en')}}\` spins ~2 ms of CPU per call on the server's single thread. Through the gateway's REST API (uws) with 1 or 2 replicas (one worker thread + one server process each), and direct with 1 or 2 server processes (lean stdio client, calls round-robin). Closed loop c=${c}.`,
      '',
      '| setup | calls/s | p50 ms | p99 ms | gateway µs CPU/call | upstream µs CPU/call | upstream cores busy | errors |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `**2 replicas / 1:** through the gateway ${sections.replicas.gateway}; direct (2 processes / 1) ${sections.replicas.direct}. This machine has ${cpus().length} cores, shared by the upstreams, the gateway and the load generator.`,
      ...failureLines(results),
      '',
    );
  } finally {
    await Promise.all(Object.values(gateways).map((g) => g.stop()));
  }
}

// ---- 4. catalog scale ------------------------------------------------------------------

const CATALOG_SERVERS = 100;
const CATALOG_TOOLS = 50;

/** Every server's state from GET /api/v1/servers. */
async function serverStates(url) {
  const response = await fetch(`${url}/api/v1/servers`);
  const body = await response.json();
  return body.servers.map((server) => server.state);
}

/** CPU ticks (utime + stime) of a process, all its threads. */
function ticksOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * Waits (up to `limitMs`) until a just-started gateway and its upstreams are
 * idle — below 0.1 core over a second — so start-up work still in flight (JIT,
 * worker threads loading, children settling) is not measured as idle RSS or
 * as the first calls' latency. Returns how long it took.
 */
async function settle(pid, limitMs = 30_000) {
  const started = Date.now();
  const tree = () => [pid, ...childrenOf(pid)].reduce((sum, p) => sum + ticksOf(p), 0);
  let cores = NaN;
  while (Date.now() - started < limitMs) {
    const before = tree();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cores = (tree() - before) / 100;
    if (cores < 0.1) break;
  }
  return { ms: Date.now() - started, cores };
}

/** CPU (cores) a process uses over `ms`, all its threads: what an idle gateway spends on its own. */
async function coresOf(pid, ms) {
  const before = ticksOf(pid);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (ticksOf(pid) - before) / 100 / (ms / 1000);
}

async function scenarioCatalog() {
  const total = CATALOG_SERVERS * CATALOG_TOOLS;
  console.error(`4. catalog scale: ${CATALOG_SERVERS} stdio upstreams × ${CATALOG_TOOLS} tools`);
  const servers = Array.from({ length: CATALOG_SERVERS }, (_, i) => ({ id: `cat${i}`, transport: 'stdio', command: NODE, args: [CATALOG_SERVER, '--tools', String(CATALOG_TOOLS), '--name', `cat${i}`] }));
  const startups = [];
  const results = { rest: [], modern: [], legacy: [] };
  const list = [{ method: 'tools/list', tool: 'tools/list', expect: { tools: total } }];
  for (let round = 1; round <= ROUNDS; round++) {
    await waitForQuiet();
    console.error(` round ${round}/${ROUNDS}`);
    const started = Date.now();
    const gateway = await startGateway({ servers, timeoutMs: 180_000 });
    try {
      const listening = Date.now() - started;
      const states = await serverStates(gateway.url);
      const ready = states.filter((state) => state === 'ready').length;
      // Idle RSS with every upstream up, before any listing (the lists then build caches).
      // A hundred idle workers keep the process above 0.1 core (see idle CPU below): 15 s is past their start-up.
      const { ms: settledMs } = await settle(gateway.pid, 15_000);
      // Background work with nothing asked of it (health checks of 100 upstreams, timers): it is in the process CPU per listing too.
      const idleCores = await coresOf(gateway.pid, 3000);
      const gatewayRss = rssOf(gateway.pid);
      const children = childrenOf(gateway.pid);
      const childRss = children.reduce((sum, pid) => sum + (rssOf(pid) ?? 0), 0);
      startups.push({ ms: listening, ready, gatewayRss, childRss, children: children.length, settledMs, idleCores });
      console.error(`  start-up ${listening} ms, ${ready}/${CATALOG_SERVERS} ready, settled ${settledMs} ms later, idle gateway ${idleCores.toFixed(2)} cores; gateway RSS ${formatBytes(gatewayRss)}, ${children.length} upstreams ${formatBytes(childRss)}`);
      const run = (name, target) => measure(`list ${name}`, { target, calls: list, concurrency: 1, pids: [gateway.pid] });
      results.rest.push(await run('REST', { kind: 'rest', url: gateway.url }));
      results.modern.push(await run('/mcp 2026-07-28', { kind: 'mcp', url: `${gateway.url}/mcp` }));
      results.legacy.push(await run('/mcp 2025 session', { kind: 'mcp-legacy', url: `${gateway.url}/mcp` }));
      startups.at(-1).listedRss = rssOf(gateway.pid);
    } finally {
      await gateway.stop();
    }
  }
  const st = (key) => stat(startups.map((s) => ({ result: s })), (r) => r.result[key]);
  const listMs = (r) => (r.cpu.target ? r.cpu.target.microsPerCall / 1000 : undefined);
  const mainMs = (r) => (Number.isFinite(metrics.mainCpu(r)) ? metrics.mainCpu(r) / 1000 : undefined);
  const genMs = (r) => r.cpu.generator.microsPerCall / 1000;
  const paths = { rest: 'REST `GET /api/v1/tools` (one answer)', modern: `\`/mcp\` 2026-07-28 (${Math.ceil(total / 500)} pages of 500)`, legacy: `\`/mcp\` 2025 session (${Math.ceil(total / 500)} pages of 500)` };
  const rows = Object.entries(paths).map(([key, name]) => {
    const r = results[key];
    return `| ${name} | ${cell(stat(r, metrics.rps), (x) => num(x))} | ${cell(stat(r, metrics.p50))} | ${cell(stat(r, metrics.p99))} | ${cell(stat(r, mainMs))} | ${cell(stat(r, listMs))} | ${cell(stat(r, genMs))} | ${cell(stat(r, (x) => x.result.bytes.receivedPerCall / 1024), (x) => num(x))} | ${errorsOf(r)} |`;
  });
  sections.catalog = {
    cpu: Object.fromEntries(Object.entries(results).map(([key, r]) => [key, stat(r, mainMs).median])),
    client: Object.fromEntries(Object.entries(results).map(([key, r]) => [key, stat(r, genMs).median])),
    startMs: st('ms').median,
    ready: st('ready').min,
    rss: st('gatewayRss').median,
    p99: Math.max(...Object.values(results).map((r) => stat(r, metrics.p99).median)),
    p99s: Object.fromEntries(Object.entries(results).map(([key, r]) => [key, stat(r, metrics.p99).median])),
    p50s: Object.fromEntries(Object.entries(results).map(([key, r]) => [key, stat(r, metrics.p50).median])),
  };
  md.push(
    `## 4. Catalog scale: ${CATALOG_SERVERS} stdio upstreams × ${CATALOG_TOOLS} tools`,
    '',
    `A fresh gateway (uws) per round with ${CATALOG_SERVERS} \`catalog-server\` upstreams (raw stdio fixture, \`--tools ${CATALOG_TOOLS}\`, one worker thread each): ${total.toLocaleString('en')} tools, names unique. Start-up is from spawning the gateway to its "listening" line, which it prints once every upstream has answered its first discovery (or failed). Then one client lists the whole catalog in a closed loop (c=1, ${MEASURE_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up; every listing checked: exactly ${total} tools), REST then /mcp in both eras, in each round.`,
    '',
    '| | median (min–max) |',
    '|---|---|',
    `| start-up to all ready | ${cell(st('ms'), (x) => `${(x / 1000).toFixed(1)} s`)} |`,
    `| then until the gateway and upstreams use < 0.1 core (at most 15 s) | ${cell(st('settledMs'), (x) => `${(x / 1000).toFixed(1)} s`)} |`,
    `| gateway CPU when idle (all threads, 3 s) | ${cell(st('idleCores'), (x) => `${num(x, 2)} cores`)} |`,
    `| upstreams ready | ${cell(st('ready'), (x) => num(x))} of ${CATALOG_SERVERS} |`,
    `| gateway RSS, all up, idle | ${cell(st('gatewayRss'), formatBytes)} |`,
    `| gateway RSS after the listings | ${cell(st('listedRss'), formatBytes)} |`,
    `| upstream processes' RSS (sum) | ${cell(st('childRss'), formatBytes)} over ${median(startups.map((s) => s.children))} processes |`,
    '',
    '| path | listings/s | p50 ms | p99 ms | gateway main thread ms CPU/listing | gateway process ms CPU/listing | client ms CPU/listing | KiB per listing | errors |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'A listing is what a client does to learn the catalog: one REST answer, or every /mcp page following `nextCursor`; its latency includes the client parsing the JSON (the lean client parses every page to count and check the tools: "client" CPU). Lists are served by the main thread; the process figure also holds the idle background of 100 upstream workers (above), shared out over the listings.',
    ...failureLines(results),
    '',
  );
}

// ---- 5. memory -------------------------------------------------------------------------

function rssOf(pid) {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function childrenOf(pid) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {
      // gone
    }
  }
  return found;
}

/** When an idle gateway's RSS is read (ms after it reported ready): past V8's memory reducer. */
const STEADY_AFTER_MS = 15_000;

async function scenarioMemory() {
  const counts = [0, 1, 10, 50];
  console.error(`5. memory: gateway RSS idle with ${counts.join(', ')} upstream workers`);
  const results = Object.fromEntries(counts.map((n) => [n, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const n of counts) {
      // The raw catalog fixture starts in Node's own time, so 50 of them do not make the round about their start-up.
      const servers = Array.from({ length: n }, (_, i) => ({ id: `mem${i}`, transport: 'stdio', command: NODE, args: [CATALOG_SERVER, '--tools', '10', '--name', `mem${i}`] }));
      const gateway = await startGateway({ servers, timeoutMs: 180_000 });
      const readyAt = Date.now();
      try {
        // Idle: started, settled (no start-up work left), no call made — a call would add its catalog's and buffers' use.
        await settle(gateway.pid);
        const settledRss = rssOf(gateway.pid);
        // V8 gives back what start-up grew (young generation, old-space pages) only in its memory reducer's GC, ~8 s after start: the RSS an idle gateway stays at comes after it.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, readyAt + STEADY_AFTER_MS - Date.now())));
        const gatewayRss = rssOf(gateway.pid);
        const children = childrenOf(gateway.pid);
        const childRss = children.reduce((sum, pid) => sum + (rssOf(pid) ?? 0), 0);
        results[n].push({ settledRss, gatewayRss, childRss, children: children.length });
        console.error(`  ${n} upstreams: gateway RSS settled ${formatBytes(settledRss)}, idle ${formatBytes(gatewayRss)}; ${children.length} children ${formatBytes(childRss)}`);
      } finally {
        await gateway.stop();
      }
    }
  }
  const m = (n, key) => median(results[n].map((r) => r[key]));
  const range = (n, key) => {
    const v = results[n].map((r) => r[key]);
    return `${formatBytes(median(v))} (${formatBytes(Math.min(...v))}–${formatBytes(Math.max(...v))})`;
  };
  // Least squares over every round's figure: the cost of one more worker, with the noise of single rounds averaged out.
  const points = counts.flatMap((n) => results[n].map((r) => [n, r.gatewayRss]));
  const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
  const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
  const slope = points.reduce((sum, [x, y]) => sum + (x - meanX) * (y - meanY), 0) / points.reduce((sum, [x]) => sum + (x - meanX) ** 2, 0);
  const step = (from, to) => (m(to, 'gatewayRss') - m(from, 'gatewayRss')) / (to - from);
  const perChild = m(50, 'childRss') / 50;
  sections.memory = { perWorker: slope, first: m(1, 'gatewayRss') - m(0, 'gatewayRss'), perChild, base: m(0, 'gatewayRss'), settled: m(0, 'settledRss'), at50: m(50, 'gatewayRss') };
  md.push(
    `## 5. Memory: gateway RSS idle with ${counts.join(', ')} upstream workers`,
    '',
    `A fresh gateway (uws) per round and count with N \`catalog-server\` upstreams over stdio (raw fixture, 10 tools each; one worker thread each), no calls made. RSS read from /proc twice: "settled" once the gateway and its upstreams are idle (below 0.1 core over a second, at most 30 s after it reported ready), and "idle" ${STEADY_AFTER_MS / 1000} s after it reported ready, past V8's memory reducer (its first GC comes ~8 s after start and gives back the heap start-up grew): the RSS an idle gateway stays at, which the targets are read against. Rounds run every count in turn. The upstream processes are the fixture's, not what a real server costs (the demo server, on the SDK, is ~65 MiB).`,
    '',
    '| upstream workers | gateway RSS settled | gateway RSS idle | upstream processes | upstream processes RSS (sum) |',
    '|---|---|---|---|---|',
    ...counts.map((n) => `| ${n} | ${range(n, 'settledRss')} | ${range(n, 'gatewayRss')} | ${median(results[n].map((r) => r.children))} | ${n === 0 ? '—' : range(n, 'childRss')} |`),
    '',
    `**Cost per upstream worker in the gateway process:** ${formatBytes(slope)} (least-squares slope over every round, 0 → 50 workers). Step by step: the first worker adds ${formatBytes(step(0, 1))}, 1 → 10 ${formatBytes(step(1, 10))} each, 10 → 50 ${formatBytes(step(10, 50))} each. Each upstream process is another ${formatBytes(perChild)} on its own.`,
    '',
  );
}

// ---- 6. peers --------------------------------------------------------------------------

const PEERS_DIR = join(ROOT, 'bench/peers');
const peerBin = (name, bin) => join(PEERS_DIR, 'node_modules', name, bin);
const PEERS = {
  supergateway: { version: '4.0.0', bin: peerBin('supergateway', 'dist/index.js') },
  'mcp-proxy': { version: '6.7.19', bin: peerBin('mcp-proxy', 'dist/bin/mcp-proxy.mjs') },
  'mcp-hub': { version: '4.2.1', bin: peerBin('mcp-hub', 'dist/cli.js') },
};

/** Why scenario 6 cannot run, or undefined. */
function peersMissing() {
  const missing = Object.entries(PEERS).filter(([, peer]) => !existsSync(peer.bin)).map(([name]) => name);
  return missing.length === 0 ? undefined : `bench/peers is not installed (missing ${missing.join(', ')}): run \`npm ci --ignore-scripts --prefix bench/peers\``;
}

async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * A peer gateway process, ready once `probe` (a few echo calls through the
 * harness, answers checked) succeeds: its port being open says nothing about
 * its stdio child having started.
 */
async function startPeer(name, args, probe, { env } = {}) {
  const handle = spawnTracked(args, { env, killAfterMs: 5000, reap: true });
  const { child } = handle;
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-2000)));
  child.stdout.resume();
  const until = Date.now() + 60_000;
  let last = 'no answer';
  while (Date.now() < until && child.exitCode === null) {
    const ok = await runBench({ ...probe, concurrency: 1, requests: 3, durationMs: 5000, timeoutMs: 5000, threads: 1 }).then(
      (r) => (r.result.ok === 3 ? true : ((last = JSON.stringify(r.result.errorSamples)), false)),
      (error) => ((last = error.message), false),
    );
    if (ok) return handle;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await handle.stop();
  throw new Error(`${name} did not answer echo within 60 s (${last}); stderr: ${err.trim().slice(-500)}`);
}

async function scenarioPeers() {
  console.error('6. peers: echo over stdio through supergateway, mcp-proxy, mcp-hub and the gateway');
  const skip = peersMissing();
  if (skip) {
    console.error(`  skipped: ${skip}`);
    md.push('## 6. Peers: the same echo through supergateway, mcp-proxy and mcp-hub', '', `Skipped: ${skip}.`, '');
    return;
  }
  const demoCommand = [NODE, DEMO];
  const echo = (payload, tool = 'echo') => [{ tool, payload }];
  const gateway = await startGateway({ engine: 'uws', servers: [demoServer()] });
  const started = [gateway];
  try {
    const sgSsePort = await freePort();
    const sgSse = await startPeer('supergateway (SSE)', [PEERS.supergateway.bin, '--stdio', demoCommand.join(' '), '--port', String(sgSsePort), '--logLevel', 'none'], { target: { kind: 'mcp-sse', url: `http://127.0.0.1:${sgSsePort}/sse` }, calls: echo(10) });
    started.push(sgSse);
    const sgHttpPort = await freePort();
    const sgHttp = await startPeer('supergateway (Streamable HTTP)', [PEERS.supergateway.bin, '--stdio', demoCommand.join(' '), '--outputTransport', 'streamableHttp', '--stateful', '--port', String(sgHttpPort), '--logLevel', 'none'], { target: { kind: 'mcp-legacy', url: `http://127.0.0.1:${sgHttpPort}/mcp` }, calls: echo(10) });
    started.push(sgHttp);
    const proxyPort = await freePort();
    const proxy = await startPeer('mcp-proxy', [PEERS['mcp-proxy'].bin, '--port', String(proxyPort), '--host', '127.0.0.1', '--', ...demoCommand], { target: { kind: 'mcp-sse', url: `http://127.0.0.1:${proxyPort}/sse` }, calls: echo(10) });
    started.push(proxy);
    // mcp-hub keeps its state, logs and a marketplace cache under HOME: a scratch one, seeded so it fetches no registry at start.
    const hubHome = join(work, 'mcp-hub-home');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(hubHome, '.mcp-hub', 'cache'), { recursive: true });
    mkdirSync(join(hubHome, '.mcp-hub', 'logs'), { recursive: true });
    writeFileSync(join(hubHome, '.mcp-hub', 'cache', 'registry.json'), JSON.stringify({ registry: { servers: [{ id: 'none', name: 'none' }] }, lastFetchedAt: Date.now(), serverDocumentation: {} }));
    const hubConfig = join(work, 'mcp-hub.json');
    writeFileSync(hubConfig, JSON.stringify({ mcpServers: { demo: { command: NODE, args: [DEMO] } } }));
    const hubPort = await freePort();
    const hub = await startPeer('mcp-hub', [PEERS['mcp-hub'].bin, '--port', String(hubPort), '--config', hubConfig], { target: { kind: 'mcp-sse', url: `http://127.0.0.1:${hubPort}/mcp` }, calls: echo(10, 'demo__echo') }, { env: { HOME: hubHome, XDG_DATA_HOME: join(hubHome, 'data'), XDG_STATE_HOME: join(hubHome, 'state'), XDG_CONFIG_HOME: join(hubHome, 'config') } });
    started.push(hub);

    const paths = [
      { name: 'mcp-gateway REST (uws)', kind: 'gateway', pid: gateway.pid, target: { kind: 'rest', url: gateway.url } },
      { name: 'mcp-gateway /mcp 2026-07-28', kind: 'gateway', pid: gateway.pid, target: { kind: 'mcp', url: `${gateway.url}/mcp` } },
      { name: 'mcp-gateway /mcp 2025 session', kind: 'gateway', pid: gateway.pid, target: { kind: 'mcp-legacy', url: `${gateway.url}/mcp` } },
      { name: `supergateway ${PEERS.supergateway.version} SSE`, kind: 'peer', pid: sgSse.pid, target: { kind: 'mcp-sse', url: `http://127.0.0.1:${sgSsePort}/sse` } },
      { name: `supergateway ${PEERS.supergateway.version} Streamable HTTP (--stateful)`, kind: 'peer', pid: sgHttp.pid, target: { kind: 'mcp-legacy', url: `http://127.0.0.1:${sgHttpPort}/mcp` } },
      { name: `mcp-proxy ${PEERS['mcp-proxy'].version} SSE`, kind: 'peer', pid: proxy.pid, target: { kind: 'mcp-sse', url: `http://127.0.0.1:${proxyPort}/sse` } },
      { name: `mcp-proxy ${PEERS['mcp-proxy'].version} Streamable HTTP`, kind: 'peer', pid: proxy.pid, target: { kind: 'mcp-legacy', url: `http://127.0.0.1:${proxyPort}/mcp` } },
      { name: `mcp-hub ${PEERS['mcp-hub'].version} SSE`, kind: 'peer', pid: hub.pid, target: { kind: 'mcp-sse', url: `http://127.0.0.1:${hubPort}/mcp` }, tool: 'demo__echo' },
    ];
    const loads = [1, 64].map((c) => ({ c, key: `100 B c=${c}` }));
    const cells = {};
    for (const { c, key } of loads) {
      for (const path of paths) {
        // One session (SSE stream or Mcp-Session-Id) and, over HTTP, up to c sockets: what one agent process would open.
        cells[`${key}|${path.name}`] = () => measure(`${key} ${path.name}`, { target: path.target, calls: echo(100, path.tool), concurrency: c, sessions: 1, pids: [path.pid], durationMs: PEER_MEASURE_MS });
      }
    }
    const results = await rounds(cells);
    const rows = [];
    sections.peers = [];
    for (const { key } of loads) {
      for (const path of paths) {
        const r = results[`${key}|${path.name}`];
        rows.push(`| ${key} | ${path.name} | ${cell(stat(r, metrics.rps), (x) => num(x))} | ${cell(stat(r, metrics.p50))} | ${cell(stat(r, metrics.p99))} | ${cell(stat(r, metrics.targetCpu), (x) => num(x))} | ${cell(stat(r, metrics.childCpu), (x) => num(x))} | ${cell(stat(r, (x) => x.cpu.target?.rssPeakBytes), formatBytes)} | ${errorsOf(r)}${errorKinds(r)} |`);
      }
      const gatewayRest = results[`${key}|${paths[0].name}`];
      const g = { rps: stat(gatewayRest, metrics.rps).median, cpu: stat(gatewayRest, metrics.targetCpu).median };
      for (const path of paths.filter((p) => p.kind === 'peer')) {
        const r = results[`${key}|${path.name}`];
        const clean = errorsOf(r) === 0;
        // Both as "the gateway is N× better": its calls/s over the peer's, the peer's CPU per call over its.
        sections.peers.push({ key, peer: path.name, rps: ratio(stat(r, metrics.rps).median, g.rps), cpu: ratio(g.cpu, stat(r, metrics.targetCpu).median), rpsAhead: g.rps > stat(r, metrics.rps).median, cpuAhead: g.cpu < stat(r, metrics.targetCpu).median, clean, peerCpu: stat(r, metrics.targetCpu).median, gatewayCpu: g.cpu });
      }
    }
    md.push(
      '## 6. Peers: the same echo through supergateway, mcp-proxy and mcp-hub',
      '',
      `Scenario 2's call (the demo server's \`echo\`, 100 B, a fresh message per call, every answer checked against its request) with the demo server over stdio behind each: the gateway (uws; REST and /mcp in both eras) and the npm peers installed in \`bench/peers\` (supergateway ${PEERS.supergateway.version}, mcp-proxy ${PEERS['mcp-proxy'].version}, mcp-hub ${PEERS['mcp-hub'].version}), all running at once, rounds interleaved. The same lean client for all: REST POSTs, 2026-07-28 stateless POSTs, a 2025 session (\`Mcp-Session-Id\`), or the 2024-11-05 HTTP+SSE transport (a GET event stream, answers matched on it); one session each. Closed loop, ${PEER_MEASURE_MS / 1000} s per round after ${WARMUP_MS / 1000} s warm-up. supergateway's default stateless Streamable HTTP mode (a new server process per request, under 2 calls/s in the issue's measurements) is left out.`,
      '',
      '"proxy µs CPU/call": the gateway or peer process, all threads. "upstream": its demo server child.',
      '',
      '| load | path | calls/s | p50 ms | p99 ms | proxy µs CPU/call | upstream µs CPU/call | proxy peak RSS | errors |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      'Against the gateway\'s REST path (medians): gateway calls/s ÷ peer calls/s, and peer CPU per call ÷ gateway CPU per call (above 1×: the gateway is ahead).',
      '',
      '| load | peer | calls/s gateway/peer | CPU/call peer/gateway | gateway ahead on both |',
      '|---|---|---|---|---|',
      ...sections.peers.map((p) => `| ${p.key} | ${p.peer} | ${p.rps} | ${p.cpu} | ${p.rpsAhead && p.cpuAhead ? 'yes' : 'no'}${p.clean ? '' : ' (peer had errors)'} |`),
      ...failureLines(results),
      '',
    );
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

/** The error kinds of a cell's rounds, e.g. ` (mismatch 12)`. */
function errorKinds(reports) {
  const kinds = {};
  for (const r of reports.filter((x) => !x.failed)) for (const [kind, n] of Object.entries(r.result.errorsByKind ?? {})) kinds[kind] = (kinds[kind] ?? 0) + n;
  const text = Object.entries(kinds).map(([kind, n]) => `${kind} ${n}`).join(', ');
  return text === '' ? '' : ` (${text})`;
}

// ---- profile ---------------------------------------------------------------------------

/** Self time per function (and per package) from a .cpuprofile. */
function summarizeProfile(file, window) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map();
  const byPackage = new Map();
  let busy = 0;
  let idle = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    // Only the measured window: not start-up (module loading), warm-up or shutdown.
    if (window && (at < window.from || at > window.to)) continue;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    busy += dt;
    const where = shortUrl(frame.url);
    const key = frame.url ? `${frame.functionName || '(anonymous)'} — ${where}:${frame.lineNumber + 1}` : frame.functionName;
    byFunction.set(key, (byFunction.get(key) ?? 0) + dt);
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
  }
  const top = (map, n) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, us]) => ({ name, ms: us / 1000, share: us / Math.max(1, busy) }));
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions: top(byFunction, 15), packages: top(byPackage, 10) };
}

function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

function packageOf(frame) {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native built-ins: see functions)';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
  const nm = url.lastIndexOf('node_modules/');
  if (nm !== -1) {
    const parts = url.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return `gateway ${url.slice(dist + 6).split('/').slice(0, 2).join('/')}`;
  return url;
}

async function scenarioProfile() {
  for (const c of [64, 1]) await profileAt(c);
}

async function profileAt(c) {
  console.error(`profile: gateway (uws) under c=${c} echo 100 B with --cpu-prof`);
  const dir = join(work, `profile-c${c}`);
  const gateway = await startGateway({ engine: 'uws', servers: [demoServer()], nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  // V8's profile clock is CLOCK_MONOTONIC in µs, the clock of process.hrtime in any process on this machine.
  const epochToMonotonicUs = (epochMs) => epochMs * 1000 - (Date.now() * 1000 - Number(process.hrtime.bigint() / 1000n));
  let report;
  try {
    report = await measure(`profiled gateway c=${c} 100 B`, { target: { kind: 'rest', url: gateway.url }, calls: [{ tool: 'echo', payload: 100 }], concurrency: c, pids: [gateway.pid], durationMs: PROFILE_MS });
  } finally {
    await gateway.stop();
  }
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile: thread 0 is the main thread.
  const threadOf = (f) => Number(f.split('.')[4]);
  const from = report && !report.failed ? epochToMonotonicUs(Date.parse(report.startedAt)) : undefined;
  const window = from === undefined ? undefined : { from, to: from + report.result.elapsedSeconds * 1e6 };
  const summaries = files
    .map((f) => ({ file: f, thread: threadOf(f), ...summarizeProfile(join(dir, f), window) }))
    .sort((a, b) => a.thread - b.thread);
  const lines = [
    `## Profile: where the gateway spends its time (c=${c}, echo 100 B, REST, uws)`,
    '',
    `\`node --cpu-prof dist/src/cli/main.js start …\` under ${PROFILE_MS / 1000} s of closed-loop c=${c} load (profiling slows it: ${report && !report.failed ? `${Math.round(report.result.callsPerSecond)} calls/s, ${Math.round(report.cpu.target?.microsPerCall ?? NaN)} µs CPU/call during this run` : 'run failed'}). One profile per thread; samples of the measured window only (no start-up, warm-up or shutdown); self time, as a share of busy time (idle excluded). Thread 0 is the main thread (front door, REST, routing); thread 1 the upstream worker (its raw stdio connection).`,
    '',
  ];
  for (const s of summaries) {
    lines.push(
      `### c=${c}, thread ${s.thread}${s.thread === 0 ? ' (main)' : ' (upstream worker)'}: ${num(s.busyMs)} ms busy, ${num(s.idleMs)} ms idle`,
      '',
      'By package:',
      '',
      '| package | self ms | share of busy |',
      '|---|---|---|',
      ...s.packages.map((p) => `| ${p.name} | ${num(p.ms)} | ${num(p.share * 100, 1)}% |`),
      '',
      'Top functions:',
      '',
      '| function — file:line | self ms | share of busy |',
      '|---|---|---|',
      ...s.functions.map((f) => `| ${f.name.replace(/\|/g, '\\|')} | ${num(f.ms)} | ${num(f.share * 100, 1)}% |`),
      '',
    );
  }
  if (summaries.length === 0) lines.push('No profile was written (did the gateway exit cleanly?).', '');
  md.push(...lines);
}

// ---- main ------------------------------------------------------------------------------

const info = machine();
const loadBefore = load();
console.error(`scenarios: ${QUICK ? 'quick, ' : ''}${ROUNDS} rounds, ${MEASURE_MS / 1000} s per run; load average ${loadBefore}`);
const loads = [];
try {
  const plan = [
    ['1', scenarioFrontDoor],
    ['2', scenarioEcho],
    ['3', scenarioReplicas],
    ['4', scenarioCatalog],
    ['5', scenarioMemory],
    ['6', scenarioPeers],
    ['profile', scenarioProfile],
  ];
  for (const [id, run] of plan) {
    if (!ONLY.has(id)) continue;
    const before = load();
    try {
      await run();
    } catch (error) {
      console.error(`scenario ${id} failed: ${error.stack ?? error}`);
      md.push(`## Scenario ${id}: failed`, '', '```', String(error.stack ?? error), '```', '');
    }
    loads.push(`${id}: ${before} → ${load()}`);
  }
} finally {
  await cleanup();
  clearTimeout(killSwitch);
}

writeResults();

/** Writes RESULTS.md from what has been measured (all of it, or what finished before the time limit). */
function writeResults(overran = false) {
  const header = [
    '# mcp-gateway benchmark results',
    '',
    `Written by \`${['node bench/scenarios.mjs', ...argv].join(' ')}\` (\`npm run bench\`) in ${((Date.now() - scriptStarted) / 60000).toFixed(1)} min. How to read it: bench/README.md.${overran ? ` **The run overran its ${SCRIPT_LIMIT_MS / 60000} min limit and was stopped: the scenarios below are the ones that finished.**` : ''}`,
    '',
    '| | |',
    '|---|---|',
    `| machine | ${info.nproc} × ${info.cpu} (\`nproc\` ${info.nproc}) |`,
    `| load average (1 5 15 min) | before ${loadBefore}; per scenario ${loads.join('; ')} |`,
    `| Node | ${info.node} |`,
    `| commit | ${info.commit} |`,
    `| date | ${info.date} |`,
    `| rounds | ${ROUNDS} per figure, interleaved; figures are median (min–max)${QUICK ? '; --quick: 1 s runs' : ''} |`,
    '',
  ];
  const summary = ['## Summary', ''];
  if (sections.frontDoor) summary.push(`- Front door (health): uws/node requests/s ${sections.frontDoor.rps}, gateway CPU per request ${sections.frontDoor.cpu}.`);
  for (const e of sections.echo ?? []) summary.push(`- echo ${e.key}: gateway REST/direct calls/s ${e.rps}, p50 ${e.p50}, p99 ${e.p99}; gateway ${num(e.gwCpu)} µs CPU/call (REST, ${e.gatewayOverFloor} the relay floor's ${num(e.floorCpu)})${Number.isFinite(e.mcpCpu) ? `, ${num(e.mcpCpu)} via /mcp 2026-07-28 (calls/s /mcp/direct ${e.mcpVsDirect})` : ''}; modern-http direct/gateway calls/s ${e.modernVsGateway}.`);
  if (sections.replicas) summary.push(`- Replicas (CPU-bound upstream): 2 workers / 1 = ${sections.replicas.gateway} calls/s through the gateway (direct, 2 processes / 1: ${sections.replicas.direct}).`);
  if (sections.catalog) summary.push(`- Catalog scale (${CATALOG_SERVERS} × ${CATALOG_TOOLS} tools): all ready in ${num(sections.catalog.startMs / 1000, 1)} s, gateway RSS ${formatBytes(sections.catalog.rss)}; a whole listing p50/p99 REST ${sig(sections.catalog.p50s.rest)}/${sig(sections.catalog.p99s.rest)} ms, /mcp 2026-07-28 ${sig(sections.catalog.p50s.modern)}/${sig(sections.catalog.p99s.modern)} ms, 2025 ${sig(sections.catalog.p50s.legacy)}/${sig(sections.catalog.p99s.legacy)} ms.`);
  if (sections.memory) summary.push(`- Memory: gateway idle RSS ${formatBytes(sections.memory.base)} with no upstream (${formatBytes(sections.memory.settled)} when it has just settled), +${formatBytes(sections.memory.perWorker)} per upstream worker (${formatBytes(sections.memory.at50)} with 50).`);
  if (sections.peers) {
    const c64 = sections.peers.filter((p) => p.key.endsWith('c=64'));
    if (c64.length > 0) summary.push(`- Peers (echo 100 B c=64, against the gateway's REST path): the gateway's calls/s over each peer's ${c64.map((p) => `${p.peer} ${p.rps}`).join(', ')}; each peer's CPU per call over the gateway's ${c64.map((p) => `${p.peer} ${p.cpu}`).join(', ')}.`);
  }
  summary.push('');
  writeFileSync(OUT, [...header, ...summary, ...targets(), ...md].join('\n'));
  console.error(`wrote ${OUT}`);
}


/** Issue 13's targets, each with the figure this run measured and whether it is met. */
function targets() {
  const rows = [];
  const echo = (key) => (sections.echo ?? []).find((e) => e.key === key);
  const verdict = (measured, ok) => (Number.isFinite(measured) ? (ok ? 'met' : 'not met') : 'not measured');
  const add = (target, figure, state, where) => rows.push(`| ${target} | ${figure} | ${state} | ${where} |`);
  const small64 = echo(`${formatBytes(100)} c=64`);
  add('Gateway CPU per call at c=64, 100 B: ≤ 0.05 ms', small64 ? `${num(small64.gwCpu)} µs (REST, all threads); the design's floor (relay floor, same run) ${num(small64.floorCpu)} µs, the gateway ${small64.gatewayOverFloor} of it` : '—', small64 ? verdict(small64.gwCpu, small64.gwCpu <= 50) : 'not measured', '2');
  const cheapest = (sections.peers ?? []).filter((p) => p.key.endsWith('c=64') && Number.isFinite(p.peerCpu)).sort((a, b) => a.peerCpu - b.peerCpu)[0];
  add('… and ≥ 6× below the cheapest peer', cheapest ? `${num(cheapest.peerCpu / cheapest.gatewayCpu, 1)}× below ${cheapest.peer} (${num(cheapest.peerCpu)} vs ${num(cheapest.gatewayCpu)} µs/call)` : '—', cheapest ? verdict(cheapest.peerCpu, cheapest.peerCpu / cheapest.gatewayCpu >= 6) : 'not measured', '6');
  const small1 = echo(`${formatBytes(100)} c=1`);
  for (const [surface, name] of [['rest', 'REST'], ['mcp', '/mcp 2026-07-28']]) {
    const added = small1?.overIdeal[surface];
    add(
      `Added latency at c=1 over the ideal endpoint, same client, ${name}: p50 ≤ 0.2 ms, p99 ≤ 1 ms`,
      added ? `p50 +${num(added.p50, 3)} ms, p99 +${num(added.p99, 2)} ms${surface === 'rest' ? `; the relay floor's own (same run): p50 +${num(small1.overIdeal.floor.p50, 3)} ms, p99 +${num(small1.overIdeal.floor.p99, 2)} ms` : ''}` : '—',
      added ? verdict(added.p50, added.p50 <= 0.2 && added.p99 <= 1) : 'not measured',
      '2',
    );
  }
  add('Throughput through the gateway ≥ 0.5× direct stdio, lean client, c=64, 100 B', small64 ? `${num(small64.restOverDirect, 2)}×` : '—', small64 ? verdict(small64.restOverDirect, small64.restOverDirect >= 0.5) : 'not measured', '2');
  const big64 = echo(`${formatBytes(100 * 1024)} c=64`);
  add('… ≥ 0.8× at 100 KB', big64 ? `${num(big64.restOverDirect, 2)}×` : '—', big64 ? verdict(big64.restOverDirect, big64.restOverDirect >= 0.8) : 'not measured', '2');
  const door = sections.frontDoor;
  add('uWebSockets.js ≥ 2× less CPU per request than node:http', door ? `${num(door.nodeOverUws, 2)}× less` : '—', door ? verdict(door.nodeOverUws, door.nodeOverUws >= 2) : 'not measured', '1');
  const replicas = sections.replicas;
  add('`--workers 2` ≥ 1.7× `--workers 1`', replicas ? `${num(replicas.twoOverOne, 2)}×` : '—', replicas ? verdict(replicas.twoOverOne, replicas.twoOverOne >= 1.7) : 'not measured', '3');
  const memory = sections.memory;
  add('RSS ≤ 60 MB idle', memory ? formatBytes(memory.base) : '—', memory ? verdict(memory.base, memory.base <= 60 * 1e6) : 'not measured', '5');
  add('… plus ≤ 15 MB per upstream worker', memory ? `${formatBytes(memory.perWorker)} per worker` : '—', memory ? verdict(memory.perWorker, memory.perWorker <= 15 * 1e6) : 'not measured', '5');
  const catalog = sections.catalog;
  add(`${CATALOG_SERVERS} × ${CATALOG_TOOLS} catalog lists in ≤ 5 ms p99`, catalog ? `p99 of a whole listing (client parse included): REST ${sig(catalog.p99s.rest)} ms, /mcp 2026-07-28 ${sig(catalog.p99s.modern)} ms, 2025 ${sig(catalog.p99s.legacy)} ms; gateway main thread CPU per listing REST ${sig(catalog.cpu.rest)} ms, /mcp ${sig(catalog.cpu.modern)} ms; the client's own JSON parse ${sig(catalog.client.rest)} ms (REST)` : '—', catalog ? verdict(catalog.p99, catalog.p99 <= 5) : 'not measured', '4');
  for (const load of [...new Set((sections.peers ?? []).map((p) => p.key))]) {
    const peers = sections.peers.filter((p) => p.key === load);
    const behind = peers.filter((p) => !(p.rpsAhead && p.cpuAhead)).map((p) => p.peer);
    add(`Ahead of every peer on scenario 6 in throughput and CPU per call (${load})`, peers.map((p) => `${p.peer}: gateway calls/s ${p.rps}, peer CPU/call ${p.cpu}`).join('; '), behind.length === 0 ? 'met' : `not met (${behind.join(', ')})`, '6');
  }
  if (!sections.peers) add('Ahead of every peer on scenario 6 in throughput and CPU per call', '—', 'not measured', '6');
  return [
    '## Targets (issue 13)',
    '',
    'Each target with the figure this run measured (medians; MB = 10⁶ bytes, MiB = 2²⁰). Ratios are from one run on a shared machine: read them with the spread and load shown in each scenario.',
    '',
    '| target | measured | | scenario |',
    '|---|---|---|---|',
    ...rows,
    '',
  ];
}
