import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadValidator } from '../../src/config/config-validator.js';
import { configSchema } from '../../src/config/schema.js';

test('the build precompiles the config validator, and it is the one used for the schema it was made from', async () => {
  const validate = (await loadValidator(configSchema)) as ((doc: unknown) => boolean) & { stamp?: unknown };
  assert.equal(typeof validate.stamp, 'string', 'npm run build wrote config-validator.cjs for this schema');
  const doc: Record<string, unknown> = { port: '4100', servers: [{ id: 'a', command: 'node' }] };
  assert.equal(validate(doc), true);
  assert.equal(doc.port, 4100, 'coerced like a validator compiled at start-up');
  assert.equal(doc.host, '127.0.0.1', 'defaults inserted');
});

test('a schema the precompiled validator was not made from is compiled at once, never checked by stale code', async () => {
  const narrower = structuredClone(configSchema) as { properties: { port: { maximum: number } } };
  narrower.properties.port.maximum = 5000;
  const validate = (await loadValidator(narrower)) as ((doc: unknown) => boolean) & { stamp?: unknown; errors?: unknown[] };
  assert.equal(validate.stamp, undefined);
  assert.equal(validate({ port: 6000 }), false, 'the edited schema is the one applied');
  assert.equal(validate({ port: 4000 }), true);
});
