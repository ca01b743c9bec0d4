import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../../src/config/defaults.js';
import type { CaptureConfig } from '../../src/config/types.js';
import { Capture, REDACTED } from '../../src/observability/capture.js';

function capture(overrides: Partial<CaptureConfig> = {}): Capture {
  return new Capture({ ...DEFAULTS.monitor.capture, arguments: true, results: true, ...overrides });
}

/** The arguments of a capture of `args` on demo/t. */
function argumentsOf(taken: ReturnType<Capture['take']>): unknown {
  return taken?.request?.arguments;
}

test('off by default: nothing is captured', () => {
  const off = new Capture(DEFAULTS.monitor.capture);
  assert.equal(off.active, false);
  assert.equal(off.take('demo', 't', { a: 1 }, undefined, '{"content":[]}'), undefined);
});

test('redaction is case-insensitive, at any depth, in arrays too, names each field it replaced, and leaves the original alone', () => {
  const args = { user: 'ann', Password: 'hunter2', nested: { deeper: [{ ACCESS_TOKEN: 'abc', keep: 1 }, { apikey: 'k' }] }, headers: { Authorization: 'Bearer x', 'a/b~c': { cookie: 'c=1' } } };
  const before = JSON.stringify(args);
  const taken = capture().take('demo', 't', args, undefined, undefined);
  assert.deepEqual(taken, {
    request: { arguments: { user: 'ann', Password: REDACTED, nested: { deeper: [{ ACCESS_TOKEN: REDACTED, keep: 1 }, { apikey: REDACTED }] }, headers: { Authorization: REDACTED, 'a/b~c': { cookie: REDACTED } } } },
    redacted: [
      '/request/arguments/Password',
      '/request/arguments/nested/deeper/0/ACCESS_TOKEN',
      '/request/arguments/nested/deeper/1/apikey',
      '/request/arguments/headers/Authorization',
      '/request/arguments/headers/a~1b~0c/cookie',
    ],
  });
  assert.equal(JSON.stringify(args), before, 'the arguments on their way upstream are not touched');
});

test('a redacted key hides its whole value, objects included; the configured list replaces the default one', () => {
  const taken = capture({ redact: ['credentials'] }).take('demo', 't', { credentials: { user: 'u', pass: 'p' }, password: 'not in this list' }, undefined, undefined);
  assert.deepEqual(argumentsOf(taken), { credentials: REDACTED, password: 'not in this list' });
});

test('results are parsed, redacted and kept as values', () => {
  const result = JSON.stringify({ content: [{ type: 'text', text: 'hi' }], structuredContent: { secret: 's', n: 2 }, isError: false });
  assert.deepEqual(capture({ arguments: false }).take('demo', 't', undefined, undefined, result), {
    result: { content: [{ type: 'text', text: 'hi' }], structuredContent: { secret: REDACTED, n: 2 }, isError: false },
    redacted: ['/result/structuredContent/secret'],
  });
});

test('the request holds the client\'s _meta, redacted too; a call without arguments is a request without them', () => {
  const taken = capture().take('demo', 't', undefined, { progressToken: 7, 'vendor/token': 'x', Token: 'y' }, '{"content":[]}');
  assert.deepEqual(taken, { request: { _meta: { progressToken: 7, 'vendor/token': 'x', Token: REDACTED } }, result: { content: [] }, redacted: ['/request/_meta/Token'] });
});

test('requests and results are captured independently', () => {
  assert.deepEqual(capture({ results: false }).take('demo', 't', { a: 1 }, undefined, '{"x":1}'), { request: { arguments: { a: 1 } } });
  assert.deepEqual(capture({ arguments: false }).take('demo', 't', { a: 1 }, undefined, '{"x":1}'), { result: { x: 1 } });
  assert.equal(capture({ results: false, arguments: false }).take('demo', 't', { a: 1 }, undefined, '{"x":1}'), undefined);
});

test('monitor.capture.tools: only matching server/tool calls are captured, and in full', () => {
  const some = capture({ arguments: false, results: false, tools: ['demo/*', 'github/create_*', 'search'] });
  assert.equal(some.active, true);
  assert.deepEqual(some.take('demo', 'echo', { m: 1 }, undefined, '{"content":[]}'), { request: { arguments: { m: 1 } }, result: { content: [] } });
  assert.ok(some.take('github', 'create_issue', {}, undefined, '{}'));
  assert.equal(some.take('github', 'list_issues', {}, undefined, '{}'), undefined);
  assert.ok(some.take('docs', 'search', {}, undefined, '{}'), 'a pattern without "/" names the tool on any server');
  assert.equal(some.take(null, 'echo', {}, undefined, undefined), undefined, 'a call that reached no server matches no server glob');
  assert.deepEqual(some.take('demo', 'echo', { m: 1 }, undefined, undefined), { request: { arguments: { m: 1 } } }, 'a failed call: the request alone');
});

test('over maxBytes: the redacted JSON is cut on a character boundary and marked', () => {
  const big = { password: 'p'.repeat(500), text: 'é'.repeat(200) };
  const taken = capture({ maxBytes: 101 }).take('demo', 't', big, undefined, undefined);
  assert.deepEqual(taken?.truncated, ['arguments']);
  assert.deepEqual(taken?.redacted, ['/request/arguments/password']);
  const text = argumentsOf(taken) as string;
  assert.equal(typeof text, 'string');
  const full = JSON.stringify({ password: REDACTED, text: 'é'.repeat(200) });
  const [kept, marker] = text.split('…');
  assert.equal(marker, `[truncated: ${Buffer.byteLength(full)} bytes]`);
  assert.ok(full.startsWith(kept!), 'the kept part is the start of the redacted JSON (the secret never appears)');
  assert.ok(Buffer.byteLength(kept!) <= 101 && Buffer.byteLength(kept!) >= 100, `${Buffer.byteLength(kept!)} bytes kept`);
  assert.ok(!kept!.includes('\uFFFD'), 'no half character');
  assert.ok(!text.includes('ppp'));
});

test('a value at exactly maxBytes is kept whole', () => {
  const value = { s: 'x'.repeat(10) };
  const bytes = Buffer.byteLength(JSON.stringify(value));
  assert.deepEqual(capture({ maxBytes: bytes }).take('demo', 't', value, undefined, undefined), { request: { arguments: value } });
  assert.deepEqual(capture({ maxBytes: bytes - 1 }).take('demo', 't', value, undefined, undefined)?.truncated, ['arguments']);
});

test('very deep values are cut, never walked without bound', () => {
  let deep: Record<string, unknown> = { password: 'bottom' };
  for (let i = 0; i < 500; i++) deep = { next: deep };
  const taken = capture({ maxBytes: 1_048_576 }).take('demo', 't', deep, undefined, undefined);
  const json = JSON.stringify(argumentsOf(taken));
  assert.ok(json.includes('nested too deep'));
  assert.ok(!json.includes('bottom'));
});

test('redact() treats a replayed result exactly as a capture would', () => {
  assert.deepEqual(capture().redact({ structuredContent: { Secret: 1, n: [{ token: 2 }] } }), { structuredContent: { Secret: REDACTED, n: [{ token: REDACTED }] } });
});
