/**
 * The bench harness against real targets, in small bounded runs (a few hundred
 * calls): the demo server over stdio, a real in-process Gateway's REST API, the
 * legacy (v1 SDK, sessions) and modern (SDK v2, 2026-07-28) HTTP fixtures, and
 * a deliberately wrong server. No assertion depends on wall-clock speed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { normalizeConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import type { BenchReport } from '../../src/bench/report.js';
import { runBench, type BenchOptions } from '../../src/bench/runner.js';
import type { TargetSpec } from '../../src/bench/types.js';
import { demoServer, startHttpFixture, type RunningFixture } from '../fixtures/paths.js';

const demo: TargetSpec = { kind: 'stdio', command: process.execPath, args: [demoServer], protocol: 'auto' };
const echo100 = [{ tool: 'echo', payload: 100 }] as const;

function bench(options: Partial<BenchOptions> & Pick<BenchOptions, 'target'>): Promise<BenchReport> {
  return runBench({ calls: echo100, concurrency: 4, durationMs: 30_000, requests: 200, timeoutMs: 10_000, ...options });
}

function assertClean(report: BenchReport, calls: number): void {
  assert.deepEqual(report.result.errorsByKind, {}, JSON.stringify(report.result.errorSamples));
  assert.equal(report.result.ok, calls);
  assert.equal(report.result.completed, calls);
  assert.equal(report.result.latencyMs.count, calls);
  assert.ok(report.result.latencyMs.p50 > 0 && report.result.latencyMs.p50 <= report.result.latencyMs.p99 && report.result.latencyMs.p99 <= report.result.latencyMs.max);
  assert.ok(report.result.callsPerSecond > 0);
}

/**
 * A stdio server that gets echo wrong on every third call (and answers
 * `initialize` like a 2025 server, refusing the 2026 probe).
 */
const WRONG_ECHO_SERVER = `
let n = 0, buf = '';
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i); buf = buf.slice(i + 1);
    if (!line) continue;
    const m = JSON.parse(line);
    if (m.id === undefined) continue;
    if (m.method === 'initialize') out({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'wrong', version: '0' } } });
    else if (m.method === 'tools/call') {
      const text = ++n % 3 === 0 ? 'not what you sent' : m.params.arguments.message;
      out({ jsonrpc: '2.0', id: m.id, result: { content: [{ type: 'text', text }] } });
    } else out({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } });
  }
});
process.stdin.on('end', () => process.exit(0));
`;

