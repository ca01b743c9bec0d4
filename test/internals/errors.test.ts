import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS, GatewayError, isErrorCode, jsonRpcError, restErrorBody, toGatewayError, type ErrorCode } from '../../src/errors.js';

// dist/test/internals/errors.test.js → <repo>/docs/errors.md
const DOC_URL = new URL('../../../docs/errors.md', import.meta.url);

interface DocRow {
  readonly code: string;
  readonly status: number;
  readonly rpc: number;
  readonly when: string;
  /** The `## ` section the row is under. */
  readonly section: string;
  readonly line: number;
}

/** Table cells of a Markdown row, `\|` kept as a literal pipe inside a cell. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

function parseCatalogue(markdown: string): DocRow[] {
  const rows: DocRow[] = [];
  let section = '';
  markdown.split('\n').forEach((line, index) => {
    const heading = /^## +(.+)$/.exec(line);
    if (heading) section = heading[1]!.trim();
    if (!/^\|\s*`MCPGW_ERR_/.test(line)) return;
    const [code, status, rpc, when] = cells(line);
    rows.push({ code: (code ?? '').replace(/`/g, ''), status: Number(status), rpc: Number(rpc), when: when ?? '', section, line: index + 1 });
  });
  return rows;
}

const markdown = readFileSync(DOC_URL, 'utf8');
const rows = parseCatalogue(markdown);
const CLIENT_SECTION = 'Errors clients receive';
const LOCAL_SECTION = 'Startup and configuration errors';

test('docs/errors.md has one row per code, with the same HTTP status, JSON-RPC code and summary', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const found = rows.filter((row) => row.code === code);
    assert.equal(found.length, 1, `${code}: expected exactly one row in docs/errors.md, found ${found.length}`);
    const [row] = found;
    assert.equal(row!.status, spec.status, `${code} (line ${row!.line}): HTTP status`);
    assert.equal(row!.rpc, spec.rpc, `${code} (line ${row!.line}): JSON-RPC code`);
    assert.equal(row!.when, spec.summary, `${code} (line ${row!.line}): "when it happens" must be the summary in src/errors.ts`);
  }
});

test('every code docs/errors.md mentions exists in ERRORS', () => {
  assert.ok(rows.length > 0, 'no table rows parsed from docs/errors.md');
  for (const row of rows) assert.ok(isErrorCode(row.code), `line ${row.line}: ${row.code} is not in ERRORS`);
  // Prose too: a renamed code must not live on in an example.
  for (const [mention] of markdown.matchAll(/MCPGW_ERR_[A-Z0-9_]+/g)) assert.ok(isErrorCode(mention), `docs/errors.md mentions ${mention}, which is not in ERRORS`);
});

test('local errors (wire: false) are documented apart from the ones clients receive', () => {
  for (const row of rows) {
    if (!isErrorCode(row.code)) continue; // reported by the test above
    const wire = ERRORS[row.code].wire;
    assert.equal(row.section, wire ? CLIENT_SECTION : LOCAL_SECTION, `${row.code} (line ${row.line}) is under the wrong heading`);
  }
});

test('the doc states the contract: both shapes, and match on code', () => {
  assert.match(markdown, /match on `code`, never on\s+the message/);
  assert.match(markdown, /\{ "error": \{ "code": /);
  assert.match(markdown, /`error\.data\.code`/);
});

test('toWire/fromWire round-trips code, message and data', () => {
  const original = new GatewayError('MCPGW_ERR_AMBIGUOUS_TOOL', 'two servers', { servers: ['a', 'b'] });
  const wire = original.toWire();
  assert.deepEqual(wire, { code: 'MCPGW_ERR_AMBIGUOUS_TOOL', message: 'two servers', data: { servers: ['a', 'b'] } });
  // What a worker's postMessage does to it.
  const back = GatewayError.fromWire(structuredClone(wire));
  assert.ok(back instanceof GatewayError);
  assert.equal(back.code, original.code);
  assert.equal(back.message, original.message);
  assert.deepEqual(back.data, original.data);
  assert.equal(back.status, 409);
});

test('toWire leaves out data when there is none', () => {
  const wire = new GatewayError('MCPGW_ERR_TIMEOUT', 'slow').toWire();
  assert.deepEqual(wire, { code: 'MCPGW_ERR_TIMEOUT', message: 'slow' });
  assert.equal(Object.hasOwn(wire, 'data'), false);
});

test('GatewayError.is: true for an instance, false once structured-cloned, false for look-alikes', () => {
  const error = new GatewayError('MCPGW_ERR_QUEUE_FULL', 'full');
  assert.equal(GatewayError.is(error), true);
  const cloned: unknown = structuredClone(error);
  assert.equal(GatewayError.is(cloned), false, 'a clone lost its class; it must go through toWire/fromWire');
  assert.equal(GatewayError.is(error.toWire()), false);
  assert.equal(GatewayError.is({ code: 'MCPGW_ERR_QUEUE_FULL', message: 'full', name: 'GatewayError' }), false);
  assert.equal(GatewayError.is(new Error('plain')), false);
  assert.equal(GatewayError.is(null), false);
  assert.equal(GatewayError.is('MCPGW_ERR_QUEUE_FULL'), false);
});

test('GatewayError.is recognises an error from a second copy of the module', async () => {
  // A query string makes Node load a separate module instance: another class, same brand.
  const copy = (await import(`../../src/errors.js?copy=${Date.now()}`)) as typeof import('../../src/errors.js');
  assert.notEqual(copy.GatewayError, GatewayError);
  const foreign = new copy.GatewayError('MCPGW_ERR_TIMEOUT', 'from elsewhere');
  assert.equal(foreign instanceof GatewayError, false);
  assert.equal(GatewayError.is(foreign), true);
  assert.equal(toGatewayError(foreign), foreign, 'recognised, so passed through rather than wrapped as internal');
});

test('restErrorBody: {"error":{code,message,data?}}', () => {
  assert.deepEqual(JSON.parse(restErrorBody(new GatewayError('MCPGW_ERR_UNKNOWN_TOOL', 'no such tool'))), {
    error: { code: 'MCPGW_ERR_UNKNOWN_TOOL', message: 'no such tool' },
  });
  assert.deepEqual(JSON.parse(restErrorBody({ code: 'MCPGW_ERR_UPSTREAM', message: 'boom', data: { upstreamCode: -32000 } })), {
    error: { code: 'MCPGW_ERR_UPSTREAM', message: 'boom', data: { upstreamCode: -32000 } },
  });
  // Falsy data is still data.
  assert.deepEqual(JSON.parse(restErrorBody(new GatewayError('MCPGW_ERR_INTERNAL', 'x', 0))), { error: { code: 'MCPGW_ERR_INTERNAL', message: 'x', data: 0 } });
});

test('jsonRpcError: numeric code from the table, gateway code in data.code, details in data.detail', () => {
  assert.deepEqual(jsonRpcError(new GatewayError('MCPGW_ERR_BAD_JSON', 'not json')), { code: -32700, message: 'not json', data: { code: 'MCPGW_ERR_BAD_JSON' } });
  assert.deepEqual(jsonRpcError({ code: 'MCPGW_ERR_AMBIGUOUS_TOOL', message: 'pick one', data: { servers: ['a', 'b'] } }), {
    code: -32602,
    message: 'pick one',
    data: { code: 'MCPGW_ERR_AMBIGUOUS_TOOL', detail: { servers: ['a', 'b'] } },
  });
  for (const code of Object.keys(ERRORS) as ErrorCode[]) assert.equal(jsonRpcError(new GatewayError(code, 'm')).code, ERRORS[code].rpc, code);
});

test('toGatewayError: a plain Error becomes MCPGW_ERR_INTERNAL with its message and the original as cause', () => {
  const plain = new TypeError('x is undefined');
  const converted = toGatewayError(plain);
  assert.ok(GatewayError.is(converted));
  assert.equal(converted.code, 'MCPGW_ERR_INTERNAL');
  assert.equal(converted.message, 'x is undefined');
  assert.equal(converted.cause, plain);
  assert.equal(converted.status, 500);

  assert.equal(toGatewayError('a string').message, 'a string');
  assert.equal(toGatewayError(undefined).code, 'MCPGW_ERR_INTERNAL');
  const coded = new GatewayError('MCPGW_ERR_TIMEOUT', 'slow');
  assert.equal(toGatewayError(coded), coded);
});

test('isErrorCode accepts only the table own keys', () => {
  assert.equal(isErrorCode('MCPGW_ERR_TIMEOUT'), true);
  assert.equal(isErrorCode('MCPGW_ERR_NOPE'), false);
  assert.equal(isErrorCode('toString'), false);
  assert.equal(isErrorCode(42), false);
});
