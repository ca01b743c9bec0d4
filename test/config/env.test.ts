import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { configErrors, oneServer } from './helpers.js';

test('${VAR} and ${VAR:-default} are substituted in string values', () => {
  const text = oneServer('    env:\n      TOKEN: "Bearer ${TOKEN}"\n      MODE: "${MODE:-fast}"\n      EMPTY: "${EMPTY_VAR:-fallback}"\n      BLANK: "${NOPE:-}"\n');
  const config = parseConfig(text, { env: { TOKEN: 't0k', EMPTY_VAR: '' } });
  assert.deepEqual(config.servers[0]?.env, { TOKEN: 'Bearer t0k', MODE: 'fast', EMPTY: 'fallback', BLANK: '' });
});

test('a set variable beats its default; several per string', () => {
  const config = parseConfig(oneServer('    args: ["${A:-x}-${B:-y}"]\n'), { env: { A: '1' } });
  assert.deepEqual(config.servers[0]?.args, ['1-y']);
});

test('substituted strings are coerced to the field type', () => {
  const config = parseConfig('port: "${PORT:-4100}"\nservers: []\n', { env: {} });
  assert.equal(config.port, 4100);
  assert.equal(parseConfig('port: ${PORT}\nservers: []\n', { env: { PORT: '5000' } }).port, 5000);
});

test('an unset variable names the variable and the field', () => {
  const text = [
    'servers:',
    '  - id: a',
    '    transport: stdio',
    '    command: node',
    '  - id: github',
    '    transport: stdio',
    '    command: node',
    '    env:',
    '      API_TOKEN: "${GITHUB_TOKEN}"',
  ].join('\n');
  assert.deepEqual(configErrors(text), ['servers[1].env.API_TOKEN: environment variable GITHUB_TOKEN is not set']);
});

test('a missing variable in a typed field is reported once, not also as a type error', () => {
  assert.deepEqual(configErrors('port: ${PORT}\nservers: []\n'), ['port: environment variable PORT is not set']);
});

test('$${VAR} is a literal ${VAR}', () => {
  const config = parseConfig(oneServer('    args: ["$${HOME}", "cost: $$5", "$${A:-b}"]\n'), { env: { HOME: '/home/x' } });
  assert.deepEqual(config.servers[0]?.args, ['${HOME}', 'cost: $$5', '${A:-b}']);
});

test('a malformed reference is an error', () => {
  const [line] = configErrors(oneServer('    args: ["${1BAD}"]\n'));
  assert.match(line ?? '', /^servers\[0\]\.args\[0\]: invalid substitution in "\$\{1BAD\}"/);
});

test('a nested default is an error, not a stray brace', () => {
  const [line] = configErrors(oneServer('    args: ["${A:-${B}}"]\n'), { env: { B: 'b' } });
  assert.match(line ?? '', /^servers\[0\]\.args\[0\]: nested substitution in "\$\{A:-\$\{B\}\}" is not supported/);
});

test('keys are not substituted, and values cannot inject YAML', () => {
  const text = oneServer('    env:\n      "${KEY}": "${VALUE}"\n');
  const config = parseConfig(text, { env: { KEY: 'k', VALUE: 'x\nport: 1\n  - id: evil' } });
  assert.deepEqual(config.servers[0]?.env, { '${KEY}': 'x\nport: 1\n  - id: evil' });
  assert.equal(config.port, 4000);
  assert.equal(config.servers.length, 1);
});

test('MCP_GATEWAY_PORT, _HOST and _LOG_LEVEL override the file', () => {
  const env = { MCP_GATEWAY_PORT: '5001', MCP_GATEWAY_HOST: '0.0.0.0', MCP_GATEWAY_LOG_LEVEL: 'debug' };
  const config = parseConfig('port: 4100\nhost: localhost\nlogLevel: warn\nservers: []\n', { env });
  assert.equal(config.port, 5001);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.logLevel, 'debug');
});

test('explicit overrides (CLI flags) beat the environment', () => {
  const config = parseConfig('servers: []\n', { env: { MCP_GATEWAY_PORT: '5001' }, overrides: [{ key: 'port', value: '5002', source: '--port' }] });
  assert.equal(config.port, 5002);
});

test('a bad override names the variable (or flag) instead of the field', () => {
  assert.deepEqual(configErrors('servers: []\n', { env: { MCP_GATEWAY_PORT: 'abc', MCP_GATEWAY_LOG_LEVEL: 'loud' } }), [
    'MCP_GATEWAY_PORT: must be an integer (got "abc")',
    'MCP_GATEWAY_LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent (got "loud")',
  ]);
  assert.deepEqual(configErrors('servers: []\n', { overrides: [{ key: 'httpEngine', value: 'fast', source: '--http-engine' }] }), [
    '--http-engine: must be one of auto, uws, node (got "fast")',
  ]);
});
