import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TraceIds, traceIdOfHeader } from '../../src/observability/trace-context.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('a valid traceparent gives its trace id', () => {
  assert.equal(traceIdOfHeader(VALID), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(traceIdOfHeader(` ${VALID} `), '4bf92f3577b34da6a3ce929d0e0e4736', 'surrounding whitespace is allowed');
  // A later version may carry more fields; its first four still mean the same.
  assert.equal(traceIdOfHeader('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds'), '4bf92f3577b34da6a3ce929d0e0e4736');
});

test('invalid traceparents are ignored', () => {
  for (const value of [
    undefined,
    '',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // zero trace id
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // zero parent id
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // forbidden version
    `${VALID}-extra`, // version 00 has exactly four fields
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01', // short trace id
    `${VALID}, ${VALID}`, // repeated header, joined
  ]) {
    assert.equal(traceIdOfHeader(value), undefined, String(value));
  }
});

test('fresh ids are 32 lower-case hex digits, all different, across pool refills', () => {
  const ids = new TraceIds();
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const id = ids.next();
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.notEqual(id, '0'.repeat(32));
    seen.add(id);
  }
  assert.equal(seen.size, 1000);
});

test('of(): the client trace id when valid, otherwise a fresh one', () => {
  const ids = new TraceIds();
  assert.equal(ids.of({ traceparent: VALID }), '4bf92f3577b34da6a3ce929d0e0e4736');
  const fresh = ids.of({ traceparent: 'garbage' });
  assert.match(fresh, /^[0-9a-f]{32}$/);
  assert.notEqual(fresh, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.notEqual(ids.of({}), ids.of({}));
});
