/**
 * The benchmark's reference endpoints, through the real harness: the relay
 * floor (front door → one worker thread → the demo server over stdio) on both
 * engines, and the ideal endpoint. Each must answer every call correctly, or
 * the ratios RESULTS.md draws against them mean nothing; the floor must leave
 * no child behind when it is stopped.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestContext } from 'node:test';
import { runBench } from '../../src/bench/runner.js';
import { demoServer } from '../fixtures/paths.js';
import { eventually, processesWithMark } from '../helpers/gateway.js';

const relayFloor = fileURLToPath(new URL('../../src/bench/fixtures/relay-floor.js', import.meta.url));
const idealEndpoint = fileURLToPath(new URL('../../src/bench/fixtures/ideal-endpoint.js', import.meta.url));

interface Started {
  readonly url: string;
  readonly engine: string;
  stop(): Promise<number | null>;
}

/** Spawns a fixture that prints `LISTEN <port> <engine>`; the environment carries `mark`. */
async function start(t: TestContext, args: readonly string[], mark: string): Promise<Started> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RELAY_TEST_MARK: mark } });
  const exited = once(child, 'exit');
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  };
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of processesWithMark(mark)) process.kill(pid, 'SIGKILL');
  });
  let out = '';
  for await (const chunk of child.stdout.setEncoding('utf8')) {
    out += chunk;
    const match = /^LISTEN (\d+) (\w+)/m.exec(out);
    if (match) return { url: `http://127.0.0.1:${match[1]}`, engine: match[2]!, stop };
  }
  throw new Error(`the fixture exited before listening: ${out}`);
}

const restCalls = (url: string, payload: number, requests: number) =>
  runBench({ target: { kind: 'rest', url }, calls: [{ tool: 'echo', payload }], concurrency: 8, requests, durationMs: 30_000, timeoutMs: 10_000, threads: 1 });

describe('bench reference endpoints', () => {
  for (const engine of ['uws', 'node'] as const) {
    it(`the relay floor (${engine}) relays every echo exactly, refuses bad calls, and leaves no child when stopped`, async (t) => {
      const mark = `relay-floor-${randomUUID()}`;
      const floor = await start(t, [relayFloor, '--engine', engine, '--', process.execPath, demoServer], mark);
      assert.equal(floor.engine, engine);
      assert.equal(processesWithMark(mark).length, 2, 'the floor and its one stdio child');
      for (const [payload, requests] of [[100, 300], [100 * 1024, 40]] as const) {
        const report = await restCalls(floor.url, payload, requests);
        assert.deepEqual(report.result.errorsByKind, {}, JSON.stringify(report.result.errorSamples));
        assert.equal(report.result.ok, requests);
      }
      const post = (body: string) => fetch(`${floor.url}/api/v1/tools/call`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const unknown = await post(JSON.stringify({ tool: 'no_such_tool', arguments: {} }));
      assert.equal(unknown.status, 502);
      assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'MCPGW_ERR_UPSTREAM');
      for (const bad of ['{not json', JSON.stringify({ arguments: {} })]) {
        const refused = await post(bad);
        assert.equal(refused.status, 400, bad);
      }
      assert.equal((await fetch(`${floor.url}/api/v1/health`)).status, 200);
      const after = await restCalls(floor.url, 100, 20);
      assert.equal(after.result.ok, 20, 'still answering after the bad calls');
      assert.equal(await floor.stop(), 0);
      assert.deepEqual(await eventually(() => processesWithMark(mark), (pids) => pids.length === 0), []);
    });
  }

  it('the ideal endpoint answers every echo itself', async (t) => {
    const ideal = await start(t, [idealEndpoint, '--engine', 'uws'], `ideal-${randomUUID()}`);
    const report = await restCalls(ideal.url, 100, 200);
    assert.deepEqual(report.result.errorsByKind, {}, JSON.stringify(report.result.errorSamples));
    assert.equal(report.result.ok, 200);
    const mcp = await runBench({ target: { kind: 'mcp', url: `${ideal.url}/mcp` }, calls: [{ tool: 'echo', payload: 100 }], concurrency: 4, requests: 100, durationMs: 30_000, timeoutMs: 10_000, threads: 1 });
    assert.equal(mcp.result.ok, 100, JSON.stringify(mcp.result.errorSamples));
    await ideal.stop();
  });
});
