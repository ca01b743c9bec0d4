/** The harness's pure parts: parsing, the call mix, answer checks, /proc parsing, splitting, report formatting. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as hdr from 'hdr-histogram-js';
import { CallPlan, checkToolResult, makeMessage, parseCallMix, parseDuration, parseSize, prepare } from '../../src/bench/calls.js';
import { rpcMessage, type HttpReply } from '../../src/bench/http.js';
import { headerSafe } from '../../src/bench/targets/mcp-modern.js';
import { restCallUrl } from '../../src/bench/targets/rest.js';
import { descendants, parseStat, sampleGroup, usageBetween } from '../../src/bench/proc-stats.js';
import { formatCompare, formatText, ms, ratio, type BenchReport } from '../../src/bench/report.js';
import { split } from '../../src/bench/runner.js';
import { splitCommand } from '../../src/cli/bench.js';

describe('bench: parsing', () => {
  it('sizes and durations', () => {
    assert.equal(parseSize('100'), 100);
    assert.equal(parseSize('1k'), 1024);
    assert.equal(parseSize('100KB'), 102_400);
    assert.equal(parseSize('1MiB'), 1_048_576);
    assert.throws(() => parseSize('-1'), /not a size/);
    assert.equal(parseDuration('10'), 10_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('2m'), 120_000);
    assert.throws(() => parseDuration('soon'), /not a duration/);
  });

  it('command lines split like a shell does for words and quotes', () => {
    assert.deepEqual(splitCommand('node  server.js --flag'), ['node', 'server.js', '--flag']);
    assert.deepEqual(splitCommand(`"/my path/node" 'a b' c\\ d "x\\"y" ''`), ['/my path/node', 'a b', 'c d', 'x"y', '']);
    assert.throws(() => splitCommand('node "open'), /unclosed/);
  });

  it('call mixes are validated field by field', () => {
    assert.deepEqual(parseCallMix({ calls: [{ tool: 'echo', payload: '1k' }] }, 'f'), [{ tool: 'echo', payload: 1024 }]);
    assert.throws(() => parseCallMix([], 'f'), /non-empty array/);
    assert.throws(() => parseCallMix([{ tool: '' }], 'f'), /f\[0\]\.tool/);
    assert.throws(() => parseCallMix([{ tool: 'x', weight: 0 }], 'f'), /weight/);
    assert.throws(() => parseCallMix([{ tool: 'x', extra: 1 }], 'f'), /unknown field\(s\) extra/);
    assert.throws(() => parseCallMix([{ tool: 'x', expect: 'sometimes' }], 'f'), /expect/);
  });

  it('REST URLs: the base, /api/v1 or the full call path', () => {
    for (const url of ['http://127.0.0.1:4000', 'http://127.0.0.1:4000/', 'http://127.0.0.1:4000/api/v1', 'http://127.0.0.1:4000/api/v1/tools/call']) {
      assert.equal(restCallUrl(url).href, 'http://127.0.0.1:4000/api/v1/tools/call', url);
    }
  });

  it('non-ASCII header values use the base64 sentinel', () => {
    assert.equal(headerSafe('echo'), 'echo');
    assert.equal(headerSafe('héllo'), `=?base64?${Buffer.from('héllo').toString('base64')}?=`);
  });
});

describe('bench: the call mix and answer checks', () => {
  it('payloads have the exact size and are unique per call', () => {
    assert.equal(makeMessage(100, 'tag:').length, 100);
    assert.equal(makeMessage(100_000, 'tag:').length, 100_000);
    assert.equal(makeMessage(2, 'longtag'), 'longtag');
    const plan = new CallPlan([{ tool: 'echo', payload: 64 }], 'p');
    const a = plan.next();
    const b = plan.next();
    assert.notEqual(a.arguments.message, b.arguments.message);
    assert.equal(a.expectText, a.arguments.message);
  });

  it('weights are honoured exactly over a cycle, interleaved', () => {
    const plan = new CallPlan(
      [
        { tool: 'a', weight: 3 },
        { tool: 'b', weight: 1 },
      ],
      'p',
    );
    const tools = Array.from({ length: 8 }, () => plan.next().tool);
    assert.equal(tools.filter((t) => t === 'b').length, 2);
    // Smooth weighted round-robin: b sits inside the cycle, not bunched at its end.
    assert.deepEqual(tools.slice(0, 4), ['a', 'a', 'b', 'a']);
  });

  it('checks: echo text, tool errors, wrong shapes', () => {
    const call = prepare({ tool: 'echo', arguments: { message: 'hi' }, expect: 'echo' }, 't');
    assert.equal(checkToolResult({ content: [{ type: 'text', text: 'hi' }] }, call), undefined);
    assert.equal(checkToolResult({ content: [{ type: 'text', text: 'ho' }] }, call)?.error, 'mismatch');
    assert.equal(checkToolResult({ content: [] }, call)?.error, 'mismatch');
    assert.equal(checkToolResult({ isError: true, content: [{ type: 'text', text: 'hi' }] }, call)?.error, 'tool_error');
    assert.equal(checkToolResult('hi', call)?.error, 'bad_response');
    const any = prepare({ tool: 'fail', expect: 'any' }, 't');
    assert.equal(checkToolResult({ isError: true, content: [] }, any), undefined);
    assert.throws(() => prepare({ tool: 'x', expect: 'echo' }, 't'), /needs a string arguments.message/);
  });

  it('finds the answer in a JSON or an SSE body', () => {
    const reply = (type: string, body: string): HttpReply => ({ status: 200, rawHeaders: [Buffer.from('Content-Type'), Buffer.from(type)], body: Buffer.from(body) });
    assert.deepEqual(rpcMessage(reply('application/json', '{"jsonrpc":"2.0","id":3,"result":{}}'), 3).message, { jsonrpc: '2.0', id: 3, result: {} });
    const sse = 'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\nevent: message\ndata: {"jsonrpc":"2.0","id":7,"result":{"ok":1}}\n\n';
    assert.deepEqual(rpcMessage(reply('text/event-stream', sse), 7).message?.result, { ok: 1 });
    assert.match(rpcMessage(reply('text/event-stream', sse), 8).problem ?? '', /no answer to id 8/);
  });
});

describe('bench: /proc and splitting', () => {
  it('parses stat lines whose command holds spaces and parentheses', () => {
    const line = '1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 100000 500 18446744073709551615';
    assert.deepEqual(parseStat(line), { ppid: 1, ticks: 300, systemTicks: 50 });
  });

  it('samples this process (all threads) and finds its children', async () => {
    const before = sampleGroup([process.pid]);
    const until = Date.now() + 60;
    while (Date.now() < until) Math.sqrt(Math.random());
    const after = sampleGroup([process.pid]);
    const usage = usageBetween(before, after);
    assert.deepEqual(usage.pids, [process.pid]);
    assert.ok(usage.rssBytes > 0);
    assert.ok(usage.cpuSeconds >= 0);
    assert.ok(!descendants(process.pid).includes(process.pid));
  });

  it('splits counts evenly, remainder first', () => {
    assert.deepEqual(split(10, 3), [4, 3, 3]);
    assert.deepEqual(split(2, 4), [1, 1, 0, 0]);
  });
});

describe('bench: report text', () => {
  const histogram = hdr.build();
  histogram.recordValue(1000);
  const report: BenchReport = {
    schema: 'mcp-gateway-bench/1',
    startedAt: new Date(0).toISOString(),
    target: { kind: 'rest', url: 'http://127.0.0.1:4000' },
    client: 'lean',
    calls: [{ tool: 'echo', payload: 100 }],
    load: { mode: 'closed', concurrency: 1, connections: 1, threads: 1, durationMs: 1000, timeoutMs: 30_000 },
    result: {
      elapsedSeconds: 1,
      completed: 2,
      ok: 1,
      errors: 1,
      errorsByKind: { mismatch: 1 },
      errorSamples: { mismatch: ['expected "a", got "b"'] },
      missed: 0,
      callsPerSecond: 2,
      okPerSecond: 1,
      latencyMs: { count: 1, min: 1, mean: 1, p50: 1, p90: 1, p99: 1, p999: 1, max: 1 },
      bytes: { sent: 200, received: 300, sentPerCall: 100, receivedPerCall: 150 },
    },
    cpu: { generator: { microsPerCall: 50, cores: 0.1 } },
    histogram: hdr.encodeIntoCompressedBase64(histogram),
  };

  it('lists errors by kind with an example', () => {
    const text = formatText(report);
    assert.match(text, /errors by kind:\n +1 +mismatch +e\.g\. expected "a", got "b"/);
    assert.match(text, /throughput 2 calls\/s \(2 in 1\.00 s\), 1 ok, 1 error$/m);
  });

  it('ratios and compact milliseconds', () => {
    assert.equal(ratio(100, 50), '0.50×');
    assert.equal(ratio(0, 0), '1.00×');
    assert.equal(ratio(undefined, 1), '—');
    assert.equal(ms(0.01234), '0.0123');
    assert.equal(ms(1.234), '1.23');
    assert.equal(ms(1234.5), '1235');
    const doubled = { ...report, result: { ...report.result, callsPerSecond: 4 } };
    assert.match(formatCompare(report, doubled), /^calls\/s +2 +4 +2\.00×$/m);
  });
});
