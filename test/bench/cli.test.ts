/**
 * `mcp-gateway bench` as a command: the --json shape, the text report,
 * --compare, and its usage errors. Runs in-process with captured output (and
 * once as the real compiled CLI), against the demo server over stdio.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CliIo } from '../../src/cli/args.js';
import { runBench } from '../../src/cli/bench.js';
import type { BenchReport } from '../../src/bench/report.js';
import { demoServer } from '../fixtures/paths.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const DEMO = `"${process.execPath}" "${demoServer}"`;

function capture(cwd: string): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { stdout: { write: (t: string) => (out += t) }, stderr: { write: (t: string) => (err += t) }, env: {}, cwd },
    out: () => out,
    err: () => err,
  };
}

describe('mcp-gateway bench (command)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mcpgw-bench-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('--json prints a versioned report with throughput, latency, errors, bytes and CPU', async () => {
    const { io, out, err } = capture(dir);
    const code = await runBench(['--command', DEMO, '-n', '60', '-c', '3', '-w', '0', '--payload', '1k', '--json', '--label', 'direct'], io);
    assert.equal(code, 0, err());
    const report = JSON.parse(out()) as BenchReport;
    assert.equal(report.schema, 'mcp-gateway-bench/1');
    assert.equal(report.label, 'direct');
    assert.deepEqual(report.target, { kind: 'stdio', command: process.execPath, args: [demoServer], protocol: 'auto' });
    assert.deepEqual(report.calls, [{ tool: 'echo', payload: 1024 }]);
    assert.equal(report.load.mode, 'closed');
    assert.equal(report.load.concurrency, 3);
    assert.equal(report.load.requests, 60);
    assert.equal(report.result.ok, 60);
    assert.equal(report.result.errors, 0);
    for (const key of ['min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max', 'count'] as const) assert.equal(typeof report.result.latencyMs[key], 'number', key);
    assert.ok(report.result.bytes.sentPerCall > 1024);
    assert.equal(typeof report.cpu.generator.microsPerCall, 'number');
    assert.equal(report.cpu.target?.pids.length, 1);
    assert.equal(typeof report.cpu.target?.microsPerCall, 'number');
    assert.equal(typeof report.histogram, 'string');
    assert.equal(err(), '', 'no progress line when stderr is not a TTY');
  });

  it('prints a text report and writes --out; --compare shows both runs with ratios', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const first = capture(dir);
    assert.equal(await runBench(['--command', DEMO, '-n', '40', '-w', '0', '--out', a, '--label', 'c1', '-c', '1'], first.io), 0, first.err());
    assert.match(first.out(), /^c1: stdio: /);
    assert.match(first.out(), /throughput \d+ calls\/s \(40 in/);
    assert.match(first.out(), /latency ms p50 [\d.]+ +p90 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+ +max [\d.]+/);
    assert.match(first.out(), /target +pid \d+: \d+ µs CPU\/call/);
    const second = capture(dir);
    assert.equal(await runBench(['--command', DEMO, '-n', '40', '-w', '0', '--out', 'b.json', '--label', 'c4', '-c', '4', '--json'], second.io), 0);
    assert.deepEqual(JSON.parse(await readFile(b, 'utf8')), JSON.parse(second.out()));

    const compared = capture(dir);
    assert.equal(await runBench(['--compare', a, 'b.json'], compared.io), 0, compared.err());
    const text = compared.out();
    assert.match(text, new RegExp(`^${a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: c1 — stdio`, 'm'));
    assert.match(text, /^b\.json: c4 — stdio/m);
    assert.match(text, /^calls\/s +\d+ +\d+ +[\d.]+×$/m);
    assert.match(text, /^p99 ms +[\d.]+ +[\d.]+ +[\d.]+×$/m);
    assert.match(text, /^target µs CPU\/call +\d+ +\d+ +[\d.]+×$/m);
  });

  it('--compare refuses files that are not reports, and needs two', async () => {
    const bogus = join(dir, 'bogus.json');
    await writeFile(bogus, '{"hello": 1}');
    const bad = capture(dir);
    assert.equal(await runBench(['--compare', bogus, bogus], bad.io), 1);
    assert.match(bad.err(), /not a bench report/);
    const short = capture(dir);
    assert.equal(await runBench(['--compare', bogus], short.io), 2);
    assert.match(short.err(), /needs two report files/);
  });

  it('usage errors exit 2 with the reason and the help', async () => {
    const cases: [string[], RegExp][] = [
      [[], /a rest target needs --url/],
      [['-u', 'http://127.0.0.1:1', '--command', 'x'], /not both/],
      [['--command', DEMO, '-c', '0'], /--concurrency must be a positive integer/],
      [['--command', DEMO, '--payload', 'lots'], /not a size/],
      [['--command', DEMO, '-d', 'forever'], /not a duration/],
      [['--command', DEMO, '--expect', 'maybe'], /--expect: must be/],
      [['--command', DEMO, '--client', 'curl'], /--client must be lean or sdk/],
      [['-t', 'ftp', '-u', 'http://127.0.0.1:1'], /--target must be one of/],
      [['--command', DEMO, '--args', '[1]'], /--args must be a JSON object/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const run = capture(dir);
      assert.equal(await runBench(argv, run.io), 2, argv.join(' '));
      assert.match(run.err(), message, argv.join(' '));
      assert.match(run.err(), /Usage: mcp-gateway bench/);
    }
  });

  it('a non-loopback URL is refused before any traffic (exit 1)', async () => {
    const run = capture(dir);
    assert.equal(await runBench(['-u', 'http://192.0.2.10:4000', '-n', '1'], run.io), 1);
    assert.match(run.err(), /only targets loopback/);
  });

  it('a --calls file drives a weighted mix', async () => {
    const file = join(dir, 'calls.json');
    await writeFile(file, JSON.stringify([{ tool: 'echo', payload: '2k', weight: 3 }, { tool: 'add', arguments: { a: 2, b: 2 }, expect: 'text:4' }]));
    const run = capture(dir);
    assert.equal(await runBench(['--command', DEMO, '--calls', 'calls.json', '-n', '40', '-w', '0', '--json'], run.io), 0, run.err());
    const report = JSON.parse(run.out()) as BenchReport;
    assert.equal(report.result.ok, 40);
    assert.deepEqual(report.calls[0], { tool: 'echo', payload: 2048, weight: 3 });
  });

  it('is registered in the real CLI, with its help', async () => {
    const help = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [CLI, 'bench', '--help'], { timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    for (const option of ['--url URL', '--target KIND', '--command "CMD ARGS"', '--concurrency N', '--rate R', '--pid PID[,PID]', '--json', '--compare A.json B.json', '--client C']) {
      assert.ok(help.includes(option), option);
    }
  });
});
