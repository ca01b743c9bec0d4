import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../src/errors.js';
import { parseJsonBody } from '../../src/front-door/json-body.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
const code = (text: string, maxDepth: number): string => {
  try {
    parseJsonBody(Buffer.from(text), maxDepth);
    return 'ok';
  } catch (error) {
    assert.ok(GatewayError.is(error));
    return error.code;
  }
};

test('nesting up to maxJsonDepth parses; one level more is MCPGW_ERR_JSON_TOO_DEEP', () => {
  assert.equal(code(nested(8), 8), 'ok');
  assert.equal(code(nested(9), 8), 'MCPGW_ERR_JSON_TOO_DEEP');
  assert.equal(code('{"a":{"b":{"c":[1,{"d":2}]}}}', 5), 'ok');
  assert.equal(code('{"a":{"b":{"c":[1,{"d":{}}]}}}', 5), 'MCPGW_ERR_JSON_TOO_DEEP');
  // Siblings do not add up: depth is the deepest path, not the number of brackets.
  assert.equal(code(`[${Array.from({ length: 100 }, () => '[[]]').join(',')}]`, 3), 'ok');
});

test('brackets inside strings do not count, escaped quotes do not end a string, and multibyte UTF-8 is left alone', () => {
  assert.equal(code(JSON.stringify({ s: '[[[[[[[[[[{{{{{{{{{{' }), 2), 'ok');
  assert.equal(code(JSON.stringify({ s: 'say \\"[[[[[[[["' }), 2), 'ok');
  assert.equal(code(JSON.stringify({ s: 'ends in a backslash\\', t: '[[[[[[' }), 2), 'ok');
  assert.equal(code(JSON.stringify({ s: '日本語 [[[[ 🎉', deeper: [[1]] }), 3), 'ok');
  assert.equal(code(JSON.stringify({ s: '日本語 [[[[ 🎉', deeper: [[[1]]] }), 3), 'MCPGW_ERR_JSON_TOO_DEEP');
});

test('the error names the limit; malformed JSON is still MCPGW_ERR_BAD_JSON', () => {
  try {
    parseJsonBody(Buffer.from(nested(100)), 64);
    assert.fail('expected a refusal');
  } catch (error) {
    assert.ok(GatewayError.is(error));
    assert.match(error.message, /deeper than 64 levels/);
    assert.deepEqual(error.data, { maxDepth: 64 });
    assert.equal(error.status, 400);
  }
  assert.equal(code('{"unterminated": "[[[[[[', 2), 'MCPGW_ERR_BAD_JSON');
  assert.equal(code('{"a": 1,}', 2), 'MCPGW_ERR_BAD_JSON');
});
