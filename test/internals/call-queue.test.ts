import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../src/errors.js';
import { CallQueue, type QueuedCall } from '../../workers/call-queue.js';
import type { Cancellation } from '../../workers/cancellation.js';

/** A call whose `run` lasts until the test calls `finish()`, and which records what the queue did to it. */
class FakeCall implements QueuedCall {
  readonly callId: number;
  readonly deadline: number;
  started = false;
  cancellation: Cancellation | undefined;
  rejected: GatewayError | undefined;
  queuedMs: number | undefined;
  #finish: () => void = () => {};

  constructor(callId: number, deadlineInMs = 60_000) {
    this.callId = callId;
    this.deadline = Date.now() + deadlineInMs;
  }

  run(cancellation: Cancellation, queuedMs: number): Promise<void> {
    assert.equal(this.started, false, `call ${this.callId} started twice`);
    assert.equal(this.rejected, undefined, `call ${this.callId} started after being rejected`);
    this.started = true;
    this.cancellation = cancellation;
    this.queuedMs = queuedMs;
    return new Promise((resolve) => (this.#finish = resolve));
  }

  reject(error: GatewayError, queuedMs: number): void {
    assert.equal(this.rejected, undefined, `call ${this.callId} rejected twice`);
    this.rejected = error;
    this.queuedMs = queuedMs;
  }

  /** Ends the run, then lets the queue react (it does so in a promise callback). */
  async finish(): Promise<void> {
    this.#finish();
    await sleep(0);
  }
}

/** A queue emptied when the test ends, so no waiting call's deadline timer keeps the process alive. */
function queueFor(t: TestContext, maxConcurrency: number, maxQueue: number): CallQueue {
  const queue = new CallQueue(maxConcurrency, maxQueue);
  t.after(() => queue.failAll(new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'test over')));
  return queue;
}

function submitAll(queue: CallQueue, calls: readonly FakeCall[]): void {
  for (const call of calls) queue.submit(call);
}

const started = (calls: readonly FakeCall[]) => calls.filter((c) => c.started).map((c) => c.callId);

test('at most maxConcurrency calls run; the rest wait', (t) => {
  const queue = queueFor(t, 2, 10);
  const calls = [1, 2, 3, 4].map((id) => new FakeCall(id));
  submitAll(queue, calls);
  assert.deepEqual(started(calls), [1, 2]);
  assert.equal(queue.running, 2);
  assert.equal(queue.waiting, 2);
  assert.equal(calls[0]!.queuedMs, 0);
});

test('when a call finishes, the longest-waiting call starts', async (t) => {
  const queue = queueFor(t, 2, 10);
  const calls = [1, 2, 3, 4].map((id) => new FakeCall(id));
  submitAll(queue, calls);
  await calls[1]!.finish();
  assert.deepEqual(started(calls), [1, 2, 3]);
  assert.equal(queue.running, 2);
  assert.equal(queue.waiting, 1);
  await calls[0]!.finish();
  assert.deepEqual(started(calls), [1, 2, 3, 4]);
  assert.equal(queue.waiting, 0);
});

test('a full queue refuses at once with MCPGW_ERR_QUEUE_FULL, and the refused call never runs', async (t) => {
  const queue = queueFor(t, 1, 1);
  const [running, waiting, refused] = [1, 2, 3].map((id) => new FakeCall(id)) as [FakeCall, FakeCall, FakeCall];
  submitAll(queue, [running, waiting, refused]);
  // Synchronously: no await between submit and the check.
  assert.equal(refused.rejected?.code, 'MCPGW_ERR_QUEUE_FULL');
  assert.equal(refused.rejected?.status, 503);
  assert.equal(refused.queuedMs, 0);
  assert.equal(queue.waiting, 1);
  await running.finish();
  assert.equal(waiting.started, true);
  await waiting.finish();
  assert.equal(refused.started, false);
});

test('maxQueue 0 means no waiting at all', (t) => {
  const queue = queueFor(t, 1, 0);
  const [a, b] = [new FakeCall(1), new FakeCall(2)];
  submitAll(queue, [a, b]);
  assert.equal(a.started, true);
  assert.equal(b.rejected?.code, 'MCPGW_ERR_QUEUE_FULL');
});

test('a waiting call past its deadline fails with MCPGW_ERR_TIMEOUT without ever running', async (t) => {
  const queue = queueFor(t, 1, 5);
  const running = new FakeCall(1);
  const late = new FakeCall(2, 30);
  const patient = new FakeCall(3);
  submitAll(queue, [running, late, patient]);
  await sleep(80);
  assert.equal(late.rejected?.code, 'MCPGW_ERR_TIMEOUT');
  assert.ok((late.queuedMs ?? 0) >= 25, `queuedMs ${late.queuedMs}`);
  assert.equal(queue.waiting, 1);
  await running.finish();
  assert.equal(late.started, false);
  assert.equal(patient.started, true, 'the expired call gave its place to the next one');
});

test('a call that starts before its deadline is not expired by the queue timer', async (t) => {
  const queue = queueFor(t, 1, 5);
  const first = new FakeCall(1);
  const second = new FakeCall(2, 60);
  submitAll(queue, [first, second]);
  await first.finish();
  assert.equal(second.started, true);
  await sleep(100);
  assert.equal(second.rejected, undefined);
  assert.equal(second.cancellation?.aborted, false);
});

test('cancel of a running call aborts its cancellation with the given error as the reason', async (t) => {
  const queue = queueFor(t, 1, 5);
  const call = new FakeCall(1);
  queue.submit(call);
  const error = new GatewayError('MCPGW_ERR_CANCELLED', 'client went away');
  queue.cancel(1, error);
  assert.equal(call.cancellation?.aborted, true);
  assert.equal(call.cancellation?.reason, error);
  // Running calls report their own outcome; the queue does not reject them as well.
  assert.equal(call.rejected, undefined);
  // The slot is held until the upstream call actually ends.
  assert.equal(queue.running, 1);
  await call.finish();
  assert.equal(queue.running, 0);
});

test('cancel of a waiting call rejects it with the given error, and it never runs', async (t) => {
  const queue = queueFor(t, 1, 5);
  const [running, waiting, next] = [1, 2, 3].map((id) => new FakeCall(id)) as [FakeCall, FakeCall, FakeCall];
  submitAll(queue, [running, waiting, next]);
  const error = new GatewayError('MCPGW_ERR_CANCELLED', 'client went away');
  queue.cancel(2, error);
  assert.equal(waiting.rejected, error);
  assert.equal(queue.waiting, 1);
  await running.finish();
  assert.equal(waiting.started, false);
  assert.equal(next.started, true);
  // Unknown and already-finished ids are ignored.
  assert.doesNotThrow(() => queue.cancel(99, error));
  assert.doesNotThrow(() => queue.cancel(1, error));
  assert.doesNotThrow(() => queue.cancel(2, error));
});

test('failAll aborts running calls and rejects waiting ones, which then never run', async (t) => {
  const queue = queueFor(t, 2, 5);
  const calls = [1, 2, 3, 4].map((id) => new FakeCall(id));
  submitAll(queue, calls);
  const error = new GatewayError('MCPGW_ERR_UPSTREAM_CRASHED', 'gone');
  queue.failAll(error);
  const [a, b, c, d] = calls as [FakeCall, FakeCall, FakeCall, FakeCall];
  assert.equal(a.cancellation?.reason, error);
  assert.equal(b.cancellation?.reason, error);
  assert.equal(c.rejected, error);
  assert.equal(d.rejected, error);
  assert.equal(queue.waiting, 0);
  await a.finish();
  await b.finish();
  assert.deepEqual(started(calls), [1, 2]);
  assert.equal(queue.running, 0);
});

test('drain resolves true at once when idle', async (t) => {
  assert.equal(await queueFor(t, 1, 1).drain(1000), true);
});

test('drain resolves true when the last call finishes', async (t) => {
  const queue = queueFor(t, 1, 5);
  const [a, b] = [new FakeCall(1), new FakeCall(2)];
  submitAll(queue, [a, b]);
  let settled: boolean | undefined;
  const drained = queue.drain(5000).then((idle) => (settled = idle));
  await a.finish();
  assert.equal(settled, undefined, 'b still runs');
  await b.finish();
  assert.equal(await drained, true);
});

test('drain resolves false after the timeout when calls are still in flight', async (t) => {
  const queue = queueFor(t, 1, 5);
  queue.submit(new FakeCall(1));
  const before = Date.now();
  assert.equal(await queue.drain(30), false);
  assert.ok(Date.now() - before >= 25);
});

test('drain resolves true once failAll has emptied the queue and the aborted call ends', async (t) => {
  const queue = queueFor(t, 1, 5);
  const [a, b] = [new FakeCall(1), new FakeCall(2)];
  submitAll(queue, [a, b]);
  const drained = queue.drain(5000);
  queue.failAll(new GatewayError('MCPGW_ERR_SHUTTING_DOWN', 'stop'));
  await a.finish();
  assert.equal(await drained, true);
});
