/**
 * What every fault test checks after its fault, in one place: the client got a
 * clear error (JSON, a code, a status, a message naming the server), the
 * request log and the Prometheus metrics recorded the call, the gateway still
 * serves other servers, and no upstream process outlives the gateway.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ERRORS, type ErrorCode } from '../../src/errors.js';
import { eventually, processesWithMark, type RunningGateway } from './gateway.js';

type Reply = { status: number; body: any; text: string };

/** A REST error reply: the status of `code`, JSON `{"error":{code,message}}`, a message that names `server`. */
export function assertClearError(reply: Reply, code: ErrorCode, server: string, message?: RegExp): void {
  assert.equal(reply.status, ERRORS[code].status, reply.text);
  assert.ok(reply.body?.error, `not a JSON error body: ${reply.text.slice(0, 300)}`);
  assert.equal(reply.body.error.code, code, reply.text);
  assert.match(reply.body.error.message, new RegExp(`"${server}"`), 'the message names the server');
  if (message) assert.match(reply.body.error.message, message);
}

/** The request log has an entry for `tool` on `server` with that status and `code`; `/metrics` counted `count` calls with that outcome. */
export async function assertRecorded(gw: RunningGateway, call: { server: string; tool: string; code?: ErrorCode; httpStatus: number; outcome: string; count?: number }): Promise<void> {
  const log = await gw.get(`/api/v1/requests?server=${call.server}&tool=${encodeURIComponent(call.tool)}&status=${call.httpStatus}`);
  const entry = log.body.requests[0];
  assert.ok(entry, `no request log entry for ${call.server}/${call.tool} with status ${call.httpStatus}`);
  assert.equal(entry.httpStatus, call.httpStatus);
  if (call.code) assert.equal(entry.errorCode, call.code);
  else assert.equal(entry.errorCode, undefined);
  const metrics = await gw.get('/metrics');
  const line = new RegExp(`^mcp_gateway_tool_calls_total\\{server="${call.server}",tool="${call.tool}",outcome="${call.outcome}"\\} (\\d+)$`, 'm').exec(metrics.text);
  assert.ok(line, `/metrics has no ${call.outcome} count for ${call.server}/${call.tool}`);
  assert.equal(Number(line[1]), call.count ?? 1);
}

/** Another server answers normally. */
export async function assertOthersAnswer(gw: RunningGateway, server: string): Promise<void> {
  const reply = await gw.call('echo', { message: `${server} still answers` }, server);
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.body.content[0].text, `${server} still answers`);
}

/** Stops the gateway (if the test did not) and checks that every process it spawned is gone. */
export async function stopLeavingNothing(gw: RunningGateway): Promise<void> {
  await gw.stop();
  const left = await eventually(() => processesWithMark(gw.mark), (pids) => pids.length === 0, 5000);
  assert.deepEqual(left, [], 'upstream processes outlived the gateway');
}

/** A fresh directory for marker and journal files, removed after the test. */
export async function scratchDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-fault-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The JSON lines a fixture appended to `file` (none if it does not exist yet). */
export async function journal<T = Record<string, unknown>>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as T);
}

/** The gateway process's resident set, in MiB (for diagnostics only: never asserted tightly). */
export function rssMiB(): number {
  return Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
}
