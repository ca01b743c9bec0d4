/**
 * The worker's ArgumentValidator on its own: compile once per schema, follow
 * re-listings, warn once about a schema it cannot compile, and cope with what
 * real tool schemas contain ($id, recursive $ref, other drafts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentValidator } from '../../workers/argument-validator.js';

function validator(): { validator: ArgumentValidator; warnings: string[] } {
  const warnings: string[] = [];
  return { validator: new ArgumentValidator((message) => warnings.push(message)), warnings };
}

const number = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
const string = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };

test('checks against the current catalog and follows a re-listing that changes a schema', () => {
  const { validator: v } = validator();
  v.setCatalog([{ name: 't', inputSchema: number }]);
  assert.equal(v.check('t', { a: 1 }), undefined);
  assert.equal(v.check('t', { a: 'x' })?.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
  v.setCatalog([{ name: 't', inputSchema: string }]);
  assert.equal(v.check('t', { a: 'x' }), undefined);
  assert.match(v.check('t', { a: 1 })?.message ?? '', /\/a: must be string/);
  v.setCatalog([]);
  assert.equal(v.check('t', { a: 1 }), undefined, 'a tool the catalog no longer lists is the upstream\'s business');
});

// An unchanged schema is not recompiled on a re-listing: the single warning below is what shows it.
test('a schema that does not compile lets calls through and is warned about once, not on every call or re-listing', () => {
  const { validator: v, warnings } = validator();
  const broken = { type: 'object', properties: { a: { type: 'no-such-type' } } };
  v.setCatalog([{ name: 'bad', inputSchema: broken }, { name: 'good', inputSchema: number }]);
  for (let i = 0; i < 3; i++) assert.equal(v.check('bad', { a: 1 }), undefined);
  v.setCatalog([{ name: 'bad', inputSchema: structuredClone(broken) }, { name: 'good', inputSchema: number }]);
  assert.equal(v.check('bad', { a: 1 }), undefined);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /tool "bad" does not compile/);
  assert.equal(v.check('good', {})?.code, 'MCPGW_ERR_INVALID_ARGUMENTS', 'one bad schema does not disable the others');
});

test('tools sharing a $id, recursive $refs and $defs all compile and validate', () => {
  const { validator: v, warnings } = validator();
  const tree = {
    $id: 'https://example.com/tree.json',
    type: 'object',
    properties: { root: { $ref: '#/$defs/node' } },
    required: ['root'],
    $defs: { node: { type: 'object', properties: { value: { type: 'integer' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['value'] } },
  };
  v.setCatalog([
    { name: 'one', inputSchema: tree },
    { name: 'two', inputSchema: { ...tree, required: [] } },
  ]);
  assert.equal(v.check('one', { root: { value: 1, children: [{ value: 2, children: [{ value: 3 }] }] } }), undefined);
  assert.match(v.check('one', { root: { value: 1, children: [{ value: 2, children: [{ value: 'x' }] }] } })?.message ?? '', /\/root\/children\/0\/children\/0\/value: must be integer/);
  assert.equal(v.check('two', {}), undefined);
  assert.equal(v.check('two', { root: { value: 'x' } })?.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
  assert.deepEqual(warnings, []);
});

test('drafts ajv has no meta-schema for are still enforced', () => {
  const { validator: v, warnings } = validator();
  v.setCatalog([
    { name: 'd4', inputSchema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { a: { type: 'number' } } } },
    { name: 'd2019', inputSchema: { $schema: 'https://json-schema.org/draft/2019-09/schema', type: 'object', properties: { a: { type: 'number' } } } },
  ]);
  assert.equal(v.check('d4', { a: 'x' })?.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
  assert.equal(v.check('d2019', { a: 'x' })?.code, 'MCPGW_ERR_INVALID_ARGUMENTS');
  assert.deepEqual(warnings, []);
});

test('the arguments are not modified (no defaults, no coercion) and a long list of problems is cut short', () => {
  const { validator: v } = validator();
  const schema = { type: 'object', properties: { n: { type: 'number', default: 5 }, s: { type: 'string' } }, additionalProperties: { type: 'boolean' } };
  v.setCatalog([{ name: 't', inputSchema: schema }]);
  const args = { s: '1' };
  assert.equal(v.check('t', args), undefined);
  assert.deepEqual(args, { s: '1' });
  const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
  const error = v.check('t', many);
  assert.equal((error?.data as { errors: unknown[] }).errors.length, 20);
  assert.match(error?.message ?? '', /; and 30 more$/);
});