describe('stdio target (lean client, the demo server)', () => {
  it('makes exactly the requested calls, all checked as echoes, and measures the spawned server', async () => {
    const report = await bench({ target: demo, concurrency: 8, warmup: { requests: 20 } });
    assertClean(report, 200);
    assert.equal(report.load.threads, 1, 'one stdio child: one thread');
    assert.equal(report.cpu.target?.pids.length, 1, 'the spawned server is the target');
    assert.ok((report.cpu.target?.rssBytes ?? 0) > 0);
    assert.ok(report.result.bytes.sent >= 200 * 100 && report.result.bytes.received >= 200 * 100);
  });

  it('spreads calls over several server processes with --connections', async () => {
    const report = await bench({ target: demo, connections: 2, threads: 2, requests: 100 });
    assertClean(report, 100);
    assert.equal(report.load.threads, 2);
    assert.equal(report.cpu.target?.pids.length, 2);
  });

  it('speaks 2025 to the same server with --protocol legacy', async () => {
    const report = await bench({ target: { ...demo, protocol: 'legacy' }, requests: 50 });
    assertClean(report, 50);
  });

  it('counts wrong answers as mismatch errors, one per wrong call', async () => {
    const wrong: TargetSpec = { kind: 'stdio', command: process.execPath, args: ['-e', WRONG_ECHO_SERVER], protocol: 'auto' };
    const report = await bench({ target: wrong, concurrency: 1, requests: 90 });
    assert.equal(report.result.completed, 90);
    assert.equal(report.result.errorsByKind.mismatch, 30);
    assert.equal(report.result.ok, 60);
    assert.equal(report.result.errors, 30);
    assert.match(report.result.errorSamples.mismatch?.[0] ?? '', /^expected "t.*, got "not what you sent"$/);
    assert.equal(report.result.latencyMs.count, 60, 'only successes are in the latency histogram');
  });

  it('counts tool errors as errors unless expected', async () => {
    const failing = await bench({ target: demo, calls: [{ tool: 'fail', arguments: { message: 'no' } }], requests: 20 });
    assert.equal(failing.result.errorsByKind.tool_error, 20);
    const expected = await bench({ target: demo, calls: [{ tool: 'fail', arguments: { message: 'no' }, expect: { isError: true, text: 'no' } }], requests: 20 });
    assertClean(expected, 20);
  });

  it('open loop: issues the scheduled number of calls (rate × duration), none more', async () => {
    const report = await runBench({ target: demo, calls: echo100, concurrency: 50, rate: 400, durationMs: 500, timeoutMs: 10_000 });
    assert.equal(report.load.mode, 'open');
    assert.equal(report.result.completed + report.result.missed, 200);
    assert.equal(report.result.errors - report.result.missed, 0, JSON.stringify(report.result.errorSamples));
  });

  it('open loop with a count: the count bounds the schedule', async () => {
    const report = await runBench({ target: demo, calls: echo100, concurrency: 50, rate: 1000, requests: 120, durationMs: 60_000, timeoutMs: 10_000 });
    assert.equal(report.result.completed + report.result.missed, 120);
  });

  it('weighted call mixes follow their weights', async () => {
    const report = await bench({
      target: demo,
      requests: 120,
      calls: [
        { tool: 'echo', payload: 10, weight: 2 },
        { tool: 'add', arguments: { a: 1, b: 2 }, expect: { text: '3' }, weight: 1 },
        { tool: 'add', arguments: { a: 1, b: 2 }, expect: { text: '4' }, weight: 1 },
      ],
    });
    // The deck is deterministic: a quarter of the calls expect the wrong sum.
    assert.equal(report.result.errorsByKind.mismatch, 30);
    assert.equal(report.result.ok, 90);
  });
});

describe('rest target (lean client, a real gateway in this process)', () => {
  let gateway: Gateway;
  let url: string;
  before(async () => {
    const config = normalizeConfig({ port: 0, host: '127.0.0.1', servers: [{ id: 'demo', transport: 'stdio', command: process.execPath, args: [demoServer] }] }, { env: {} });
    gateway = new Gateway(config, { logLevel: 'silent', httpEngine: 'node' });
    await gateway.start();
    url = gateway.url;
  });
  after(() => gateway.stop());

  it('drives POST /api/v1/tools/call over two threads and merges their histograms', async () => {
    const report = await bench({ target: { kind: 'rest', url }, threads: 2, concurrency: 4, pids: [process.pid] });
    assertClean(report, 200);
    assert.equal(report.load.threads, 2);
    assert.equal(report.load.connections, 4);
    assert.deepEqual(report.cpu.target?.pids, [process.pid]);
    assert.equal(report.cpu.children?.pids.length, 1, "the gateway's stdio upstream is a child");
  });

  it('a wrong expectation through the gateway is a mismatch; an unknown tool an HTTP error by code', async () => {
    const wrongSum = await bench({ target: { kind: 'rest', url }, calls: [{ tool: 'add', arguments: { a: 1, b: 2 }, expect: { text: '4' } }], requests: 20 });
    assert.equal(wrongSum.result.errorsByKind.mismatch, 20);
    const unknown = await bench({ target: { kind: 'rest', url }, calls: [{ tool: 'no_such_tool' }], requests: 10 });
    const kinds = Object.keys(unknown.result.errorsByKind);
    assert.equal(kinds.length, 1);
    assert.match(kinds[0]!, /^http_404 MCPGW_ERR_/);
    assert.equal(unknown.result.errors, 10);
  });

  it('routes with the server field, and loads GET /api/v1/health with the get target', async () => {
    const routed = await bench({ target: { kind: 'rest', url }, calls: [{ tool: 'echo', payload: 50, server: 'demo' }], requests: 30 });
    assertClean(routed, 30);
    const health = await bench({ target: { kind: 'get', url: `${url}/api/v1/health` }, calls: [{ tool: 'GET' }], requests: 50 });
    assertClean(health, 50);
    assert.equal(health.result.bytes.sent, 0);
  });
});

describe('MCP over HTTP targets', () => {
  let legacy: RunningFixture;
  let modern: RunningFixture;
  before(async () => {
    [legacy, modern] = await Promise.all([startHttpFixture('legacy-http'), startHttpFixture('modern-http')]);
  });
  after(async () => {
    await Promise.all([legacy?.stop(), modern?.stop()]);
  });

  it('mcp-legacy: initialize + Mcp-Session-Id sessions, calls round-robin over them', async () => {
    const report = await bench({ target: { kind: 'mcp-legacy', url: legacy.url }, sessions: 3, requests: 150, pids: [legacy.child.pid!] });
    assertClean(report, 150);
    assert.equal(report.load.sessions, 3);
    assert.ok(report.cpu.target !== undefined);
  });

  it('mcp (2026-07-28): stateless POSTs with the required headers and _meta', async () => {
    const report = await bench({ target: { kind: 'mcp', url: modern.url }, requests: 150 });
    assertClean(report, 150);
  });

  it('mcp refuses an endpoint that does not speak 2026-07-28', async () => {
    await assert.rejects(bench({ target: { kind: 'mcp', url: legacy.url }, requests: 5 }), /server\/discover failed|does not support 2026-07-28/);
  });

  it('--client sdk: SDK v2 Client.callTool against the modern and legacy endpoints', async () => {
    const modernSdk = await bench({ target: { kind: 'mcp', url: modern.url }, client: 'sdk', requests: 60 });
    assertClean(modernSdk, 60);
    const legacySdk = await bench({ target: { kind: 'mcp-legacy', url: legacy.url }, client: 'sdk', requests: 60 });
    assertClean(legacySdk, 60);
  });

  it('--client sdk over stdio, pinned to 2026-07-28', async () => {
    const report = await bench({ target: { ...demo, protocol: 'modern' }, client: 'sdk', requests: 60 });
    assertClean(report, 60);
    assert.equal(report.cpu.target?.pids.length, 1);
  });
});

describe('bounds and refusals', () => {
  it('refuses a target that is not on loopback before sending anything', async () => {
    await assert.rejects(bench({ target: { kind: 'rest', url: 'http://192.0.2.1:4000' } }), /only targets loopback/);
  });

  it('a target that cannot be reached fails the run at connect, not with N errors', async () => {
    await assert.rejects(bench({ target: { kind: 'rest', url: 'http://127.0.0.1:9' } }), /cannot reach/);
  });

  it('a stdio server that exits at once fails the run with its stderr', async () => {
    const dead: TargetSpec = { kind: 'stdio', command: process.execPath, args: ['-e', 'console.error("boom"); process.exit(3)'], protocol: 'auto' };
    await assert.rejects(bench({ target: dead }), /code 3.*boom|boom.*code 3|exited/s);
  });
});
