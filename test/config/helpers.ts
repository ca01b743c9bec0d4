import assert from 'node:assert/strict';
import { parseConfig, type NormalizeOptions } from '../../src/config/load.js';
import type { ConfigIssue } from '../../src/config/schema.js';
import { GatewayError } from '../../src/errors.js';

/** The `path: message` lines of the MCPGW_ERR_CONFIG that parsing `text` must throw. */
export function configErrors(text: string, options: NormalizeOptions = {}): string[] {
  try {
    parseConfig(text, { env: {}, ...options });
  } catch (error) {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`);
    assert.equal(error.code, 'MCPGW_ERR_CONFIG');
    const issues = (error.data as { errors: ConfigIssue[] }).errors;
    const lines = issues.map((i) => `${i.path}: ${i.message}`);
    // The message lists the same lines, one each, after a header.
    assert.deepEqual(error.message.split('\n').slice(1), lines);
    return lines;
  }
  assert.fail('expected the config to be rejected');
}

/** A valid config with one stdio server, plus `extra` YAML lines appended to that server. */
export function oneServer(extra = ''): string {
  return `servers:\n  - id: s\n    transport: stdio\n    command: node\n${extra}`;
}
