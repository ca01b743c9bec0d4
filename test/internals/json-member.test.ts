/**
 * memberText: the worker passes an upstream's `result` on as the text it came
 * in, so the text it cuts out must be exactly that member's value — checked
 * here against JSON.parse on generated documents and on the edge cases that
 * break naive scanners (escaped quotes and backslashes, braces inside strings,
 * duplicate and escaped keys, whitespace anywhere JSON allows it).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memberText, parsedMemberText, stampObject, stampObjectBytes, withMemberValue, withoutMember } from '../../src/json-member.js';
import { claimedResultText, claimServerInfo } from '../../workers/upstream-connection.js';

/** A small deterministic PRNG (mulberry32): every run checks the same documents. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRICKY = ['', '"', '\\', '\\"', '"\\', '}', ']', '{"a":1}', '\\\\"', 'é', '\u2028', '\u0000', 'line\nbreak', '"result":', ',', ':'];

function value(next: () => number, depth: number): unknown {
  const kind = Math.floor(next() * (depth > 3 ? 4 : 6));
  switch (kind) {
    case 0:
      return TRICKY[Math.floor(next() * TRICKY.length)]! + String(Math.floor(next() * 100));
    case 1:
      return next() < 0.5 ? Math.floor(next() * 1e6) - 5e5 : next() * 1e-3;
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default:
      return object(next, depth + 1);
  }
}

function object(next: () => number, depth: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const keys = Math.floor(next() * 5);
  for (let i = 0; i < keys; i++) result[next() < 0.3 ? TRICKY[Math.floor(next() * TRICKY.length)]! : `k${i}`] = value(next, depth);
  return result;
}

test('cuts out exactly the value JSON.parse gives, for every member of generated documents', () => {
  const next = random(13);
  let checked = 0;
  for (let i = 0; i < 2000; i++) {
    const document = object(next, 0);
    const text = JSON.stringify(document, null, i % 3 === 0 ? 2 : i % 3 === 1 ? '\t' : undefined);
    for (const key of Object.keys(document)) {
      const member = memberText(text, key);
      assert.notEqual(member, undefined, `${key} in ${text}`);
      assert.deepEqual(JSON.parse(member!), document[key], `${key} in ${text}`);
      const { [key]: _removed, ...rest } = document;
      assert.deepEqual(JSON.parse(withoutMember(text, key)), rest, `without ${key}: ${text}`);
      assert.deepEqual(JSON.parse(withMemberValue(text, key, '{"new":[1]}')), { ...document, [key]: { new: [1] } }, `${key} replaced: ${text}`);
      checked++;
    }
    assert.equal(memberText(text, 'no such key'), undefined);
    assert.equal(withoutMember(text, 'no such key'), text);
  }
  assert.ok(checked > 1000);
});

test('a JSON-RPC answer: the result as it was written, whitespace and all', () => {
  const line = '{"jsonrpc":"2.0","id":"mcpgw:7","result":{"content":[{"type":"text","text":"a \\"quoted\\" }] \\\\"}]}}';
  assert.equal(memberText(line, 'result'), '{"content":[{"type":"text","text":"a \\"quoted\\" }] \\\\"}]}');
  assert.equal(memberText(line, 'id'), '"mcpgw:7"');
  const spaced = ' {\n  "result" :\t{ "a" : [ 1 , 2 ] } ,\r\n "id" : 3\n} ';
  assert.equal(memberText(spaced, 'result'), '{ "a" : [ 1 , 2 ] }');
  assert.equal(memberText(spaced, 'id'), '3');
});

test('the last of duplicate keys, as JSON.parse takes it; escaped keys by what they mean', () => {
  assert.equal(memberText('{"result":{"a":1},"result":{"b":2}}', 'result'), '{"b":2}');
  assert.equal(memberText('{"res\\u0075lt":[true]}', 'result'), '[true]');
  assert.equal(memberText('{"a\\"b":1}', 'a"b'), '1');
});

test('nothing for what is not an object, or has no such member', () => {
  assert.equal(memberText('[{"result":1}]', 'result'), undefined);
  assert.equal(memberText('"result"', 'result'), undefined);
  assert.equal(memberText('{}', 'result'), undefined);
  assert.equal(memberText('{"nested":{"result":1}}', 'result'), undefined);
  assert.equal(memberText('{"text":"\\"result\\":1"}', 'result'), undefined);
});

test('withoutMember takes every copy of the member and one comma with each', () => {
  assert.equal(withoutMember('{"resultType":"complete","content":[]}', 'resultType'), '{"content":[]}');
  assert.equal(withoutMember('{"content":[],"resultType":"complete"}', 'resultType'), '{"content":[]}');
  assert.equal(withoutMember('{"a":1,"resultType":"x","b":2,"resultType":"complete"}', 'resultType'), '{"a":1,"b":2}');
  assert.equal(withoutMember('{ "resultType" : "complete" }', 'resultType'), '{ }');
});

test('withMemberValue replaces the last copy, cuts the earlier ones, and adds a missing member in front', () => {
  assert.equal(withMemberValue('{"a":1,"_meta":{"x":1},"b":2}', '_meta', '{"y":2}'), '{"a":1,"_meta":{"y":2},"b":2}');
  assert.equal(withMemberValue('{"_meta":1,"a":1,"_meta":2}', '_meta', '3'), '{"a":1,"_meta":3}');
  assert.equal(withMemberValue('{"a":1}', '_meta', '{}'), '{"_meta":{},"a":1}');
  assert.equal(withMemberValue('{}', '_meta', 'null'), '{"_meta":null}');
  assert.equal(withMemberValue('{ "_meta" : [ 1 ] }', '_meta', '"x"'), '{ "_meta" : "x" }');
});

test('parsedMemberText refuses a member whose numbers JSON.parse does not read as written (out of a double\'s range)', () => {
  assert.equal(parsedMemberText('{"a":{"n":1e999}}', 'a'), undefined);
  assert.equal(parsedMemberText('{"a":[-1E+400]}', 'a'), undefined);
  assert.equal(parsedMemberText('{"a":{"n":1e-999}}', 'a'), undefined);
  assert.equal(parsedMemberText(`{"a":${'9'.repeat(400)}}`, 'a'), undefined);
  // In range, exact or not, and whatever strings hold: passed on as written.
  assert.equal(parsedMemberText('{"a":{"n":1e308,"m":-0.0,"z":0e5,"big":12345678901234567890,"s":"1e999 e123 0.0"}}', 'a'), '{"n":1e308,"m":-0.0,"z":0e5,"big":12345678901234567890,"s":"1e999 e123 0.0"}');
  assert.equal(parsedMemberText('{"a":"YWJj+e999/0000"}', 'a'), '"YWJj+e999/0000"');
});

test('a claimed result: only its _meta is written anew, the rest of the text stays as the upstream wrote it', () => {
  const payload = 'x'.repeat(1000) + '\\"}{';
  const text = `{ "content": [{"type":"text","text":"${payload}"}], "_meta": {"io.modelcontextprotocol/serverInfo": {"name":"up","version":"1"}, "other": 1}, "isError": false }`;
  const result = JSON.parse(text) as Record<string, unknown>;
  assert.equal(claimServerInfo(result), true);
  const claimed = claimedResultText(text, result);
  assert.deepEqual(JSON.parse(claimed), result, 'what JSON.stringify of the claimed result would say');
  assert.ok(claimed.includes(`"text":"${payload}"`), 'the payload is the upstream\'s text, not re-serialised');
  // Duplicate _meta members: JSON.parse takes the last; none of the upstream's is left in the text.
  const twice = `{"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"first"}},"a":1,"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"up"}}}`;
  const parsed = JSON.parse(twice) as Record<string, unknown>;
  claimServerInfo(parsed);
  const out = claimedResultText(twice, parsed);
  assert.deepEqual(JSON.parse(out), parsed);
  assert.ok(!out.includes('"first"') && !out.includes('"up"'), out);
});

test('stampObject and stampObjectBytes put fields at the front of an object, alike for text and its UTF-8 bytes', () => {
  for (const json of ['{"a":1}', '{}', '{ }', ' {\n\t"content":[{"type":"text","text":"héllo 𝄞"}],"isError":false}', '{"resultType":"complete"}']) {
    const stamped = stampObject(json, { resultType: 'complete' });
    const fromBytes = stampObjectBytes(new TextEncoder().encode(json), { resultType: 'complete' });
    assert.equal(Buffer.from(fromBytes).toString('utf8'), stamped, json);
    assert.equal((JSON.parse(stamped) as { resultType: string }).resultType, 'complete');
    assert.deepEqual({ ...(JSON.parse(stamped) as object), resultType: undefined }, { ...(JSON.parse(json) as object), resultType: undefined });
  }
  const untouched = new TextEncoder().encode('{"a":1}');
  assert.equal(stampObjectBytes(untouched, {}), untouched, 'nothing to stamp: the same bytes');
});
