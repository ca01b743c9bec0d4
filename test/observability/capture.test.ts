import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../../src/config/defaults.js';
import type { CaptureConfig } from '../../src/config/types.js';
import { Capture, REDACTED } from '../../src/observability/capture.js';

function capture(overrides: Partial<CaptureConfig> = {}): Capture {
  return new Capture({ ...DEFAULTS.monitor.capture, arguments: true, results: true, ...overrides });
}

test('off by default: nothing is captured', () => {
  const off = new Capture(DEFAULTS.monitor.capture);
  assert.equal(off.active, false);
  assert.equal(off.take({ a: 1 }, '{"content":[]}'), undefined);
});

test('redaction is case-insensitive, at any depth, in arrays too, and leaves the original alone', () => {
  const args = { user: 'ann', Password: 'hunter2', nested: { deeper: [{ ACCESS_TOKEN: 'abc', keep: 1 }, { apikey: 'k' }] }, headers: { Authorization: 'Bearer x', Cookie: 'c=1' } };
  const before = JSON.stringify(args);
  const taken = capture().take(args, undefined);
  assert.deepEqual(taken, {
    arguments: { user: 'ann', Password: REDACTED, nested: { deeper: [{ ACCESS_TOKEN: REDACTED, keep: 1 }, { apikey: REDACTED }] }, headers: { Authorization: REDACTED, Cookie: REDACTED } },
  });
  assert.equal(JSON.stringify(args), before, 'the arguments on their way upstream are not touched');
});

test('a redacted key hides its whole value, objects included; the configured list replaces the default one', () => {
  const taken = capture({ redact: ['credentials'] }).take({ credentials: { user: 'u', pass: 'p' }, password: 'not in this list' }, undefined);
  assert.deepEqual(taken?.arguments, { credentials: REDACTED, password: 'not in this list' });
});

test('results are parsed, redacted and kept as values', () => {
  const result = JSON.stringify({ content: [{ type: 'text', text: 'hi' }], structuredContent: { secret: 's', n: 2 } });
  assert.deepEqual(capture().take(undefined, result), { result: { content: [{ type: 'text', text: 'hi' }], structuredContent: { secret: REDACTED, n: 2 } } });
});

test('arguments and results are captured independently', () => {
  assert.deepEqual(capture({ results: false }).take({ a: 1 }, '{"x":1}'), { arguments: { a: 1 } });
  assert.deepEqual(capture({ arguments: false }).take({ a: 1 }, '{"x":1}'), { result: { x: 1 } });
});

test('over maxBytes: the redacted JSON is cut on a character boundary and marked', () => {
  const big = { password: 'p'.repeat(500), text: 'é'.repeat(200) };
  const taken = capture({ maxBytes: 101 }).take(big, undefined);
  assert.deepEqual(taken?.truncated, ['arguments']);
  const text = taken?.arguments as string;
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
  assert.deepEqual(capture({ maxBytes: bytes }).take(value, undefined), { arguments: value });
  assert.deepEqual(capture({ maxBytes: bytes - 1 }).take(value, undefined)?.truncated, ['arguments']);
});

test('very deep values are cut, never walked without bound', () => {
  let deep: Record<string, unknown> = { password: 'bottom' };
  for (let i = 0; i < 500; i++) deep = { next: deep };
  const taken = capture({ maxBytes: 1_048_576 }).take(deep, undefined);
  const json = JSON.stringify(taken?.arguments);
  assert.ok(json.includes('nested too deep'));
  assert.ok(!json.includes('bottom'));
});
