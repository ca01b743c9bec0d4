import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffJson } from '../../src/replay/json-diff.js';
import { pointerSegments } from '../../src/json-pointer.js';

test('equal values, however deep, have no changes', () => {
  const value = { content: [{ type: 'text', text: 'hi' }], structuredContent: { a: [1, { b: null }] }, isError: false };
  assert.deepEqual(diffJson(value, structuredClone(value)), []);
  assert.deepEqual(diffJson(null, null), []);
  assert.deepEqual(diffJson('x', 'x'), []);
});

test('changed leaves are named by JSON Pointer with before and after', () => {
  assert.deepEqual(diffJson({ content: [{ type: 'text', text: 'alpha' }] }, { content: [{ type: 'text', text: 'beta' }] }), [{ path: '/content/0/text', kind: 'changed', before: 'alpha', after: 'beta' }]);
});

test('added and removed keys', () => {
  assert.deepEqual(diffJson({ a: 1, gone: { x: 1 } }, { a: 1, fresh: [1] }), [
    { path: '/gone', kind: 'removed', before: { x: 1 } },
    { path: '/fresh', kind: 'added', after: [1] },
  ]);
});

test('arrays compare by index: a longer or shorter array adds or removes at the end', () => {
  assert.deepEqual(diffJson([1, 2], [1, 3, 4]), [
    { path: '/1', kind: 'changed', before: 2, after: 3 },
    { path: '/2', kind: 'added', after: 4 },
  ]);
  assert.deepEqual(diffJson({ l: [1, 2, 3] }, { l: [1] }), [
    { path: '/l/1', kind: 'removed', before: 2 },
    { path: '/l/2', kind: 'removed', before: 3 },
  ]);
});

test('a change of type is one change of the whole value', () => {
  assert.deepEqual(diffJson({ a: [1] }, { a: { 0: 1 } }), [{ path: '/a', kind: 'changed', before: [1], after: { 0: 1 } }]);
  assert.deepEqual(diffJson({ a: null }, { a: {} }), [{ path: '/a', kind: 'changed', before: null, after: {} }]);
  assert.deepEqual(diffJson(1, '1'), [{ path: '', kind: 'changed', before: 1, after: '1' }]);
});

test('keys with "/" and "~" are escaped, and the pointers read back', () => {
  const changes = diffJson({ 'a/b': { '~c': 1 } }, { 'a/b': { '~c': 2 } });
  assert.deepEqual(changes, [{ path: '/a~1b/~0c', kind: 'changed', before: 1, after: 2 }]);
  assert.deepEqual(pointerSegments(changes[0]!.path), ['a/b', '~c']);
  assert.throws(() => pointerSegments('a/b'), /not a JSON Pointer/);
});

test('key order does not matter', () => {
  assert.deepEqual(diffJson({ a: 1, b: 2 }, { b: 2, a: 1 }), []);
});

test('very deep documents end in one whole-value change rather than an unbounded walk', () => {
  let left: unknown = 1;
  let right: unknown = 2;
  for (let i = 0; i < 200; i++) {
    left = { n: left };
    right = { n: right };
  }
  const changes = diffJson(left, right);
  assert.equal(changes.length, 1);
  assert.equal(changes[0]!.kind, 'changed');
  assert.equal(changes[0]!.path.split('/').length - 1, 64);
});
