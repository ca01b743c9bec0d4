/**
 * The official conformance suite's server scenarios, directly against
 * server-everything and through the gateway in front of it
 * (test/conformance/run.mjs; BASELINE.md is its table). Runs in a few
 * seconds: every scenario that genuinely passes directly must pass through the
 * gateway, and dns-rebinding-protection must pass through the gateway.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Row {
  readonly scenario: string;
  readonly direct: boolean | null;
  readonly unknownToolPass: boolean;
  readonly gateway: boolean | null;
  readonly gatewayFailures: readonly string[];
}

test('through the gateway, every scenario passes that passes directly, and dns-rebinding-protection too', async () => {
  const child = spawn(process.execPath, [join(root, 'test/conformance/run.mjs'), '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  const outcome = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { rows: Row[]; regressions: string[]; required: string[] };
  assert.deepEqual(outcome.regressions, [], stderr);
  assert.deepEqual(outcome.required, [], stderr);
  assert.equal(code, 0, stderr);
  const genuine = outcome.rows.filter((row) => row.direct === true && !row.unknownToolPass);
  assert.ok(genuine.length >= 5, `too few direct passes to compare against: ${genuine.map((row) => row.scenario).join(', ')}`);
  for (const row of genuine) assert.equal(row.gateway, true, `${row.scenario}: ${row.gatewayFailures.join('; ')}`);
  assert.equal(outcome.rows.find((row) => row.scenario === 'dns-rebinding-protection')?.gateway, true);
});
