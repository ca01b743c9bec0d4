import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cancellation } from '../../workers/cancellation.js';

test('abort runs the listener once, with the reason in place', () => {
  const cancellation = new Cancellation();
  const reason = new Error('cancelled by the client');
  const seen: unknown[] = [];
  cancellation.onAbort(() => seen.push(cancellation.reason));
  assert.equal(cancellation.aborted, false);
  cancellation.abort(reason);
  cancellation.abort(new Error('a second abort changes nothing'));
  assert.equal(cancellation.aborted, true);
  assert.deepEqual(seen, [reason]);
  assert.equal(cancellation.reason, reason);
});

test('a removed listener does not run; a new one replaces the old', () => {
  const cancellation = new Cancellation();
  const runs: string[] = [];
  cancellation.onAbort(() => runs.push('first'));
  cancellation.onAbort(undefined);
  cancellation.abort('x');
  assert.deepEqual(runs, []);
  const other = new Cancellation();
  const otherRuns: string[] = [];
  other.onAbort(() => otherRuns.push('first'));
  other.onAbort(() => otherRuns.push('second'));
  other.abort('y');
  assert.deepEqual(otherRuns, ['second']);
});

test('its AbortSignal follows it, whether made before or after the abort', () => {
  const before = new Cancellation();
  const signal = before.signal;
  let fired = 0;
  signal.addEventListener('abort', () => fired++);
  assert.equal(signal.aborted, false);
  before.abort('gone');
  assert.equal(signal.aborted, true);
  assert.equal(signal.reason, 'gone');
  assert.equal(fired, 1);
  assert.equal(before.signal, signal, 'one signal per cancellation');

  const after = new Cancellation();
  after.abort('late');
  assert.equal(after.signal.aborted, true);
  assert.equal(after.signal.reason, 'late');
});
